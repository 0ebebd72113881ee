"""Issue 21, "What to build": error messages in the reader's language, field names included. A
French page and an API client asking for French (``Accept-Language: fr``) read « Le champ
« … » … » naming the field by its label; English stays as the rooms and Pydantic write it."""

from __future__ import annotations

from clausier.core.errors import Problem
from clausier.web.problems import language_of_api, problem_text
from tests.conftest import csrf_of


def test_a_room_reason_names_the_field_by_its_label_in_french():
    """The schedules form's refusal of issue 21 (``segments.0: 'sam' is not one of mon…``)."""
    refused = Problem("segments.0", "'sam' is not one of mon, tue, wed")
    assert problem_text(refused, "fr") == (
        "Le champ « Créneaux (n° 1) » : « sam » n'est pas l'une des valeurs admises : mon, tue, wed")
    assert problem_text(refused, "en") == "segments.0: 'sam' is not one of mon, tue, wed"


def test_the_api_speaks_the_language_the_client_prefers():
    assert language_of_api("en-GB;q=0.5, fr-FR") == "fr"
    assert language_of_api("fr;q=0.3, en") == "en"
    assert language_of_api("de") == "en"
    assert language_of_api(None) == "en"


def test_an_api_refusal_in_french_and_in_english(staff_client):
    body = {"operator": "technicophone", "kind": "shop"}
    token = {"x-csrf-token": csrf_of(staff_client.get("/").text)}
    french = staff_client.post("/api/v1/customers", json=body,
                               headers={"accept-language": "fr-FR,fr;q=0.9", **token})
    assert french.status_code == 422
    problem = french.json()
    assert problem["title"] == "Saisie invalide"
    assert problem["detail"] == ("Le champ « Nom » est obligatoire; Le champ « Type » doit être "
                                 "l'une des valeurs suivantes : 'company', 'household'")
    assert {e["field"] for e in problem["errors"]} == {"name", "kind"}     # the codes stay
    english = staff_client.post("/api/v1/customers", json=body,
                                headers={"accept-language": "en", **token})
    assert english.json()["title"] == "Invalid input"
    assert english.json()["detail"] == ("name: Field required; "
                                        "kind: Input should be 'company' or 'household'")


def test_a_form_refusal_in_french_and_in_english(staff_client):
    """A back-office order typed with an impossible signature date (31 February)."""
    token = csrf_of(staff_client.get("/").text)
    form = {"signed_on": "2026-02-31", "channel": "paper", "csrf_token": token}
    french = staff_client.post("/customers/1/orders", data=form, headers={"accept": "text/html"})
    assert french.status_code == 422, french.text
    assert "Le champ « Signé le » doit être une date (AAAA-MM-JJ)" in french.text
    staff_client.get("/lang/en")
    english = staff_client.post("/customers/1/orders", data=form, headers={"accept": "text/html"})
    assert "signed_on: Input should be a valid date" in english.text
    assert "Le champ" not in english.text
