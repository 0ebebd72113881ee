"""Customer use cases on a real database: refs, validation, central site, search, audit."""

from __future__ import annotations

import pytest

from clausier.audit.service import trail
from clausier.catalog import service as catalog
from clausier.core.errors import Conflict, InvalidInput
from clausier.customers import service, views


@pytest.fixture
def catalogue(session, clock, actor):
    catalog.load_built_in_catalogs(session, clock, actor)


def _company(session, clock, actor, **fields):
    values = {"operator": "technicophone", "name": "Menuiserie Robin", "kind": "company",
              "siren": "878901230", "category": "industrial", **fields}
    return service.create_customer(session, clock, actor, **values)


def test_refs_are_numbered_per_operator_with_its_invoice_prefix(session, clock, actor, catalogue):
    first = _company(session, clock, actor)
    second = _company(session, clock, actor, name="Cabinet Lefèvre", siren="823456785")
    household = service.create_customer(session, clock, actor, operator="ozone",
                                        name="Jean Lemoine", kind="household")
    given = _company(session, clock, actor, name="Imported", siren="834567893", ref="TEC-000123")
    after_given = _company(session, clock, actor, name="Next", siren="845678903")
    assert [first.ref, second.ref, household.ref, given.ref, after_given.ref] == [
        "TEC-000001", "TEC-000002", "OZO-000001", "TEC-000123", "TEC-000124"]


def test_a_ref_is_unique_per_operator(session, clock, actor, catalogue):
    _company(session, clock, actor, ref="TEC-000007")
    with pytest.raises(Conflict, match="ref: technicophone already has a customer TEC-000007"):
        _company(session, clock, actor, siren="823456785", ref="TEC-000007")


def test_identity_is_normalised_and_checked_on_create(session, clock, actor, catalogue):
    customer = _company(session, clock, actor, siret="878 901 230 00010",
                        vat_number="fr38878901230", email=" Thomas@Robin.EXAMPLE",
                        phone="02 61 91 80 01")
    assert (customer.siret, customer.vat_number, customer.email, customer.phone) == (
        "87890123000010", "FR38878901230", "thomas@robin.example", "+33 2 61 91 80 01")
    with pytest.raises(InvalidInput) as refused:
        _company(session, clock, actor, name="Other", siren="878901231")
    assert refused.value.problems[0].field == "siren"


def test_rozoh_sells_to_companies_and_ozone_to_households(session, clock, actor, catalogue):
    with pytest.raises(InvalidInput) as refused:
        service.create_customer(session, clock, actor, operator="rozoh", name="M. Dupont",
                                kind="household")
    assert refused.value.problems[0].field == "kind"


def test_an_update_is_checked_as_a_whole_and_audited(session, clock, actor, catalogue):
    customer = _company(session, clock, actor)
    with pytest.raises(InvalidInput) as refused:
        service.update_customer(session, clock, actor, customer.id, siret="82345678500018")
    assert "does not start with the SIREN 878901230" in str(refused.value)
    service.update_customer(session, clock, actor, customer.id, siret="87890123000010",
                            employees=25)
    entry = trail(session, "customers", str(customer.id))[0]
    assert entry.action == "customer.update"
    assert entry.changes == {"siret": [None, "87890123000010"], "employees": [None, 25]}


def test_one_central_site_per_customer(session, clock, actor, catalogue):
    # Common fees are billed to the central Site named in the contract (CP VGA L1672-1673).
    customer = _company(session, clock, actor)
    workshop = service.add_site(session, clock, actor, customer.id, name="Atelier",
                                postcode="37210")
    showroom = service.add_site(session, clock, actor, customer.id, name="Showroom",
                                postcode="41100")
    assert (workshop.is_central, showroom.is_central) == (True, False)
    assert (workshop.numbering_zone, showroom.numbering_zone) == ("02", "02")
    service.update_site(session, clock, actor, showroom.id, is_central=True)
    session.refresh(workshop)
    assert (workshop.is_central, showroom.is_central) == (False, True)
    lyon = service.add_site(session, clock, actor, customer.id, name="Lyon", postcode="69002",
                            is_central=True)
    session.refresh(showroom)
    assert [s.name for s in customer.sites if s.is_central] == ["Lyon"]
    assert lyon.numbering_zone == "04"


