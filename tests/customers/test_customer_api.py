"""The customers API: CRUD of customers, sites and contacts; problem+json errors; roles."""

from __future__ import annotations

COMPANY = {"operator": "technicophone", "name": "Boulangeries Martin SAS", "kind": "company",
           "category": "tertiary", "siren": "812345676", "siret": "81234567600017",
           "vat_number": "FR19812345676", "email": "compta@martin.example"}


def test_customer_crud(loaded, staff_client):
    api = staff_client("sales")
    created = api.post("/api/v1/customers", json=COMPANY)
    assert created.status_code == 201, created.text
    customer = created.json()
    assert (customer["ref"], customer["operator"], customer["sites"]) == (
        "TEC-000001", "technicophone", [])

    changed = api.patch(f"/api/v1/customers/{customer['id']}", json={"employees": 42})
    assert changed.json()["employees"] == 42
    assert api.get(f"/api/v1/customers/{customer['id']}").json()["employees"] == 42

    found = api.get("/api/v1/customers", params={"search": "martin"}).json()
    assert (found["total"], found["items"][0]["ref"]) == (1, "TEC-000001")


def test_invalid_identity_is_a_problem_naming_the_field(loaded, staff_client):
    api = staff_client("admin")
    refused = api.post("/api/v1/customers", json={**COMPANY, "siret": "37934180300029"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"field": "siret", "reason": "37934180300029 does not start with the SIREN 812345676"}]
    assert refused.json()["code"] == "siret_not_of_the_siren"     # customers.rules.Refused


def test_sites_and_contacts_crud(loaded, staff_client):
    api = staff_client("support")
    customer_id = api.post("/api/v1/customers", json=COMPANY).json()["id"]
    tours = api.post(f"/api/v1/customers/{customer_id}/sites",
                     json={"name": "Siège Tours", "postcode": "37000", "city": "Tours"}).json()
    blois = api.post(f"/api/v1/customers/{customer_id}/sites",
                     json={"name": "Boutique Blois", "postcode": "41000"}).json()
    assert (tours["is_central"], tours["numbering_zone"]) == (True, "02")
    assert blois["is_central"] is False

    assert api.patch(f"/api/v1/sites/{blois['id']}", json={"is_central": True}).status_code == 200
    sites = api.get(f"/api/v1/customers/{customer_id}/sites").json()
    assert [s["name"] for s in sites if s["is_central"]] == ["Boutique Blois"]

    contact = api.post(f"/api/v1/customers/{customer_id}/contacts",
                       json={"name": "Claire Martin", "phone": "02 61 91 10 02",
                             "roles": ["incident_reporter"], "site_id": tours["id"]}).json()
    assert contact["phone"] == "+33 2 61 91 10 02"
    assert api.patch(f"/api/v1/contacts/{contact['id']}",
                     json={"roles": ["billing", "incident_reporter"]}).json()["roles"] == [
        "billing", "incident_reporter"]
    bad_role = api.post(f"/api/v1/customers/{customer_id}/contacts",
                        json={"name": "X", "roles": ["boss"]})
    assert bad_role.status_code == 422

    assert api.delete(f"/api/v1/sites/{tours['id']}").status_code == 204
    assert api.get(f"/api/v1/customers/{customer_id}/contacts").json()[0]["site_id"] is None
    assert api.delete(f"/api/v1/contacts/{contact['id']}").status_code == 204
    assert api.get(f"/api/v1/customers/{customer_id}/contacts").json() == []
    assert api.get("/api/v1/customers/999").status_code == 404


def test_reading_needs_a_staff_login(loaded, engine, clock):
    from fastapi.testclient import TestClient

    from tests.apps import app_for

    with TestClient(app_for(engine, clock)) as anonymous:
        assert anonymous.get("/api/v1/customers").status_code == 401


def test_a_second_customer_with_the_same_ref_answers_its_code(loaded, staff_client):
    api = staff_client("sales")
    assert api.post("/api/v1/customers", json={**COMPANY, "ref": "TEC-000007"}).status_code == 201
    other = {key: value for key, value in COMPANY.items() if key not in ("siret", "vat_number")}
    again = api.post("/api/v1/customers", json={**other, "siren": "823456785", "ref": "TEC-000007"})
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "customer_ref_taken"
