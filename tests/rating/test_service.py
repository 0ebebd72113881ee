"""Rating on a real database: import → rate → summaries for the bill run, staff decisions,
penalties that become charges, roaming over the window, premium-number payouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from clausier.billing.models import Charge
from clausier.contracts import service as contracts
from clausier.core.errors import Conflict, NotAllowed, NotFound
from clausier.rating import facts
from clausier.rating.cdr import service as cdr_service
from clausier.rating.fraud import service as fraud_service
from clausier.rating.month import service as month_service
from clausier.rating.price import service as price_service
from clausier.rating.sva import service as sva_service
from clausier.rating.models import FairUseBreach, FraudAlert, PenaltyProposal, UsageSummary
from tests.rating.conftest import csv_row, write_csv


def calls(prefix: str, count: int, service_id: str, day: str = "2026-10-05", **values) -> list[dict]:
    return [csv_row(f"{prefix}{i}", service_id, called=f"01{i:08d}",
                    start=f"{day}T{9 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}+02:00", **values)
            for i in range(count)]


def import_rows(session, clock, actor, store, tmp_path, rows, name="cdr.csv"):
    return cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / name, rows), store)


def test_rated_month_feeds_the_bill_run_and_late_records_go_on_the_next_bill(
        session, clock, actor, subscribe, store, tmp_path):
    """VGA CP I §8 L1738-1739 (151 numbers, re-rated) and CP I §7.2 L1665-1668 (late calls
    billed on a later invoice)."""
    line = subscribe("vga", "0247000001", unit="analogue_line", calls="unlimited")
    import_rows(session, clock, actor, store, tmp_path, calls("V", 151, "0247000001"))
    report = month_service.rate(session, clock, actor, "2026-10", store)
    assert (report.records, report.amount, report.breaches) == (151, Decimal("3.02"), 1)
    assert store.scan_rated("2026-10").collect().height == 151
    [summary] = facts.unbilled_usage(session, [line.id], "2026-10")[line.id]
    assert (summary.month, summary.usage_period, summary.amount) == ("2026-10", "2026-10", Decimal("3.02"))
    assert summary.explanation.lines[0].clause == "test price list (demo); CP I §8 (L1738-1739)"
    breach = session.scalar(select(FairUseBreach))
    assert (breach.metric, breach.limit, breach.measured) == ("distinct_numbers", "150", "151")

    facts.mark_billed(session, {summary.id: 41})
    assert facts.unbilled_usage(session, [line.id], "2026-11") == {}
    with pytest.raises(Conflict, match="already billed on invoice 41"):     # never billed twice
        facts.mark_billed(session, {summary.id: 42})
    with pytest.raises(NotFound, match=f"rated month {summary.id + 1}: no such rated usage"):
        facts.mark_billed(session, {summary.id + 1: 42})
    import_rows(session, clock, actor, store, tmp_path,
                [csv_row("LATE1", "0247000001", called="0199999999", start="2026-10-30T10:00:00+01:00")],
                name="late.csv")
    month_service.rate(session, clock, actor, "2026-10", store)
    [late] = facts.unbilled_usage(session, [line.id], "2026-11")[line.id]
    assert (late.month, late.usage_period, late.amount) == ("2026-11", "2026-10", Decimal("0.02"))
    assert late.explanation.lines[-1].amount == Decimal("-3.02")
    assert late.detail.other_lines[-1].amount == Decimal("-3.02")
    assert late.detail.total == late.amount


def test_rating_the_same_month_twice_gives_identical_output(session, clock, actor, subscribe, store, tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line", calls="unlimited")
    import_rows(session, clock, actor, store, tmp_path, calls("W", 200, "0247000001", terminating_operator="SFR"))
    month_service.rate(session, clock, actor, "2026-10", store)
    first = store.scan_rated("2026-10").collect()
    summaries = [(s.id, s.amount, s.explanation) for s in session.scalars(select(UsageSummary))]
    month_service.rate(session, clock, actor, "2026-10", store)
    assert store.scan_rated("2026-10").collect().equals(first)
    assert [(s.id, s.amount, s.explanation) for s in session.scalars(select(UsageSummary))] == summaries


def test_robot_penalty_is_billed_only_after_staff_confirm_it(session, clock, actor, subscribe, store, tmp_path):
    """SIP trunk CP IV §8.1.4.1 L3465-3477 and §10.3 L3617-3621: penalties proposed, confirmed by staff."""
    trunk = subscribe("sip_trunk", "0247000002", unit="channel", quantity=2)
    rows = [csv_row(f"R{i}", "0247000002", calling="0612345678", traffic="automated",
                    start=f"2026-10-06T10:{i // 60:02d}:{i % 60:02d}+02:00") for i in range(50)]
    import_rows(session, clock, actor, store, tmp_path, rows)
    month_service.rate(session, clock, actor, "2026-10", store)
    alert = session.scalar(select(FraudAlert).where(FraudAlert.kind == "automated_caller_id"))
    [proposal] = fraud_service.proposals_of(session, alert.id)
    assert (proposal.amount, proposal.status) == (Decimal("2001.00"), "proposed")
    with pytest.raises(NotAllowed, match="confirm alert"):
        fraud_service.decide_penalty(session, clock, actor, proposal.id, "confirm")
    fraud_service.decide_alert(session, clock, actor, alert.id, "confirm", "robot confirmed by support")
    fraud_service.decide_penalty(session, clock, actor, proposal.id, "confirm")
    charge = session.scalar(select(Charge).where(Charge.subscription_id == trunk.id))
    assert (charge.source, charge.amount, charge.price_basis) == ("usage_penalty", Decimal("2001.00"), "HT")
    assert charge.explanation["lines"][0]["clause"] == "CP IV §10.3 (L3617-3618)"
    month_service.rate(session, clock, actor, "2026-10", store)      # a decided proposal is never changed
    assert session.get(PenaltyProposal, proposal.id).status == "confirmed"


def test_eu_roaming_user_over_the_indicator_window(session, clock, actor, subscribe, store, tmp_path):
    """Mobile CP IX §17 L7151-7171: roaming above national use over the window's consecutive
    months → alert and proposed surcharge tariffs."""
    mobile = subscribe("mobile", "0650000001", calls="unlimited")
    for month in ("2026-08", "2026-09", "2026-10"):
        rows = ([csv_row(f"{month}-E{i}", "0650000001", origin_country="ES", duration="600",
                         start=f"{month}-{10 + i:02d}T10:00:00+02:00") for i in range(5)]
                + [csv_row(f"{month}-F", "0650000001", start=f"{month}-02T10:00:00+02:00")])
        import_rows(session, clock, actor, store, tmp_path, rows, name=f"{month}.csv")
        month_service.rate(session, clock, actor, month, store)
        found = session.scalar(select(FraudAlert).where(FraudAlert.kind == "roaming_abuse"))
        assert (found is not None) == (month == "2026-10")
    assert found.evidence["indicators"] == ["national_consumption_below_roaming:voice",
                                            "national_presence_below_roaming"]
    [proposal] = fraud_service.proposals_of(session, found.id)
    assert proposal.kind == "roaming_surcharge"
    assert proposal.amount == Decimal("3.30")          # 3 months × 50 min × 0.022 €
    assert mobile.id == proposal.subscription_id


def test_sims_used_in_series_while_roaming_raise_the_fourth_indicator(session, clock, actor, subscribe,
                                                                     store, tmp_path):
    """Mobile CP IX §17 L7164-7165: a new SIM of the same client each month, each used abroad."""
    sims = {month: subscribe("mobile", f"06500000{index}", calls="unlimited")
            for index, month in enumerate(("2026-08", "2026-09", "2026-10"), start=11)}
    for month, sim in sims.items():
        rows = [csv_row(f"{month}-S{i}", sim.service_identifier, calling=sim.service_identifier,
                        origin_country="PT", start=f"{month}-{10 + i:02d}T10:00:00+02:00") for i in range(4)]
        import_rows(session, clock, actor, store, tmp_path, rows, name=f"{month}.csv")
        month_service.rate(session, clock, actor, month, store)
    alerts = session.scalars(select(FraudAlert).where(FraudAlert.kind == "roaming_abuse")
                             .order_by(FraudAlert.month)).all()
    assert [(a.month, a.subscription_id) for a in alerts] == [       # the 2nd SIM already makes a series
        ("2026-09", sims["2026-09"].id), ("2026-10", sims["2026-10"].id)]
    found = alerts[-1]
    assert found.evidence["indicators"] == ["serial_multi_sim_roaming"]
    assert found.evidence["serial_sims"] == ["0650000011", "0650000012", "0650000013"]


def test_premium_number_payouts_claimable_after_60_business_days(session, clock, actor, subscribe, store, tmp_path):
    """CP XII §12 L10090-10094 (60 days, > 1 €) and §11.1 L10035-10037 (frozen while suspended)."""
    number = subscribe("sva", "0891000000")
    prices = tmp_path / "number.yaml"
    prices.write_text(f"scope: subscription:{number.ref}\nsource: number tariff\nprice_basis: HT\n"
                      "valid_from: 2026-01-01\ntariffs:\n"
                      "  - {destination: sva_payout, kind: voice, price: '0.60'}\n"
                      "  - {destination: sva_caller, kind: voice, price: '0.80', price_basis: TTC}\n",
                      encoding="utf-8")
    price_service.load_price_list(session, clock, actor, prices)
    rows = [csv_row("S1", "0891000000", direction="in", calling="0145000000", called="0891000000",
                    duration="300", start="2026-09-08T10:00:00+02:00"),
            csv_row("S2", "0891000000", direction="in", calling="0145000001", called="0891000000",
                    duration="300", start="2026-09-10T10:00:00+02:00")]
    import_rows(session, clock, actor, store, tmp_path, rows)
    month_service.rate(session, clock, actor, "2026-09", store)
    claim_day = date(2026, 12, 3)        # 2026-09-08 is 61 business days before, 2026-09-10 is 59
    explained, days = sva_service.claimable_payouts(session, number.id, claim_day)
    assert days == [date(2026, 9, 8)] and explained.total == Decimal("3.00")
    contracts.change_status(session, clock, actor, number.id, "suspend", date(2026, 11, 1), "breach")
    with pytest.raises(NotAllowed, match="frozen while the number is suspended"):
        sva_service.claim_payouts(session, clock, actor, number.id, claim_day)
    contracts.change_status(session, clock, actor, number.id, "resume", date(2026, 11, 20))
    claim = sva_service.claim_payouts(session, clock, actor, number.id, claim_day)
    assert (claim.amount, claim.invoice_deadline) == (Decimal("3.00"), date(2027, 12, 3))
    with pytest.raises(NotAllowed, match="does not exceed 1"):
        sva_service.claim_payouts(session, clock, actor, number.id, claim_day)


def test_concentrated_premium_traffic_proposes_the_sanction_for_staff_approval(
        session, clock, actor, subscribe, store, tmp_path):
    """CP XII §1 L9437-9439 (concentrated traffic) and §13.1 L10140-10148: 5 000 € per number,
    proposed to staff; confirmed, it becomes a charge; the same number again within a year
    adds 10 000 €."""
    number = subscribe("sva", "0891000000")
    for month in ("2026-09", "2026-10"):
        rows = [csv_row(f"{month}-C{i}", "0891000000", direction="in", calling=f"01450000{i % 2:02d}",
                        called="0891000000", duration="120", start=f"{month}-08T10:{i // 60:02d}:{i % 60:02d}+02:00")
                for i in range(100)]
        import_rows(session, clock, actor, store, tmp_path, rows, name=f"{month}.csv")
        month_service.rate(session, clock, actor, month, store)
        alert = session.scalar(select(FraudAlert).where(FraudAlert.month == month))
        assert (alert.kind, alert.calls, alert.evidence["patterns"]) == (
            "sva_abnormal_traffic", 100, ["concentrated_traffic"])
        [proposal] = fraud_service.proposals_of(session, alert.id)
        assert (proposal.kind, proposal.status) == ("sva_sanction", "proposed")
        assert proposal.amount == (Decimal("5000.00") if month == "2026-09" else Decimal("15000.00"))
        fraud_service.decide_alert(session, clock, actor, alert.id, "confirm")
        fraud_service.decide_penalty(session, clock, actor, proposal.id, "confirm")
    charges = session.scalars(select(Charge).where(Charge.subscription_id == number.id)).all()
    assert sorted(c.amount for c in charges) == [Decimal("5000.00"), Decimal("15000.00")]


def test_contact_centre_call_redirected_outside_the_operator_from_an_imported_file(
        session, clock, actor, subscribe, store, tmp_path):
    """CX CP X §2 L7434-7435: the CDR's forwarded_to column names the redirection target; the
    operator's own numbers are its subscriptions' service identifiers."""
    cx = subscribe("cx", "0247000001", unit="pack")
    subscribe("vga", "0247000002", unit="analogue_line")
    rows = [csv_row("X1", "0247000001", direction="in", calling="0612000000", called="0247000001",
                    duration="600", forwarded="1", forwarded_to="0247000002"),
            csv_row("X2", "0247000001", direction="in", calling="0612000001", called="0247000001",
                    duration="600", forwarded="1", forwarded_to="0688776655")]
    import_rows(session, clock, actor, store, tmp_path, rows)
    month_service.rate(session, clock, actor, "2026-10", store)
    [summary] = facts.unbilled_usage(session, [cx.id], "2026-10")[cx.id]
    [line] = [l for l in summary.explanation.lines if l.label.startswith("CX inbound calls redirected")]
    assert (line.amount, line.clause) == (Decimal("1.00"), "CP X §2 (L7434-7435)")     # 10 min × 0.10 €


def test_rated_usage_reaches_the_invoice_through_the_bill_run_and_late_usage_follows(
        session, clock, actor, subscribe, store, tmp_path):
    """CP I §7.2 L1665-1668: usage billed monthly in arrears; calls that arrive late go on a
    later invoice, labelled with their own period."""
    from clausier.billing.runs import service as billing_runs
    from clausier.billing.models import InvoiceLine

    line = subscribe("vga", "0247000001", unit="analogue_line", calls="unlimited")
    import_rows(session, clock, actor, store, tmp_path, calls("V", 151, "0247000001"))
    month_service.rate(session, clock, actor, "2026-10", store)
    billing_runs.bill_period(session, clock, actor, "2026-11", "ratingtest")
    usage_lines = session.scalars(select(InvoiceLine).where(InvoiceLine.amount_ht == Decimal("3.02"))).all()
    assert len(usage_lines) == 1
    import_rows(session, clock, actor, store, tmp_path,
                [csv_row("LATE1", "0247000001", called="0199999999", start="2026-10-30T10:00:00+01:00")],
                name="late.csv")
    month_service.rate(session, clock, actor, "2026-10", store)
    [summary, late] = session.scalars(select(UsageSummary).where(
        UsageSummary.subscription_id == line.id).order_by(UsageSummary.id)).all()
    assert summary.billed_invoice_id is not None                 # learnt from the bill run
    assert (late.usage_period, late.amount) == ("2026-10", Decimal("0.02"))
