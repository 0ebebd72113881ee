"""Rating a month, pure: records (a Polars frame) + plans in; priced records, explained monthly
amounts, fair-use breaches, fraud alerts, premium-number payouts and roaming profiles out. No
database, no clock, no I/O.

Everything per record is a vectorised Polars expression; Python only loops over subscriptions
(to explain their month) and over the few rows of aggregates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import polars as pl

from clausier.core.clock import PARIS
from clausier.core.explain import Explained
from clausier.core.message import msg
from clausier.rating.classify.rules import classify, plans_frame
from clausier.rating.detail import UsageDetail
from clausier.rating.fair_use.rules import (Breach, DataEvent, breaches_of, data_events,
                                            fair_use_metrics, per_call_limits)
from clausier.rating.fraud.rules import Alert, alerts_from, fraud_frame
from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import Plan, threshold_units
from clausier.rating.price.rules import (EXPLAINED_COLUMNS, FIGURE_COLUMNS, GROUP_ORDER, Tariff,
                                         cx_lines, data_overage_line, data_volume_missing,
                                         destination_usage, explain_lines, explanation_texts,
                                         offnet_line, price, tariffs_frame)
from clausier.rating.roaming.rules import roaming_frame
from clausier.rating.sva.rules import payout_grid_missing, sva_abnormal_traffic, sva_payouts


# The incumbent local-loop operator (France Télécom, now Orange) as CDRs name it.
INCUMBENT_OPERATORS = ("FT", "FRANCE TELECOM", "FRANCE_TELECOM", "ORANGE")


class BucketRunStatus(StrEnum):
    """A bucket of a month's rating on the workers: queued, then done or failed."""

    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass
class MonthRating:
    """Everything a month's rating produces."""

    rated: pl.DataFrame
    explained: dict[int, Explained]
    breaches: list[Breach]
    alerts: list[Alert]
    data_events: list[DataEvent]
    payouts: pl.DataFrame            # subscription_id, day, calls, seconds, amount_micro
    roaming: pl.DataFrame            # per subscription: national vs roaming consumption
    unpriced: dict[int, int]         # records without a tariff, per subscription
    detail: dict[int, UsageDetail] = field(default_factory=dict)   # the explained month per class


RATED_COLUMNS = ("record_id", "subscription_id", "customer_id", "start", "type", "direction",
                 "duration", "bytes", "called_n", "dest_class", "dest_country", "zone", "rate_dest",
                 "rate_country", "in_bundle", "rerated", "beyond_allowance", "origin_mismatch", "charged_s", "calls",
                 "price_micro", "amount_micro", "unpriced", "batch_id")


