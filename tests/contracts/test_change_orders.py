"""Change orders on a real database: quoted, confirmed, dated, audited, billed from their date
(issue 19). Prices are the test catalogue's; rules and dates are the seed's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from clausier.audit.models import AuditEntry
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import Charge, Invoice
from clausier.contracts import service
from clausier.contracts.changes import Change
from clausier.contracts.models import ChangeOrder, SubscriptionEvent
from clausier.contracts.service import LineInput
from clausier.core.errors import InvalidInput, NotAllowed
from tests import factories

D = Decimal


@pytest.fixture
def tec(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "centrex_user", "centrex", "15.00", unit="user",
                    access_fee="20.00")
    factories.offer(session, op, "o365_business_standard", "office365", "11.70",
                    unit="licence")
    factories.offer(session, op, "sip_trunk_10", "sip_trunk", "90.00", unit="trunk",
                    access_fee="150.00")
    factories.offer(session, op, "sip_sda_block_10", "sip_trunk", "5.00", unit="sda_block",
                    kind="option")
    return op


def _subscription(session, clock, actor, op, offer, quantity, go_live,
                  signed_on=date(2026, 8, 1)):
    customer = factories.customer(session, clock, op)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, offer, quantity)],
                                   signed_on=signed_on, go_live_on=go_live)
    return sub


def test_seats_added_are_dated_recommitted_audited_and_charged(session, clock, actor, tec):
    """CGV art. 7.4 L206-212: « ajout d'utilisateurs en téléphonie hébergée » re-commits the
    whole service for 36 months from the change date."""
    sub = _subscription(session, clock, actor, tec, "centrex_user", 10, date(2026, 9, 1))
    adding = (Change("add", "centrex_user", 2),)
    quote = service.quote_change(session, sub.ref, adding, date(2026, 10, 15))
    assert (quote.monthly_before, quote.monthly.total, quote.one_off.total) == (
        D("150.00"), D("180.00"), D("40.00"))
    assert service.change_orders(session, sub.ref) == []          # a quote changes nothing
    order = service.confirm_change(session, clock, actor, sub.ref, adding, date(2026, 10, 15))
    session.flush()
    assert (order.ref, order.effective_on, order.monthly_total) == (
        f"{sub.ref}-C001", date(2026, 10, 15), D("180.00"))
    quantities = {day: [(i.offer_code, i.quantity) for i in service.items_in_force(sub, day)]
                  for day in (date(2026, 10, 14), date(2026, 10, 15))}
    assert quantities == {date(2026, 10, 14): [("centrex_user", 10)],
                          date(2026, 10, 15): [("centrex_user", 12)]}
    timeline = service.timeline(session, sub.ref, date(2026, 11, 1))
    assert timeline.commitment_end == date(2029, 10, 14)
    event = session.scalar(select(SubscriptionEvent).where(SubscriptionEvent.kind == "changed"))
    assert (event.on, event.details["commitment_end"]) == (date(2026, 10, 15), "2029-10-14")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "subscription.change"))
    charge = session.scalar(select(Charge).where(Charge.source == "change"))
    assert (charge.amount, charge.incurred_on) == (D("40.00"), date(2026, 10, 15))


def test_an_exit_quote_the_day_after_a_change_counts_the_new_commitment(session, clock, actor,
                                                                        tec):
    """CGV art. 7.4 L206-212: the new 36 months run from the change; the exit quote the next day
    measures its period against them."""
    sub = _subscription(session, clock, actor, tec, "o365_business_standard", 20,
                        date(2025, 9, 1), signed_on=date(2025, 8, 1))
    service.confirm_change(session, clock, actor, sub.ref,
                           (Change("remove", "o365_business_standard", 4),), date(2026, 6, 15))
    quote = service.quote_termination(session, sub.ref, date(2026, 6, 16))
    assert quote.period.end == date(2029, 6, 14)


def test_an_sda_block_ordered_before_go_live_amends_the_order(session, clock, actor, tec):
    """CGV art. 7.1 L190-193: the initial period starts at go-live, so a change before it does
    not move the commitment."""
    sub = _subscription(session, clock, actor, tec, "sip_trunk_10", 1, None)
    order = service.confirm_change(session, clock, actor, sub.ref,
                                   (Change("option_add", "sip_sda_block_10"),), date(2026, 8, 20))
    assert order.quote["recommits"] is False and sub.recommitted_on is None
    service.activate(session, clock, actor, sub.id, date(2026, 9, 1))
    assert service.timeline(session, sub.ref, date(2026, 9, 2)).commitment_end == date(2029, 8, 31)
    codes = [i.offer_code for i in service.items_in_force(sub, date(2026, 9, 1))]
    assert codes == ["sip_trunk_10", "sip_sda_block_10"]


def test_bad_changes_name_the_field_and_keep_the_items(session, clock, actor, tec):
    sub = _subscription(session, clock, actor, tec, "centrex_user", 10, date(2026, 9, 1))
    with pytest.raises(InvalidInput, match=r"changes\.0\.offer"):
        service.confirm_change(session, clock, actor, sub.ref, (Change("add", "nope", 1),),
                               date(2026, 10, 1))
    with pytest.raises(NotAllowed, match=r"changes\.0\.quantity: 11 is more than the 10"):
        service.confirm_change(session, clock, actor, sub.ref,
                               (Change("remove", "centrex_user", 11),), date(2026, 10, 1))
    with pytest.raises(NotAllowed, match="sip_trunk offer, not centrex"):
        service.confirm_change(session, clock, actor, sub.ref,
                               (Change("add", "sip_trunk_10", 1),), date(2026, 10, 1))
    assert [(i.quantity, i.active_until) for i in sub.items] == [(10, None)]
    assert session.scalars(select(ChangeOrder)).all() == []


def test_the_bill_run_bills_the_old_items_up_to_the_change_and_the_new_ones_from_it(
        session, clock, actor, tec):
    """CGV art. 7.4 L206-212 changes the service from its date: October is shared by days between
    the 10 seats before the change and the 12 from it; the access fees of the 2 seats added are
    the change order's charge, not billed again with the first invoice."""
    sub = _subscription(session, clock, actor, tec, "centrex_user", 10, date(2026, 10, 1))
    service.confirm_change(session, clock, actor, sub.ref, (Change("add", "centrex_user", 2),),
                           date(2026, 10, 15))
    billing_runs.bill_period(session, clock, actor, "2026-10", "technicophone")
    [invoice] = session.scalars(select(Invoice)).all()
    lines = [(line.kind, line.label, line.period_start, line.period_end, line.amount)
             for line in invoice.lines]
    assert lines == [
        ("one_off", "Access fee — Centrex_User", date(2026, 10, 1), date(2026, 10, 1), D("200.00")),
        ("recurring", "Centrex_User — 2026-10 prorata", date(2026, 10, 1), date(2026, 10, 14),
         D("67.74")),                                  # 14/31 days × 10 × 15,00
        ("recurring", "Centrex_User — 2026-10 prorata", date(2026, 10, 15), date(2026, 10, 31),
         D("98.71")),                                  # 17/31 days × 12 × 15,00
        ("charge", f"Change order {sub.ref}-C001", date(2026, 10, 15), date(2026, 10, 15),
         D("40.00"))]
    assert invoice.lines[1].clause == invoice.lines[2].clause == "CGV art. 7.4 (L206-212)"
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    november = [line.amount for line in session.scalars(
        select(Invoice).where(Invoice.period == "2026-11")).one().lines]
    assert november == [D("180.00")]                    # 12 × 15,00 from the change on


