"""French business calendar used by the terms of sale.

Everything here is pure: no database, no wall clock, no I/O. Public holidays
come from the ``holidays`` package (metropolitan France by default), local
time is ``Europe/Paris``.

Day kinds (:class:`DayKind`):

* ``calendar`` — every day counts;
* ``ouvres`` — *jours ouvrés*: Monday to Friday, public holidays excluded;
* ``ouvrables`` — *jours ouvrables*: Monday to Saturday, public holidays excluded.

Opening hours (:class:`OpeningHours`) describe when a desk is open, e.g. the
*heures ouvrées* of a support desk; :class:`BusinessCalendar` combines them
with the holidays to add or count days and business time.

Time conventions:

* instants are timezone-aware :class:`~datetime.datetime` objects (any zone;
  results are returned in ``Europe/Paris``); a naive datetime raises
  :class:`ValueError` naming the parameter;
* opening segments are half-open ``[start, end)`` in local wall time, and each
  day's segments are converted to absolute instants before any arithmetic, so
  DST changes are handled exactly (a 24 h day is 23 h long in March and 25 h
  long in October);
* a wall time that does not exist (spring-forward gap) stands for the instant
  of the clock change; an ambiguous wall time (fall-back hour) stands for its
  first occurrence. This keeps segments ordered and non-overlapping.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "PARIS",
    "BusinessCalendar",
    "DayKind",
    "OpeningHours",
    "Segment",
]

from clausier.core.clock import PARIS  # noqa: E402  (one definition of the zone)
_UTC = timezone.utc
_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)

#: A (start, end) pair of local wall times; an end of ``time(0)`` means 24:00.
Segment = tuple[time, time]

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(_DAY_NAMES)},
    **{name: i for i, name in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
        )
    },
}

# "8:00-18:00", "08:30 – 17:30", "8h-12h30", "00:00-24:00"
_TIME = r"(\d{1,2})(?:[:hH](\d{2})?)?"
_SEGMENT_RE = re.compile(rf"^\s*{_TIME}\s*[-–—]\s*{_TIME}\s*$")


class DayKind(enum.StrEnum):
    """Which days count when adding or counting days."""

    CALENDAR = "calendar"
    #: *jours ouvrés*: Monday–Friday, not a public holiday.
    OUVRES = "ouvres"
    #: *jours ouvrables*: Monday–Saturday, not a public holiday.
    OUVRABLES = "ouvrables"


# Number of counted weekdays per week and the first weekday that is not counted.
_WEEKDAY_LIMIT = {DayKind.OUVRES: 5, DayKind.OUVRABLES: 6}


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=512)
def _holidays_for_year(year: int, subdiv: str | None) -> Mapping[date, str]:
    # One ``holidays`` object per (year, subdivision): building it is the slow part. Imported
    # here, as it loads the calendars of every country: commands that count no day skip it.
    import holidays

    return dict(holidays.France(years=year, subdiv=subdiv, language="fr"))


def _require_date(value: object, name: str) -> date:
    # datetime is a subclass of date; accepting it would silently drop the time.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value


def _require_aware(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(_UTC)


def _require_kind(kind: object) -> DayKind:
    try:
        return DayKind(kind)
    except ValueError:
        raise ValueError(
            f"kind must be one of {', '.join(k.value for k in DayKind)}, got {kind!r}"
        ) from None


def _wall_to_utc(day: date, wall: time) -> datetime:
    """Absolute instant for a local wall time (see the module docstring for gaps/folds)."""
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=PARIS)  # fold=0: first occurrence when ambiguous
    utc = first.astimezone(_UTC)
    if utc.astimezone(PARIS).replace(tzinfo=None) == naive:
        return utc
    # Nonexistent wall time (spring-forward gap): use the instant of the change, which
    # lies between the readings with the "after" offset and the "before" offset.
    lo = naive.replace(tzinfo=PARIS, fold=1).astimezone(_UTC)  # before the change
    hi = utc  # after the change
    target = hi.astimezone(PARIS).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(PARIS).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


def _parse_wall_time(hours: str, minutes: str | None, *, is_end: bool) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0 and is_end:
        return time(0)  # 24:00 is stored as midnight, the end of the day
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"{hours}:{minutes or '00'} is not a valid time of day")
    return time(h, m)


def _end_key(end: time) -> timedelta:
    # Orders segment ends with midnight meaning 24:00.
    if end == time(0):
        return timedelta(hours=24)
    return timedelta(hours=end.hour, minutes=end.minute, seconds=end.second,
                     microseconds=end.microsecond)


def _start_key(start: time) -> timedelta:
    return timedelta(hours=start.hour, minutes=start.minute, seconds=start.second,
                     microseconds=start.microsecond)


def _normalise_day(day_label: str, segments: Iterable[Segment]) -> tuple[Segment, ...]:
    cleaned: list[Segment] = []
    for seg in segments:
        try:
            start, end = seg
        except (TypeError, ValueError):
            raise ValueError(
                f"opening hours for {day_label!r}: segment {seg!r} is not a (start, end) pair"
            ) from None
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(
                f"opening hours for {day_label!r}: segment {seg!r} must hold datetime.time values"
            )
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(
                f"opening hours for {day_label!r}: segment times are local wall times, "
                "they must not carry a tzinfo"
            )
        start, end = start.replace(fold=0), end.replace(fold=0)
        if _start_key(start) >= _end_key(end):
            raise ValueError(
                f"opening hours for {day_label!r}: segment "
                f"{start.isoformat()}-{end.isoformat()} does not end after it starts"
            )
        cleaned.append((start, end))
    cleaned.sort(key=lambda s: _start_key(s[0]))
    merged: list[Segment] = []
    for start, end in cleaned:
        if merged and _start_key(start) < _end_key(merged[-1][1]):
            prev = merged[-1]
            raise ValueError(
                f"opening hours for {day_label!r}: segments "
                f"{prev[0].isoformat()}-{prev[1].isoformat()} and "
                f"{start.isoformat()}-{end.isoformat()} overlap"
            )
        if merged and _start_key(start) == _end_key(merged[-1][1]):
            # Touching segments (08:00-12:00, 12:00-14:00) are one opening.
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


# --------------------------------------------------------------------------- opening hours


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours in ``Europe/Paris`` wall time.

    ``weekly`` maps a weekday (0 = Monday … 6 = Sunday) to a tuple of
    ``(start, end)`` :class:`~datetime.time` segments, half-open ``[start, end)``;
    an end of ``time(0)`` means 24:00. A mapping may be given to the constructor;
    it is normalised to a 7-tuple indexed by weekday (so the value stays hashable),
    with segments sorted, touching segments merged and overlaps rejected.

    Public holidays are closed unless ``open_on_holidays`` is true.
    """

    weekly: tuple[tuple[Segment, ...], ...] = field(default=((),) * 7)
    open_on_holidays: bool = False

    def __post_init__(self) -> None:
        raw = self.weekly
        if isinstance(raw, Mapping):
            days: list[tuple[Segment, ...]] = [()] * 7
            for key, segments in raw.items():
                if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 6:
                    raise ValueError(f"opening hours: weekday {key!r} is not an int in 0..6")
                days[key] = _normalise_day(_DAY_NAMES[key], segments)
        else:
            if len(raw) != 7:
                raise ValueError(f"opening hours: expected 7 weekdays, got {len(raw)}")
            days = [_normalise_day(_DAY_NAMES[i], segs) for i, segs in enumerate(raw)]
        object.__setattr__(self, "weekly", tuple(days))
        object.__setattr__(self, "open_on_holidays", bool(self.open_on_holidays))

    # -- presets -----------------------------------------------------------------

    @classmethod
    def heures_ouvrees(cls) -> OpeningHours:
        """*Heures ouvrées* of the Technicophone support desk: Mon–Fri 08:30–17:30."""
        seg = ((time(8, 30), time(17, 30)),)
        return cls({i: seg for i in range(5)})

    @classmethod
    def around_the_clock(cls) -> OpeningHours:
        """24h/24 7j/7, public holidays included."""
        seg = ((time(0), time(0)),)
        return cls({i: seg for i in range(7)}, open_on_holidays=True)

    @classmethod
    def from_mapping(
        cls,
        mapping: Mapping[str | int, str | Sequence[str] | None],
        *,
        open_on_holidays: bool = False,
    ) -> OpeningHours:
        """Parse opening hours as written in a term sheet.

        Keys are weekdays: ``mon``…``sun`` (also full English names, French
        ``lun``…``dim`` / ``lundi``…``dimanche``, or ints 0–6), case-insensitive.
        Values are a segment string or a list of them, e.g. ``"08:00-18:00"``,
        ``"8h-12h30"``, ``"00:00-24:00"``; an empty list or ``None`` means closed.
        Missing days are closed. Bad text raises :class:`ValueError` naming the
        day and the reason.
        """
        if not isinstance(mapping, Mapping):
            raise ValueError(f"opening hours must be a mapping of weekdays, got {mapping!r}")
        days: dict[int, tuple[Segment, ...]] = {}
        for key, value in mapping.items():
            if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
                index = key
            elif isinstance(key, str) and key.strip().lower() in _DAY_ALIASES:
                index = _DAY_ALIASES[key.strip().lower()]
            else:
                raise ValueError(f"opening hours: {key!r} is not a weekday (use mon..sun)")
            label = _DAY_NAMES[index]
            if index in days:
                raise ValueError(f"opening hours for {label!r}: day given more than once")
            if value is None:
                texts: Sequence[str] = ()
            elif isinstance(value, str):
                texts = (value,)
            elif isinstance(value, Sequence):
                texts = value
            else:
                raise ValueError(
                    f"opening hours for {label!r}: expected a string or a list of strings, "
                    f"got {value!r}"
                )
            segments: list[Segment] = []
            for text in texts:
                if not isinstance(text, str):
                    raise ValueError(
                        f"opening hours for {label!r}: segment {text!r} is not a string"
                    )
                match = _SEGMENT_RE.match(text)
                if match is None:
                    raise ValueError(
                        f"opening hours for {label!r}: cannot read {text!r} "
                        "(expected e.g. '08:00-18:00')"
                    )
                try:
                    start = _parse_wall_time(match[1], match[2], is_end=False)
                    end = _parse_wall_time(match[3], match[4], is_end=True)
                except ValueError as exc:
                    raise ValueError(f"opening hours for {label!r}: {exc}") from None
                segments.append((start, end))
            days[index] = _normalise_day(label, segments)
        return cls(days, open_on_holidays=open_on_holidays)

    # -- queries -----------------------------------------------------------------

    def segments(self, weekday: int) -> tuple[Segment, ...]:
        """Segments of a weekday (0 = Monday)."""
        return self.weekly[weekday]

    @property
    def is_never_open(self) -> bool:
        return not any(self.weekly)


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """French public holidays combined with opening hours.

    ``subdiv`` is passed to ``holidays.France`` (e.g. ``"57"`` for Moselle, which
    adds Good Friday and 26 December); ``None`` means metropolitan France.
    """

    opening_hours: OpeningHours
    subdiv: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.opening_hours, OpeningHours):
            raise TypeError("opening_hours must be an OpeningHours")
        import holidays

        try:
            holidays.France(subdiv=self.subdiv)
        except NotImplementedError as exc:
            raise ValueError(f"subdiv {self.subdiv!r} is not a French subdivision") from exc

    # -- days ----------------------------------------------------------------------

    def _holidays(self, year: int) -> Mapping[date, str]:
        return _holidays_for_year(year, self.subdiv)

    def is_holiday(self, d: date) -> bool:
        """Whether ``d`` is a public holiday (*jour férié*)."""
        d = _require_date(d, "d")
        return d in self._holidays(d.year)

    def holiday_name(self, d: date) -> str | None:
        """French name of the public holiday on ``d`` (e.g. ``"Lundi de Pentecôte"``)."""
        d = _require_date(d, "d")
        return self._holidays(d.year).get(d)

    def is_business_day(self, d: date, kind: DayKind) -> bool:
        """Whether ``d`` counts for ``kind`` (every day counts for ``calendar``)."""
        d = _require_date(d, "d")
        kind = _require_kind(kind)
        if kind is DayKind.CALENDAR:
            return True
        return d.weekday() < _WEEKDAY_LIMIT[kind] and d not in self._holidays(d.year)

    def count_days(self, start: date, end: date, kind: DayKind) -> int:
        """Number of ``kind`` days in ``(start, end]``; 0 when ``end <= start``.

        Inverse of :meth:`add_days`: ``count_days(d, add_days(d, n, k), k) == n``.
        Computed arithmetically (weeks, then holidays), not day by day.
        """
        start = _require_date(start, "start")
        end = _require_date(end, "end")
        kind = _require_kind(kind)
        if end <= start:
            return 0
        span = (end - start).days
        if kind is DayKind.CALENDAR:
            return span
        limit = _WEEKDAY_LIMIT[kind]
        weeks, rest = divmod(span, 7)
        count = weeks * limit
        first = start.weekday()
        count += sum(1 for i in range(1, rest + 1) if (first + i) % 7 < limit)
        for year in range(start.year, end.year + 1):
            count -= sum(
                1
                for h in self._holidays(year)
                if start < h <= end and h.weekday() < limit
            )
        return count

    def add_days(self, d: date, n: int, kind: DayKind) -> date:
        """The ``n``-th ``kind`` day strictly after ``d`` (``n == 0`` returns ``d``).

        For ``calendar`` this is ``d + n`` days. ``d`` itself need not be a
        business day: one *jour ouvré* after a Saturday is the next working Monday.
        """
        d = _require_date(d, "d")
        kind = _require_kind(kind)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if kind is DayKind.CALENDAR:
            return d + timedelta(days=n)
        per_week = _WEEKDAY_LIMIT[kind]
        current, remaining = d, n
        while remaining > 0:
            # Jump whole weeks while that cannot overshoot (holidays only lower the
            # count and at least one day is left), then walk the last days.
            weeks = (remaining - 1) // per_week
            if weeks > 0:
                target = current + timedelta(weeks=weeks)
                remaining -= self.count_days(current, target, kind)
                current = target
                continue
            current += _ONE_DAY
            if self.is_business_day(current, kind):
                remaining -= 1
        return current

    # -- opening hours ---------------------------------------------------------------

    def _open_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Open ``[start, end)`` UTC intervals of a local day, in order.

        They all lie within the day's ``[00:00, 24:00)`` local span, so walking the
        days in order walks the intervals in order.
        """
        segments = self.opening_hours.weekly[day.weekday()]
        if not segments:
            return ()
        if not self.opening_hours.open_on_holidays and day in self._holidays(day.year):
            return ()
        out: list[tuple[datetime, datetime]] = []
        for start, end in segments:
            s = _wall_to_utc(day, start)
            e = _wall_to_utc(day + _ONE_DAY, end) if end == time(0) else _wall_to_utc(day, end)
            if e > s:  # a segment entirely inside the spring-forward gap is empty
                out.append((s, e))
        return tuple(out)

    def _intervals_from(self, t: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals ending after UTC instant ``t``, in order, without end."""
        if self.opening_hours.is_never_open:
            raise ValueError("opening hours are never open")
        day = t.astimezone(PARIS).date()
        while True:
            for s, e in self._open_intervals(day):
                if e > t:
                    yield s, e
            day += _ONE_DAY

    def is_open(self, instant: datetime) -> bool:
        """Whether the desk is open at ``instant`` (segment ends are closed)."""
        t = _require_aware(instant, "instant")
        day = t.astimezone(PARIS).date()
        return any(s <= t < e for s, e in self._open_intervals(day))

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` itself if open, else the start of the next open segment.

        Returned in ``Europe/Paris``. Raises :class:`ValueError` if the opening
        hours are never open.
        """
        t = _require_aware(instant, "instant")
        for s, _e in self._intervals_from(t):
            return max(s, t).astimezone(PARIS)
        raise AssertionError("unreachable")  # pragma: no cover

    def add_business_time(self, instant: datetime, duration: timedelta) -> datetime:
        """Add ``duration`` of open time to ``instant``.

        Conventions:

        * a zero duration returns ``instant`` unchanged (converted to
          ``Europe/Paris``), even if the desk is closed then: the clock did not run;
        * otherwise time only runs while open; if ``instant`` is closed, counting
          starts at the next opening;
        * a target landing exactly at the end of a segment stays there (e.g.
          Friday 16:30 + 1 h with 08:30–17:30 hours is Friday 17:30, not the next
          opening). So for a positive duration the result is always open, or
          exactly a closing instant, and never on a closed holiday.

        Walks whole segments and days, never minute by minute. Raises
        :class:`ValueError` for a negative duration or hours that are never open.
        """
        t = _require_aware(instant, "instant")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
        if duration < timedelta(0):
            raise ValueError(f"duration must be >= 0, got {duration}")
        if duration == timedelta(0):
            return t.astimezone(PARIS)
        remaining = duration
        for s, e in self._intervals_from(t):
            begin = max(s, t)
            available = e - begin
            if remaining <= available:
                return (begin + remaining).astimezone(PARIS)
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def add_business_minutes(self, instant: datetime, minutes: int) -> datetime:
        """:meth:`add_business_time` with a whole number of minutes (``minutes >= 0``)."""
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise TypeError(f"minutes must be an int, got {type(minutes).__name__}")
        if minutes < 0:
            raise ValueError(f"minutes must be >= 0, got {minutes}")
        return self.add_business_time(instant, minutes * _ONE_MINUTE)

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time within ``[a, b)``; ``timedelta(0)`` when ``b <= a``.

        Exact (microsecond precision) and DST-aware: an around-the-clock desk has
        23 h between noon on the Saturday and noon on the Sunday of the March change.
        """
        ta = _require_aware(a, "a")
        tb = _require_aware(b, "b")
        total = timedelta(0)
        if tb <= ta:
            return total
        day = ta.astimezone(PARIS).date()
        last = tb.astimezone(PARIS).date()
        while day <= last:
            for s, e in self._open_intervals(day):
                lo, hi = max(s, ta), min(e, tb)
                if hi > lo:
                    total += hi - lo
            day += _ONE_DAY
        return total

    def business_minutes_between(self, a: datetime, b: datetime) -> int:
        """:meth:`business_time_between` in whole minutes, truncated (floor)."""
        return self.business_time_between(a, b) // _ONE_MINUTE