def test_the_central_site_is_removed_last(session, clock, actor, catalogue):
    customer = _company(session, clock, actor)
    central = service.add_site(session, clock, actor, customer.id, name="Atelier",
                               postcode="37210")
    other = service.add_site(session, clock, actor, customer.id, name="Showroom",
                             postcode="41100")
    with pytest.raises(Conflict, match="is_central"):
        service.remove_site(session, clock, actor, central.id)
    service.remove_site(session, clock, actor, other.id)
    service.remove_site(session, clock, actor, central.id)
    session.refresh(customer)
    assert customer.sites == []


def test_a_new_postcode_moves_the_site_to_its_zone(session, clock, actor, catalogue):
    customer = _company(session, clock, actor)
    site = service.add_site(session, clock, actor, customer.id, name="Atelier", postcode="37210")
    service.update_site(session, clock, actor, site.id, postcode="13001", city="Marseille")
    assert site.numbering_zone == "04"


def test_authorised_reporters_are_the_contacts_with_that_role(session, clock, actor, catalogue):
    # Incident reporters must be identified and their authorisation checked (CP VGA L1559).
    customer = _company(session, clock, actor)
    service.add_contact(session, clock, actor, customer.id, name="Thomas Robin",
                        email="thomas@robin.example", roles=["contract_follow_up"])
    reporter = service.add_contact(session, clock, actor, customer.id, name="Atelier",
                                   phone="02 61 91 80 02", roles=["incident_reporter"])
    assert service.authorised_reporters(session, customer.id) == [reporter]
    with pytest.raises(InvalidInput) as refused:
        service.add_contact(session, clock, actor, customer.id, name="Nobody",
                            roles=["incident_reporter"])
    assert refused.value.problems[0].field == "roles"
    service.update_contact(session, clock, actor, reporter.id, roles=["billing"])
    assert service.authorised_reporters(session, customer.id) == []


def test_a_contact_site_must_belong_to_the_customer(session, clock, actor, catalogue):
    first = _company(session, clock, actor)
    second = _company(session, clock, actor, name="Other", siren="823456785")
    site = service.add_site(session, clock, actor, second.id, name="Elsewhere", postcode="75009")
    with pytest.raises(InvalidInput) as refused:
        service.add_contact(session, clock, actor, first.id, name="X", site_id=site.id)
    assert refused.value.problems[0].field == "site_id"


def test_search_by_name_ref_siren_and_email_with_pages(session, clock, actor, catalogue):
    robin = _company(session, clock, actor, email="contact@robin.example")
    lefevre = _company(session, clock, actor, name="Cabinet Lefèvre", siren="823456785")
    service.add_contact(session, clock, actor, lefevre.id, name="Hélène",
                        email="helene@lefevre.example")
    ozone = service.create_customer(session, clock, actor, operator="ozone",
                                    name="Jean Lemoine", kind="household")

    def names(**kwargs):
        return [c.name for c in service.search_customers(session, **kwargs).items]

    assert names(text="robin") == ["Menuiserie Robin"]
    assert names(text="TEC-000002") == ["Cabinet Lefèvre"]
    assert names(text="823 456 785") == ["Cabinet Lefèvre"]
    assert names(text="helene@lefevre") == ["Cabinet Lefèvre"]
    assert names(operator="ozone") == [ozone.name]
    page = service.search_customers(session, per_page=2, page=2)
    assert (page.total, page.pages, [c.name for c in page.items]) == (3, 2, ["Menuiserie Robin"])
    assert robin.id


def test_dashboard_cards_count_customers_per_operator(session, clock, actor, catalogue):
    _company(session, clock, actor)
    cards = views.dashboard_cards(session, lambda text: text)
    assert {(c.title, c.figure) for c in cards} == {
        ("Customers · Ozone", "0"), ("Customers · Rozoh", "0"), ("Customers · Technicophone", "1")}


def test_every_write_is_audited(session, clock, actor, catalogue):
    customer = _company(session, clock, actor)
    site = service.add_site(session, clock, actor, customer.id, name="Atelier", postcode="37210")
    contact = service.add_contact(session, clock, actor, customer.id, name="T. Robin",
                                  email="t@robin.example", roles=["billing"])
    service.remove_contact(session, clock, actor, contact.id)
    actions = [e.action for e in service.customer_trail(session, customer.id)]
    assert actions == ["site.create", "customer.create"]
    assert [e.action for e in trail(session, "contacts", str(contact.id))] == [
        "contact.delete", "contact.create"]
    assert site.id
