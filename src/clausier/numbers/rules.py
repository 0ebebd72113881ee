"""Pure numbering rules: French number kinds, SDA blocks, the RIO and its control key, porting
dates and interruption windows, refusal reasons of a port-in request.

The RIO (*Relevé d'Identité Opérateur*) is ``OO Q RRRRRR CCC``: the donor operator's code (2),
the subscriber's quality (1: ``P``/``E`` for mobile lines, ``F``–``Z`` for fixed ones), the
contract reference (6 alphanumerics) and a control key (3) that ties the first three fields to
the 10-digit number. Structure and the receiving operator's duty to check the key: ARCEP
decision 2012-0576 art. 13 (mobile) and 2013-0830 (fixed); the key algorithm is the operators'
shared one (*Charte RIO*, GIE EGP), as reproduced in the French Wikipedia article "Relevé
d'identité opérateur": three running sums modulo 37 over the 19 characters OO+Q+RRRRRR+number,
weighted 1, 2 and 4, each written with the 37-symbol alphabet below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum, auto

from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.terms.schema import Terms, UsageFigures

NUMBER_KINDS = ("geographic", "sda", "mobile", "premium", "non_geographic")


class NumberStatus(StrEnum):
    """Where a phone number stands: free in the operator's stock, in service, on its way in or
    out by portability, gone."""

    AVAILABLE = "available"
    ASSIGNED = "assigned"
    PORTING_IN = "porting_in"
    PORTING_OUT = "porting_out"
    PORTED_OUT = "ported_out"
    LOST = "lost"


class PortStatus(StrEnum):
    """A port request: refused at once, or scheduled, then done or cancelled."""

    REFUSED = "refused"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


NUMBER_STATUSES = tuple(NumberStatus)

_NATIONAL = re.compile(r"^0[1-9]\d{8}$")
RIO_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+"
_RIO = re.compile(r"^(?P<oo>[0-9A-Z]{2})(?P<q>[A-Z])(?P<ref>[0-9A-Z+]{6})(?P<key>[0-9A-Z+]{3})$")
MOBILE_QUALITIES = ("P", "E")

# What a port-in request can be refused for (the Ozone mobile CPV art. 6.2 list; the same
# grounds the local-loop operator opposes to fixed numbers in Technicophone CP I §4.1).
REFUSAL_REASONS = ("requester_incapable", "incomplete_or_no_rio", "number_inactive",
                   "porting_already_pending")


class Refused(RefusalCode):
    """Why the numbering rules refuse a number, an SDA block, a RIO or a porting date."""

    number_not_french = auto()
    number_kind_unknown = auto()
    number_of_another_kind = auto()
    sda_not_sold = auto()
    sda_count_not_whole_blocks = auto()
    sda_first_not_geographic = auto()
    sda_block_leaves_range = auto()
    rio_missing = auto()
    rio_malformed = auto()
    rio_character_invalid = auto()
    rio_quality_of_a_fixed_line = auto()
    rio_quality_of_a_mobile_line = auto()
    rio_key_wrong = auto()
    no_porting_delay = auto()
    number_already_in_inventory = auto()
    numbers_missing = auto()
    numbering_zone_missing = auto()
    number_not_available = auto()
    number_of_another_zone = auto()
    site_without_numbering_zone = auto()
    number_not_in_service = auto()
    porting_already_pending = auto()
    port_not_scheduled = auto()
    port_not_cancellable = auto()
    port_cancellation_too_late = auto()
    number_lost_with_the_line = auto()
    number_already_live = auto()


def normalise(number: str) -> str:
    """``+33 6 12 34 56 78`` / ``06.12.34.56.78`` → ``0612345678``; refuses anything else."""
    digits = re.sub(r"[\s.\-()]", "", number or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if not _NATIONAL.match(digits):
        raise RuleRefusal(Refused.number_not_french, "number",
                          f"{number!r} is not a 10-digit French number (0Z ABPQMCDU)")
    return digits


def kind_of(number: str) -> str:
    """The kind the national numbering plan gives a number by its first digits."""
    z = normalise(number)[1]
    if z in "12345":
        return "geographic"
    if z in "67":
        return "mobile"
    if z == "8":
        return "premium"
    return "non_geographic"


def check_kind(number: str, kind: str) -> None:
    """An SDA is a geographic number; other kinds must match the numbering plan."""
    if kind not in NUMBER_KINDS:
        raise RuleRefusal(Refused.number_kind_unknown, "kind",
                          f"{kind!r} is not one of {', '.join(NUMBER_KINDS)}")
    plan_kind = kind_of(number)
    expected = "geographic" if kind == "sda" else kind
    if plan_kind != expected:
        raise RuleRefusal(Refused.number_of_another_kind, "kind",
                          f"{number} is a {plan_kind} number, not {kind}")


# --------------------------------------------------------------------------- SDA

def sda_block_size(terms: Terms, sold: tuple[int, str] | None = None) -> tuple[int, str]:
    """The size of an SDA block and its clause: the sheet's figure, else the price list's."""
    figure = terms.usage.figures.sda_block_size if terms.usage else None
    if figure is not None:
        return int(figure.value), figure.clause
    if sold is not None:
        return sold
    raise RuleRefusal(Refused.sda_not_sold, "sda",
                      "neither the sheet nor the price list of this service sells SDA blocks")


def sda_block(first: str, count: int, terms: Terms,
              sold: tuple[int, str] | None = None) -> tuple[list[str], str]:
    """The numbers of an SDA order: consecutive from ``first``, in whole blocks of the sheet's size
    (Technicophone CP I §3: "par tranche de dix"), or, where the schedule is silent, of the block
    the price list sells for the service (``sold``: its size and where it is written)."""
    size, clause = sda_block_size(terms, sold)
    if count < size or count % size:
        raise RuleRefusal(Refused.sda_count_not_whole_blocks, "count",
                          f"SDA are ordered by blocks of {size}; {count} is not a multiple "
                          f"of {size} ({clause})", clause)
    start = normalise(first)
    if kind_of(start) != "geographic":
        raise RuleRefusal(Refused.sda_first_not_geographic, "first",
                          f"{start} is not a geographic number")
    base = int(start)
    last = base + count - 1
    if str(last).zfill(10)[:2] != start[:2]:
        raise RuleRefusal(Refused.sda_block_leaves_range, "count",
                          f"{count} numbers from {start} leave the {start[:2]} range")
    return [str(n).zfill(10) for n in range(base, last + 1)], clause


# --------------------------------------------------------------------------- RIO

def rio_key(operator: str, quality: str, reference: str, number: str) -> str:
    """The 3-character control key of a RIO for ``number`` (see the module docstring)."""
    text = (operator + quality + reference).upper() + normalise(number)
    a = b = c = 0
    for char in text:
        position = RIO_ALPHABET.find(char)
        if position < 0:
            raise RuleRefusal(Refused.rio_character_invalid, "rio",
                              f"{char!r} is not a RIO character")
        a = (a + position) % 37
        b = (2 * b + position) % 37
        c = (4 * c + position) % 37
    return RIO_ALPHABET[a] + RIO_ALPHABET[b] + RIO_ALPHABET[c]


def make_rio(operator: str, quality: str, reference: str, number: str) -> str:
    """A valid RIO (what a donor operator gives its customer on 3179)."""
    return (operator + quality + reference).upper() + rio_key(operator, quality, reference, number)


def check_rio(rio: str | None, number: str) -> None:
    """Format, quality for the kind of line, and the control key against the number."""
    if not rio:
        raise RuleRefusal(Refused.rio_missing, "rio", "missing")
    text = re.sub(r"\s", "", rio).upper()
    match = _RIO.match(text)
    if match is None:
        raise RuleRefusal(Refused.rio_malformed, "rio",
                          "must be 12 characters OO Q RRRRRR CCC (2 operator digits or letters, "
                          "a quality letter, a 6-character reference, a 3-character key)")
    mobile = kind_of(number) == "mobile"
    if mobile and match["q"] not in MOBILE_QUALITIES:
        raise RuleRefusal(Refused.rio_quality_of_a_fixed_line, "rio",
                          f"quality {match['q']!r} is for a fixed line; a mobile RIO has P or E")
    if not mobile and match["q"] in MOBILE_QUALITIES:
        raise RuleRefusal(Refused.rio_quality_of_a_mobile_line, "rio",
                          f"quality {match['q']!r} is for a mobile line; a fixed RIO has F to Z")
    expected = rio_key(match["oo"], match["q"], match["ref"], number)
    if match["key"] != expected:
        raise RuleRefusal(Refused.rio_key_wrong, "rio",
                          f"wrong control key for {normalise(number)} (the RIO does not belong to "
                          "this number, or was mistyped)")


# --------------------------------------------------------------------------- porting dates

@dataclass(frozen=True)
class PortingPlan:
    """When a port-in happens and what interruption to expect on that day."""

    kind: str                         # fixed | mobile
    earliest: date
    latest: date | None
    porting_date: date
    interruption_min_minutes: int | None
    interruption_max: str | None      # "240 minutes", "4 business hours"
    cancel_until: date | None
    clauses: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {"kind": self.kind, "earliest": self.earliest.isoformat(),
                "latest": self.latest.isoformat() if self.latest else None,
                "porting_date": self.porting_date.isoformat(),
                "interruption_min_minutes": self.interruption_min_minutes,
                "interruption_max": self.interruption_max,
                "cancel_until": self.cancel_until.isoformat() if self.cancel_until else None,
                "clauses": list(self.clauses), "notes": list(self.notes)}


_CALENDAR = BusinessCalendar(OpeningHours.heures_ouvrees())


def porting_plan(number: str, requested_on: date, terms: Terms, wanted: date | None = None) -> PortingPlan:
    """Porting date counted in *jours ouvrés* (French holidays skipped) from the request:
    mobile within the sheet's min–max business days (the wanted date if it falls inside, else
    the earliest); fixed after the sheet's average business days. Where the sheet gives no delay
    the operator's chosen date is required."""
    figures = terms.usage.figures if terms.usage else UsageFigures()
    mobile = kind_of(number) == "mobile"
    clauses: list[str] = []
    notes: list[str] = []
    low = figures.porting_business_days_min if mobile else figures.porting_business_days_average
    high = figures.porting_business_days_max if mobile else None
    if low is None:
        if wanted is None:
            raise RuleRefusal(Refused.no_porting_delay, "porting_date",
                              "the sheet gives no porting delay for this line; "
                              "state the date agreed with the donor operator")
        earliest, latest, chosen = wanted, None, wanted
        notes.append("porting date agreed with the donor operator (no delay in the terms)")
    else:
        earliest = _CALENDAR.add_days(requested_on, int(low.value), DayKind.OUVRES)
        latest = _CALENDAR.add_days(requested_on, int(high.value), DayKind.OUVRES) if high else None
        clauses += [low.clause] + ([high.clause] if high and high.clause != low.clause else [])
        if wanted is not None and earliest <= wanted and (latest is None or wanted <= latest) \
                and _CALENDAR.is_business_day(wanted, DayKind.OUVRES):
            chosen = wanted
        else:
            chosen = earliest
            if wanted is not None:
                notes.append(f"wanted date {wanted.isoformat()} is outside "
                             f"{earliest.isoformat()}–{(latest or earliest).isoformat()} or not a business day")
    out_min = figures.porting_outage_minutes_min
    out_max_minutes = figures.porting_outage_minutes_max
    out_max_hours = figures.porting_outage_business_hours_max
    interruption_max = (f"{int(out_max_minutes.value)} minutes" if out_max_minutes
                        else f"{int(out_max_hours.value)} business hours" if out_max_hours else None)
    clauses += [f.clause for f in (out_min, out_max_minutes or out_max_hours) if f is not None]
    cancel = figures.porting_cancel_deadline_business_days_before
    cancel_until = (_subtract_business_days(chosen, int(cancel.value)) if cancel else None)
    if cancel:
        clauses.append(cancel.clause)
    return PortingPlan("mobile" if mobile else "fixed", earliest, latest, chosen,
                       int(out_min.value) if out_min else None, interruption_max, cancel_until,
                       tuple(dict.fromkeys(clauses)), tuple(notes))


