"""Pure rules of the access-control platform (Rozoh prepaid packs, seed 000).

Credentials and their notations, keypad codes, time slots (*plages horaires*), the access
decision shared by the platform and by the devices, intercom call routing, phone numbers,
pack eligibility and user-record quotas, change-log collapsing. No database, no clock, no I/O:
every date or instant is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import auto

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

from clausier.contracts.rules import add_months
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.message import msg
from clausier.terms.schema import Sourced


class Refused(RefusalCode):
    """Why the access-control rules refuse an input."""

    wiegand_bits_unknown = auto()
    facility_out_of_range = auto()
    card_out_of_range = auto()
    badge_not_hexadecimal = auto()
    badge_bits_out_of_range = auto()
    badge_too_long = auto()
    parity = auto()                     # a Wiegand frame's parity bits are wrong (a typo)
    badge_part_missing = auto()
    badge_format_unknown = auto()
    keypad_code_not_digits = auto()
    keypad_code_length = auto()
    trivial = auto()                    # a keypad code too easy to guess
    time_of_day_malformed = auto()
    time_segment_malformed = auto()
    day_name_unknown = auto()
    day_out_of_range = auto()
    time_segment_reversed = auto()
    time_segments_overlap = auto()
    # What the access services refuse
    credential_kind_unknown = auto()
    credential_keypad_without_access_point = auto()
    credential_twice_in_import = auto()
    device_kind_unknown = auto()
    pack_terms_missing = auto()
    pack_subscription_not_a_pack = auto()
    pack_already_made = auto()
    pack_refused_by_terms = auto()
    pack_record_count_missing = auto()
    pack_extension_not_sold = auto()
    pack_extension_quantity_below_one = auto()
    pack_extension_offer_unknown = auto()
    pack_already_activated = auto()
    pack_suspension_reason_missing = auto()
    record_name_missing = auto()
    record_validity_reversed = auto()
    record_secondary_number_twice = auto()
    record_main_number_missing = auto()
    record_phone_code_malformed = auto()
    record_phone_code_taken = auto()
    record_quota_reached = auto()
    record_import_over_cap = auto()
    access_point_name_missing = auto()
    right_validity_reversed = auto()
    right_holder_missing = auto()
    site_call_timeout_out_of_range = auto()
    site_event_retention_out_of_range = auto()
    site_member_email_malformed = auto()
    site_member_not_a_portal_account = auto()
    site_member_wrong_password = auto()
    site_member_already_added = auto()
    site_member_scope_unknown = auto()
    site_admin_scopes_fixed = auto()
    site_admin_not_removable = auto()
    no_call_service = auto()
    emergency_or_short = auto()
    not_a_number = auto()
    service_number = auto()
    country_not_allowed = auto()


# --------------------------------------------------------------------------- decisions

# Stable reason codes of an access decision (devices log them; never rename one).
GRANTED = "granted"
UNKNOWN_CREDENTIAL = "unknown_credential"
NO_RIGHT = "no_right"
OUTSIDE_TIME_SLOT = "outside_time_slot"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
SUSPENDED = "suspended"
SERVICE_ENDED = "service_ended"
REASONS = (GRANTED, UNKNOWN_CREDENTIAL, NO_RIGHT, OUTSIDE_TIME_SLOT, NOT_YET_VALID, EXPIRED,
           SUSPENDED, SERVICE_ENDED)

# How a person asks to pass: a reader (badge), the HF receiver (remote), the keypad, or the
# "open the door" action of a video call in the app (a service of the platform).
VIAS = ("badge", "remote", "keypad", "app")
CREDENTIAL_KINDS = ("badge", "remote", "keypad")

# Events a device reports (access decisions, intercom calls, door opened from the app).
EVENT_KINDS = ("entry_granted", "entry_denied", "call_placed", "call_answered", "door_opened_app")


# --------------------------------------------------------------------------- badges and remotes

CREDENTIAL_FORMATS = ("wiegand26", "wiegand34", "raw")

# Wiegand layouts: (facility bits, card bits); the frame adds a leading even parity bit over
# the first half of the data and a trailing odd parity bit over the second half.
WIEGAND_LAYOUTS = {26: (8, 16), 34: (16, 16)}
WIEGAND_NAMES = {26: "H10301", 34: "W34"}
MAX_RAW_BITS = 128


@dataclass(frozen=True)
class Badge:
    """A badge or remote as the reader sees it: the raw frame and its bit length (canonical)."""

    raw: int
    bits: int

    @property
    def hex(self) -> str:
        return format(self.raw, f"0{(self.bits + 3) // 4}x")

    @property
    def key(self) -> str:
        return f"{self.hex}/{self.bits}"

    @property
    def facility_card(self) -> tuple[int, int] | None:
        layout = WIEGAND_LAYOUTS.get(self.bits)
        if layout is None or not _parity_ok(self.raw, self.bits):
            return None
        facility_bits, card_bits = layout
        data = (self.raw >> 1) & ((1 << (facility_bits + card_bits)) - 1)
        return data >> card_bits, data & ((1 << card_bits) - 1)

    def displays(self) -> dict[str, str]:
        """Every notation of the same credential (the portal shows them all, stores one)."""
        forms = {"hex": f"0x{self.hex.upper()} ({self.bits} bits)", "decimal": str(self.raw)}
        fc = self.facility_card
        if fc is not None:
            forms["facility_card"] = f"{WIEGAND_NAMES[self.bits]} {fc[0]}/{fc[1]}"
        return forms


def _popcount(value: int) -> int:
    return bin(value).count("1")


def _parity_bits(data: int, data_bits: int) -> tuple[int, int]:
    half = data_bits // 2
    first, second = data >> half, data & ((1 << half) - 1)
    return _popcount(first) % 2, 1 - _popcount(second) % 2   # even, odd


def _parity_ok(raw: int, bits: int) -> bool:
    data_bits = bits - 2
    data = (raw >> 1) & ((1 << data_bits) - 1)
    even, odd = _parity_bits(data, data_bits)
    return (raw >> (bits - 1)) & 1 == even and raw & 1 == odd


def wiegand(bits: int, facility: int, card: int) -> Badge:
    """The frame of a Wiegand 26 (H10301) or 34-bit badge from its facility and card numbers."""
    if bits not in WIEGAND_LAYOUTS:
        raise RuleRefusal(Refused.wiegand_bits_unknown, "bits",
                          f"{bits}: only Wiegand 26 and 34 have a facility/card layout")
    facility_bits, card_bits = WIEGAND_LAYOUTS[bits]
    if not 0 <= facility < 1 << facility_bits:
        raise RuleRefusal(Refused.facility_out_of_range, "facility",
                          f"{facility} is outside 0-{(1 << facility_bits) - 1} for Wiegand {bits}")
    if not 0 <= card < 1 << card_bits:
        raise RuleRefusal(Refused.card_out_of_range, "card",
                          f"{card} is outside 0-{(1 << card_bits) - 1} for Wiegand {bits}")
    data = (facility << card_bits) | card
    even, odd = _parity_bits(data, bits - 2)
    return Badge(raw=(even << (bits - 1)) | (data << 1) | odd, bits=bits)


_HEX = re.compile(r"^(0x)?[0-9a-f]+$")


def raw_badge(value: str, bits: int) -> Badge:
    """A raw frame given in hexadecimal with its bit length; 26/34-bit frames must carry valid
    Wiegand parity (a typo in one digit is caught instead of creating a second badge)."""
    text = value.strip().lower().replace(" ", "").replace(":", "")
    if not _HEX.match(text):
        raise RuleRefusal(Refused.badge_not_hexadecimal, "value",
                          f"{value!r} is not a hexadecimal number")
    if not 1 <= bits <= MAX_RAW_BITS:
        raise RuleRefusal(Refused.badge_bits_out_of_range, "bits",
                          f"{bits} is outside 1-{MAX_RAW_BITS}")
    raw = int(text.removeprefix("0x"), 16)
    if raw >> bits:
        raise RuleRefusal(Refused.badge_too_long, "value", f"0x{raw:X} does not fit in {bits} bits")
    if bits in WIEGAND_LAYOUTS and not _parity_ok(raw, bits):
        raise RuleRefusal(Refused.parity, "value",
                          f"0x{raw:X} has wrong parity bits for Wiegand {bits}")
    return Badge(raw=raw, bits=bits)


def normalise_badge(fmt: str, *, value: str | None = None, facility: int | None = None,
                    card: int | None = None, bits: int | None = None) -> Badge:
    """One canonical (raw, bits) whatever the notation the administrator typed."""
    if fmt == "wiegand26" or fmt == "wiegand34":
        if facility is None or card is None:
            raise RuleRefusal(Refused.badge_part_missing,
                              "facility" if facility is None else "card",
                              f"required for format {fmt}")
        return wiegand(int(fmt[-2:]), facility, card)
    if fmt == "raw":
        if value is None or bits is None:
            raise RuleRefusal(Refused.badge_part_missing, "value" if value is None else "bits",
                              "required for format raw")
        return raw_badge(value, bits)
    raise RuleRefusal(Refused.badge_format_unknown, "format",
                      f"{fmt!r} is not one of {', '.join(CREDENTIAL_FORMATS)}")


def credential_key(kind: str, *, badge: Badge | None = None, code: str | None = None,
                   access_point_id: int | None = None) -> str:
    """The uniqueness key of a credential within a site: a badge or remote by its frame, a
    keypad code by access point (the same code may open two different keypads)."""
    if kind == "keypad":
        return f"keypad:{access_point_id}:{code}"
    return f"{kind}:{badge.key}"


# --------------------------------------------------------------------------- keypad codes

# Platform settings, not contract figures: the seed only says codes are synced (L174-180).
KEYPAD_MIN_DIGITS = 4
KEYPAD_MAX_DIGITS = 8


def check_keypad_code(code: str) -> str:
    """Digits only, 4 to 8 of them, and not guessable at the first tries."""
    code = code.strip()
    if not code.isdigit() or not code.isascii():
        raise RuleRefusal(Refused.keypad_code_not_digits, "code",
                          "a keypad code is made of digits only")
    if not KEYPAD_MIN_DIGITS <= len(code) <= KEYPAD_MAX_DIGITS:
        raise RuleRefusal(Refused.keypad_code_length, "code",
                          f"must have {KEYPAD_MIN_DIGITS} to {KEYPAD_MAX_DIGITS} digits")
    trivial = _trivial_reason(code)
    if trivial:
        raise RuleRefusal(Refused.trivial, "code", f"{code} is too easy to guess ({trivial})")
    return code


def _trivial_reason(code: str) -> str | None:
    if len(set(code)) == 1:
        return "one repeated digit"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(code, code[1:])}
    if steps in ({1}, {9}):
        return "a run of consecutive digits"
    for size in range(2, len(code) // 2 + 1):
        if len(code) % size == 0 and code == code[:size] * (len(code) // size):
            return "a repeated pattern"
    return None


# --------------------------------------------------------------------------- time slots

HOLIDAY = 7       # the public-holiday row of a weekly profile, after Monday=0 … Sunday=6
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
# The same days as a French site administrator writes them when managing the time slots
# (« gestion des plages horaires », seed 000 L210): « sam 10:00-12:00 » is "sat 10:00-12:00".
FRENCH_DAY_NAMES = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim", "férié")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Segment:
    """One opening of a day row: minutes since midnight, end exclusive (1440 = 24:00)."""

    day: int
    start: int
    end: int

    def as_text(self) -> str:
        return f"{DAY_NAMES[self.day]} {_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class TimeProfile:
    """A weekly profile: several segments per day, a holiday row that replaces the weekday's
    on French public holidays, and optional validity dates."""

    id: int
    segments: tuple[Segment, ...]
    valid_from: date | None = None
    valid_until: date | None = None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time(text: str, field_name: str) -> int:
    match = re.fullmatch(r"(\d{1,2})[:h](\d{2})", text.strip())
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and int(match[2])):
        raise RuleRefusal(Refused.time_of_day_malformed, field_name,
                          f"{text!r} is not a time of day HH:MM (00:00-24:00)")
    return int(match[1]) * 60 + int(match[2])


def parse_segment(text: str, field_name: str = "segments") -> Segment:
    """``"mon 08:00-12:00"`` or ``"holiday 10:00-12:00"``."""
    try:
        day_name, hours = text.strip().lower().split(None, 1)
        start_text, end_text = hours.replace(" ", "").split("-")
    except ValueError:
        raise RuleRefusal(Refused.time_segment_malformed, field_name,
                          f"{text!r}: write it as 'mon 08:00-12:00'") from None
    names = DAY_NAMES if day_name in DAY_NAMES else FRENCH_DAY_NAMES
    if day_name not in names:
        raise RuleRefusal(Refused.day_name_unknown, field_name,
                          f"{day_name!r} is not one of {', '.join(DAY_NAMES)} "
                          f"({', '.join(FRENCH_DAY_NAMES)})")
    return make_segment(names.index(day_name), parse_time(start_text, field_name),
                        parse_time(end_text, field_name), field_name)


def make_segment(day: int, start: int, end: int, field_name: str = "segments") -> Segment:
    if not 0 <= day <= HOLIDAY:
        raise RuleRefusal(Refused.day_out_of_range, field_name,
                          f"day {day} is outside 0 (Monday) - 7 (public holiday)")
    if not 0 <= start < end <= MINUTES_PER_DAY:
        raise RuleRefusal(Refused.time_segment_reversed, field_name,
                          f"{_hhmm(start)}-{_hhmm(end)}: the start must come before "
                          "the end, within one day")
    return Segment(day, start, end)


def check_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Sorted segments; two overlapping segments of one row are refused (a typo, surely)."""
    ordered = tuple(sorted(segments, key=lambda s: (s.day, s.start)))
    for previous, current in zip(ordered, ordered[1:]):
        if previous.day == current.day and current.start < previous.end:
            raise RuleRefusal(Refused.time_segments_overlap, "segments",
                              f"{previous.as_text()} and {current.as_text()} overlap")
    return ordered


