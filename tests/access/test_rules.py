"""Pure rules of the access platform, as tables of Rozoh seed cases (000_b5ce7db8cad96b55.txt)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clausier.access import rules
from clausier.core.clock import PARIS
from clausier.core.errors import RuleRefusal

ROZOH_COUNTRIES = ["FR", "PT-20", "DE", "AD", "AT", "BE", "ES-CN", "DK", "ES", "FI", "GR", "GG", "IE", "IT",
                   "VA", "JE", "LI", "LU", "PT-30", "MC", "NO", "NL", "PT", "GB", "SE", "CH"]
DESTINATIONS = rules.call_destinations("FR", ROZOH_COUNTRIES)


# --------------------------------------------------------------------------- badges (CP A art. 1 L174-180)

def test_badge_entered_as_facility_card_and_as_raw_hex_is_the_same_badge():
    """The synced data are the badges' serial numbers (CP A art. 1 L174-180): H10301 facility
    123 / card 4567 and its raw 26-bit frame 0x2F623AE (even parity 1, 0x7B11D7, odd parity 0) are one credential."""
    typed = rules.normalise_badge("wiegand26", facility=123, card=4567)
    read = rules.normalise_badge("raw", value="0x2F623AE", bits=26)
    assert typed == read
    assert rules.credential_key("badge", badge=typed) == rules.credential_key("badge", badge=read) == "badge:2f623ae/26"
    assert read.displays() == {"hex": "0x2F623AE (26 bits)", "decimal": "49685422",
                               "facility_card": "H10301 123/4567"}


def test_raw_26_bit_frame_with_a_wrong_digit_is_refused_by_its_parity():
    with pytest.raises(RuleRefusal) as refused:
        rules.raw_badge("0x2F623AF", 26)
    assert refused.value.code == "parity"


def test_34_bit_badge_and_its_frame():
    badge = rules.wiegand(34, 1000, 65535)
    assert rules.raw_badge(badge.hex, 34).facility_card == (1000, 65535)


@pytest.mark.parametrize("fmt, kwargs, field", [
    ("wiegand26", {"facility": 256, "card": 1}, "facility"),
    ("wiegand26", {"facility": 1, "card": 65536}, "card"),
    ("raw", {"value": "zz", "bits": 26}, "value"),
    ("raw", {"value": "1ff", "bits": 8}, "value"),
    ("magstripe", {}, "format"),
])
def test_bad_badges_name_the_field(fmt, kwargs, field):
    with pytest.raises(RuleRefusal) as refused:
        rules.normalise_badge(fmt, **kwargs)
    assert refused.value.field == field


@given(st.sampled_from([26, 34]), st.integers(0, 65535), st.integers(0, 65535))
def test_every_wiegand_badge_reads_back_through_its_raw_frame(bits, facility, card):
    facility %= 1 << rules.WIEGAND_LAYOUTS[bits][0]
    badge = rules.wiegand(bits, facility, card)
    assert rules.raw_badge("0x" + badge.hex, bits) == badge
    assert badge.facility_card == (facility, card)


# --------------------------------------------------------------------------- keypad codes (L174-180)

@pytest.mark.parametrize("code", ["0000", "1234", "4321", "7890", "999999", "1212", "123123"])
def test_trivial_keypad_codes_are_refused(code):
    """Keypad codes are synced to the keypad (CP B art. 1 L419-423); 0000 and the like are refused."""
    with pytest.raises(RuleRefusal) as refused:
        rules.check_keypad_code(code)
    assert refused.value.code == "trivial"


@pytest.mark.parametrize("code, field_reason", [("12a4", "digits"), ("123", "4 to 8"), ("123456789", "4 to 8")])
def test_keypad_code_length_and_digits(code, field_reason):
    with pytest.raises(RuleRefusal, match=field_reason):
        rules.check_keypad_code(code)


def test_a_good_keypad_code_is_kept():
    assert rules.check_keypad_code(" 2580 ") == "2580"


# --------------------------------------------------------------------------- time slots (L209-210)

SCHOOL = rules.TimeProfile(1, rules.check_segments([
    rules.parse_segment("mon 07:30-12:00"), rules.parse_segment("mon 13:30-18:00"),
    rules.parse_segment("fri 07:30-12:00"), rules.parse_segment("holiday 10:00-12:00")]))
HOLIDAYS_2026 = frozenset({date(2026, 5, 25)})    # lundi de Pentecôte


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=PARIS)


@pytest.mark.parametrize("instant, inside", [
    (at(date(2026, 5, 18), 8), True),          # an ordinary Monday, morning segment
    (at(date(2026, 5, 18), 12, 30), False),    # between the two segments
    (at(date(2026, 5, 18), 17, 59), True),
    (at(date(2026, 5, 18), 18), False),        # end exclusive
    (at(date(2026, 5, 25), 8), False),         # Whit Monday: the holiday row replaces Monday's
    (at(date(2026, 5, 25), 10, 30), True),
])
def test_time_slot_with_two_segments_a_day_and_whit_monday(instant, inside):
    """Time slots (*plages horaires*, CP A art. 1 L209-210): on Whit Monday 2026-05-25, a French
    public holiday, the holiday row applies instead of Monday's."""
    assert rules.in_time_slot(SCHOOL, instant, HOLIDAYS_2026) is inside


