"""What rating knows of one subscription, pure: its plan (the sheet's ``usage`` block, the
offer's bundle and units, the key of its price list) and what the rules make of the sheet's
flags and lists. No database, no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import auto

from clausier.catalog.attributes import RatingAttributes
from clausier.core.errors import RefusalCode
from clausier.rating.numbering import rules as nb
from clausier.terms.schema import Sourced, Threshold, Usage


@dataclass(frozen=True)
class Bundle:
    """What the offer's monthly fee includes (the sheet says what a bundle *may* include)."""

    unlimited: bool = False
    destinations: tuple[str, ...] | None = None   # national prefixes; None: the sheet's list
    countries: tuple[str, ...] = ()                # international destinations on the order
    sms_included: bool = False
    minutes: int | None = None                     # a minutes allowance (not unlimited)
    data_mb: int | None = None
    data_plan: str | None = None                   # unlimited (throttle/cut) | metered

    @classmethod
    def of(cls, attributes: RatingAttributes) -> Bundle:
        """The bundle an offer's attributes describe (the vocabulary of ``catalog.attributes``)."""
        return cls(unlimited=attributes.calls == "unlimited",
                   destinations=attributes.call_destinations, countries=attributes.call_countries,
                   sms_included=attributes.sms_included, minutes=attributes.call_minutes,
                   data_mb=attributes.data_mb, data_plan=attributes.data_plan)

    @property
    def includes_anything(self) -> bool:
        return (self.unlimited or self.minutes is not None or self.sms_included
                or bool(self.countries) or self.data_mb is not None)


@dataclass(frozen=True)
class Plan:
    """What rating needs to know about one subscription."""

    subscription_id: int
    customer_id: int
    family: str
    identifier: str
    usage: Usage
    bundle: Bundle = Bundle()
    units: Mapping[str, int] = field(default_factory=dict)   # analogue_line: 3, channel: 10…
    tariff_key: str = ""
    price_basis: str = "HT"
    lines_managed: bool = True
    operator_id: int | None = None


class Refused(RefusalCode):
    """Why rating's rules refuse what is asked."""

    no_tariff_change_date = auto()
    late_tariff_change_unsettled = auto()   # requested after the sheet's day of the month
    no_supplier_penalty_pass_on = auto()
    supplier_missing = auto()
    penalty_not_charged = auto()
    number_of_another_client = auto()


def is_on(value: Sourced[bool] | None) -> bool:
    return bool(value and value.value)


def telephony_clauses_apply(usage: Usage) -> bool:
    """False for a service that carries no calls although its schedule copies the telephony
    template (hosted mail CP VI §6.4 and §8: no off-net surcharge, call set-up limit or caller-ID
    rule; reading T-MAIL-TELEPHONY-CLAUSES)."""
    applies = usage.flags.telephony_clauses_apply
    return applies is None or bool(applies.value)


def forwarding_excluded(usage: Usage) -> Sourced[list[str]] | None:
    """Forwarded calls are never included when the sheet excludes (permanent) call forwarding."""
    excluded = usage.excluded_from_unlimited
    if excluded and any("forward" in item for item in excluded.value):
        return excluded
    return None


def roaming_as_national(usage: Usage, zone: str) -> Sourced | None:
    """The clause that rates roaming in ``zone`` (eu, dom) like national use, if any."""
    if zone == nb.EU and (value := usage.flags.eu_roaming_rated_as_national) and value.value:
        return value
    included = usage.lists.roaming_included
    if included and zone.upper() in [z.upper() for z in included.value]:
        return included
    return None


def automated_forbidden_prefixes(usage: Usage) -> tuple[list[str], str]:
    """Prefixes an automated system may never present, and the clause (06/07 mobiles)."""
    forbidden = usage.lists.automated_system_forbidden_caller_id_prefixes
    if forbidden:
        return list(forbidden.value), forbidden.clause
    if (value := usage.flags.mobile_numbers_forbidden_as_automated_caller_id) and value.value:
        return ["06", "07"], value.clause
    return [], ""


def threshold_units(threshold: Threshold, units: Mapping[str, int]) -> int:
    """How many of the threshold's ``per`` units the subscription has (0: not applicable)."""
    if threshold.per in units:
        return int(units[threshold.per])
    return 1 if threshold.per in ("line", "user", "account", "sim") else 0


def once_per_block(read):
    """``read(usage)`` computed once per usage block: plans of one sheet version share their
    block object (the cache keeps the block, to be sure of its identity)."""
    cache: dict[int, tuple[Usage, object]] = {}

    def cached(usage: Usage):
        found = cache.get(id(usage))
        if found is None or found[0] is not usage:
            if len(cache) > 256:       # a long-lived process loads new blocks at each run
                cache.clear()
            found = cache[id(usage)] = (usage, read(usage))
        return found[1]
    return cached


def cited(*clauses: str) -> str:
    """The clauses once each; one the next quotes with its reading ("X (L1)" and "X (L1),
    reading R") is cited in the longer form only."""
    unique = list(dict.fromkeys(c for c in clauses if c))
    return "; ".join(c for c in unique if not any(o != c and o.startswith(c) for o in unique))