def in_time_slot(profile: TimeProfile, at: datetime, holidays: frozenset[date] | set[date]) -> bool:
    """Whether the local wall-clock instant ``at`` falls in the profile (holiday row on public
    holidays, else the weekday's row; outside the validity dates nothing is open)."""
    day = at.date()
    if profile.valid_from and day < profile.valid_from:
        return False
    if profile.valid_until and day > profile.valid_until:
        return False
    row = HOLIDAY if day in holidays else at.weekday()
    minute = at.hour * 60 + at.minute
    return any(s.day == row and s.start <= minute < s.end for s in profile.segments)


# --------------------------------------------------------------------------- the decision

@dataclass(frozen=True)
class RecordRules:
    id: int
    name: str
    valid_from: date | None
    valid_until: date | None
    suspended: bool
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Right:
    access_point_id: int
    profile_id: int
    record_id: int | None = None
    group: str | None = None


@dataclass
class SiteConfig:
    """What a decision needs, indexed: built from a snapshot by the platform and by devices."""

    version: int
    service_until: date | None
    credentials: dict[str, tuple[int, int]]          # key -> (credential id, record id)
    records: dict[int, RecordRules]
    profiles: dict[int, TimeProfile]
    rights_by_record: dict[int, list[Right]] = field(default_factory=dict)
    rights_by_group: dict[str, list[Right]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    # The pack's associated services are suspended (CP A art. 3 L279-281): devices learn it
    # from the platform's refusal to synchronise; the platform from the subscription.
    services_suspended: bool = False

    @classmethod
    def from_snapshot(cls, snapshot: Mapping) -> SiteConfig:
        site = snapshot["site"]
        config = cls(
            version=site["version"],
            service_until=_day(site.get("service_until")),
            credentials={c["key"]: (c["id"], c["record_id"]) for c in snapshot["credentials"]},
            records={r["id"]: RecordRules(r["id"], r["display_name"], _day(r["valid_from"]),
                                          _day(r["valid_until"]), bool(r["suspended"]),
                                          tuple(r["groups"]))
                     for r in snapshot["records"]},
            profiles={p["id"]: TimeProfile(p["id"], tuple(Segment(*s) for s in p["segments"]),
                                           _day(p["valid_from"]), _day(p["valid_until"]))
                      for p in snapshot["profiles"]},
            holidays=frozenset(date.fromisoformat(d) for d in snapshot["holidays"]),
            services_suspended=bool(site.get("services_suspended", False)),
        )
        for r in snapshot["rights"]:
            right = Right(r["access_point_id"], r["profile_id"], r["record_id"], r["group"])
            if right.record_id is not None:
                config.rights_by_record.setdefault(right.record_id, []).append(right)
            else:
                config.rights_by_group.setdefault(right.group, []).append(right)
        return config


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass(frozen=True)
class Presented:
    """A request to pass: ``key`` is a credential key (badge, remote, keypad), or
    ``record_id`` for the app's door-open action during a video call."""

    via: str
    access_point_id: int
    at: datetime
    key: str | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str
    record_id: int | None = None
    credential_id: int | None = None

    def as_dict(self) -> dict:
        return {"granted": self.granted, "reason": self.reason, "record_id": self.record_id,
                "credential_id": self.credential_id}


def decide(config: SiteConfig, presented: Presented) -> Decision:
    """The access decision, in a fixed order of checks so that the reason is stable.

    Local credentials (badge, remote, keypad) keep working after the service period: the
    hardware is the client's and the seed ends only the associated services (CP A art. 2).
    The app's door-open action *is* such a service, so it stops at the end, and while the
    services are suspended (CP A art. 3 L279-281), with those reasons."""
    day = presented.at.date()
    if presented.via == "app":
        if config.service_until is not None and day > config.service_until:
            return Decision(False, SERVICE_ENDED, presented.record_id)
        if config.services_suspended:
            return Decision(False, SUSPENDED, presented.record_id)
        record_id, credential_id = presented.record_id, None
    else:
        found = config.credentials.get(presented.key or "")
        if found is None:
            return Decision(False, UNKNOWN_CREDENTIAL)
        credential_id, record_id = found
    record = config.records.get(record_id)
    if record is None:
        return Decision(False, UNKNOWN_CREDENTIAL, None, credential_id)
    if record.suspended:
        return Decision(False, SUSPENDED, record.id, credential_id)
    if record.valid_from and day < record.valid_from:
        return Decision(False, NOT_YET_VALID, record.id, credential_id)
    if record.valid_until and day > record.valid_until:
        return Decision(False, EXPIRED, record.id, credential_id)
    rights = [r for r in config.rights_by_record.get(record.id, ())
              if r.access_point_id == presented.access_point_id]
    for group in record.groups:
        rights += [r for r in config.rights_by_group.get(group, ())
                   if r.access_point_id == presented.access_point_id]
    if not rights:
        return Decision(False, NO_RIGHT, record.id, credential_id)
    for right in rights:
        profile = config.profiles.get(right.profile_id)
        if profile is not None and in_time_slot(profile, presented.at, config.holidays):
            return Decision(True, GRANTED, record.id, credential_id)
    return Decision(False, OUTSIDE_TIME_SLOT, record.id, credential_id)


# --------------------------------------------------------------------------- phone numbers

def call_destinations(site_country: str, sheet_countries: Iterable[str]) -> frozenset[str]:
    """Countries a record's numbers may be in: the sheet's list (ISO regions such as PT-20 count
    as their country) plus the site's country. An empty sheet list means the pack has no call
    service at all (variant B) — then nothing is allowed."""
    listed = {code.split("-")[0].upper() for code in sheet_countries}
    return frozenset(listed | {site_country.upper()}) if listed else frozenset()


# CP A art. 1: only the users' own numbers, "à l'exclusion de tout autre numéro".
OWN_NUMBERS_ONLY = "CP A art. 1 L79-83"


def accept_phone(text: str, site_country: str, destinations: frozenset[str],
                 clause: str = "") -> str:
    """The E.164 form of a user's phone number, or a refusal naming why (CP A art. 1 L79-83:
    only the users' own numbers, never an emergency number; L86-88: listed countries only)."""
    if not destinations:
        raise RuleRefusal(Refused.no_call_service, "phone", "this pack has no intercom call service"
                          + (f" ({clause})" if clause else ""), clause)
    raw = text.strip()
    if shortnumberinfo.is_emergency_number(raw, site_country) or (
            len(re.sub(r"\D", "", raw)) <= 6 and not raw.startswith("+")):
        raise RuleRefusal(Refused.emergency_or_short, "phone",
                          f"{raw!r} is an emergency or short number, not a user's number "
                          f"({OWN_NUMBERS_ONLY})", OWN_NUMBERS_ONLY)
    try:
        number = phonenumbers.parse(raw, site_country)
    except phonenumbers.NumberParseException:
        raise RuleRefusal(Refused.not_a_number, "phone", f"{raw!r} is not a phone number") from None
    if shortnumberinfo.is_valid_short_number(number) or shortnumberinfo.connects_to_emergency_number(
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), site_country):
        raise RuleRefusal(Refused.emergency_or_short, "phone",
                          f"{raw!r} is an emergency or short number, not a user's number "
                          f"({OWN_NUMBERS_ONLY})", OWN_NUMBERS_ONLY)
    if not phonenumbers.is_valid_number(number):
        raise RuleRefusal(Refused.not_a_number, "phone", f"{raw!r} is not a valid number")
    if phonenumbers.number_type(number) in (PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST,
                                            PhoneNumberType.UAN):
        raise RuleRefusal(Refused.service_number, "phone",
                          f"{raw!r} is a service number, not a user's number ({OWN_NUMBERS_ONLY})",
                          OWN_NUMBERS_ONLY)
    region = phonenumbers.region_code_for_number(number)
    if region not in destinations:
        raise RuleRefusal(Refused.country_not_allowed, "phone",
                          f"{raw!r} is in {region}, outside the allowed call destinations "
                          f"({', '.join(sorted(destinations))})"
                          + (f" ({clause})" if clause else ""), clause)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --------------------------------------------------------------------------- call routing

