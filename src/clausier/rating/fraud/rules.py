"""Fraud and compliance, pure: caller-ID rules, call set-up bursts and origin mismatches found in
a month's calls, the alerts they raise and the sheet's penalties they carry. No database, no
clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import auto

import polars as pl

from clausier.core.errors import RefusalCode
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import money
from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import (Plan, automated_forbidden_prefixes, cited, is_on,
                                         once_per_block, telephony_clauses_apply)
from clausier.rating.price.rules import fmt_price
from clausier.terms.schema import Usage


class Refused(RefusalCode):
    """What the fraud desk refuses."""

    fraud_alert_decision_unknown = auto()
    fraud_alert_already_decided = auto()
    fraud_alert_status_unknown = auto()
    penalty_decision_unknown = auto()
    penalty_already_decided = auto()
    penalty_alert_not_confirmed = auto()
    penalty_status_unknown = auto()


@dataclass(frozen=True)
class Alert:
    """A fraud or compliance finding, with its evidence and the penalty it may carry."""

    subscription_id: int
    kind: str
    clause: str
    calls: int
    numbers: tuple[str, ...]
    evidence: dict
    penalty: Explained | None = None


# The breaches of the schedules' sanction clauses (``penalty_triggers``,
# ``traffic_interruption_triggers``) that an alert of rating proves: presenting a number an
# automated system or a platform may not present breaches the prohibited caller IDs (CP IV/V
# §8.1.4, CP IX §5.5.2-5.5.3); a calling installation in another country than the number it
# presents breaches the numbering plan's territoriality (CP IX §9, CP IV/V §10.3).
ALERT_BREACHES = {"automated_caller_id": "prohibited_caller_ids",
                  "platform_caller_id": "prohibited_caller_ids",
                  "origin_mismatch": "arcep_numbering_plan_breach"}
# The alerts that carry the per-number and per-call penalties.
PENALISED_ALERTS = ("automated_caller_id", "platform_caller_id")


def penalty_clause(usage: Usage, breach: str) -> str | None:
    """The clause under which ``breach`` carries the sheet's penalties, or None when the sheet's
    list of penalised breaches leaves it out (a sheet without such a list penalises every
    caller-ID breach). Centrex §8.1.4.1 points its penalties at a broken reference; §10.3 names
    8.1.4 itself (reading T-CENTREX-PENALTY-XREF)."""
    triggers = usage.lists.penalty_triggers
    if triggers is None:
        return ""
    return triggers.clause if breach in triggers.value else None


def interruption_without_notice(usage: Usage, breach: str) -> str | None:
    """The clause that lets the operator stop routing the client's traffic without notice for
    ``breach``, or None. A sanction without notice is read narrowly: the trunk's §10.2 names
    8.1.5 only through a broken reference, so unsolicited prospecting is not among its causes
    (reading T-SIP-INTERRUPTION-XREF); the mobile §11.2 adds the numbering plan's territoriality
    through a broken reference read as article 9 (reading T-MOB-BROKEN-XREF)."""
    triggers = usage.lists.traffic_interruption_triggers
    if triggers is not None and breach in triggers.value:
        return triggers.clause
    territoriality = usage.flags.routing_cut_without_notice_on_territoriality_breach
    if breach == "arcep_numbering_plan_breach" and is_on(territoriality):
        return territoriality.clause
    return None


def penalty(usage: Usage, numbers: int, calls: int, because: str = "") -> Explained | None:
    """Sheet penalties per calling number and per call or attempt, cumulative (e.g. CP IX §11.3);
    ``because``: the clause that makes the breach penalised, cited after each amount's."""
    per_number = usage.amounts.penalty_per_calling_number
    per_call = usage.amounts.penalty_per_call_or_attempt
    if per_number is None and per_call is None:
        return None
    explained = Explained()
    if per_number is not None:
        explained = explained.plus(Line(msg("Penalty per calling number"),
                                        money(per_number.amount * numbers),
                                        msg("{numbers} number(s) × {price} {basis}", numbers=numbers,
                                            price=fmt_price(per_number.amount),
                                            basis=per_number.basis),
                                        cited(str(per_number.src), because)))
    if per_call is not None:
        explained = explained.plus(Line(msg("Penalty per call or attempt"),
                                        money(per_call.amount * calls),
                                        msg("{calls} call(s) × {price} {basis}", calls=calls,
                                            price=fmt_price(per_call.amount), basis=per_call.basis),
                                        cited(str(per_call.src), because)))
    return explained


@once_per_block
def _caller_rules(usage: Usage) -> list[tuple]:
    """The fraud and caller-ID rules of a sheet, as hashable keys (plans sharing a sheet share them)."""
    keys: list[tuple] = []
    if not telephony_clauses_apply(usage):
        return keys
    for threshold in usage.fraud:
        if threshold.metric == "call_setups_per_second":
            keys.append(("setup_burst", int(threshold.limit), str(threshold.src)))
    rewrite = usage.lists.caller_id_rewritten_forms
    if rewrite:
        keys.append(("caller_id_rewrite", nb.form_pattern(rewrite.value), rewrite.clause))
    allowed = usage.lists.automated_system_caller_id_prefixes
    forbidden, forbidden_clause = automated_forbidden_prefixes(usage)
    if allowed or forbidden:
        clause = "; ".join(x for x in (allowed.clause if allowed else "", forbidden_clause) if x)
        keys.append(("automated_caller_id", tuple(allowed.value) if allowed else None,
                     tuple(forbidden), clause))
    platform = usage.lists.technical_platform_caller_id_prefixes
    if platform:
        keys.append(("platform_caller_id", tuple(platform.value), platform.clause))
    return keys


