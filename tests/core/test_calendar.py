"""Rules of the French business calendar (clausier.core.calendar)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausier.core.calendar import PARIS, BusinessCalendar, DayKind, OpeningHours

UTC = timezone.utc

HEURES_OUVREES = BusinessCalendar(OpeningHours.heures_ouvrees())
AROUND_THE_CLOCK = BusinessCalendar(OpeningHours.around_the_clock())
# Access-control support desk: business days 8:00-18:00, Friday until 17:00.
ACCESS_CONTROL = BusinessCalendar(
    OpeningHours.from_mapping(
        {
            "mon": ["08:00-18:00"],
            "tue": ["08:00-18:00"],
            "wed": ["08:00-18:00"],
            "thu": ["08:00-18:00"],
            "fri": ["08:00-17:00"],
        }
    )
)
# Split hours with a lunch break and Saturday morning, to exercise several segments a day.
SPLIT = BusinessCalendar(
    OpeningHours.from_mapping(
        {
            "mon": ["09:00-12:00", "14:00-18:00"],
            "tue": ["09:00-12:00", "14:00-18:00"],
            "wed": ["09:00-12:00", "14:00-18:00"],
            "thu": ["09:00-12:00", "14:00-18:00"],
            "fri": ["09:00-12:00", "14:00-17:00"],
            "sat": ["9h-12h"],
        }
    )
)


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)


# --------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Jour de l'an"),
        (date(2026, 4, 6), "Lundi de Pâques"),
        (date(2026, 5, 1), "Fête du Travail"),
        (date(2026, 5, 8), "Fête de la Victoire"),
        (date(2026, 5, 14), "Ascension"),
        (date(2026, 5, 25), "Lundi de Pentecôte"),
        (date(2026, 7, 14), "Fête nationale"),
        (date(2026, 8, 15), "Assomption"),
        (date(2026, 11, 1), "Toussaint"),
        (date(2026, 11, 11), "Armistice"),
        (date(2026, 12, 25), "Noël"),
        (date(2025, 6, 9), "Lundi de Pentecôte"),
    ],
)
def test_french_public_holidays_are_holidays(day: date, name: str) -> None:
    assert HEURES_OUVREES.is_holiday(day)
    assert HEURES_OUVREES.holiday_name(day) == name


def test_ordinary_days_and_alsace_moselle_days_are_not_holidays_in_metropolitan_france() -> None:
    for day in (date(2026, 5, 22), date(2026, 4, 3), date(2026, 12, 26), date(2025, 6, 2)):
        assert not HEURES_OUVREES.is_holiday(day)
        assert HEURES_OUVREES.holiday_name(day) is None


def test_moselle_subdivision_adds_good_friday_and_saint_etienne() -> None:
    moselle = BusinessCalendar(OpeningHours.heures_ouvrees(), subdiv="57")
    assert moselle.is_holiday(date(2026, 4, 3))
    assert moselle.is_holiday(date(2026, 12, 26))


def test_unknown_subdivision_is_rejected() -> None:
    with pytest.raises(ValueError, match="subdiv"):
        BusinessCalendar(OpeningHours.heures_ouvrees(), subdiv="XX")


# --------------------------------------------------------------------------- day kinds


def test_day_kinds_are_str_enum_values() -> None:
    assert [k.value for k in DayKind] == ["calendar", "ouvres", "ouvrables"]
    assert HEURES_OUVREES.is_business_day(date(2026, 5, 23), "ouvrables")


def test_jours_ouvres_are_monday_to_friday_except_holidays() -> None:
    cal = HEURES_OUVREES
    assert cal.is_business_day(date(2026, 5, 22), DayKind.OUVRES)  # Friday
    assert not cal.is_business_day(date(2026, 5, 23), DayKind.OUVRES)  # Saturday
    assert not cal.is_business_day(date(2026, 5, 24), DayKind.OUVRES)  # Sunday
    assert not cal.is_business_day(date(2026, 5, 25), DayKind.OUVRES)  # Whit Monday


def test_jours_ouvrables_include_saturday_but_not_sunday_or_holidays() -> None:
    cal = HEURES_OUVREES
    assert cal.is_business_day(date(2026, 5, 23), DayKind.OUVRABLES)
    assert not cal.is_business_day(date(2026, 5, 24), DayKind.OUVRABLES)
    assert not cal.is_business_day(date(2026, 5, 25), DayKind.OUVRABLES)
    assert cal.is_business_day(date(2026, 5, 25), DayKind.CALENDAR)


def test_one_jour_ouvre_after_friday_before_whit_monday_is_tuesday() -> None:
    assert HEURES_OUVREES.add_days(date(2026, 5, 22), 1, DayKind.OUVRES) == date(2026, 5, 26)


def test_one_jour_ouvrable_after_friday_is_saturday() -> None:
    assert HEURES_OUVREES.add_days(date(2026, 5, 22), 1, DayKind.OUVRABLES) == date(2026, 5, 23)


def test_two_jours_ouvrables_after_friday_skip_sunday_and_whit_monday() -> None:
    assert HEURES_OUVREES.add_days(date(2026, 5, 22), 2, DayKind.OUVRABLES) == date(2026, 5, 26)


def test_calendar_days_are_plain_date_arithmetic() -> None:
    assert HEURES_OUVREES.add_days(date(2026, 5, 22), 3, DayKind.CALENDAR) == date(2026, 5, 25)
    assert HEURES_OUVREES.count_days(date(2026, 5, 22), date(2026, 5, 25), "calendar") == 3


def test_add_zero_days_returns_the_day_itself_even_if_not_a_business_day() -> None:
    assert HEURES_OUVREES.add_days(date(2026, 5, 24), 0, DayKind.OUVRES) == date(2026, 5, 24)


def test_add_days_counts_strictly_after_a_non_business_start() -> None:
    # Saturday + 1 jour ouvré: Sunday and Whit Monday do not count.
    assert HEURES_OUVREES.add_days(date(2026, 5, 23), 1, DayKind.OUVRES) == date(2026, 5, 26)


def test_count_days_counts_the_interval_open_at_start_closed_at_end() -> None:
    cal = HEURES_OUVREES
    assert cal.count_days(date(2026, 5, 22), date(2026, 5, 26), DayKind.OUVRES) == 1
    assert cal.count_days(date(2026, 5, 22), date(2026, 5, 26), DayKind.OUVRABLES) == 2
    assert cal.count_days(date(2026, 5, 26), date(2026, 5, 22), DayKind.OUVRES) == 0
    # 2026 has 252 jours ouvrés in metropolitan France: 261 weekdays, 9 holidays on weekdays
    # (15 August is a Saturday, 1 November a Sunday).
    assert cal.count_days(date(2025, 12, 31), date(2026, 12, 31), DayKind.OUVRES) == 252


def test_negative_day_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        HEURES_OUVREES.add_days(date(2026, 5, 22), -1, DayKind.OUVRES)


def test_unknown_day_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        HEURES_OUVREES.add_days(date(2026, 5, 22), 1, "weekdays")  # type: ignore[arg-type]


def test_date_parameters_reject_datetimes() -> None:
    with pytest.raises(TypeError, match="d must be a datetime.date"):
        HEURES_OUVREES.is_holiday(paris(2026, 5, 25, 10))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- opening hours


def test_heures_ouvrees_preset_is_monday_to_friday_0830_1730() -> None:
    hours = OpeningHours.heures_ouvrees()
    for weekday in range(5):
        assert hours.segments(weekday) == ((time(8, 30), time(17, 30)),)
    assert hours.segments(5) == hours.segments(6) == ()
    assert not hours.open_on_holidays


def test_opening_hours_are_closed_on_holidays_by_default() -> None:
    assert not HEURES_OUVREES.is_open(paris(2026, 5, 25, 10))  # Whit Monday
    assert HEURES_OUVREES.is_open(paris(2026, 5, 26, 10))


def test_opening_hours_can_stay_open_on_holidays() -> None:
    hours = OpeningHours.from_mapping({"mon": "08:00-18:00"}, open_on_holidays=True)
    assert BusinessCalendar(hours).is_open(paris(2026, 5, 25, 10))


def test_segments_are_half_open_closing_instant_is_closed() -> None:
    cal = HEURES_OUVREES
    assert cal.is_open(paris(2026, 5, 22, 8, 30))
    assert cal.is_open(paris(2026, 5, 22, 17, 29, 59))
    assert not cal.is_open(paris(2026, 5, 22, 17, 30))
    assert not cal.is_open(paris(2026, 5, 22, 8, 29))


def test_around_the_clock_is_always_open_including_midnight_and_holidays() -> None:
    for instant in (paris(2026, 5, 25, 0), paris(2026, 12, 25, 23, 59), paris(2026, 3, 29, 2)):
        assert AROUND_THE_CLOCK.is_open(instant)


def test_from_mapping_reads_term_sheet_text() -> None:
    hours = OpeningHours.from_mapping(
        {"Mon": ["8h-12h", "13h30-18h"], "samedi": "09:00 – 12:00", "sun": []}
    )
    assert hours.segments(0) == ((time(8), time(12)), (time(13, 30), time(18)))
    assert hours.segments(5) == ((time(9), time(12)),)
    assert hours.segments(6) == ()
    assert OpeningHours.from_mapping({"mon": "00:00-24:00"}).segments(0) == ((time(0), time(0)),)


def test_from_mapping_merges_touching_segments() -> None:
    hours = OpeningHours.from_mapping({"tue": ["08:00-12:00", "12:00-14:00"]})
    assert hours.segments(1) == ((time(8), time(14)),)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"fri": "17:00-08:00"}, r"'fri'.*does not end after it starts"),
        ({"fri": "08:00"}, r"'fri'.*cannot read"),
        ({"mon": "08:00-25:00"}, r"'mon'.*not a valid time"),
        ({"mon": "08:61-12:00"}, r"'mon'.*not a valid time"),
        ({"wed": ["08:00-12:00", "11:00-14:00"]}, r"'wed'.*overlap"),
        ({"funday": "08:00-12:00"}, r"'funday' is not a weekday"),
        ({"mon": "08:00-12:00", 0: "13:00-14:00"}, r"'mon'.*more than once"),
        ({"thu": 8}, r"'thu'.*expected a string"),
    ],
)
def test_from_mapping_rejects_bad_text_naming_day_and_reason(mapping, message) -> None:
    with pytest.raises(ValueError, match=message):
        OpeningHours.from_mapping(mapping)


def test_opening_hours_are_hashable_value_objects() -> None:
    assert OpeningHours.heures_ouvrees() == OpeningHours.heures_ouvrees()
    assert hash(OpeningHours.around_the_clock()) == hash(OpeningHours.around_the_clock())


def test_naive_datetimes_are_rejected_naming_the_parameter() -> None:
    naive = datetime(2026, 5, 22, 16)
    with pytest.raises(ValueError, match="instant"):
        HEURES_OUVREES.is_open(naive)
    with pytest.raises(ValueError, match="instant"):
        HEURES_OUVREES.add_business_minutes(naive, 10)
    with pytest.raises(ValueError, match="^b must"):
        HEURES_OUVREES.business_time_between(paris(2026, 5, 22, 16), naive)


def test_never_open_hours_cannot_reach_an_opening() -> None:
    cal = BusinessCalendar(OpeningHours())
    with pytest.raises(ValueError, match="never open"):
        cal.next_open(paris(2026, 5, 22, 16))
    assert cal.business_time_between(paris(2026, 5, 22), paris(2026, 6, 22)) == timedelta(0)


# --------------------------------------------------------------------------- business time


def test_next_open_is_the_instant_itself_when_open() -> None:
    assert HEURES_OUVREES.next_open(paris(2026, 5, 22, 16)) == paris(2026, 5, 22, 16)


def test_next_open_skips_weekend_and_whit_monday() -> None:
    assert HEURES_OUVREES.next_open(paris(2026, 5, 22, 17, 30)) == paris(2026, 5, 26, 8, 30)


def test_heures_ouvrees_incident_friday_1600_plus_6h_is_tuesday_1300_after_whit_monday() -> None:
    # 1.5 h on Friday, Whit Monday closed, 4.5 h on Tuesday from 08:30 -> 13:00.
    result = HEURES_OUVREES.add_business_minutes(paris(2026, 5, 22, 16), 6 * 60)
    assert result == paris(2026, 5, 26, 13, 0)
    assert result.tzinfo is PARIS


def test_heures_ouvrees_time_between_friday_1600_and_tuesday_1100_is_4h() -> None:
    between = HEURES_OUVREES.business_time_between(paris(2026, 5, 22, 16), paris(2026, 5, 26, 11))
    assert between == timedelta(hours=4)  # 1h30 Friday + 2h30 Tuesday
    assert HEURES_OUVREES.business_minutes_between(
        paris(2026, 5, 22, 16), paris(2026, 5, 26, 11)
    ) == 240


def test_around_the_clock_time_between_friday_1600_and_tuesday_1100_is_91h() -> None:
    between = AROUND_THE_CLOCK.business_time_between(paris(2026, 5, 22, 16), paris(2026, 5, 26, 11))
    assert between == timedelta(hours=91)


def test_access_control_desk_friday_1630_plus_60_minutes_is_monday_0830() -> None:
    result = ACCESS_CONTROL.add_business_minutes(paris(2026, 6, 5, 16, 30), 60)
    assert result == paris(2026, 6, 8, 8, 30)


def test_target_landing_exactly_at_closing_stays_at_closing() -> None:
    assert HEURES_OUVREES.add_business_minutes(paris(2026, 5, 22, 16, 30), 60) == paris(
        2026, 5, 22, 17, 30
    )
    assert HEURES_OUVREES.add_business_minutes(paris(2026, 5, 22, 17, 30), 0) == paris(
        2026, 5, 22, 17, 30
    )


def test_adding_zero_minutes_leaves_a_closed_instant_unchanged() -> None:
    sunday = paris(2026, 5, 24, 3)
    assert HEURES_OUVREES.add_business_minutes(sunday, 0) == sunday


def test_counting_from_a_closed_instant_starts_at_the_next_opening() -> None:
    assert HEURES_OUVREES.add_business_minutes(paris(2026, 5, 23, 12), 1) == paris(
        2026, 5, 26, 8, 31
    )


def test_business_time_is_zero_when_b_is_not_after_a() -> None:
    a = paris(2026, 5, 22, 16)
    assert HEURES_OUVREES.business_time_between(a, a) == timedelta(0)
    assert HEURES_OUVREES.business_time_between(a, a - timedelta(hours=1)) == timedelta(0)


def test_negative_minutes_are_rejected() -> None:
    with pytest.raises(ValueError, match="minutes must be >= 0"):
        HEURES_OUVREES.add_business_minutes(paris(2026, 5, 22, 16), -1)


def test_instants_in_other_time_zones_are_converted_to_paris() -> None:
    utc_instant = datetime(2026, 5, 22, 14, tzinfo=UTC)  # 16:00 in Paris (CEST)
    result = HEURES_OUVREES.add_business_minutes(utc_instant, 6 * 60)
    assert result == paris(2026, 5, 26, 13, 0)
    assert result.tzinfo is PARIS


# --------------------------------------------------------------------------- DST


def test_dst_spring_forward_day_has_23_hours_around_the_clock() -> None:
    between = AROUND_THE_CLOCK.business_time_between(paris(2026, 3, 28, 12), paris(2026, 3, 29, 12))
    assert between == timedelta(hours=23)


def test_dst_fall_back_day_has_25_hours_around_the_clock() -> None:
    between = AROUND_THE_CLOCK.business_time_between(
        paris(2026, 10, 24, 12), paris(2026, 10, 25, 12)
    )
    assert between == timedelta(hours=25)


def test_dst_adding_real_hours_across_spring_forward_skips_the_missing_hour_on_the_clock() -> None:
    result = AROUND_THE_CLOCK.add_business_minutes(paris(2026, 3, 29, 1, 30), 60)
    assert result == paris(2026, 3, 29, 3, 30)
    assert result.utcoffset() == timedelta(hours=2)


def test_dst_repeated_hour_is_counted_twice_around_the_clock() -> None:
    first = paris(2026, 10, 25, 2, 30, fold=0)
    second = paris(2026, 10, 25, 2, 30, fold=1)
    assert AROUND_THE_CLOCK.business_time_between(first, second) == timedelta(hours=1)
    result = AROUND_THE_CLOCK.add_business_minutes(first, 60)
    assert result.astimezone(UTC) == second.astimezone(UTC)


def test_dst_segment_spanning_the_gap_is_shorter_and_the_fold_longer() -> None:
    night = BusinessCalendar(OpeningHours.from_mapping({"sun": "01:00-04:00"}))
    assert night.business_time_between(paris(2026, 3, 29), paris(2026, 3, 30)) == timedelta(hours=2)
    assert night.business_time_between(paris(2026, 10, 25), paris(2026, 10, 26)) == timedelta(
        hours=4
    )


def test_dst_wall_time_inside_the_gap_means_the_instant_of_the_change() -> None:
    gap = BusinessCalendar(OpeningHours.from_mapping({"sun": ["02:30-05:00"]}))
    assert gap.next_open(paris(2026, 3, 29, 0)) == paris(2026, 3, 29, 3, 0)
    only_gap = BusinessCalendar(OpeningHours.from_mapping({"sun": ["02:15-02:45"]}))
    assert only_gap.business_time_between(paris(2026, 3, 29), paris(2026, 3, 30)) == timedelta(0)


def test_dst_heures_ouvrees_across_the_spring_weekend_use_local_wall_time() -> None:
    # Friday 17:00 CET + 60 min: 30 min on Friday, 30 min on Monday from 08:30 CEST.
    result = HEURES_OUVREES.add_business_minutes(paris(2026, 3, 27, 17), 60)
    assert result == paris(2026, 3, 30, 9, 0)
    assert result.utcoffset() == timedelta(hours=2)


# --------------------------------------------------------------------------- efficiency


def test_adding_10000_business_hours_round_trips() -> None:
    start = paris(2026, 1, 5, 9)
    result = HEURES_OUVREES.add_business_minutes(start, 10_000 * 60)
    assert HEURES_OUVREES.business_minutes_between(start, result) == 10_000 * 60


def test_adding_many_jours_ouvres_is_the_inverse_of_counting() -> None:
    d = date(2024, 1, 1)
    result = HEURES_OUVREES.add_days(d, 5_000, DayKind.OUVRES)
    assert HEURES_OUVREES.count_days(d, result, DayKind.OUVRES) == 5_000
    assert HEURES_OUVREES.is_business_day(result, DayKind.OUVRES)


# --------------------------------------------------------------------------- properties

CALENDARS = st.sampled_from([HEURES_OUVREES, ACCESS_CONTROL, SPLIT, AROUND_THE_CLOCK])
CLOSED_ON_HOLIDAYS = st.sampled_from([HEURES_OUVREES, ACCESS_CONTROL, SPLIT])
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59),
    timezones=st.just(PARIS),
)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
KINDS = st.sampled_from(list(DayKind))
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(cal=CALENDARS, start=INSTANTS, minutes=st.integers(0, 20_000))
def test_property_business_minutes_between_inverts_add_business_minutes(cal, start, minutes):
    end = cal.add_business_minutes(start, minutes)
    assert cal.business_minutes_between(start, end) == minutes
    assert cal.business_time_between(start, end) == timedelta(minutes=minutes)


@PROPERTY_SETTINGS
@given(cal=CLOSED_ON_HOLIDAYS, start=INSTANTS, minutes=st.integers(1, 20_000))
def test_property_added_business_time_lands_open_or_at_closing_never_on_a_holiday(
    cal, start, minutes
):
    end = cal.add_business_minutes(start, minutes)
    just_before = (end.astimezone(UTC) - timedelta(microseconds=1)).astimezone(PARIS)
    assert cal.is_open(end) or cal.is_open(just_before)
    assert not cal.is_holiday(end.date())
    assert not cal.is_holiday(just_before.date())
    assert end.astimezone(UTC) > start.astimezone(UTC)


@PROPERTY_SETTINGS
@given(cal=CALENDARS, start=INSTANTS)
def test_property_next_open_is_open_and_reached_without_business_time(cal, start):
    opening = cal.next_open(start)
    assert cal.is_open(opening)
    assert opening.astimezone(UTC) >= start.astimezone(UTC)
    assert cal.business_time_between(start, opening) == timedelta(0)
    # Compare instants in UTC: same-zone comparison would compare wall times.
    assert (opening.astimezone(UTC) == start.astimezone(UTC)) == cal.is_open(start)


@PROPERTY_SETTINGS
@given(d=DAYS, n=st.integers(0, 800), kind=KINDS)
def test_property_count_days_inverts_add_days(d, n, kind):
    result = HEURES_OUVREES.add_days(d, n, kind)
    assert HEURES_OUVREES.count_days(d, result, kind) == n
    if n > 0:
        assert HEURES_OUVREES.is_business_day(result, kind)
        # The n-th business day is the first day reaching the count.
        assert HEURES_OUVREES.count_days(d, result - timedelta(days=1), kind) == n - 1


@PROPERTY_SETTINGS
@given(d=DAYS, e=DAYS, kind=KINDS)
def test_property_add_days_of_count_days_reaches_the_last_business_day_up_to_end(d, e, kind):
    n = HEURES_OUVREES.count_days(d, e, kind)
    reached = HEURES_OUVREES.add_days(d, n, kind)
    assert reached <= max(d, e)
    if e > d and HEURES_OUVREES.is_business_day(e, kind):
        assert reached == e


@PROPERTY_SETTINGS
@given(d=DAYS, span=st.integers(0, 60), kind=KINDS)
def test_property_count_days_matches_day_by_day_count(d, span, kind):
    e = d + timedelta(days=span)
    expected = sum(
        HEURES_OUVREES.is_business_day(d + timedelta(days=i), kind) for i in range(1, span + 1)
    )
    assert HEURES_OUVREES.count_days(d, e, kind) == expected


@PROPERTY_SETTINGS
@given(cal=CALENDARS, a=INSTANTS, b=INSTANTS, c=INSTANTS)
def test_property_business_time_between_is_monotone_in_b_and_additive(cal, a, b, c):
    a, b, c = sorted((a, b, c), key=lambda x: x.astimezone(UTC))
    ab = cal.business_time_between(a, b)
    ac = cal.business_time_between(a, c)
    assert ab <= ac
    assert cal.business_minutes_between(a, b) <= cal.business_minutes_between(a, c)
    assert ac == ab + cal.business_time_between(b, c)
    assert ac <= c.astimezone(UTC) - a.astimezone(UTC)