def test_a_requested_change_changes_nothing_until_staff_confirm_it(session, clock, actor, tec):
    """Issue 19: the customer requests a change and sees its quote; staff confirm it."""
    sub = _subscription(session, clock, actor, tec, "centrex_user", 10, date(2026, 9, 1))
    requested = service.request_change(session, clock, actor, sub.ref,
                                       (Change("add", "centrex_user", 3),), date(2026, 12, 1))
    assert (requested.status, requested.monthly_total) == ("requested", D("195.00"))
    assert [i.quantity for i in service.items_in_force(sub, date(2026, 12, 1))] == [10]
    assert sub.recommitted_on is None
    confirmed = service.confirm_requested_change(session, clock, actor, sub.ref, requested.ref)
    assert (confirmed.ref, confirmed.status) == (requested.ref, "confirmed")
    assert [i.quantity for i in service.items_in_force(sub, date(2026, 12, 1))] == [13]
    assert sub.recommitted_on == date(2026, 12, 1)
    with pytest.raises(NotAllowed, match="already confirmed"):
        service.confirm_requested_change(session, clock, actor, sub.ref, requested.ref)


def _lines(invoice, kind=None):
    return [(line.label, line.amount, line.clause) for line in invoice.lines
            if kind is None or line.kind == kind]


