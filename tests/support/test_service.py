"""Tickets, SLA reports and claims on a real database (issue "Support and service levels")."""

from __future__ import annotations

import mailbox
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from clausier.audit.models import AuditEntry
from clausier.billing.ledger.charges import pending_charges
from clausier.core.clock import PARIS, FixedClock
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.support import service
from clausier.support.models import Notification, Outage
from clausier.support.service import TicketInput

from tests.support import world as w


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


@pytest.fixture
def world(session, clock, actor):
    return w.build(session, clock, actor)


def open_at(session, actor, world, subscription, called_at, **extra):
    clock = FixedClock(called_at)
    return service.open_ticket(session, clock, actor, TicketInput(
        subscription=subscription.ref, reporter_contact_id=world.reporter.id,
        description="No dial tone on the ISDN access", location="Tours, switchboard room",
        consequences="Reception cannot call out", called_at=called_at, **extra))


def run_ticket(session, actor, ticket, *, confirm=None, pause=None, restored=None, anomaly="major",
               excusable=None, close_at=None):
    if confirm:
        service.confirm(session, FixedClock(confirm), actor, ticket.ref, confirm)
    if pause:
        service.request_access(session, FixedClock(pause[0]), actor, ticket.ref, pause[0])
        service.give_access(session, FixedClock(pause[1]), actor, ticket.ref, pause[1])
    service.qualify(session, FixedClock(restored), actor, ticket.ref, in_scope=True, anomaly=anomaly,
                    excusable_event=excusable)
    service.restore(session, FixedClock(restored), actor, ticket.ref, restored)
    closing = close_at or restored + timedelta(minutes=5)
    service.close(session, FixedClock(closing), actor, ticket.ref, closing)
    return ticket


def test_unauthorised_contact_is_refused_cp_i_5_7(session, actor, world):
    # CP I §5.7: the caller is identified and their authorisation checked (designated contacts).
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    with pytest.raises(NotAllowed, match="Paul Compta is not a contact Imprimerie Durand designated "
                                         "to report incidents"):
        service.open_ticket(session, FixedClock(at(2026, 2, 2, 10)), actor, TicketInput(
            subscription=isdn.ref, reporter_contact_id=world.stranger.id, description="Down"))


def test_ticket_has_the_seed_fields_a_unique_reference_and_notifies_at_each_state_cp_i_5_7(
        session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    first = open_at(session, actor, world, isdn, at(2026, 2, 2, 10),
                    keep_informed=[{"name": "Reception", "email": "accueil@durand.example"}])
    second = open_at(session, actor, world, isdn, at(2026, 2, 2, 11))
    assert (first.ref, second.ref) == ("TEC-I000001", "TEC-I000002")
    assert first.access == "isdn"                         # the only access of the service
    assert first.site_ids == [isdn.site_id] and first.service_level_option == "standard"
    assert second.keep_informed == [{"name": "Claire Durand", "email": "claire@durand.example",
                                     "phone": "0247000000"}]
    run_ticket(session, actor, first, confirm=at(2026, 2, 2, 10, 10), restored=at(2026, 2, 2, 12))
    states = [n.state for n in service.notifications_of(session, first)]
    assert states == ["opened", "confirmed", "qualified", "restored", "closed"]
    assert {n.recipient_email for n in service.pending_notifications(session)} == {
        "accueil@durand.example", "claire@durand.example"}
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket.closed")) is not None


def test_isdn_fault_before_whit_monday_standard_and_24x7_option_cp_i_5_2(session, actor, world):
    # Friday 22 May 2026 16:00, Whit Monday 25 May closed, restored Tuesday 26 May 11:00.
    standard = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    option = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn",
                       option="gtr_6h_24x7")
    for subscription in (standard, option):
        ticket = open_at(session, actor, world, subscription, at(2026, 5, 22, 16))
        run_ticket(session, actor, ticket, confirm=at(2026, 5, 22, 16, 10), restored=at(2026, 5, 26, 11))
    reports = {r.subscription.ref: r for r in service.sla_report(
        session, FixedClock(at(2026, 6, 3, 9)), date(2026, 5, 1), world.customer.ref)}
    first, second = reports[standard.ref], reports[option.ref]
    assert first.tickets[0].reading.elapsed == timedelta(hours=4)        # 1 h 30 + 2 h 30
    assert first.report.total == Decimal("0.00") and not first.report.breaches
    assert first.tickets[0].ticket.restoration_minutes == 240
    assert second.tickets[0].reading.elapsed == timedelta(hours=91)
    assert second.report.penalties.total == Decimal("-10.00")            # > 12 h: 10 % × 100 €
    claim = service.claim(session, FixedClock(at(2026, 6, 3, 9)), actor, world.customer.ref,
                          date(2026, 5, 1))
    assert claim.total == Decimal("-10.00") and claim.includes_restoration
    [charge] = pending_charges(session, world.customer.id)
    assert charge.amount == Decimal("-10.00") and charge.source == "sla_credit"
    # The ISDN access's own penalty table (CP I §5.2 L1465-1483), not the analogue one.
    assert charge.explanation["lines"][0]["clause"] == "CP I §5.2 (L1483)"