def _subtract_business_days(day: date, n: int) -> date:
    current = day
    while n > 0:
        current -= timedelta(days=1)
        if _CALENDAR.is_business_day(current, DayKind.OUVRES):
            n -= 1
    return current


# --------------------------------------------------------------------------- port-in request

@dataclass(frozen=True)
class PortInRequest:
    number: str
    rio: str | None
    mandate_signed: bool
    number_active_at_donor: bool = True
    requester_capable: bool = True
    pending_elsewhere: bool = False


def refusals(request: PortInRequest, terms: Terms) -> list[tuple[str, str]]:
    """Every reason to refuse the request, as (reason code, detail); empty when it can go ahead."""
    problems: list[tuple[str, str]] = []
    listed = terms.usage.lists.porting_refusal_reasons if terms.usage else None
    clause = f" ({listed.clause})" if listed else ""
    if not request.requester_capable:
        problems.append(("requester_incapable", f"the requester may not act for the line{clause}"))
    if not request.mandate_signed:
        problems.append(("incomplete_or_no_rio", f"no signed porting mandate{clause}"))
    try:
        check_rio(request.rio, request.number)
    except RuleRefusal as exc:
        problems.append(("incomplete_or_no_rio", f"{exc}{clause}"))
    if not request.number_active_at_donor:
        problems.append(("number_inactive", f"the number is not active at the donor operator{clause}"))
    if request.pending_elsewhere:
        problems.append(("porting_already_pending", f"a porting of this number is already pending{clause}"))
    return problems