def test_seats_added_after_the_month_was_invoiced_are_corrected_by_the_next_bill_run(
        session, clock, actor, tec):
    """CP V §7.2 L4158-4159: Centrex seats are billed monthly in advance, so October was invoiced
    with 10 seats on 1 October; CGV art. 7.4 L206-212 changes the service from 15 October. The
    November run credits the 10 seats from 15 to 31 October (17/31 days) and charges the 12 seats
    over the same days, then bills November with 12 seats; a second run bills nothing twice."""
    sub = _subscription(session, clock, actor, tec, "centrex_user", 10, date(2026, 9, 1))
    billing_runs.bill_period(session, clock, actor, "2026-10", "technicophone")
    service.confirm_change(session, clock, actor, sub.ref, (Change("add", "centrex_user", 2),),
                           date(2026, 10, 15))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    november = session.scalars(select(Invoice).order_by(Invoice.id)).all()[-1]
    assert _lines(november, "charge") == [
        ("Centrex_User — 2026-10-15 to 2026-10-31 credited: no longer billed from the change",
         D("-82.26"), "CGV art. 7.4 (L206-212)"),           # −17/31 × 10 × 15,00
        ("Centrex_User — 2026-10-15 to 2026-10-31 charged: billed from the change",
         D("98.71"), "CGV art. 7.4 (L206-212)"),            # 17/31 × 12 × 15,00
        (f"Change order {sub.ref}-C001", D("40.00"), "order / price list (centrex_user)")]
    assert [line.amount for line in november.lines if line.kind == "recurring"] == [D("180.00")]
    formulas = [line.explanation["lines"][0]["formula"] for line in november.lines
                if line.kind == "charge"][:2]
    assert formulas == ["−17/31 days × 10 × 15,00\xa0€", "17/31 days × 12 × 15,00\xa0€"]
    count = len(session.scalars(select(Invoice)).all())
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    billing_runs.bill_period(session, clock, actor, "2026-12", "technicophone")
    invoices = session.scalars(select(Invoice).order_by(Invoice.id)).all()
    assert len(invoices) == count + 1
    assert _lines(invoices[-1]) == [("Centrex_User — 2026-12", D("180.00"), "CP V §7.2 (L4158-4159)")]