def test_three_gtr_breaches_in_one_month_are_capped_at_10_percent_cp_i_5_4(session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn",
                     option="gtr_6h_24x7")
    for day, hours in ((2, 7), (9, 10), (16, 13)):
        called = at(2026, 3, day, 9)
        ticket = open_at(session, actor, world, isdn, called)
        run_ticket(session, actor, ticket, confirm=called + timedelta(minutes=15),
                   restored=called + timedelta(hours=hours))
    [report] = service.sla_report(session, FixedClock(at(2026, 4, 2, 9)), date(2026, 3, 1))
    assert [o.percent for o in report.report.breaches] == [Decimal(2), Decimal(5), Decimal(10)]
    assert [line.amount for line in report.report.penalties.lines] == [
        Decimal("-2.00"), Decimal("-5.00"), Decimal("-10.00"), Decimal("7.00")]
    assert report.report.total == Decimal("-10.00")


def test_second_gtr_claim_in_the_same_year_is_refused_cp_i_5_6(session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn",
                     option="gtr_6h_24x7")
    for month in (3, 4):
        called = at(2026, month, 10, 9)
        ticket = open_at(session, actor, world, isdn, called)
        run_ticket(session, actor, ticket, confirm=called, restored=called + timedelta(hours=9))
    service.claim(session, FixedClock(at(2026, 4, 2, 9)), actor, world.customer.ref, date(2026, 3, 1))
    with pytest.raises(NotAllowed, match=r"1 time\(s\) a year and 1 claim\(s\) were already made"):
        service.claim(session, FixedClock(at(2026, 5, 4, 9)), actor, world.customer.ref,
                      date(2026, 4, 1))
    assert [c.amount for c in pending_charges(session, world.customer.id)] == [Decimal("-5.00")]


def test_confirmation_at_31_minutes_and_pause_for_site_access_cp_i_5_7_5_8(session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    late = open_at(session, actor, world, isdn, at(2026, 6, 2, 9))
    # Confirmed at 9:31 (start of the clock), access asked 10:00–14:00, restored 17:31: 4 h counted.
    run_ticket(session, actor, late, confirm=at(2026, 6, 2, 9, 31),
               pause=(at(2026, 6, 2, 10), at(2026, 6, 2, 14)), restored=at(2026, 6, 2, 17, 30))
    reading = service.clock_of(session, late, at(2026, 6, 3, 9)).reading
    assert reading.start == at(2026, 6, 2, 9, 31) and reading.start_reason == "confirmation"
    assert reading.elapsed == timedelta(hours=3, minutes=59) and reading.paused == timedelta(hours=4)
    outages = session.scalars(select(Outage).order_by(Outage.started_at)).all()
    assert [o.excluded_reason for o in outages] == [None, "waiting_for_site_access", None]


def test_live_board_shows_time_left_and_breaches_first(session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    breached = open_at(session, actor, world, isdn, at(2026, 6, 1, 9))
    service.confirm(session, FixedClock(at(2026, 6, 1, 9, 5)), actor, breached.ref, at(2026, 6, 1, 9, 5))
    fresh = open_at(session, actor, world, isdn, at(2026, 6, 2, 16))
    service.confirm(session, FixedClock(at(2026, 6, 2, 16, 5)), actor, fresh.ref, at(2026, 6, 2, 16, 5))
    board = service.live_board(session, at(2026, 6, 2, 16, 30))
    assert [c.ticket.ref for c in board] == [breached.ref, fresh.ref]
    # Monday 9:00–17:30 and Tuesday 8:30–16:30: 16 h 30 counted, 10 h 30 over the 6 h target.
    assert board[0].breached and board[0].status.left == -timedelta(hours=10, minutes=30)
    assert board[1].status.left == timedelta(hours=5, minutes=30)
    assert board[1].status.deadline == at(2026, 6, 3, 13)      # 1 h on Tuesday, 4 h 30 on Wednesday


def test_internet_month_with_an_outage_caused_by_the_customers_equipment_cp_iii_4_1_4(
        session, actor, world):
    internet = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "internet-sdsl")
    clock = FixedClock(at(2026, 8, 3, 9))
    service.record_outage(session, clock, actor, internet.ref, at(2026, 7, 3, 8), at(2026, 7, 3, 18),
                          "equipment_or_service_not_supplied", "customer's own router")
    service.record_outage(session, clock, actor, internet.ref, at(2026, 7, 20, 10), at(2026, 7, 20, 11))
    [report] = service.sla_report(session, clock, date(2026, 7, 1), world.customer.ref)
    availability = report.report.availability
    assert availability.down == timedelta(hours=1) and availability.excluded == timedelta(hours=10)
    assert availability.credit.total == 0
    with pytest.raises(NotAllowed, match="nothing to claim"):
        service.claim(session, clock, actor, world.customer.ref, date(2026, 7, 1))


def test_internet_access_at_exactly_99_5_percent_is_credited_5_percent_cp_iii_4_1_3(
        session, actor, world):
    internet = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "internet-sdsl")
    clock = FixedClock(at(2026, 7, 1, 9))
    service.record_outage(session, clock, actor, internet.ref, at(2026, 6, 10, 9), at(2026, 6, 10, 12, 36))
    claim = service.claim(session, clock, actor, world.customer.ref, date(2026, 6, 1))
    assert claim.total == Decimal("-4.00") and not claim.includes_restoration   # 5 % × 80 €


