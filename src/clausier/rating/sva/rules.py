"""Premium numbers (SVA), pure: payouts per call, abnormal traffic, what may be claimed and when,
caller tariff changes, sanctions and supplier penalties passed on (CP XII). No database, no
clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import auto

import polars as pl
from dateutil.relativedelta import relativedelta

from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import money
from clausier.rating.classify.rules import is_premium_number
from clausier.rating.fraud.rules import Alert
from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import Plan, Refused, cited, is_on
from clausier.rating.price.rules import Tariff, fmt_price, to_micro
from clausier.terms.schema import Usage


class PayoutRefused(RefusalCode):
    """What the premium-number desk refuses (``Refused`` here is the plans' list)."""

    premium_alert_not_confirmed = auto()
    premium_no_cure_sanction = auto()
    premium_cure_deadline_running = auto()
    payout_frozen_while_suspended = auto()
    payout_balance_not_above_minimum = auto()


# National prefixes of the overseas departments (the "metropolitan" test of premium payouts).
DOM_PREFIXES = ("0262", "0263", "0269", "0508", "0590", "0594", "0596", "0639", "0690", "0691",
                "0692", "0693", "0694", "0696", "0697")


def payout_grid_missing(plan: Plan, tariffs: Sequence[Tariff]) -> str | None:
    """Why a premium number's payouts are not computed: the schedule gives no payout grid and
    leaves the figures to the order (CP XII §1; reading T-D-MISSING-FIGURES), and the price list
    of the order has no payout line. Rating never makes the figure up."""
    from_order = plan.usage.flags.price_figures_from_order
    if not is_on(from_order) or not is_premium_number(plan):
        return None
    if any(tariff.destination == "sva_payout" for tariff in tariffs):
        return None
    return msg("Payouts not computed: the price list of the order has no payout grid "
               "(sva_payout lines), which the schedule leaves to the order ({clause})",
               clause=from_order.clause)


def sva_payouts(priced: pl.DataFrame, caller_tariffs: pl.DataFrame, plans: Sequence[Plan]) -> pl.DataFrame:
    """Payout per call to a premium number: per second from the first second, at the number's
    tariff in force when the call arrived, only for calls from metropolitan French fixed and
    mobile networks; duration capped at N minutes above the tier and the caller charge at the
    per-call cap (CP XII §7.4, §12)."""
    c = pl.col
    sva_plans = [p for p in plans if is_premium_number(p)]
    if not sva_plans:
        return pl.DataFrame(schema={"subscription_id": pl.Int64, "day": pl.Date, "calls": pl.UInt32,
                                    "seconds": pl.Int64, "amount_micro": pl.Int64,
                                    "hyper_short": pl.UInt32})
    params = []
    for plan in sva_plans:
        usage = plan.usage
        cap = usage.amounts.caller_charge_cap_per_call
        tier = usage.amounts.duration_limit_applies_above_per_minute
        limit = usage.figures.call_max_minutes_above_tier
        short = usage.figures.hyper_short_call_seconds_exclusive
        params.append({"subscription_id": plan.subscription_id,
                       "cap_micro": to_micro(cap.amount) if cap else None,
                       "tier_micro": to_micro(tier.amount) if tier else None,
                       "max_s": int(limit.value * 60) if limit else None,
                       "short_s": int(short.value) if short else 0})
    params_df = pl.DataFrame(params, schema={"subscription_id": pl.Int64, "cap_micro": pl.Int64,
                                             "tier_micro": pl.Int64, "max_s": pl.Int64,
                                             "short_s": pl.Int64})
    calls = (priced.lazy().filter(c("rate_dest") == "sva_payout")
             .select("subscription_id", "tariff_id", "start", "duration", "zone", "price_micro",
                     nb.normalise(c("calling")).alias("calling_n"))
             .join(params_df.lazy(), on="subscription_id", how="inner")
             .join(caller_tariffs.lazy().select("tariff_id", c("valid_from").alias("caller_from"),
                                                c("valid_to").alias("caller_to"),
                                                c("price_micro").alias("caller_micro")),
                   on="tariff_id", how="left")
             .filter(c("caller_micro").is_null()
                     | ((c("start") >= c("caller_from")) & (c("start") < c("caller_to")))))
    metropolitan = (c("calling_n").str.slice(0, 2).is_in(("01", "02", "03", "04", "05", "06", "07", "09"))
                    & ~nb.has_prefix(c("calling_n"), DOM_PREFIXES) & (c("zone") == nb.HOME))
    over_tier = c("tier_micro").is_not_null() & (c("caller_micro") > c("tier_micro"))
    by_cap = pl.when(c("cap_micro").is_not_null() & (c("caller_micro") > 0)).then(
        (c("cap_micro") * 60) // c("caller_micro"))
    counted = pl.min_horizontal(
        c("duration"),
        pl.when(over_tier & c("max_s").is_not_null()).then(c("max_s")).otherwise(c("duration")),
        by_cap.fill_null(c("duration")))
    payout = pl.when(metropolitan & c("price_micro").is_not_null()).then(
        (c("price_micro") * counted * 2 + 60) // 120).otherwise(pl.lit(0))
    return (calls.with_columns(counted.alias("counted_s"), payout.alias("payout_micro"),
                               c("start").dt.convert_time_zone("Europe/Paris").dt.date().alias("day"))
            .group_by("subscription_id", "day").agg(
                pl.len().alias("calls"), c("counted_s").sum().alias("seconds"),
                c("payout_micro").sum().alias("amount_micro"),
                (c("duration") < c("short_s")).sum().alias("hyper_short"))
            .sort("subscription_id", "day").collect())


def sva_abnormal_traffic(priced: pl.DataFrame, payouts: pl.DataFrame, plans: Sequence[Plan]) -> list[Alert]:
    """Abnormal traffic on premium numbers (*Trafic Anormal*, CP XII §1 L9437-9459, and the
    calls §9.3 L9954-9956 forbids): hyper short calls, traffic concentrated on a few calling
    numbers, automated or repeated dialling. One alert per number and month lists the patterns
    found with their evidence; the sanction per number (§13.1) is proposed to staff."""
    c = pl.col
    premium = {p.subscription_id: p for p in plans if is_premium_number(p)}
    if not premium:
        return []
    most = max([int(f.value) for p in premium.values()
                if (f := p.usage.figures.concentrated_traffic_top_callers)] or [1])
    callers = (priced.lazy().filter((c("rate_dest") == "sva_payout")
                                    & c("subscription_id").is_in(list(premium)))
               .group_by("subscription_id", nb.normalise(c("calling")).alias("calling_n"))
               .agg(pl.len().alias("calls"), (c("traffic") == "automated").sum().alias("automated"))
               .sort(["subscription_id", "calls", "calling_n"], descending=[False, True, False])
               .group_by("subscription_id", maintain_order=True)
               .agg(c("calls").sum().alias("total"), c("automated").sum(),
                    pl.struct("calling_n", "calls").head(most).alias("callers"))
               .collect())
    short_calls = dict(payouts.group_by("subscription_id").agg(c("hyper_short").sum()).iter_rows())
    alerts = []
    for row in callers.iter_rows(named=True):
        usage = premium[row["subscription_id"]].usage
        patterns, clauses, flagged, evidence = [], [], [], {"calls": row["total"]}
        short = usage.figures.hyper_short_call_seconds_exclusive
        if short is not None and short_calls.get(row["subscription_id"]):
            patterns.append("hyper_short_calls")
            clauses.append(short.clause)
            flagged.append(int(short_calls[row["subscription_id"]]))
            evidence.update(hyper_short_calls=flagged[-1], below_seconds=str(short.value))
        few = usage.figures.concentrated_traffic_top_callers
        share = usage.figures.concentrated_traffic_share_percent
        least = usage.figures.concentrated_traffic_min_calls
        top = row["callers"][:int(few.value)] if few else []
        top_calls = sum(caller["calls"] for caller in top)
        if (few and share and least and row["total"] >= least.value
                and Decimal(top_calls) * 100 > share.value * row["total"]):
            patterns.append("concentrated_traffic")
            clauses.append(few.clause)
            flagged.append(top_calls)
            evidence.update(top_callers=[{"number": t["calling_n"], "calls": t["calls"]} for t in top],
                            share_percent=f"{Decimal(top_calls) * 100 / row['total']:.1f}",
                            share_limit_percent=str(share.value))
        automated = usage.flags.automated_or_repeated_calls_forbidden
        if is_on(automated) and row["automated"]:
            patterns.append("automated_calls")
            clauses.append(automated.clause)
            flagged.append(int(row["automated"]))
            evidence.update(automated_calls=flagged[-1])
        if patterns:
            numbers = tuple(t["calling_n"] for t in top) if "concentrated_traffic" in patterns else ()
            alerts.append(Alert(row["subscription_id"], "sva_abnormal_traffic",
                                "; ".join(dict.fromkeys(clauses)), max(flagged), numbers,
                                {"patterns": patterns, **evidence}))
    return alerts


def sva_claimable(accruals: Sequence[tuple[date, Decimal]], claim_day: date, usage: Usage,
                  age_of) -> tuple[Explained, list[date]]:
    """What may be claimed on ``claim_day``: payouts of calls older than the sheet's delay
    (``age_of(call_day, claim_day)`` counts it in the sheet's kind of days), and their days."""
    delay = usage.figures.payout_claimable_after_business_days
    if delay is None:
        return Explained(), []
    eligible = sorted((day, value) for day, value in accruals if age_of(day, claim_day) > delay.value)
    lines = tuple(Line(msg("Payout of calls on {date}", date=day), money(value),
                       msg("{age} days old > {delay}", age=age_of(day, claim_day),
                           delay=str(delay.value)), delay.clause)
                  for day, value in eligible)
    return Explained(lines), [day for day, _ in eligible]


@dataclass(frozen=True)
class ClaimStanding:
    """Where a payout request stands on a day: still payable to the client, and whether its
    amount is final (no longer disputable)."""

    payable: bool
    amount_final: bool
    reason: str
    clause: str

    def as_dict(self) -> dict:
        return {"payable": self.payable, "amount_final": self.amount_final, "reason": self.reason,
                "clause": self.clause}


def payout_claim_standing(invoice_deadline: date, on: date, usage: Usage) -> ClaimStanding:
    """CP XII §12: the client has one year to invoice a billing request, after which its amounts
    "seront définitifs". Final, not forfeited: the amount can no longer be disputed but stays
    payable, a forfeiture having to be written expressly (reading T-SVA-PAYOUT-FINAL)."""
    forfeited = usage.flags.payout_forfeited_after_invoice_deadline
    months = usage.figures.payout_invoice_deadline_months
    clause = cited(months.clause if months else "", forfeited.clause if forfeited else "")
    if on <= invoice_deadline:
        return ClaimStanding(True, False, f"the client may invoice it until {invoice_deadline.isoformat()}",
                             clause)
    if is_on(forfeited):
        return ClaimStanding(False, True, f"not invoiced by {invoice_deadline.isoformat()}: forfeited",
                             clause)
    return ClaimStanding(True, True, f"not invoiced by {invoice_deadline.isoformat()}: the amount is "
                                     f"final and still payable", clause)


def tariff_change_effective(usage: Usage, requested_on: date) -> tuple[date, str]:
    """The day a premium number's new caller tariff takes effect: the 1st of the next month for a
    request made by the sheet's day of the month (CP XII §8.1: the 15th); later requests, on which
    the schedule is silent, on the 1st of the month after next (reading T-SVA-TARIFF-AFTER-15)."""
    last_day = usage.figures.tariff_change_request_last_day_of_month
    late = usage.figures.tariff_change_late_request_effective_months_ahead
    if last_day is None:
        raise RuleRefusal(Refused.no_tariff_change_date, "family",
                          "the schedule sets no date for caller tariff changes")
    first = requested_on.replace(day=1)
    if requested_on.day <= int(last_day.value):
        return first + relativedelta(months=1), last_day.clause
    if late is None:
        raise RuleRefusal(Refused.late_tariff_change_unsettled, "requested_on",
                          f"the schedule does not say when a request made after the "
                          f"{last_day.value}th takes effect ({last_day.clause})", last_day.clause)
    return first + relativedelta(months=int(late.value)), cited(last_day.clause, late.clause)


def supplier_penalty(usage: Usage, supplier: str, number: str, charged: Decimal,
                     client_numbers: Collection[str]) -> Explained:
    """CP XII §13.1 passes on "la pénalité que le Prestataire supporte … vis-à-vis du
    Fournisseur", a word the schedule never defines: only a penalty the operator's upstream
    operator actually charged for one of the client's numbers, at its amount (reading
    T-SVA-FOURNISSEUR)."""
    # §13.1's supplier penalty; the mobile schedule states only its rebilling of another
    # operator's penalties (CP IX §11.3), which the reading gives the same meaning.
    passed = usage.flags.supplier_penalties_passed_through or usage.flags.operator_penalties_passed_through
    if not is_on(passed):
        raise RuleRefusal(Refused.no_supplier_penalty_pass_on, "family",
                          "the schedule passes no supplier penalty on to the client")
    if not supplier.strip():
        raise RuleRefusal(Refused.supplier_missing, "supplier",
                          f"name the operator that charged the penalty ({passed.clause})",
                          passed.clause)
    if charged <= 0:
        raise RuleRefusal(Refused.penalty_not_charged, "amount",
                          f"only a penalty actually charged to the operator is passed on "
                          f"({passed.clause}); {charged} is not one", passed.clause)
    normalised = pl.Series([number, *client_numbers]).to_frame("n").select(nb.normalise(pl.col("n")))
    if normalised.item(0, 0) not in set(normalised.to_series()[1:]):
        raise RuleRefusal(Refused.number_of_another_client, "number",
                          f"{number} is not a number of this client; only a penalty "
                          f"charged for the client's numbers is passed on ({passed.clause})",
                          passed.clause)
    return Explained((Line(msg("Penalty charged by {supplier} for {number}, passed on",
                               supplier=supplier.strip(), number=number),
                           money(charged), msg("as charged: {amount}", amount=fmt_price(charged)),
                           passed.clause),))


def sva_sanction(usage: Usage, numbers: int, repeated: bool) -> Explained | None:
    """Abnormal traffic or an ethics breach on premium numbers: a sum per number, plus the
    repeat sum when the same number offended within the year (CP XII §13.1)."""
    base = usage.amounts.ethics_or_abnormal_traffic_penalty
    if base is None:
        return None
    explained = Explained((Line(msg("Abnormal traffic on premium number(s)"),
                                money(base.amount * numbers),
                                msg("{numbers} number(s) × {price} {basis}", numbers=numbers,
                                    price=fmt_price(base.amount), basis=base.basis),
                                str(base.src)),))
    again = usage.amounts.repeated_within_a_year_penalty
    if repeated and again is not None:
        explained = explained.plus(Line(msg("Repeated within a year"), money(again.amount * numbers),
                                        msg("{numbers} number(s) × {price} {basis}", numbers=numbers,
                                            price=fmt_price(again.amount), basis=again.basis),
                                        str(again.src)))
    return explained


def sva_uncured(usage: Usage) -> Explained | None:
    late = usage.amounts.not_cured_within_deadline_penalty
    if late is None:
        return None
    return Explained((Line(msg("Not compliant after the cure deadline"), money(late.amount),
                           msg("1 number × {price} {basis}", price=fmt_price(late.amount),
                               basis=late.basis), str(late.src)),))