CALL_OUTCOMES = ("answered", "busy", "no_answer")


@dataclass(frozen=True)
class CallStep:
    """One leg of the plan: ``audio`` to a phone number (rings ``ring_seconds``, then the next
    leg on busy or no answer) or ``video`` to an app user (with the door-open action)."""

    order: int
    channel: str
    target: str
    ring_seconds: int | None
    next_on: tuple[str, ...]
    door_open: bool
    clause: str


@dataclass(frozen=True)
class CallPlan:
    record_id: int
    display_name: str
    steps: tuple[CallStep, ...]

    def as_dict(self) -> dict:
        return {"record_id": self.record_id, "display_name": self.display_name,
                "steps": [s.__dict__ for s in self.steps]}


def call_plan(record_id: int, display_name: str, main_number: str | None,
              secondary_numbers: Iterable[str], app_users: Iterable[str], timeout_seconds: int,
              triggers: tuple[str, ...] = ("busy", "no_answer")) -> CallPlan:
    """Video calls to the app users ring at once with the main number (CP A art. 1 L90-117);
    the main number first, then each secondary in the administrator's order on busy or no
    answer after the site's timeout (L67-77, reading ROZ-CALL-HUNT)."""
    steps: list[CallStep] = []
    for user in app_users:
        steps.append(CallStep(0, "video", user, timeout_seconds, (), True, "CP A art. 1 L90-117"))
    numbers = ([main_number] if main_number else []) + list(secondary_numbers)
    for index, number in enumerate(numbers, start=1):
        last = index == len(numbers)
        steps.append(CallStep(index, "audio", number, timeout_seconds, () if last else triggers,
                              False, "CP A art. 1 L67-72" if index == 1 else "CP A art. 1 L73-77"))
    return CallPlan(record_id, display_name, tuple(steps))