def test_availability_claim_after_the_window_is_void_cp_iii_4_1(session, actor, world):
    internet = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "internet-sdsl")
    service.record_outage(session, FixedClock(at(2026, 7, 1, 9)), actor, internet.ref,
                          at(2026, 6, 10, 9), at(2026, 6, 10, 12, 36))
    with pytest.raises(NotAllowed, match="had to be claimed by 2026-08-12"):
        service.claim(session, FixedClock(at(2026, 8, 13, 9)), actor, world.customer.ref,
                      date(2026, 6, 1))


def test_hosting_vm_in_probation_has_no_sla_cp_xi_3_2(session, actor, world):
    vm = w.service(session, FixedClock(at(2026, 4, 15, 9)), actor, world, "hosting-vm",
                   go_live=date(2026, 4, 15))
    clock = FixedClock(at(2026, 7, 1, 9))
    service.record_outage(session, clock, actor, vm.ref, at(2026, 6, 10), at(2026, 6, 12))
    [report] = service.sla_report(session, clock, date(2026, 6, 1))
    assert not report.report.availability.applicable
    assert "probation phase until 2026-07-15" in report.report.availability.notes[0]
    with pytest.raises(NotAllowed, match="nothing to claim"):
        service.claim(session, clock, actor, world.customer.ref, date(2026, 6, 1))


def test_preselection_has_no_service_level_cp_ii_3(session, actor, world):
    line = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "preselection")
    ticket = open_at(session, actor, world, line, at(2026, 6, 2, 9))
    assert ticket.access is None
    clock = service.clock_of(session, ticket, at(2026, 6, 2, 12))
    assert clock.target is None and clock.status is None
    [report] = service.sla_report(session, FixedClock(at(2026, 7, 1, 9)), date(2026, 6, 1))
    assert not report.report.has_service_level and report.report.total == 0