def test_whit_monday_2026_is_a_holiday_of_the_french_calendar():
    from clausier.core.calendar import BusinessCalendar, OpeningHours
    assert BusinessCalendar(OpeningHours.heures_ouvrees()).is_holiday(date(2026, 5, 25))


def test_profile_validity_dates_close_it_outside():
    profile = rules.TimeProfile(2, (rules.make_segment(0, 0, 1440),), date(2026, 1, 1), date(2026, 6, 30))
    assert rules.in_time_slot(profile, at(date(2026, 5, 18), 3), frozenset())
    assert not rules.in_time_slot(profile, at(date(2026, 7, 6), 3), frozenset())


@pytest.mark.parametrize("text, message", [("mon 12:00-08:00", "before the end"),
                                           ("xyz 08:00-09:00", "is not one of"),
                                           ("mon 25:00-26:00", "HH:MM")])
def test_bad_segments(text, message):
    with pytest.raises(RuleRefusal, match=message):
        rules.parse_segment(text)


def test_a_segment_written_with_french_day_names_is_the_same_segment():
    """Rozoh's site administrators manage their time slots (« gestion des plages horaires »,
    seed 000 L210) on a French site: « sam » is Saturday, « férié » the public-holiday row."""
    assert rules.parse_segment("sam 10:00-12:00") == rules.parse_segment("sat 10:00-12:00")
    assert rules.parse_segment("Férié 10:00-12:00") == rules.parse_segment("holiday 10:00-12:00")


def test_overlapping_segments_are_refused():
    with pytest.raises(RuleRefusal, match="overlap"):
        rules.check_segments([rules.parse_segment("tue 08:00-12:00"), rules.parse_segment("tue 11:00-13:00")])


# --------------------------------------------------------------------------- decisions

BADGE = rules.wiegand(26, 123, 4567)


def config(**record) -> rules.SiteConfig:
    snapshot = {
        "site": {"version": 7, "service_until": "2035-02-28"},
        "holidays": ["2026-05-25"],
        "credentials": [{"id": 11, "record_id": 1, "kind": "badge", "key": f"badge:{BADGE.key}", "access_point_id": None}],
        "records": [{"id": 1, "display_name": "DUPONT", "valid_from": None, "valid_until": None, "suspended": False,
                     "groups": ["staff"], **record}],
        "profiles": [{"id": 1, "valid_from": None, "valid_until": None,
                      "segments": [[s.day, s.start, s.end] for s in SCHOOL.segments]}],
        "rights": [{"id": 1, "record_id": None, "group": "staff", "access_point_id": 3, "profile_id": 1}],
    }
    return rules.SiteConfig.from_snapshot(snapshot)


@pytest.mark.parametrize("record, presented, reason", [
    ({}, dict(key=f"badge:{BADGE.key}", at=at(date(2026, 5, 18), 8)), "granted"),
    ({}, dict(key="badge:0000001/26", at=at(date(2026, 5, 18), 8)), "unknown_credential"),
    ({}, dict(key=f"badge:{BADGE.key}", at=at(date(2026, 5, 25), 8)), "outside_time_slot"),
    ({"suspended": True}, dict(key=f"badge:{BADGE.key}", at=at(date(2026, 5, 18), 8)), "suspended"),
    ({"valid_until": "2026-04-30"}, dict(key=f"badge:{BADGE.key}", at=at(date(2026, 5, 18), 8)), "expired"),
    ({"valid_from": "2026-09-01"}, dict(key=f"badge:{BADGE.key}", at=at(date(2026, 5, 18), 8)), "not_yet_valid"),
    ({"groups": []}, dict(key=f"badge:{BADGE.key}", at=at(date(2026, 5, 18), 8)), "no_right"),
])
def test_decision_reason_codes(record, presented, reason):
    decision = rules.decide(config(**record), rules.Presented("badge", 3, **presented))
    assert decision.reason == reason
    assert decision.granted is (reason == "granted")


def test_the_app_door_open_stops_with_the_service_but_badges_keep_working():
    """CP A art. 2 L224-227: the associated services (the app's door opening, CP A art. 1
    L113-116) last 120 months; the site's own hardware keeps deciding locally."""
    after_end = at(date(2035, 3, 5), 8)                     # a Monday after 2035-02-28
    assert rules.decide(config(), rules.Presented("app", 3, after_end, record_id=1)).reason == "service_ended"
    assert rules.decide(config(), rules.Presented("badge", 3, after_end, key=f"badge:{BADGE.key}")).granted


# --------------------------------------------------------------------------- call routing (CP A art. 1 L57-88)

