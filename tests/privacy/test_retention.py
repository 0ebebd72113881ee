"""Retention: the daily purge under the sheets' rules, legal holds, shortened periods."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from clausier.core.clock import PARIS
from clausier.core.errors import RuleRefusal
from clausier.privacy import rules, service
from clausier.privacy.models import PurgeReportLine, Recording, RetentionRun
from clausier.terms.loader import built_in_sheets
from clausier.terms.schema import DayCount
from tests.privacy import world

SHEETS = {sheet.id: sheet for sheet in built_in_sheets()}


def _rule(sheet: str, family: str, data: str) -> rules.RetentionPeriod:
    terms = SHEETS[sheet].terms_for(family)
    return rules.RetentionPeriod.of(next(r for r in terms.retention.rules if r.data == data))


def test_cdr_kept_six_months_from_recording():
    """CGV art. 10.6 (L382-390): call-detail data kept six months from their recording."""
    cdr = _rule("technicophone", "sip_trunk", "cdr")
    assert cdr.end(date(2026, 1, 31)) == date(2026, 7, 31)
    assert not cdr.is_due(date(2026, 1, 31), date(2026, 7, 30))
    assert cdr.is_due(date(2026, 1, 31), date(2026, 7, 31))
    assert cdr.clause == "CGV art. 10.6 (L382-390)"


def test_hosting_data_erased_thirty_business_days_after_the_letter():
    """CP XI §11 (L9264-9276): 30 business days of reversibility, then everything is erased;
    counted in jours ouvrés (Easter Monday 6 April, 1 May, 8 May and Ascension 14 May 2026 are
    holidays)."""
    hosting = _rule("technicophone", "hosting", "hosting_data")
    assert hosting.counted_in is DayCount.ouvres
    assert hosting.end(date(2026, 4, 1)) == date(2026, 5, 19)


def test_mailboxes_kept_six_months_after_termination():
    """Ozone CGV art. 11.4 (L326): mailboxes kept six months after the end."""
    mailboxes = _rule("ozone", "internet_fibre", "mailboxes")
    assert (mailboxes.after, mailboxes.end(date(2026, 3, 15))) == ("termination", date(2026, 9, 15))


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.dates(date(2020, 1, 1), date(2030, 12, 31)),
       st.sampled_from([(6, None, DayCount.calendar), (None, 30, DayCount.ouvres),
                        (1, None, DayCount.calendar), (None, 7, DayCount.ouvres)]))
def test_cutoff_agrees_with_due_dates(start, today, figures):
    """Invariant: data started on or before the cutoff are exactly the data that are due."""
    months, days, counted_in = figures
    period = rules.RetentionPeriod("x", months, days, counted_in, "creation", "test")
    assert period.is_due(start, today) == (start <= period.cutoff(today))


def test_recordings_can_only_be_shortened():
    """CP X §3.2 (L7466-7469): six months by default, which the client may reduce, not extend."""
    recordings = _rule("technicophone", "cx", "recordings")
    assert recordings.shortened(months=2, reference=date(2026, 1, 1)).months == 2
    with pytest.raises(RuleRefusal, match="can only be shortened"):
        recordings.shortened(months=7, reference=date(2026, 1, 1))


def test_rules_in_force_name_the_families_they_govern(session, clock, actor):
    world.technicophone(session, clock, actor)
    found = {(r.data, r.families) for r in service.retention_rules(session)}
    assert ("cdr", ()) in found                         # every family states it (CGV art. 10.6)
    assert ("recordings", ("cx",)) in found             # CP X §3.2 only
    assert ("hosting_data", ("hosting",)) in found


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    return tmp_path


def test_cdr_partitions_older_than_six_months_are_purged_and_a_legal_hold_respected(
        session, clock, actor, data_dir):
    """CGV art. 10.6 (L382-390): on 2026-08-01 the records made up to 1 Feb (+ 6 months =
    1 Aug) are due: January's (made on the 15th) go, February's (15 Feb) stay. A customer
    under a legal hold keeps its records."""
    op = world.technicophone(session, clock, actor)
    free = world.customer_with_contacts(session, clock, actor, op, "Free SARL")
    held = world.customer_with_contacts(session, clock, actor, op, "Held SAS")
    service.place_legal_hold(session, clock, actor, held.id, "litigation on invoice 2026-01",
                             date(2026, 7, 1))
    january = world.write_partition(data_dir, "records", "2026-01", [
        {"record_id": "a", "customer_id": free.id, "subscription_id": 1, "calling": "0247000001"},
        {"record_id": "b", "customer_id": held.id, "subscription_id": 2, "calling": "0247000002"}])
    world.write_partition(data_dir, "records", "2025-12", [
        {"record_id": "c", "customer_id": free.id, "subscription_id": 1, "calling": "0247000001"}])
    february = world.write_partition(data_dir, "records", "2026-02", [
        {"record_id": "d", "customer_id": free.id, "subscription_id": 1, "calling": "0247000001"}])
    world.write_partition(data_dir, "rated", "2025-12", [
        {"record_id": "c", "customer_id": free.id, "subscription_id": 1, "calling": "0247000001"}])

    run = service.purge(session, clock, actor, date(2026, 8, 1))

    assert not (data_dir / "usage/records/month=2025-12").exists()     # deleted whole
    assert not (data_dir / "usage/rated/month=2025-12").exists()       # billing data too
    assert pl.read_parquet(january)["record_id"].to_list() == ["b"]    # the held customer's
    assert february.exists()
    lines = {(l.data, l.what): (l.count, l.held, l.clause) for l in session.scalars(
        select(PurgeReportLine).where(PurgeReportLine.run_id == run.id))}
    assert lines[("cdr", "usage/records/month=2026-01")] == (1, 1, "CGV art. 10.6 (L382-390)")
    assert lines[("cdr", "usage/records/month=2025-12")] == (1, 0, "CGV art. 10.6 (L382-390)")
    assert lines[("billing_data", "usage/rated/month=2025-12")][0] == 1
    assert (run.deleted, run.held) == (3, 1)

    # lifted: the held records go with the next day's purge
    service.lift_legal_hold(session, clock, actor, held.id, "settled", date(2026, 8, 1))
    service.purge(session, clock, actor, date(2026, 8, 2))
    assert not (data_dir / "usage/records/month=2026-01").exists()


def test_purge_twice_for_the_same_day_changes_nothing(session, clock, actor, data_dir):
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    world.write_partition(data_dir, "records", "2025-12", [
        {"record_id": "c", "customer_id": customer.id, "subscription_id": 1, "calling": "1"}])
    first = service.purge(session, clock, actor, date(2026, 8, 1))
    lines = session.scalars(select(PurgeReportLine)).all()
    second = service.purge(session, clock, actor, date(2026, 8, 1))
    assert second.id == first.id
    assert len(session.scalars(select(RetentionRun)).all()) == 1
    assert session.scalars(select(PurgeReportLine)).all() == lines


def test_a_recording_is_purged_at_its_shortened_period(session, clock, actor, data_dir):
    """CP X §3.2 (L7466-7469): recordings kept six months by default; this customer reduced it
    to one month, so a recording of 10 March 2026 goes on 10 April, another customer's stays."""
    op = world.technicophone(session, clock, actor)
    short = world.customer_with_contacts(session, clock, actor, op, "Short SARL")
    default = world.customer_with_contacts(session, clock, actor, op, "Default SARL")
    cx_short = world.live_service(session, clock, actor, short, "cx-ivr")
    cx_default = world.live_service(session, clock, actor, default, "cx-ivr")
    override = service.shorten_retention(session, clock, actor, short.id, "recordings", months=1,
                                         reason="customer's request", on=date(2026, 3, 1))
    assert override.clause == "CP X §3.2 (L7466-7469)"
    (data_dir / "recordings").mkdir()
    (data_dir / "recordings" / "r1.wav").write_bytes(b"RIFF")
    at = datetime(2026, 3, 10, 15, 0, tzinfo=PARIS)
    service.add_recording(session, clock, actor, short.id, at, caller="0611223344",
                          subscription_id=cx_short.id, file_name="r1.wav")
    service.add_recording(session, clock, actor, default.id, at, caller="0699887766",
                          subscription_id=cx_default.id)

    service.purge(session, clock, actor, date(2026, 4, 9))
    assert len(session.scalars(select(Recording)).all()) == 2
    service.purge(session, clock, actor, date(2026, 4, 10))
    assert [r.customer_id for r in session.scalars(select(Recording))] == [default.id]
    assert not (data_dir / "recordings" / "r1.wav").exists()
    service.purge(session, clock, actor, date(2026, 9, 10))
    assert session.scalars(select(Recording)).all() == []


