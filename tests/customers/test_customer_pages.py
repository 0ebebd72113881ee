"""Customer pages: live search, forms with errors next to the fields, the customer page."""

from __future__ import annotations

import re


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_create_from_the_form_then_see_the_customer_page(loaded, browser):
    form = browser.get("/customers/new")
    assert form.status_code == 200
    refused = browser.post("/customers/new", data={
        "csrf_token": _csrf(form.text), "operator": "technicophone", "kind": "company",
        "name": "Cabinet Lefèvre", "siren": "823456786", "category": "tertiary"})
    assert refused.status_code == 422
    assert 'id="siren-error"' in refused.text and "check digit" in refused.text

    created = browser.post("/customers/new", data={
        "csrf_token": _csrf(form.text), "operator": "technicophone", "kind": "company",
        "name": "Cabinet Lefèvre", "siren": "823456785", "category": "tertiary"},
        follow_redirects=False)
    assert created.status_code == 303
    page = browser.get(created.headers["location"])
    assert "TEC-000001" in page.text and "client créé" in page.text          # the trail, in words

    site = browser.post(created.headers["location"] + "/sites", data={
        "csrf_token": _csrf(page.text), "name": "Cabinet Paris", "postcode": "75009"})
    assert site.status_code == 200 and "Cabinet Paris" in site.text


def test_live_search_returns_only_the_results(loaded, browser):
    form = browser.get("/customers/new")
    browser.post("/customers/new", data={
        "csrf_token": _csrf(form.text), "operator": "ozone", "kind": "household",
        "name": "Jean Lemoine", "category": "other"})
    partial = browser.get("/customers", params={"q": "lemoine"}, headers={"HX-Request": "true"})
    assert "OZO-000001" in partial.text and "<html" not in partial.text
    assert "OZO-000001" not in browser.get("/customers", params={"q": "nobody"}).text


def test_a_form_without_csrf_token_is_refused(loaded, browser):
    refused = browser.post("/customers/new", data={"operator": "ozone", "name": "X"})
    assert refused.status_code == 403


def test_the_dashboard_shows_customers_per_operator(loaded, browser):
    page = browser.get("/", params={"lang": "en"})
    assert "Customers · Technicophone" in page.text