@dataclass(frozen=True)
class CallTrace:
    attempts: tuple[tuple[str, str, str], ...]       # (channel, target, outcome)
    answered_by: str | None
    door_open_offered: bool


def run_call(plan: CallPlan, outcomes: Mapping[str, str]) -> CallTrace:
    """Play the plan against what each target does (unknown targets do not answer)."""
    attempts: list[tuple[str, str, str]] = []
    for step in (s for s in plan.steps if s.channel == "video"):
        outcome = outcomes.get(step.target, "no_answer")
        attempts.append(("video", step.target, outcome))
        if outcome == "answered":
            return CallTrace(tuple(attempts), step.target, True)
    for step in (s for s in plan.steps if s.channel == "audio"):
        outcome = outcomes.get(step.target, "no_answer")
        attempts.append(("audio", step.target, outcome))
        if outcome == "answered":
            return CallTrace(tuple(attempts), step.target, False)
        if outcome not in step.next_on:
            break
    return CallTrace(tuple(attempts), None, False)


# --------------------------------------------------------------------------- packs

@dataclass(frozen=True)
class Refusal:
    field: str
    reason: str
    clause: str


def pack_refusals(customer_category: str, customer_country: str, site_country: str,
                  allowed_categories: tuple[str, tuple[str, ...]] | None,
                  same_country: tuple[str, bool] | None) -> list[Refusal]:
    """Why a pack may not be sold to this customer for this site (empty list: it may).
    Each sheet figure comes as (clause, value)."""
    refusals = []
    if allowed_categories is not None:
        clause, categories = allowed_categories
        if customer_category not in categories:
            refusals.append(Refusal("customer.category",
                                    f"{customer_category!r} is not one of {', '.join(categories)}",
                                    clause))
    if same_country is not None and same_country[1] and site_country.upper() != customer_country.upper():
        refusals.append(Refusal("site.country", f"the site is in {site_country}, the pack was "
                                                f"bought in {customer_country}", same_country[0]))
    return refusals