def test_ticket_outside_the_scope_is_billable_and_excusable_event_is_checked_cp_i_5_8(
        session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    ticket = open_at(session, actor, world, isdn, at(2026, 6, 2, 9))
    clock = FixedClock(at(2026, 6, 2, 10))
    assert service.qualify(session, clock, actor, ticket.ref, in_scope=False).billable
    with pytest.raises(InvalidInput, match="excusable_event: 'bad_luck' is not an excusable event"):
        service.qualify(session, clock, actor, ticket.ref, excusable_event="bad_luck")


def test_several_accesses_need_the_access_named(session, actor, world):
    from clausier.contracts.service import LineInput
    from tests import factories

    [vga] = factories.subscription(session, FixedClock(at(2026, 1, 5, 9)), actor, world.customer,
                                   [LineInput(world.customer.sites[0].id, "vga-isdn"),
                                    LineInput(world.customer.sites[0].id, "vga-analogue", 2)],
                                   signed_on=date(2026, 1, 5), go_live_on=date(2026, 1, 5))
    with pytest.raises(InvalidInput, match="access: option standard has targets for analogue, isdn"):
        open_at(session, actor, world, vga, at(2026, 6, 2, 9))
    assert open_at(session, actor, world, vga, at(2026, 6, 2, 9), access="analogue").access == "analogue"


def test_outbox_rows_can_be_marked_sent(session, actor, world):
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    open_at(session, actor, world, isdn, at(2026, 6, 2, 9))
    [pending] = service.pending_notifications(session)
    service.mark_sent(session, FixedClock(at(2026, 6, 2, 9, 1)), pending.id)
    assert service.pending_notifications(session) == []
    assert session.get(Notification, pending.id).sent_at == at(2026, 6, 2, 9, 1)


def test_people_kept_informed_receive_each_notice_by_e_mail_cp_i_5_7(session, actor, world, smtp_inbox):
    """CP I §5.7: the person to keep informed is told of each state; the daily tick sends the
    notices through a real SMTP server (aiosmtpd)."""
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    ticket = open_at(session, actor, world, isdn, at(2026, 2, 2, 10),
                     keep_informed=[{"name": "Reception", "email": "accueil@durand.example"}])
    sent = service.deliver_notifications(session, FixedClock(at(2026, 2, 2, 10, 5)), actor,
                                         date(2026, 2, 2))
    assert sent == {"sent": 1, "failed": 0}
    assert [m.rcpt_tos for m in smtp_inbox.messages] == [["accueil@durand.example"]]
    assert ticket.ref.encode() in smtp_inbox.messages[0].content
    assert service.pending_notifications(session) == []


def test_a_notice_nobody_takes_stays_pending_with_its_reason_and_is_sent_when_the_relay_is_back(
        session, actor, world, smtp_port, tmp_path):
    """CP I §5.7: the person kept informed still gets the notice once the mail relay answers
    again; meanwhile the notice says why it waits and when it is tried next."""
    from clausier.demo.mail import DemoMailSink

    port = smtp_port      # nothing listens there yet
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    open_at(session, actor, world, isdn, at(2026, 2, 2, 10),
            keep_informed=[{"name": "Reception", "email": "accueil@durand.example"}])
    first_try = FixedClock(at(2026, 2, 2, 10, 5))
    assert service.deliver_notifications(session, first_try, actor, date(2026, 2, 2)) == {
        "sent": 0, "failed": 1}
    [notice] = service.pending_notifications(session)
    assert notice.attempts == 1 and notice.next_attempt_at == at(2026, 2, 2, 10, 10)
    assert notice.last_error.startswith("No mail server answers at the configured address")
    with DemoMailSink(tmp_path / "mail", port=port):
        # Not due before 10:10: the sender leaves it alone.
        assert service.deliver_notifications(session, FixedClock(at(2026, 2, 2, 10, 9)), actor,
                                             date(2026, 2, 2)) == {"sent": 0, "failed": 0}
        assert service.deliver_notifications(session, FixedClock(at(2026, 2, 2, 10, 10)), actor,
                                             date(2026, 2, 2)) == {"sent": 1, "failed": 0}
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 2, "")
    assert notice.next_attempt_at is None
    [mail] = mailbox.Maildir(tmp_path / "mail")
    assert mail["X-RcptTo"] == "accueil@durand.example"


def test_gtr_penalties_of_a_change_month_use_the_fees_in_force_on_the_day_of_the_call_cp_i_5_2(
        session, actor, world):
    """CP I §5.2 L1465-1483: a restoration time over 6 h costs 2 % of the monthly fee; a third
    ISDN access added on 10 March (CGV art. 7.4 L206-212, from the change date) makes the fee
    300 € from that day: the call of 2 March is penalised on 200 €, the call of 16 March on 300 €.
    The availability base of the month weighs each day's fees (9 × 200 + 22 × 300) / 31."""
    from clausier.contracts import service as contracts
    from clausier.contracts.changes import Change

    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn",
                     option="gtr_6h_24x7", quantity=2)
    contracts.confirm_change(session, FixedClock(at(2026, 3, 10, 9)), actor, isdn.ref,
                             (Change("add", "vga-isdn", 1),), date(2026, 3, 10))
    for day in (2, 16):
        called = at(2026, 3, day, 9)
        ticket = open_at(session, actor, world, isdn, called)
        run_ticket(session, actor, ticket, confirm=called + timedelta(minutes=15),
                   restored=called + timedelta(hours=7))
    [report] = service.sla_report(session, FixedClock(at(2026, 4, 2, 9)), date(2026, 3, 1))
    assert [line.amount for line in report.report.penalties.lines] == [
        Decimal("-4.00"), Decimal("-6.00")]                   # 2 % × 200 €, 2 % × 300 €
    assert report.report.monthly_amount == Decimal("270.97")  # 8 400 / 31
    assert "× 300,00" in report.report.penalties.lines[1].formula