def test_call_plan_with_a_busy_main_number_rings_the_secondary():
    """CP A art. 1 L67-77: the main number first; the call is transferred to the secondary
    numbers "en cas de ligne occupée ou de non-réponse"."""
    plan = rules.call_plan(1, "DUPONT", "+33612345678", ["+33240000000", "+41446681800"], ["dupont@app"], 20)
    assert [(s.order, s.channel, s.target, s.next_on) for s in plan.steps] == [
        (0, "video", "dupont@app", ()),
        (1, "audio", "+33612345678", ("busy", "no_answer")),
        (2, "audio", "+33240000000", ("busy", "no_answer")),
        (3, "audio", "+41446681800", ()),
    ]
    assert plan.steps[0].door_open
    trace = rules.run_call(plan, {"+33612345678": "busy", "+33240000000": "answered"})
    assert trace.attempts == (("video", "dupont@app", "no_answer"), ("audio", "+33612345678", "busy"),
                              ("audio", "+33240000000", "answered"))
    assert trace.answered_by == "+33240000000"
    assert not trace.door_open_offered


def test_app_user_answering_gets_the_door_open_action():
    plan = rules.call_plan(1, "DUPONT", "+33612345678", [], ["dupont@app"], 20)
    trace = rules.run_call(plan, {"dupont@app": "answered"})
    assert (trace.answered_by, trace.door_open_offered) == ("dupont@app", True)


# --------------------------------------------------------------------------- phone numbers (L79-88, 189-191)

def test_swiss_number_accepted_and_us_number_refused():
    """Footnote 1 (CP A L86-88, L189-191): calls to Switzerland (Suisse) are allowed; numbers
    outside the list "ne sont pas autorisés"."""
    assert rules.accept_phone("+41 44 668 18 00", "FR", DESTINATIONS) == "+41446681800"
    with pytest.raises(RuleRefusal) as refused:
        rules.accept_phone("+1 212 555 0100", "FR", DESTINATIONS, "reading:ROZ-FRANCE-CALLS")
    assert refused.value.code == "country_not_allowed"


@pytest.mark.parametrize("number", ["112", "15", "17", "18", "3651", "+33 112"])
def test_emergency_and_short_numbers_refused(number):
    """CP A art. 1 L79-83: only the users' own numbers, "à l'exclusion de tout autre numéro
    (par exemple numéros d'urgence)"."""
    with pytest.raises(RuleRefusal) as refused:
        rules.accept_phone(number, "FR", DESTINATIONS)
    assert refused.value.code in ("emergency_or_short", "not_a_number")


@pytest.mark.parametrize("number, e164", [("06 12 34 56 78", "+33612345678"),        # home country (ROZ-FRANCE-CALLS)
                                           ("+351 291 000 000", "+351291000000"),    # Madeira (PT-30)
                                           ("+34 928 000 000", "+34928000000")])     # Canaries (ES-CN)
def test_listed_destinations_accepted(number, e164):
    assert rules.accept_phone(number, "FR", DESTINATIONS) == e164


def test_premium_rate_numbers_are_not_users_numbers():
    with pytest.raises(RuleRefusal) as refused:
        rules.accept_phone("08 99 12 34 56", "FR", DESTINATIONS)
    assert refused.value.code == "service_number"


def test_variant_b_has_no_call_destinations():
    """Reading ROZ-B-PANEL-DATA: the access-control pack has no intercom call service."""
    assert rules.call_destinations("FR", []) == frozenset()
    with pytest.raises(RuleRefusal) as refused:
        rules.accept_phone("06 12 34 56 78", "FR", frozenset())
    assert refused.value.code == "no_call_service"


# --------------------------------------------------------------------------- packs and sync

def test_end_warnings_six_and_one_month_before_the_first_day_without_service():
    """Reading ROZ-END-WARNINGS: warn 6 months and 1 month before the end of the 120 months."""
    assert rules.end_warning_dates(date(2035, 2, 28), [6, 1]) == {6: date(2034, 9, 1), 1: date(2035, 2, 1)}


def test_service_state():
    assert rules.service_state(date(2025, 3, 1), date(2035, 2, 28), date(2035, 2, 28)).syncs
    assert rules.service_state(date(2025, 3, 1), date(2035, 2, 28), date(2035, 3, 1)).state == "ended"
    assert rules.service_state(None, None, date(2025, 1, 1)).state == "not_started"


def test_record_quota_is_a_cap():
    assert rules.record_quota_refusal(49, 50, "c") is None
    assert rules.record_quota_refusal(50, 50, "c").field == "records"


@given(st.lists(st.tuples(st.integers(1, 30), st.sampled_from(["records", "rights"]), st.integers(1, 5),
                          st.sampled_from(["upsert", "delete"])), max_size=40))
def test_collapsed_changes_keep_the_last_operation_of_each_object(changes):
    upserts, deletes = rules.collapse_changes(changes)
    for entity in ("records", "rights"):
        assert not upserts.get(entity, set()) & deletes.get(entity, set())
    for version, entity, entity_id, op in changes:
        last = max((c for c in changes if c[1:3] == (entity, entity_id)))
        assert entity_id in (deletes if last[3] == "delete" else upserts)[entity]
