"""Term-sheet pages and ``/api/v1/terms``."""

from __future__ import annotations

import re

import pytest
import yaml
from tests.conftest import csrf_of
from tests.terms.sheets import MINI, document, internet_bands

from clausier.audit.service import Actor
from clausier.db.session import transaction
from clausier.terms import service


@pytest.fixture
def loaded_mini(clean_engine, clock):
    with transaction(clean_engine) as s:
        service.load_sheet_file(s, clock, Actor(name="test@clausier.local"), MINI)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_list_shows_each_sheet_with_its_versions(staff_client, loaded_mini):
    page = staff_client.get("/terms")
    assert page.status_code == 200
    assert '<a href="/terms/techni-mini?version=1">v1</a>' in page.text
    assert "en vigueur depuis le 01/07/2023" in _text(page.text)


def test_the_sheet_page_shows_values_with_clauses_families_readings_and_lint(
        staff_client, loaded_mini):
    page = staff_client.get("/terms/techni-mini")
    assert page.status_code == 200
    html, text = page.text, _text(page.text)
    assert '<section id="general">' in html
    for family in ("vga", "preselection", "internet"):
        assert f'<section id="{family}">' in html
    # general section, by topic, in words: CGV art. 7.1 L190-194, 36 months
    assert "Engagement Condition Valeur Clause période initiale 36 mois CGV art. 7.1 (L190-194)" \
        in text
    assert "préavis avant l’échéance 3 mois CGV art. 7.3 (L201-204)" in text
    # a band row of CP I §5.2 (L1454) and a value resting on a reading, linked to it
    assert "rétablissement · paliers de pénalités ]6 ; 8] → 2 % CP I §5.2 (L1454)" in text
    assert ('<a href="#reading-T-PRORATA">CP I §7.2 (L1677-1679), lecture T-PRORATA</a>'
            in html)
    assert "première période incomplète prorata temporis" in text
    assert 'href="#vga">Lignes analogiques et RNIS (VGA)</a>' in html   # same_as vga
    assert "_" not in re.sub(r"<code>.*?</code>|<[^>]+>", "", html.split('id="readings"')[0])
    # the readings: texts, reading chosen, why
    assert 'id="reading-T-AVAIL-995"' in html
    assert "« De 99,85 à 99,5% 3% » CP III §4.1.3 (L2621)" in text
    assert "Lecture retenue : An availability of exactly 99.5 % earns the 5 % credit." in text
    assert "Pourquoi : Both rows contain 99.5 %" in text
    assert "favorable au client" in text
    assert "conforme" in text                                   # the lint result


def test_the_family_page_shows_the_merged_blocks(staff_client, loaded_mini):
    page = staff_client.get("/terms/techni-mini/families/preselection?lang=en")
    text = _text(page.text)
    assert page.status_code == 200
    assert "initial period 36 months CGV art. 7.1 (L190-194)" in text          # general
    assert "starts on go-live of each access link CP I §6 (L1605-1609)" in text  # vga
    assert "Service levels Term Value Clause no service level yes CP II (L1981-1983)" in text
    assert "restoration" not in text
    assert 'href="/terms/techni-mini?version=1#reading-T-PRORATA"' in page.text


def test_unknown_sheet_and_family_pages_are_404(staff_client, loaded_mini):
    assert staff_client.get("/terms/nope").status_code == 404
    assert staff_client.get("/terms/techni-mini/families/voice").status_code == 404


def test_api_lists_versions(staff_client, loaded_mini):
    [version] = staff_client.get("/api/v1/terms").json()
    assert version["sheet_id"] == "techni-mini" and version["version"] == 1
    assert version["valid_from"] == "2023-07-01"
    assert version["families"] == ["internet", "preselection", "vga"]
    assert version["readings"] == 4


def test_api_gives_a_sheet_with_its_sources(staff_client, loaded_mini):
    sheet = staff_client.get("/api/v1/terms/techni-mini", params={"version": 1}).json()
    assert sheet["general"]["commitment"]["initial_months"] == {
        "value": 36, "src": {"article": "CGV art. 7.1", "first_line": 190, "last_line": 194}}
    assert [r["id"] for r in sheet["readings"]] == [
        "T-RENEWAL", "T-PRORATA", "T-AVAIL-995", "T-OFFNET"]
    missing = staff_client.get("/api/v1/terms/techni-mini", params={"version": 9})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "sheet: no term sheet 'techni-mini' version 9 is loaded"


def test_api_gives_a_family_merged(staff_client, loaded_mini):
    terms = staff_client.get("/api/v1/terms/techni-mini/families/vga").json()
    assert terms["commitment"]["initial_months"]["value"] == 36
    assert terms["commitment"]["start_event"]["value"] == "go_live_per_access_link"
    assert [b["percent"] for b in terms["service_levels"]["restoration"]["penalty_bands"]] == [
        "2", "5", "10"]


def test_api_lints_a_yaml_body(staff_client):
    clean = staff_client.post("/api/v1/terms/lint", content=MINI.read_bytes(),
                              headers={"content-type": "application/yaml",
                                       "x-csrf-token": _csrf(staff_client)})
    assert clean.json() == {"ok": True, "problems": []}
    doc = document()
    internet_bands(doc)[0].update(lower="99.5", lower_inclusive=True)
    bad = staff_client.post("/api/v1/terms/lint", content=yaml.safe_dump(doc, allow_unicode=True),
                            headers={"content-type": "application/yaml",
                                     "x-csrf-token": _csrf(staff_client)})
    assert bad.json() == {"ok": False, "problems": [{
        "field": "families.internet.service_levels.availability.bands",
        "reason": "bands [97, 99.5]→5% and [99.5, 99.85)→3% overlap", "line": None}]}


def _csrf(client) -> str:
    return csrf_of(client.get("/login").text)


def test_the_sheet_page_searches_by_clause_or_article(staff_client, loaded_mini):
    text = _text(staff_client.get("/terms/techni-mini?q=art.+7.2").text)
    assert "2 conditions citent cette clause" in text
    assert "période de reconduction 12 mois CGV art. 7.2 (L196-199), lecture T-RENEWAL" in text
    assert "période initiale" not in text
    english = _text(staff_client.get("/terms/techni-mini?q=§5.2&lang=en").text)
    assert "3 terms cite this clause" in english
    assert "restoration · penalty bands ]8 ; 12] → 5 % CP I §5.2 (L1456)" in english