def test_data_no_room_stores_is_reported(session, clock, actor, data_dir):
    world.technicophone(session, clock, actor)
    run = service.purge(session, clock, actor, date(2026, 8, 1))
    line = session.scalar(select(PurgeReportLine).where(PurgeReportLine.run_id == run.id,
                                                        PurgeReportLine.data == "snapshots"))
    assert (line.what, line.clause) == ("nothing stored by Clausier", "CP XI §2.2 (L8253-8255)")


def test_the_daily_tick_runs_the_purge(session, clock, actor, data_dir):
    from clausier.scheduler.service import run_daily_tick
    world.technicophone(session, clock, actor)
    outcomes = {o.step: o for o in run_daily_tick(session, clock, actor, date(2026, 8, 1))}
    assert outcomes["clausier.privacy.service:tick"].status == "done"
    assert session.scalar(select(RetentionRun.day)) == date(2026, 8, 1)


def test_a_mailbox_is_reported_for_deletion_six_months_after_termination(session, clock, actor,
                                                                         data_dir):
    """Ozone CGV art. 11.4 (L326): the mailboxes are kept six months after the end of the
    contract. Clausier holds no mailbox: on the due day the purge report tells staff which one to
    delete on the operator's platform (not counted as deleted by Clausier); a legal hold keeps it."""
    from clausier.contracts import service as contracts
    from tests import factories

    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "fibre-1g", "internet_fibre", "29.99", commitment_months=12)
    ended = []
    for name in ("Famille Durand", "Famille Petit"):
        customer = factories.customer(session, clock, op, name, kind="household", employees=None)
        sub = world.live_service(session, clock, actor, customer, "fibre-1g", date(2025, 2, 1))
        contracts.terminate_now(session, clock, actor, sub.id, date(2026, 3, 15), "moved out")
        ended.append((customer, sub))
    ended[1][0].legal_hold = True
    session.flush()

    def mailbox_lines(day):
        run = service.purge(session, clock, actor, day)
        return run, list(session.scalars(select(PurgeReportLine).where(
            PurgeReportLine.run_id == run.id, PurgeReportLine.data == "mailboxes")))

    _, before = mailbox_lines(date(2026, 9, 14))
    assert [line.what for line in before] == ["nothing due"]
    run, due = mailbox_lines(date(2026, 9, 15))
    (first, held) = due
    assert first.what == f"mailbox of {ended[0][1].ref} (ended 2026-03-15)"
    assert (first.count, first.unit, first.held) == (1, "to delete by hand", 0)
    assert first.clause == "CGV art. 11.4 (L326)"
    assert (held.count, held.held, held.detail) == (0, 1, "legal hold")
    assert run.deleted == 0                           # nothing Clausier itself deleted
    # reported once; the held one is reminded each day while the hold lasts
    _, next_day = mailbox_lines(date(2026, 9, 16))
    assert [(line.count, line.held) for line in next_day] == [(0, 1)]