def rate_month(records: pl.LazyFrame, plans: Sequence[Plan], tariffs: Mapping[str, Sequence[Tariff]],
               managed_numbers: Collection[str] | None = None) -> MonthRating:
    """Rate one month of records for the given plans: the whole engine, deterministic.
    ``managed_numbers`` are the operator's numbers (normalised), to tell whether a contact
    centre's redirected call ends on one of them."""
    c = pl.col
    by_id = {p.subscription_id: p for p in plans}
    tariff_df, tariff_ids, countries = tariffs_frame(tariffs)
    included_countries = pl.DataFrame(
        [{"subscription_id": p.subscription_id, "dest_country": country, "country_included": True}
         for p in plans for country in p.bundle.countries],
        schema={"subscription_id": pl.Int64, "dest_country": pl.String, "country_included": pl.Boolean})
    own_numbers = {p.subscription_id: p.identifier for p in plans}
    classified = classify(records, plans_frame(plans, tariff_ids), countries, included_countries,
                          own_numbers, managed_numbers)

    concurrency = [p.subscription_id for p in plans
                   if any(t.metric == "simultaneous_calls" for t in p.usage.fair_use)]
    metrics = {row["subscription_id"]: row
               for row in fair_use_metrics(classified, concurrency).iter_rows(named=True)}
    over = [s for s, measures in metrics.items() if _over_any(by_id[s], measures)]
    numbers_of = _numbers_of(classified, over)
    breaches: list[Breach] = []
    for subscription_id, measures in sorted(metrics.items()):
        breaches += breaches_of(by_id[subscription_id], measures, numbers_of.get(subscription_id, []))
    rerated = sorted({b.subscription_id for b in breaches})

    priced = price(classified, tariff_df, rerated, per_call_limits(plans))
    del classified
    lazy = priced.lazy()
    # Grouped on the country's index rather than its name (one to one): integer keys only.
    by_index = ["country_index" if name == "rate_country" else name for name in GROUP_ORDER]
    groups = (lazy.group_by(*by_index).agg(
        pl.len().alias("records"), c("calls").sum(), c("duration").sum().alias("seconds"),
        c("charged_s").sum(), c("bytes").sum(), c("amount_micro").sum()).collect()
        .with_columns(c("country_index").replace_strict(
            list(range(1, len(countries) + 1)), list(countries), default=None, return_dtype=pl.String)
            .alias("rate_country")).drop("country_index")
        .join(tariff_df.select("tariff_row", "price_text", "setup_micro", "setup_text", "tariff_source"),
              on="tariff_row", how="left"))
    fixed_out = (c("direction") == "out") & (c("kind") == "voice") & (c("dest_class") == nb.FIXED)
    offnet = fixed_out & (c("terminating_operator") != "") & ~c("terminating_operator").str.to_uppercase().is_in(
        list(INCUMBENT_OPERATORS))
    cx_in, cx_out = c("rate_dest") == "cx_inbound", c("rate_dest") == "cx_redirected"
    home_data = (c("type") == "data") & c("national_rated")
    # The month's other figures per subscription, in one pass over the priced records.
    figures = lazy.group_by("subscription_id").agg(
        fixed_out.any().alias("any_fixed"), c("duration").filter(fixed_out).sum().alias("fixed_s"),
        c("duration").filter(offnet).sum().alias("offnet_s"),
        c("amount_micro").filter(fixed_out).sum().alias("fixed_micro"),
        c("amount_micro").filter(offnet).sum().alias("offnet_micro"),
        cx_in.any().alias("any_cx_inbound"), c("duration").filter(cx_in).sum().alias("cx_inbound"),
        c("duration").filter(cx_out).sum().alias("cx_redirected"),
        c("bytes").filter(home_data).sum().alias("data_home"),
        c("unpriced").sum().alias("unpriced")).collect()
    side = {row["subscription_id"]: row for row in figures.filter(c("any_fixed")).iter_rows(named=True)}
    cx_inbound = dict(figures.filter(c("any_cx_inbound")).select("subscription_id", "cx_inbound").iter_rows())
    cx_redirected = dict(figures.filter(c("cx_redirected") > 0).select("subscription_id", "cx_redirected")
                         .iter_rows())
    data_home = dict(figures.filter(c("data_home") > 0).select("subscription_id", "data_home").iter_rows())
    unpriced = dict(figures.filter(c("unpriced") > 0).select("subscription_id", "unpriced").iter_rows())
    data_tariffs = {row["tariff_id"]: row for row in tariff_df.filter(
        (c("rate_dest") == "data") & (c("kind") == "data")).sort("valid_from").iter_rows(named=True)}

    explained: dict[int, Explained] = {}
    detail: dict[int, UsageDetail] = {}
    group_parts: dict[int, list[tuple]] = {}
    worded = explanation_texts(groups.sort(GROUP_ORDER, nulls_last=True))
    for subscription_id, *row in worded.select("subscription_id", *EXPLAINED_COLUMNS,
                                               *FIGURE_COLUMNS).iter_rows():
        group_parts.setdefault(subscription_id, []).append(row)
    for plan in plans:
        mine = group_parts.get(plan.subscription_id)
        if mine is None:
            continue
        own = [b for b in breaches if b.subscription_id == plan.subscription_id]
        extra = [*cx_lines(plan, cx_inbound.get(plan.subscription_id),
                           cx_redirected.get(plan.subscription_id, 0)),
                 data_overage_line(plan, data_home.get(plan.subscription_id, 0),
                                   data_tariffs.get(tariff_ids.get(plan.tariff_key)))]
        if plan.subscription_id in side:
            s = side[plan.subscription_id]
            extra.append(offnet_line(plan, s["fixed_s"], s["offnet_s"], s["fixed_micro"], s["offnet_micro"]))
        lines = explain_lines(mine, plan, own)
        others = tuple(line for line in extra if line is not None)
        result = Explained(tuple(lines) + others)
        detail[plan.subscription_id] = UsageDetail(destination_usage(mine, lines), others)
        for breach in own:
            result = result.with_note(msg("Fair use exceeded: {explanation}",
                                          explanation=breach.explanation))
        for missing in (data_volume_missing(plan), payout_grid_missing(plan, tariffs.get(plan.tariff_key, ()))):
            if missing:
                result = result.with_note(missing)
        if unpriced.get(plan.subscription_id):
            result = result.with_note(msg("{n} record(s) without a price in the price list were "
                                          "not billed", n=unpriced[plan.subscription_id]))
        explained[plan.subscription_id] = result

    alerts = alerts_from(fraud_frame(priced, plans), by_id)
    caller = tariff_df.filter((c("rate_dest") == "sva_caller") & (c("kind") == "voice"))
    payouts = sva_payouts(priced, caller, plans)
    alerts += sva_abnormal_traffic(priced, payouts, plans)
    return MonthRating(rated=priced.select(RATED_COLUMNS), explained=explained, breaches=breaches,
                       alerts=sorted(alerts, key=lambda a: (a.subscription_id, a.kind)),
                       data_events=data_events(priced, plans), payouts=payouts,
                       roaming=roaming_frame(priced), unpriced=unpriced, detail=detail)