def test_licences_removed_after_the_month_was_invoiced_are_credited(session, clock, actor, tec):
    """CP VIII §6.2 L5872-5888: Office 365 is billed monthly in advance; 4 of 20 licences removed
    on 21 October (CGV art. 7.4 L206-212 « suppression ») leave 11/31 days of October billed for
    20 licences and due for 16."""
    sub = _subscription(session, clock, actor, tec, "o365_business_standard", 20,
                        date(2025, 9, 1), signed_on=date(2025, 8, 1))
    billing_runs.bill_period(session, clock, actor, "2026-10", "technicophone")
    service.confirm_change(session, clock, actor, sub.ref,
                           (Change("remove", "o365_business_standard", 4),), date(2026, 10, 21))
    corrections = session.scalars(select(Charge).where(Charge.source == "change_correction")
                                  .order_by(Charge.id)).all()
    assert [(c.amount, c.incurred_on) for c in corrections] == [
        (D("-83.03"), date(2026, 10, 21)),     # −11/31 × 20 × 11,70
        (D("66.43"), date(2026, 10, 21))]      # 11/31 × 16 × 11,70
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    november = session.scalars(select(Invoice).order_by(Invoice.id)).all()[-1]
    assert [line.amount for line in november.lines if line.kind == "recurring"] == [D("187.20")]
    assert all(c.invoice_id == november.id for c in corrections)


def test_a_change_in_a_month_not_yet_billed_needs_no_correction(session, clock, actor, tec):
    """The bill run splits the month itself when the change is known before it bills it."""
    sub = _subscription(session, clock, actor, tec, "centrex_user", 10, date(2026, 9, 1))
    billing_runs.bill_period(session, clock, actor, "2026-10", "technicophone")
    service.confirm_change(session, clock, actor, sub.ref, (Change("add", "centrex_user", 2),),
                           date(2026, 11, 10))
    assert session.scalars(select(Charge).where(Charge.source == "change_correction")).all() == []


def test_every_family_of_the_three_sheets_is_quoted_or_refused_with_its_clause(session, clock,
                                                                               actor):
    """Issue 19, done when: a unit added to a live subscription of every family of the built-in
    price lists is quoted with the clause it applies — Technicophone CGV art. 7.4 L206-212
    (re-commitment), Ozone annex 1 L1199-1223 (the grid; no row for TV and video surveillance),
    Rozoh CP A art. 2 L224-225 (a 10-year pack, no change) — or refused naming that clause."""
    from clausier.catalog import service as catalog
    from clausier.catalog.models import Offer
    from clausier.terms import service as terms

    terms.load_built_in_sheets(session, clock, actor)
    catalog.load_built_in_catalogs(session, clock, actor)
    answers = {}
    for op in ("technicophone", "ozone", "rozoh"):
        operator = factories.operator(session, clock, actor, op)
        customer = factories.customer(session, clock, operator,
                                      kind="household" if op == "ozone" else "company")
        mains = {}
        for offer in session.scalars(select(Offer).where(Offer.operator_id == operator.id,
                                                         Offer.kind != "option")
                                     .order_by(Offer.code)):
            mains.setdefault(offer.family, offer.code)
        for family, code in mains.items():
            [sub] = factories.subscription(session, clock, actor, customer,
                                           [LineInput(customer.sites[0].id, code, 2)],
                                           signed_on=date(2025, 1, 6), go_live_on=date(2025, 2, 3))
            try:
                quote = service.quote_change(session, sub.ref, (Change("add", code, 1),),
                                             date(2026, 3, 31))
            except NotAllowed as refused:
                answers[(op, family)] = ("refused", str(refused))
                continue
            clauses = [quote.recommit_clause] + [line.clause for line in quote.one_off.lines]
            answers[(op, family)] = ("quoted", " ".join(clauses))
    assert len([key for key in answers if key[0] == "technicophone"]) == 12
    for (op, family), (answer, text) in answers.items():
        assert "(L" in text, (op, family, answer, text)             # a clause with its seed lines
        if op == "technicophone":
            assert (answer, "CGV art. 7.4 (L206-212)" in text) == ("quoted", True), family
    assert answers[("ozone", "tv")][0] == answers[("ozone", "video_surveillance")][0] == "refused"
    assert "Annexe 1" in answers[("ozone", "pack")][1]
    assert answers[("rozoh", "access_pack")] == ("refused", (
        "change: the terms allow no change of access_pack subscriptions during their term "
        "(CP A art. 2 (L224-225)): order a new subscription"))


