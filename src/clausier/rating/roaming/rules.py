"""Roaming abuse, pure: each line's consumption and presence at home vs in EU roaming, the
indicators over the sheet's window of consecutive months, the serial use of several SIMs, and
the surcharge proposed (CP IX §17). No database, no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import money
from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import is_on
from clausier.rating.price.rules import BYTES_PER_MB, Tariff, fmt_price
from clausier.terms.schema import Usage


@dataclass(frozen=True)
class RoamingMonth:
    month: str
    national_voice_s: int = 0
    roaming_voice_s: int = 0
    national_messages: int = 0
    roaming_messages: int = 0
    national_bytes: int = 0
    roaming_bytes: int = 0
    national_days: int = 0
    roaming_days: int = 0


def roaming_frame(classified: pl.DataFrame) -> pl.DataFrame:
    """Consumption and presence at home vs in EU/EEA roaming, per line that roamed in the EU."""
    c = pl.col
    home, roam = c("zone") == nb.HOME, c("zone") == nb.EU
    day = c("start").dt.convert_time_zone("Europe/Paris").dt.date()
    messages = c("kind").is_in(("sms", "mms"))
    roamers = classified.lazy().filter(roam).select(c("subscription_id").unique())
    return (classified.lazy().join(roamers, on="subscription_id", how="semi")
            .filter(c("zone").is_in((nb.HOME, nb.EU))).group_by("subscription_id").agg(
                c("duration").filter(home & (c("kind") == "voice")).sum().alias("national_voice_s"),
                c("duration").filter(roam & (c("kind") == "voice")).sum().alias("roaming_voice_s"),
                (home & messages).sum().alias("national_messages"),
                (roam & messages).sum().alias("roaming_messages"),
                c("bytes").filter(home).sum().alias("national_bytes"),
                c("bytes").filter(roam).sum().alias("roaming_bytes"),
                day.filter(home).n_unique().alias("national_days"),
                day.filter(roam).n_unique().alias("roaming_days"))
            .sort("subscription_id").collect())


def roaming_indicators(window: Sequence[RoamingMonth], usage: Usage) -> list[str]:
    """The abuse indicators of the mobile schedule that hold over every month of the sheet's
    window of consecutive months (CP IX §17; §5.4 with the sheet's reading): an empty list
    when the window is incomplete."""
    size = usage.figures.roaming_abuse_observation_consecutive_months
    if size is None or len(window) < int(size.value):
        return []
    months = list(window)[-int(size.value):]
    found = []
    components = (("voice", "national_voice_s", "roaming_voice_s"),
                  ("sms_mms", "national_messages", "roaming_messages"),
                  ("data", "national_bytes", "roaming_bytes"))
    for name, national, roaming in components:
        if all(getattr(m, roaming) > getattr(m, national) for m in months):
            found.append(f"national_consumption_below_roaming:{name}")
    if all(m.roaming_days > m.national_days for m in months):
        found.append("national_presence_below_roaming")
    if is_on(usage.flags.roaming_abuse_consumption_with_presence):
        # CP IX §5.4 counts consumption and presence together, §17 each alone: only both at
        # once is allowed by both clauses (reading T-MOB-ROAMING-WINDOW)
        presence = "national_presence_below_roaming" in found
        if not (presence and len(found) > 1):
            found = []
    if all(m.national_days == 0 and m.roaming_days > 0 for m in months):
        found.append("prolonged_inactivity_with_mostly_roaming")
    return found


SERIAL_SIMS = "serial_multi_sim_roaming"


def serial_sims(sims: Mapping[int, Sequence[RoamingMonth]], usage: Usage) -> tuple[int, ...]:
    """The 4th abuse indicator (CP IX §17 L7164-7165, §5.4 L6493-6494): several SIMs of one
    customer used one after another while roaming. ``sims`` gives, per SIM (subscription), its
    roaming profile over the sheet's window. A SIM takes part when it roamed more days than
    it was at home over the window; the longest chain of such SIMs whose roaming months follow
    one another without overlapping is returned when it has at least the sheet's number of
    SIMs (empty otherwise)."""
    least = usage.figures.serial_multi_sim_roaming_min_sims
    if least is None:
        return ()
    spans = []
    for sim, months in sims.items():
        roamed = sorted(m.month for m in months if m.roaming_days > 0)
        if roamed and sum(m.roaming_days for m in months) > sum(m.national_days for m in months):
            spans.append((roamed[-1], roamed[0], sim))
    chain, last = [], ""
    for end, begin, sim in sorted(spans):       # earliest end first: the longest chain
        if begin > last:
            chain.append(sim)
            last = end
    return tuple(chain) if len(chain) >= int(least.value) else ()


def roaming_surcharge(window: Sequence[RoamingMonth], tariffs: Mapping[str, Tariff], usage: Usage) -> Explained:
    """The surcharge tariffs proposed on roaming consumption over the window (retroactively
    and for the current month, CP IX §17), from the price list's ``roaming_surcharge`` lines."""
    clause = usage.flags.roaming_surcharge_retroactive
    source = clause.clause if clause else ""
    lines = []
    voice_s = sum(m.roaming_voice_s for m in window)
    messages = sum(m.roaming_messages for m in window)
    data = sum(m.roaming_bytes for m in window)
    for kind, quantity, unit, scale in (("voice", Decimal(voice_s) / 60, "min", 1),
                                        ("sms", Decimal(messages), "message(s)", 1),
                                        ("data", Decimal(data) / BYTES_PER_MB, "MB", 1)):
        tariff = tariffs.get(kind)
        if tariff is None or quantity == 0:
            continue
        lines.append(Line(msg("Roaming surcharge — {kind}", kind=kind),
                          money(quantity * tariff.price * scale),
                          msg("{quantity} {unit} × {price} {basis}", quantity=f"{quantity:.2f}",
                              unit=unit, price=fmt_price(tariff.price), basis=tariff.basis),
                          f"{tariff.source}; {source}" if source else tariff.source))
    return Explained(tuple(lines))
