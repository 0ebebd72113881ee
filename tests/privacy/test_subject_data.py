"""Data-subject requests: deadlines, the export ZIP, erasure with what the law keeps."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import select

from clausier.accounts.models import User
from clausier.core.clock import PARIS
from clausier.core.errors import NotAllowed, RuleRefusal
from clausier.customers.models import Contact, Customer
from clausier.privacy import discovery, rules, service
from clausier.terms.loader import built_in_sheets
from tests import factories
from tests.privacy import world
from tests.rating.conftest import rating_operator, store, subscribe  # noqa: F401  (fixtures)

PRIVACY = {s.id: s for s in built_in_sheets()}["technicophone"].general.privacy


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    return tmp_path


def test_request_deadline_one_month_extendable_by_two_with_reasons():
    """Annexe 1 B.1.e (L10656-10662): one month, two more if complex, the reasons given within
    the first month."""
    deadline = rules.request_deadline(date(2026, 1, 31), PRIVACY)
    assert (deadline.due_on, deadline.clause) == (date(2026, 2, 28), "Annexe 1 B.1.e (L10656-10658)")
    with pytest.raises(RuleRefusal, match="reason") as refused:
        rules.extend_request(deadline, " ", date(2026, 2, 10), PRIVACY)
    assert refused.value.code == "extension_reason_missing"
    with pytest.raises(RuleRefusal, match="by 2026-02-28"):
        rules.extend_request(deadline, "400 mailboxes to search", date(2026, 3, 2), PRIVACY)
    extended = rules.extend_request(deadline, "400 mailboxes to search", date(2026, 2, 10), PRIVACY)
    assert extended.deadline == date(2026, 4, 28)


def test_gdpr_deadline_when_the_sheet_states_none():
    """Ozone's sheet has no privacy figures: the law's month applies (RGPD art. 12(3))."""
    deadline = rules.request_deadline(date(2026, 3, 10), None)
    assert (deadline.due_on, deadline.clause) == (date(2026, 4, 10), "RGPD art. 12(3)")


def test_discovery_finds_tables_by_customer_id_and_foreign_keys():
    routes = {r.name: r.via for r in discovery.routes("customer")}
    assert routes["customers"] == "customers"
    assert routes["contacts"] == "contacts → customers"
    assert routes["order_lines"] in ("order_lines → orders → customers",
                                     "order_lines → sites → customers")   # both shortest
    assert routes["users"] == "users → customers"                  # customer_id without a key
    assert routes["api_tokens"] == "api_tokens → users → customers"
    assert "offers" not in routes and "operators" not in routes
    personal = discovery.personal_map()
    assert {c.name for c in personal["contacts"]} == {"name", "email", "phone"}


def _person(session, clock, actor):
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    sub = world.live_service(session, clock, actor, customer)
    session.add(User(email="portal@martin.example", name="Jeanne Martin", kind="customer",
                     role="customer", customer_id=customer.id, password_hash="argon2-secret",
                     created_at=clock.now()))
    service.add_recording(session, clock, actor, customer.id,
                          datetime(2026, 3, 10, 15, 0, tzinfo=PARIS), caller="0611223344",
                          subscription_id=sub.id)
    session.flush()
    return op, customer


def test_export_zip_lists_every_table_that_holds_the_customer(session, clock, actor):
    """Access and portability (Annexe 1 B.1.e; RGPD art. 15 and 20): JSON and CSV of every row."""
    _, customer = _person(session, clock, actor)
    archive = zipfile.ZipFile(io.BytesIO(service.export_customer_zip(session, customer.id)))
    index = json.loads(archive.read("index.json"))
    tables = {t["table"] for t in index["tables"]}
    assert tables == {"customers", "sites", "contacts", "orders", "order_lines", "subscriptions",
                      "subscription_items", "subscription_events", "users", "privacy_recordings"}
    assert set(archive.namelist()) == {"index.json"} | {f"{t}.{ext}" for t in tables
                                                         for ext in ("json", "csv")}
    [contact] = json.loads(archive.read("contacts.json"))
    assert contact["phone"] == "0611223344"
    [user] = json.loads(archive.read("users.json"))
    assert "password_hash" not in user                      # secrets are never exported
    assert "0611223344" in archive.read("contacts.csv").decode()


def test_erasure_keeps_what_the_law_needs_and_removes_contacts_phone_numbers(session, clock, actor):
    """Erasure (RGPD art. 17): the contacts' phone numbers and e-mails go, names are
    pseudonymised; the customer's name and billing address stay while the accounting records
    that need them are kept (Code de commerce art. L123-22)."""
    _, customer = _person(session, clock, actor)
    report = service.erase(session, clock, actor, "customer", customer.id, date(2026, 11, 24))
    contact = session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert (contact.phone, contact.email) == ("", "")
    assert contact.name == f"erased-contacts-{contact.id}"
    user = session.scalar(select(User).where(User.customer_id == customer.id))
    assert user.email == f"erased-users-{user.id}"             # unique: pseudonymised
    erased_customer = session.get(Customer, customer.id)
    assert (erased_customer.email, erased_customer.phone) == ("", "")
    decisions = {(d.table, d.column): d.action for d in report.decisions}
    assert decisions[("contacts", "phone")] == "erase"
    assert decisions[("privacy_recordings", "caller")] == "erase"


def test_a_legal_hold_stops_an_erasure(session, clock, actor):
    _, customer = _person(session, clock, actor)
    service.place_legal_hold(session, clock, actor, customer.id, "tax audit", date(2026, 11, 1))
    with pytest.raises(NotAllowed, match="legal hold"):
        service.erase(session, clock, actor, "customer", customer.id, date(2026, 11, 24))


def test_requests_are_logged_with_deadlines_and_answered(session, clock, actor, data_dir):
    _, customer = _person(session, clock, actor)
    contact = session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    access = service.open_request(session, clock, actor, kind="access",
                                  received_on=date(2026, 11, 2), requester="Jeanne Martin",
                                  contact_id=contact.id)
    assert (access.ref, access.due_on, access.customer_id) == ("DSR-2026-00001", date(2026, 12, 2),
                                                                customer.id)
    service.extend_request(session, clock, actor, access.ref, "archives on tape", date(2026, 11, 20))
    assert access.extended_due_on == date(2027, 2, 2)
    service.answer_request(session, clock, actor, access.ref, date(2026, 11, 24))
    archive = zipfile.ZipFile(access.export_file)
    index = json.loads(archive.read("index.json"))
    assert index["subject"] == "contact"
    assert {t["table"] for t in index["tables"]} == {"contacts", "privacy_requests"}
    assert access.status == "answered" and access.outcome["late"] is False

    erasure = service.open_request(session, clock, actor, kind="erasure",
                                   received_on=date(2026, 11, 3), requester="Jeanne Martin",
                                   contact_id=contact.id)
    service.answer_request(session, clock, actor, erasure.ref, date(2026, 11, 24))
    assert contact.phone == ""
    kept = {d["table"]: d["reason"] for d in erasure.outcome["erasure"]["decisions"]
            if d["action"] == "keep"}
    assert "RGPD art. 5(2)" in kept["privacy_requests"]       # the proof of the request stays
    assert [r.ref for r in service.list_requests(session, status="answered")] == [
        erasure.ref, access.ref]


def test_erasure_keeps_issued_invoices_and_the_buyer_they_name(session, clock, actor):
    """Invoices and accounting records are kept 10 years with the personal data they need
    (Code de commerce art. L123-22): an erasure leaves an issued invoice untouched, and the
    customer's name and billing address the invoice needs, while the contacts' phone numbers
    go."""
    from clausier.billing.runs import service as billing_runs
    from clausier.billing.models import Invoice

    op, customer = _person(session, clock, actor)
    billing_runs.bill_period(session, clock, actor, "2026-10", op.code)
    invoice = session.scalar(select(Invoice).where(Invoice.customer_id == customer.id))
    assert invoice is not None and invoice.status == "issued"
    buyer_before = dict(invoice.buyer)
    report = service.erase(session, clock, actor, "customer", customer.id, date(2026, 11, 24))
    session.refresh(invoice)
    assert (invoice.status, invoice.buyer) == ("issued", buyer_before)
    assert "invoices" in {kept.table for kept in report.kept}
    contact = session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert (contact.phone, contact.email) == ("", "")
    kept = {(d.table, d.column): d.reason for d in report.kept}
    assert "Code de commerce art. L123-22" in kept[("customers", "name")]
    assert session.get(Customer, customer.id).name == "Boulangerie Martin"


def test_erasure_reaches_the_residents_of_an_access_control_site(session, clock, actor):
    """Rozoh: the operator processes the residents' records for the site administrator (CP A
    art. 3 L266-269). Erasing the customer blanks their numbers and badges; names and badge keys,
    which must stay filled (a key is unique per site), are pseudonymised; list columns stay lists."""
    from clausier.access.credentials.service import CredentialInput, add_credential
    from clausier.access.models import Credential, UserRecord
    from clausier.access.records.service import RecordInput, create_record
    from tests.access.builders import activated_site

    built = activated_site(session, clock, actor)
    world.give_siren(session.get(Customer, built.pack.customer_id))
    resident = create_record(session, clock, built.admin, built.site.id, RecordInput(
        name="Paul Durand", main_number="+33611223344", secondary_numbers=["+33247000001"],
        app_users=["paul@durand.example"]))
    for frame in ("0A1B2C3D", "0A1B2C3E"):
        add_credential(session, clock, built.admin, built.site.id, resident.id,
                       CredentialInput(kind="badge", format="raw", value=frame, bits=32))
    service.erase(session, clock, actor, "customer", built.pack.customer_id, date(2026, 11, 24))
    record = session.get(UserRecord, resident.id)
    assert (record.name, record.main_number, record.secondary_numbers, record.app_users) == (
        f"erased-access_records-{record.id}", None, [], [])
    badges = session.scalars(select(Credential).where(Credential.record_id == record.id)).all()
    assert {(b.raw, b.key) for b in badges} == {("", f"erased-access_credentials-{b.id}")
                                                for b in badges}


def test_export_zip_holds_the_customers_rated_usage(session, clock, actor, rating_operator,
                                                    subscribe, store, tmp_path, data_dir):
    """RGPD art. 15 and 20: the customer's call-detail data, rated by the rating room and kept in
    its Parquet store, are in the export as CSV, next to every table that holds the customer;
    another customer's calls are not."""
    from clausier.rating.cdr import service as cdr_service
    from clausier.rating.month import service as month_service
    from tests.rating.conftest import csv_row, write_csv

    from clausier.contracts.service import LineInput

    line = subscribe("vga", "0247000001", unit="analogue_line", calls="unlimited")
    other_customer = factories.customer(session, clock, rating_operator, "Other SARL")
    [other] = factories.subscription(
        session, clock, actor, other_customer,
        [LineInput(other_customer.sites[0].id, "vga-analogue_line-1-0247000001", 1, 12)],
        signed_on=date(2026, 1, 5), go_live_on=date(2026, 2, 1))
    other.service_identifier = "0247000002"
    session.flush()
    rows = [csv_row(f"v{i}", "0247000001", called=f"014500000{i}") for i in range(3)]
    rows.append(csv_row("w0", "0247000002", called="0145999999"))
    cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", rows), store)
    month_service.rate(session, clock, actor, "2026-10", store)
    assert store.root == data_dir / "usage"          # where the export reads it

    archive = zipfile.ZipFile(io.BytesIO(service.export_customer_zip(session, line.customer_id)))
    index = json.loads(archive.read("index.json"))
    tables = {t["table"] for t in index["tables"]}
    assert tables == {"customers", "sites", "orders", "order_lines", "subscriptions",
                      "subscription_items", "subscription_events", "rated_usage_summaries"}
    assert [(f["file"], f["rows"]) for f in index["files"]] == [("usage_rated.csv", 3)]
    assert set(archive.namelist()) == ({"index.json", "usage_rated.csv"}
                                       | {f"{t}.{ext}" for t in tables for ext in ("json", "csv")})
    usage = archive.read("usage_rated.csv").decode().splitlines()
    assert usage[0].startswith("month,record_id,subscription_id,customer_id,start,")
    assert [row.split(",")[1] for row in usage[1:]] == ["v0", "v1", "v2"]
    assert "0145999999" not in archive.read("usage_rated.csv").decode()