def test_user_records_added_to_a_rozoh_pack_are_charged_without_re_commitment(session, clock,
                                                                              actor):
    """CP A art. 3 L247-249: « À tout moment, l'Administrateur pourra procéder à l'ajout de
    fiche, moyennant un coût supplémentaire » — the extension's one-off price (price list:
    150,00 €) is charged; the 10-year term (CP A art. 2 L224-225) is unchanged; a removal is
    refused with that clause."""
    op = factories.operator(session, clock, actor, "rozoh")
    factories.offer(session, op, "access_pack_50", "access_pack", "0", unit="pack",
                    kind="pack", one_off_price="990.00")
    factories.offer(session, op, "access_user_records_10", "access_pack", "0", unit="extension",
                    kind="option", one_off_price="150.00")
    sub = _subscription(session, clock, actor, op, "access_pack_50", 1, date(2025, 2, 3),
                        signed_on=date(2025, 1, 6))
    before = service.timeline(session, sub.ref, date(2026, 3, 30)).commitment_end
    order = service.confirm_change(session, clock, actor, sub.ref,
                                   (Change("option_add", "access_user_records_10"),),
                                   date(2026, 3, 31))
    assert (order.one_off_total, order.quote["recommits"]) == (D("150.00"), False)
    assert order.quote["one_off"]["lines"][0]["clause"].startswith("CP A art. 3 (L247-249)")
    assert sub.recommitted_on is None
    assert service.timeline(session, sub.ref, date(2026, 4, 1)).commitment_end == before
    charge = session.scalar(select(Charge).where(Charge.source == "change"))
    assert charge.amount == D("150.00")
    with pytest.raises(NotAllowed, match=r"CP A art\. 2 \(L224-225\)"):
        service.quote_change(session, sub.ref, (Change("option_remove", "access_user_records_10"),),
                             date(2026, 4, 1))


def test_a_seat_removed_below_the_minimum_after_the_month_was_invoiced_tops_it_up(session, clock,
                                                                                   actor, tec):
    """CP V §7.2 L4158-4159 (monthly in advance « avec … un montant minimal de facturation »);
    reading T-CHANGE-REMOVAL (CGV art. 7.4 L206-212): the seat removed on 15 October is no longer
    billed from that date and the 150,00 minimum stays due. October was billed 10 × 15,00 =
    150,00 (no top-up); the correction credits 17/31 × 10 × 15,00, charges 17/31 × 9 × 15,00 and
    the month's top-up to the minimum, 150,00 − 9 × 15,00 = 15,00 (the items of the month's last
    day, as the bill run reads a change month)."""
    customer = factories.customer(session, clock, tec)
    [sub] = factories.subscription(session, clock, actor, customer, [LineInput(
        customer.sites[0].id, "centrex_user", 10, minimum_billing=D("150.00"))],
        signed_on=date(2026, 8, 1), go_live_on=date(2026, 9, 1))
    billing_runs.bill_period(session, clock, actor, "2026-10", "technicophone")
    service.confirm_change(session, clock, actor, sub.ref, (Change("remove", "centrex_user", 1),),
                           date(2026, 10, 15))
    corrections = session.scalars(select(Charge).where(Charge.source == "change_correction")
                                  .order_by(Charge.id)).all()
    assert [(c.label, c.amount) for c in corrections] == [
        ("Centrex_User — 2026-10-15 to 2026-10-31 credited: no longer billed from the change",
         D("-82.26")),
        ("Centrex_User — 2026-10-15 to 2026-10-31 charged: billed from the change", D("74.03")),
        ("Minimum billing top-up — 2026-10 revised after the change", D("15.00"))]
    assert corrections[2].explanation["lines"][0]["clause"] == "CP V §7.2 (L4158-4159)"