def rate_in_slices(records: pl.LazyFrame, plans: Sequence[Plan],
                   tariffs: Mapping[str, Sequence[Tariff]],
                   managed_numbers: Collection[str] | None = None, slices: int = 1) -> MonthRating:
    """``rate_month`` of the plans' subscriptions in ``slices`` disjoint sets, one after the
    other, combined: the same rating (a subscription's month depends on its records only),
    while only one slice's wide intermediate frames are held at a time."""
    ordered = sorted(plans, key=lambda plan: plan.subscription_id)
    if slices <= 1 or len(ordered) < 2:
        return rate_month(records, plans, tariffs, managed_numbers)
    size = -(-len(ordered) // slices)
    parts = []
    for start in range(0, len(ordered), size):
        mine = ordered[start:start + size]
        parts.append(rate_month(records.filter(pl.col("subscription_id").is_in(
            [plan.subscription_id for plan in mine])), mine, tariffs, managed_numbers))
    return combine(parts)


def combine(parts: Sequence[MonthRating]) -> MonthRating:
    """The ratings of several buckets of subscriptions as one (their subscriptions are disjoint)."""
    if not parts:
        empty = pl.DataFrame()
        return MonthRating(empty, {}, [], [], [], empty, empty, {})
    return MonthRating(
        rated=pl.concat([p.rated for p in parts], how="diagonal_relaxed"),
        explained={k: v for p in parts for k, v in p.explained.items()},
        breaches=[b for p in parts for b in p.breaches],
        alerts=[a for p in parts for a in p.alerts],
        data_events=[e for p in parts for e in p.data_events],
        payouts=pl.concat([p.payouts for p in parts], how="diagonal_relaxed"),
        roaming=pl.concat([p.roaming for p in parts], how="diagonal_relaxed"),
        unpriced={k: v for p in parts for k, v in p.unpriced.items()},
        detail={k: v for p in parts for k, v in p.detail.items()})


def _over_any(plan: Plan, measures: Mapping) -> bool:
    return any(t.metric == "distinct_numbers"
               and (measures.get("distinct_numbers") or 0) > t.limit * threshold_units(t, plan.units)
               and threshold_units(t, plan.units) > 0 for t in plan.usage.fair_use)


def _numbers_of(classified: pl.DataFrame, subscriptions: Iterable[int]) -> dict[int, list[str]]:
    """The distinct numbers a breaching subscription called (the breach's evidence)."""
    subscriptions = list(subscriptions)
    if not subscriptions:
        return {}
    frame = (classified.lazy()
             .filter(pl.col("subscription_id").is_in(subscriptions) & pl.col("voice_eligible"))
             .group_by("subscription_id").agg(pl.col("called_n").unique().sort()).collect())
    return {row["subscription_id"]: row["called_n"] for row in frame.iter_rows(named=True)}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a calendar month in Europe/Paris."""
    def first_instant(text: str) -> datetime:
        year, number = (int(part) for part in text.split("-"))
        return datetime(year, number, 1, tzinfo=PARIS)
    return first_instant(month), first_instant(shift_month(month, 1))


def previous_months(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    return [shift_month(month, -back) for back in range(count - 1, -1, -1)]


def shift_month(month: str, delta: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