def _presented_hits(kind: str, key: tuple) -> pl.Expr:
    c = pl.col
    if kind == "caller_id_rewrite":
        return c("calling_n").str.contains(key[1])
    if kind == "automated_caller_id":
        allowed, forbidden = key[1], key[2]
        bad = ~nb.has_prefix(c("calling_n"), allowed) if allowed is not None else pl.lit(False)
        return (c("traffic") == "automated") & (bad | nb.has_prefix(c("calling_n"), forbidden))
    return (c("traffic") == "platform") & ~nb.has_prefix(c("calling_n"), key[1])


FINDINGS_SCHEMA = {"subscription_id": pl.Int64, "kind": pl.String, "clause": pl.String,
                   "calls": pl.Int64, "numbers": pl.List(pl.String), "seconds": pl.List(pl.String),
                   "peak": pl.Int64, "limit": pl.Int64}


def fraud_frame(classified: pl.DataFrame, plans: Sequence[Plan]) -> pl.DataFrame:
    """Per subscription and kind of finding: calls, presented numbers and evidence. Caller-ID
    rules are checked on the distinct presented numbers, not on every record."""
    c = pl.col
    out_voice = classified.lazy().filter((c("direction") == "out") & (c("kind") == "voice"))
    groups: dict[tuple, list[int]] = {}
    for plan in plans:
        for key in _caller_rules(plan.usage):
            groups.setdefault(key, []).append(plan.subscription_id)
    findings: list[pl.DataFrame] = []
    presented = (out_voice.group_by("subscription_id", "calling", "traffic").agg(pl.len().alias("calls"))
                 .with_columns(nb.normalise(c("calling")).alias("calling_n")).collect())
    for key, subscriptions in groups.items():
        kind, clause = key[0], key[-1]
        mine = c("subscription_id").is_in(subscriptions)
        if kind == "setup_burst":
            limit = key[1]
            bursts = (out_voice.filter(mine)
                      .group_by("subscription_id", c("start").dt.epoch("s").alias("second"))
                      .agg(pl.len().alias("setups")).filter(c("setups") > limit)
                      .group_by("subscription_id").agg(
                          c("setups").sum().alias("calls"), c("setups").max().alias("peak"),
                          pl.from_epoch(c("second").sort().head(20), time_unit="s")
                          .dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("seconds"))
                      .with_columns(pl.lit(kind).alias("kind"), pl.lit(clause).alias("clause"),
                                    pl.lit(limit, pl.Int64).alias("limit")).collect())
            findings.append(bursts)
            continue
        hits = presented.filter(mine & _presented_hits(kind, key))
        findings.append(hits.group_by("subscription_id").agg(
            c("calls").sum(), c("calling_n").unique().sort().head(50).alias("numbers"))
            .with_columns(pl.lit(kind).alias("kind"), pl.lit(clause).alias("clause")))
    mismatch = classified.filter(c("origin_mismatch"))
    if mismatch.height:
        findings.append(mismatch.group_by("subscription_id").agg(
            pl.len().alias("calls"), nb.normalise(c("calling")).unique().sort().head(50).alias("numbers"))
            .with_columns(pl.lit("origin_mismatch").alias("kind"), pl.lit("").alias("clause")))
    frames = [f.select(*[(c(n).cast(t) if n in f.columns else pl.lit(None, t).alias(n))
                         for n, t in FINDINGS_SCHEMA.items()]) for f in findings]
    if not frames:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    return pl.concat(frames).filter(c("calls") > 0).sort(["subscription_id", "kind"])


def alerts_from(findings: pl.DataFrame, plans: Mapping[int, Plan]) -> list[Alert]:
    alerts = []
    for row in findings.iter_rows(named=True):
        plan = plans[row["subscription_id"]]
        numbers = tuple(row["numbers"] or ())
        evidence: dict = {"calls": row["calls"], "numbers": list(numbers)}
        clause = row["clause"]
        if row["kind"] == "setup_burst":
            evidence.update(peak=row["peak"], limit=row["limit"], seconds=row["seconds"])
        if row["kind"] == "origin_mismatch":
            origin = plan.usage.flags.undetermined_origin_rating_on_country_mismatch
            clause = origin.clause if origin else ""
        breach = ALERT_BREACHES.get(row["kind"])
        because = penalty_clause(plan.usage, breach) if row["kind"] in PENALISED_ALERTS else None
        charged = penalty(plan.usage, len(numbers), row["calls"], because) if because is not None else None
        if breach and (interruption := interruption_without_notice(plan.usage, breach)):
            evidence["interruption_without_notice"] = interruption
        alerts.append(Alert(plan.subscription_id, row["kind"], clause, row["calls"], numbers,
                            evidence, charged))
    return alerts
