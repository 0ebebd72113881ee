"""Fair use (*usage raisonnable*), pure: the monthly measures of a bundle's use, the
thresholds of the sheet they exceed, per-call limits, and the data allowances crossed. No
database, no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from enum import auto

import polars as pl

from clausier.core.errors import RefusalCode
from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import Plan, threshold_units


class Refused(RefusalCode):
    """What the fair-use desk refuses."""

    fair_use_decision_unknown = auto()
    fair_use_status_unknown = auto()


# Fair-use metrics that CDRs can measure; others (e.g. registered devices) are left to staff.
MEASURED_METRICS = ("distinct_numbers", "call_hours", "hours", "sms", "sms_recipients",
                    "simultaneous_calls")


@dataclass(frozen=True)
class Breach:
    """A fair-use threshold exceeded (*usage raisonnable*)."""

    subscription_id: int
    metric: str
    window: str
    limit: Decimal           # for the subscription: per-unit limit × units
    measured: Decimal
    per: str
    units: int
    unit_limit: Decimal
    consequence: str
    clause: str
    evidence: dict

    @property
    def explanation(self) -> str:
        return (f"{self.metric} {self.measured} > {self.limit} ({self.unit_limit} per {self.per}"
                f" × {self.units}, window {self.window}) → {self.consequence} — {self.clause}")


@dataclass(frozen=True)
class DataEvent:
    subscription_id: int
    kind: str          # throttle (in France) | cut (roaming)
    at: datetime
    record_id: str
    clause: str


def _concurrency(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The most simultaneous calls of each subscription (a sweep over call starts and ends)."""
    calls = frame.filter(pl.col("kind") == "voice").select(
        "subscription_id", "start",
        (pl.col("start") + pl.duration(seconds=pl.col("duration"))).alias("end"))
    events = pl.concat([
        calls.select("subscription_id", pl.col("start").alias("at"), pl.lit(1).alias("step")),
        calls.select("subscription_id", pl.col("end").alias("at"), pl.lit(-1).alias("step")),
    ])
    # At equal instants ends come first: a call ending when the next starts is not simultaneous.
    return (events.sort(["subscription_id", "at", "step"])
            .with_columns(pl.col("step").cum_sum().over("subscription_id").alias("live"))
            .group_by("subscription_id").agg(pl.col("live").max().alias("simultaneous_calls")))


def fair_use_metrics(classified: pl.DataFrame, with_concurrency: Sequence[int]) -> pl.DataFrame:
    """Monthly fair-use measures of the bundle's use, per subscription."""
    c = pl.col
    eligible = classified.lazy().filter(c("voice_eligible") | c("sms_eligible"))
    metrics = eligible.group_by("subscription_id").agg(
        c("number_id").filter(c("voice_eligible")).n_unique().alias("distinct_numbers"),
        c("duration").filter(c("voice_eligible")).sum().alias("call_seconds"),
        c("sms_eligible").sum().alias("sms"),
        c("number_id").filter(c("sms_eligible")).n_unique().alias("sms_recipients"),
    )
    if with_concurrency:
        busy = _concurrency(eligible.filter(c("subscription_id").is_in(list(with_concurrency))
                                            & c("voice_eligible")))
        metrics = metrics.join(busy, on="subscription_id", how="left")
    else:
        metrics = metrics.with_columns(pl.lit(None, pl.Int64).alias("simultaneous_calls"))
    return metrics.collect()


def breaches_of(plan: Plan, measures: Mapping[str, object], numbers: Sequence[str]) -> list[Breach]:
    """The monthly and instant thresholds of the sheet that the subscription's use exceeds."""
    found = []
    hours_per_channel = plan.usage.flags.hours_per_channel_fair_use_applies
    for threshold in plan.usage.fair_use:
        if threshold.metric not in MEASURED_METRICS or threshold.window == "call":
            continue
        if (threshold.metric in ("call_hours", "hours") and threshold.per == "channel"
                and hours_per_channel is not None and not hours_per_channel.value):
            # Centrex §8 copies the trunk's "40 h par canal" upside down, for a service without
            # channels: not applied against the client (reading T-CENTREX-40H).
            continue
        units = threshold_units(threshold, plan.units)
        if units == 0:
            continue
        measured = Decimal(str(measures.get(threshold.metric) or 0))
        limit = threshold.limit * units
        exceeded = measured > limit
        evidence: dict = {}
        if threshold.metric in ("call_hours", "hours"):
            # "plus de N heures": the exact seconds are compared, never rounded hours (40 h 00 min
            # 01 s is more than 40 h). Hours are shown to the hundredth, or finer (rounded up)
            # where the hundredth would hide the excess.
            seconds = int(measures.get("call_seconds") or 0)
            exceeded = seconds > limit * 3600
            measured = (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
            if exceeded and measured <= limit:
                measured = (Decimal(seconds) / 3600).quantize(Decimal("0.000001"), ROUND_CEILING)
            evidence["measured_seconds"] = seconds
        if exceeded:
            evidence |= {"measured": str(measured), "limit": str(limit)}
            if threshold.metric == "distinct_numbers":
                evidence["numbers"] = list(numbers)
            found.append(Breach(plan.subscription_id, threshold.metric, threshold.window, limit,
                                measured, threshold.per, units, threshold.limit,
                                threshold.consequence, str(threshold.src), evidence))
    return found


def per_call_limits(plans: Sequence[Plan]) -> pl.DataFrame:
    """Per-call duration limits (Ozone: 2 h per call) as seconds, per subscription."""
    rows = []
    for plan in plans:
        for threshold in plan.usage.fair_use:
            if threshold.window == "call" and threshold.metric in ("call_hours", "hours"):
                rows.append({"subscription_id": plan.subscription_id,
                             "call_limit_s": int(threshold.limit * 3600),
                             "call_limit_clause": str(threshold.src)})
    return pl.DataFrame(rows, schema={"subscription_id": pl.Int64, "call_limit_s": pl.Int64,
                                      "call_limit_clause": pl.String})


def data_events(priced: pl.DataFrame, plans: Sequence[Plan]) -> list[DataEvent]:
    """Unlimited plans over their data allowance: throttled in France, cut when roaming, from
    the record that crosses it (mobile §15)."""
    c = pl.col
    unlimited = {p.subscription_id: p for p in plans
                 if p.bundle.data_mb is not None and p.bundle.data_plan == "unlimited"}
    if not unlimited:
        return []
    crossing = (priced.lazy().filter(c("subscription_id").is_in(list(unlimited)) & (c("type") == "data"))
                .sort(["subscription_id", "start", "record_id"])
                .with_columns(c("bytes").cum_sum().over("subscription_id").alias("used"))
                .filter(c("used") > c("data_allowance"))
                .group_by("subscription_id", c("zone") == nb.HOME).agg(
                    c("start").first(), c("record_id").first())
                .collect())
    events = []
    for row in crossing.sort(["subscription_id", "start"]).iter_rows(named=True):
        flags = unlimited[row["subscription_id"]].usage.flags
        home = row["zone"]
        # the schedule's throttle (France) or cut (roaming), else a sheet's single data block
        clause = (flags.data_fair_use_unlimited_plan_throttled_in_france if home
                  else flags.data_fair_use_unlimited_plan_cut_in_roaming) or flags.data_blocked_beyond_threshold
        events.append(DataEvent(row["subscription_id"], "throttle" if home else "cut", row["start"],
                                row["record_id"], clause.clause if clause else ""))
    return events