def record_quota_refusal(current: int, cap: int, clause: str) -> Refusal | None:
    """A new user record beyond the cap is refused with the offer of an extension (reading
    ROZ-RECORD-QUOTA: the ordered number is a cap)."""
    if current + 1 <= cap:
        return None
    return Refusal("records", f"the pack serves {cap} user records and {current} exist; buy an "
                              "extension to add more", clause)


@dataclass(frozen=True)
class ServiceState:
    state: str                 # not_started | active | ended
    start: date | None
    end: date | None           # last day of service

    @property
    def syncs(self) -> bool:
        return self.state == "active"


def service_state(start: date | None, end: date | None, day: date) -> ServiceState:
    if start is None or day < start:
        return ServiceState("not_started", start, end)
    if end is not None and day > end:
        return ServiceState("ended", start, end)
    return ServiceState("active", start, end)


def sync_refusal(state: ServiceState, suspended: bool, service_months: Sourced[int] | None,
                 suspension: Sourced[bool] | None, reason: str = "") -> tuple[str, str] | None:
    """(reason code, message) when the platform no longer synchronises a site: its service
    period has ended (the sheet's months of service), or its services are suspended (the
    sheet's suspension clause, and the reason the operator gave)."""
    if state.state == "ended":
        return SERVICE_ENDED, (
            msg("the service period ended on {date} — {months} months, {clause}: changes are no "
                "longer synchronised", date=state.end.isoformat(), months=service_months.value,
                clause=service_months.clause) if service_months else
            msg("the service period ended on {date}: changes are no longer synchronised",
                date=state.end.isoformat()))
    if suspended:
        return SUSPENDED, msg("the associated services are suspended{clause}{reason}",
                              clause=f" — {suspension.clause}" if suspension else "",
                              reason=f": {reason}" if reason else "")
    return None


def end_warning_dates(end: date, months_before: Iterable[int]) -> dict[int, date]:
    """When to warn: N months before the first day without service."""
    first_day_after = end + timedelta(days=1)
    return {months: add_months(first_day_after, -months) for months in months_before}


def ends_within(end: date | None, day: date, months: int) -> bool:
    """Whether a service period ends within ``months`` from ``day`` (the operator's expiry list)."""
    return end is not None and day <= end < add_months(day, months)


# --------------------------------------------------------------------------- sync

# What a device holds, by kind of object (snapshot keys, delta keys, change-log entities).
ENTITIES = ("records", "credentials", "access_points", "profiles", "rights")


def collapse_changes(changes: Iterable[tuple[int, str, int, str]]
                     ) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """(version, entity, id, op) rows → the ids to send again and the ids to delete, per
    entity: only the last operation on an object counts."""
    last: dict[tuple[str, int], str] = {}
    for _, entity, entity_id, op in sorted(changes):
        last[(entity, entity_id)] = op
    upserts: dict[str, set[int]] = {}
    deletes: dict[str, set[int]] = {}
    for (entity, entity_id), op in last.items():
        (deletes if op == "delete" else upserts).setdefault(entity, set()).add(entity_id)
    return upserts, deletes
