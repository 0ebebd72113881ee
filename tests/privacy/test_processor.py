"""The operator as processor: sub-processor changes and objections, audits, breaches, the end."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import select

from clausier.billing.models import Charge
from clausier.contracts import service as contracts
from clausier.core.clock import PARIS
from clausier.core.errors import InvalidInput, NotAllowed, RuleRefusal
from clausier.customers.models import Contact
from clausier.privacy import rules, service
from clausier.privacy.models import Recording
from clausier.terms.loader import built_in_sheets
from tests.privacy import world

PRIVACY = {s.id: s for s in built_in_sheets()}["technicophone"].general.privacy


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    return tmp_path


def test_sub_processor_timeline_in_business_days():
    """Annexe 1 A.2.c (L10408-10422): notice 10 days ahead, 10 days to object, 30 days of talks
    ('jours' are business days, reading T-D-JOURS; 11 November and 25 December are holidays)."""
    timeline = rules.subprocessor_timeline(date(2026, 11, 2), PRIVACY)
    assert (timeline.earliest_change_on, timeline.objection_deadline) == (date(2026, 11, 17),
                                                                          date(2026, 11, 17))
    assert timeline.state_on(date(2026, 11, 18)) == "accepted_by_silence"
    with pytest.raises(RuleRefusal, match="^received_on: .*closed on 2026-11-17"):
        rules.subprocessor_timeline(date(2026, 11, 2), PRIVACY, objected_on=date(2026, 11, 18))
    objected = rules.subprocessor_timeline(date(2026, 11, 2), PRIVACY, objected_on=date(2026, 11, 16))
    assert objected.talks_end_on == date(2026, 12, 29)
    assert (objected.state_on(date(2026, 12, 29)), objected.state_on(date(2026, 12, 30))) == (
        "talks", "may_terminate")
    assert objected.termination_without_fees
    assert objected.clauses["termination"] == \
        "Annexe 1 A.2.c (L10416-10422), reading T-GDPR-TERMINATION-REF"


def test_sub_processor_objection_timeline_ends_in_termination_without_fees(session, clock, actor):
    """A change announced to every business customer served; one objects in time, talks for 30
    business days fail, and it leaves without early-termination fees (Annexe 1 A.2.c, reading
    T-GDPR-TERMINATION-REF), although its 36-month commitment runs to 2028 (CGV art. 7.1)."""
    op = world.technicophone(session, clock, actor)
    objecting = world.customer_with_contacts(session, clock, actor, op, "Objecting SAS")
    silent = world.customer_with_contacts(session, clock, actor, op, "Silent SARL")
    world.customer_with_contacts(session, clock, actor, op, "Prospect SA")    # no service: no notice
    sub = world.live_service(session, clock, actor, objecting)
    world.live_service(session, clock, actor, silent)
    with pytest.raises(NotAllowed, match="2026-11-17 at the earliest"):
        service.announce_sub_processor(session, clock, actor, "technicophone", "CloudCo",
                                       announced_on=date(2026, 11, 2), planned_on=date(2026, 11, 16))
    change = service.announce_sub_processor(session, clock, actor, "technicophone", "CloudCo",
                                            announced_on=date(2026, 11, 2),
                                            planned_on=date(2026, 12, 1), essential=True,
                                            purpose="hosting of the call platform")
    notices = service.notices_of(session, change.id)
    assert [(n.customer_id, n.objection_deadline) for n in notices] == [
        (objecting.id, date(2026, 11, 17)), (silent.id, date(2026, 11, 17))]
    objection = service.record_objection(session, clock, actor, change.id, objecting.id,
                                         date(2026, 11, 16), "data outside the EU")
    assert objection.talks_end_on == date(2026, 12, 29)
    with pytest.raises(NotAllowed, match="talks run until 2026-12-29"):
        service.close_objection(session, clock, actor, objection.id, "terminate", date(2026, 12, 29))
    service.close_objection(session, clock, actor, objection.id, "terminate", date(2027, 1, 4),
                            "no agreement")
    assert (objection.status, sub.status, sub.termination_reason) == (
        "terminated", "notice_given", "sub_processor_objection")
    assert session.scalars(select(Charge).where(Charge.customer_id == objecting.id)).all() == []


def test_audit_requests_notice_duration_and_frequency():
    """Annexe 1 A.2.g (L10480-10497): 60 business days' notice, at most 2 days, one per 12 months,
    never by a competitor."""
    accepted = rules.audit_decision(date(2026, 1, 5), date(2026, 4, 7), 2, [], PRIVACY)
    assert accepted.accepted and accepted.earliest_start == date(2026, 3, 30)   # 12 weeks, no holiday
    refused = rules.audit_decision(date(2026, 1, 5), date(2026, 3, 27), 3, [date(2025, 6, 1)],
                                   PRIVACY, auditor_is_competitor=True)
    assert not refused.accepted
    assert [r.split(":")[0].split(" (")[0] for r in refused.reasons] == [
        "60 business days' notice", "an audit lasts at most 2 business days, not 3",
        "at most 1 audit per 12 months", "the auditor may not be a competitor"]


def test_audit_request_recorded_with_its_decision(session, clock, actor):
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    first = service.request_audit(session, clock, actor, customer.id, letter_received_on=date(2026, 1, 5),
                                  starts_on=date(2026, 4, 7), days=2, auditor="Audit & Co")
    second = service.request_audit(session, clock, actor, customer.id, letter_received_on=date(2026, 3, 2),
                                   starts_on=date(2026, 9, 1), days=1)
    assert (first.accepted, second.accepted) == (True, False)
    assert "one started on 2026-04-07" in second.reasons[0]


def test_breach_log_and_notifications(session, clock, actor):
    """Annexe 1 A.2.a (L10349-10353): each customer is told the nature, the likely consequences
    and the measures; a second run notifies nobody twice."""
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    world.live_service(session, clock, actor, customer)
    breach = service.record_breach(session, clock, actor, "technicophone",
                                   detected_at=datetime(2026, 11, 23, 22, 0, tzinfo=PARIS),
                                   nature="CDR export left readable", data_categories=["contact"])
    with pytest.raises(InvalidInput, match="likely_consequences"):
        service.notify_breach(session, clock, actor, breach.id)
    breach.likely_consequences = "phone numbers disclosed"
    breach.measures_taken_or_proposed = "access revoked, files deleted"
    [sent] = service.notify_breach(session, clock, actor, breach.id)
    # « dans les meilleurs délais », no hour figure: the delay since detection is stated (reading
    # T-GDPR-BREACH-DELAY); detected at 22:00, notified the next morning at 9:00.
    assert (sent.customer_id, sent.clause) == (customer.id, "Annexe 1 A.2.a (L10349-10353), "
                                                            "reading T-GDPR-BREACH-DELAY")
    assert sent.contents["notified_after"] == "notified 11 h 00 min after detection (as soon as possible)"
    assert service.notify_breach(session, clock, actor, breach.id) == []


def test_a_restricted_contract_has_not_ended_for_the_end_of_contract_deletion(session, clock, actor, data_dir):
    """Annexe 1 A.2.e (L10451-10461): the customer's data are deleted or returned "at the end" of
    the contract; a line restricted for a late payment (CGV art. 13, L543-546) is still under
    contract, so nothing is erased yet."""
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    sub = world.live_service(session, clock, actor, customer)
    contracts.change_status(session, clock, actor, sub.id, "restrict", date(2026, 11, 2), "late payment")
    assert sub.status == "restricted"
    with pytest.raises(NotAllowed, match=f"has not ended \\({sub.ref} still live\\)"):
        service.end_of_contract(session, clock, actor, customer.id, "delete", date(2026, 11, 24))


def test_end_of_contract_return_then_delete_with_a_certificate(session, clock, actor, data_dir):
    """Annexe 1 A.2.e (L10452-10456): at the end, the customer's data are returned and the copies
    destroyed, as it chose; recordings processed for it are deleted; a PDF certifies it."""
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    sub = world.live_service(session, clock, actor, customer)
    service.add_recording(session, clock, actor, customer.id,
                          datetime(2026, 3, 10, 15, 0, tzinfo=PARIS), caller="0611223344")
    with pytest.raises(NotAllowed, match="has not ended"):
        service.end_of_contract(session, clock, actor, customer.id, "delete", date(2026, 11, 24))
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 11, 1), "test")
    sub.status = "terminated"
    with pytest.raises(InvalidInput, match="delete, return_and_destroy_copies"):
        service.end_of_contract(session, clock, actor, customer.id, "keep", date(2026, 11, 24))
    decision = service.end_of_contract(session, clock, actor, customer.id,
                                       "return_and_destroy_copies", date(2026, 11, 24))
    assert decision.clause == "Annexe 1 A.2.e (L10452-10456)"
    assert "privacy_recordings.json" in zipfile.ZipFile(decision.returned_file).namelist()
    assert session.scalars(select(Recording)).all() == []
    contact = session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert contact.phone == ""
    with open(decision.certificate_file, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert {"table": "privacy_recordings", "column": "*", "action": "delete",
            "reason": "1 rows processed for the customer"} in decision.erased
