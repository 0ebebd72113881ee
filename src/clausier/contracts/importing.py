"""``clausier import FILE``: how an operator migrates from its old system.

Two documented formats (see docs/IMPORT.md):

* YAML: ``customers:`` with their ``sites``, ``contacts`` and ``orders`` (lines per site);
* CSV: one row per order line, customer and site columns repeated (a flat export).

Everything is validated; every bad row is reported with its line and reason. A file with
errors imports nothing unless ``skip_bad_rows``; external references make re-imports
idempotent (a customer, site, contact or order already imported is not created twice).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog.models import Operator
from clausier.contracts import service as contracts
from clausier.contracts.models import Order
from clausier.core.clock import Clock
from clausier.core.errors import ClausierError, InvalidInput, Problem, Report
from clausier.customers import service as customers
from clausier.customers.models import Contact, Customer, Site

CUSTOMER_KEYS = ("kind", "name", "siren", "siret", "vat_number", "category", "employees",
                 "main_activity", "email", "phone", "billing_address", "country")
SITE_KEYS = ("address", "postcode", "city", "country", "numbering_zone")
CSV_COLUMNS = (
    "customer_external_ref", "operator", *CUSTOMER_KEYS,
    "site_name", "site_address", "site_postcode", "site_city", "site_country", "site_numbering_zone",
    "site_central", "order_external_ref", "signed_on", "channel", "outside_main_activity",
    "offer", "quantity", "commitment_months", "monthly_fee", "access_fee", "access_fee_undiscounted",
    "go_live_on", "service_identifier",
)


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line number, so that errors point into the file."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class ImportResult:
    report: Report = field(default_factory=Report)
    customers: int = 0
    sites: int = 0
    contacts: int = 0
    orders: int = 0
    subscriptions: int = 0
    skipped_existing: int = 0

    def as_dict(self) -> dict:
        return {"customers": self.customers, "sites": self.sites, "contacts": self.contacts,
                "orders": self.orders, "subscriptions": self.subscriptions,
                "already_imported": self.skipped_existing,
                "problems": [{"line": p.line, "field": p.field, "reason": p.reason}
                             for p in self.report.problems]}


# --------------------------------------------------------------------------- reading

def read_records(path: Path) -> list[dict]:
    """The customer records of a YAML or CSV file, each with its ``__line__``."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if Path(path).suffix.lower() == ".csv":
        return _records_from_csv(text)
    try:
        data = yaml.load(text, Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput(f"{path}: not valid YAML",
                           problems=[Problem("file", str(exc).splitlines()[0], mark.line + 1 if mark else None)])
    records = data.get("customers") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise InvalidInput.on("customers", "the YAML file must have a 'customers:' list")
    return records


def _records_from_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"customer_external_ref", "operator", "name", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise InvalidInput.on("header", f"missing column(s): {', '.join(sorted(missing))}")
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown:
        raise InvalidInput.on("header", f"unknown column(s): {', '.join(sorted(unknown))}")
    by_customer: dict[str, dict] = {}
    for row in reader:
        line = reader.line_num
        row = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if v not in (None, "")}
        key = row.get("customer_external_ref", f"line-{line}")
        record = by_customer.setdefault(key, {
            "__line__": line, "external_ref": key, "operator": row.get("operator"),
            **{k: row[k] for k in CUSTOMER_KEYS if k in row}, "sites": [], "orders": []})
        if "site_name" in row and not any(s["name"] == row["site_name"] for s in record["sites"]):
            record["sites"].append({"__line__": line, "name": row["site_name"],
                                    "central": row.get("site_central", "").lower() in ("1", "true", "yes", "oui"),
                                    **{k: row[f"site_{k}"] for k in SITE_KEYS if f"site_{k}" in row}})
        if "offer" in row:
            order_key = row.get("order_external_ref", f"{key}-line-{line}")
            order = next((o for o in record["orders"] if o["external_ref"] == order_key), None)
            if order is None:
                order = {"__line__": line, "external_ref": order_key, "signed_on": row.get("signed_on"),
                         "channel": row.get("channel", "on_premises"),
                         "outside_main_activity": row.get("outside_main_activity", "").lower() in ("1", "true", "yes"),
                         "go_live_on": row.get("go_live_on"), "lines": []}
                record["orders"].append(order)
            order["lines"].append({"__line__": line, "site": row.get("site_name"), "offer": row["offer"],
                                   **{k: row[k] for k in ("quantity", "commitment_months", "monthly_fee",
                                                          "access_fee", "access_fee_undiscounted",
                                                          "service_identifier") if k in row}})
    return list(by_customer.values())


# --------------------------------------------------------------------------- importing

def import_file(session: Session, clock: Clock, actor: Actor, path: Path,
                skip_bad_rows: bool = False) -> ImportResult:
    result = ImportResult()
    records = read_records(path)
    whole_file = session.begin_nested()     # rolled back below if the file has errors
    for record in records:
        line = record.get("__line__")
        counts = ImportResult()
        try:
            with session.begin_nested():
                _import_customer(session, clock, actor, record, counts)
        except ClausierError as exc:
            problems = exc.problems or [Problem("record", exc.message)]
            for problem in problems:
                result.report.problems.append(Problem(problem.field, problem.reason, problem.line or line))
        except (ValueError, TypeError, KeyError) as exc:
            result.report.problems.append(Problem("record", str(exc), line))
        else:
            result.report.accepted += 1
            for name in ("customers", "sites", "contacts", "orders", "subscriptions", "skipped_existing"):
                setattr(result, name, getattr(result, name) + getattr(counts, name))
    if result.report.problems and not skip_bad_rows:
        whole_file.rollback()
        raise InvalidInput(f"{path}: {len(result.report.problems)} bad row(s); nothing imported "
                           "(use --skip-bad-rows to import the good ones)", problems=result.report.problems)
    whole_file.commit()
    return result


def _parse_date(value: Any, field_name: str, line: int | None) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field_name}: {value!r} is not a date (YYYY-MM-DD)",
                           problems=[Problem(field_name, f"{value!r} is not a date (YYYY-MM-DD)", line)]) from None


def _fail(field_name: str, reason: str, line: int | None) -> InvalidInput:
    return InvalidInput(f"{field_name}: {reason}", problems=[Problem(field_name, reason, line)])


def _import_customer(session: Session, clock: Clock, actor: Actor, record: dict, result: ImportResult) -> None:
    line = record.get("__line__")
    external_ref = record.get("external_ref")
    if not external_ref:
        raise _fail("external_ref", "every imported customer needs the reference of the old system", line)
    operator_code = record.get("operator")
    operator = session.scalar(select(Operator).where(Operator.code == operator_code))
    if operator is None:
        raise _fail("operator", f"unknown operator {operator_code!r}", line)
    customer = session.scalar(select(Customer).where(Customer.operator_id == operator.id,
                                                     Customer.external_ref == str(external_ref)))
    fields = {k: record[k] for k in CUSTOMER_KEYS if k in record and k not in ("name", "kind")}
    if customer is None:
        customer = customers.create_customer(session, clock, actor, operator=operator.code,
                                             name=record.get("name", ""), kind=record.get("kind", ""),
                                             external_ref=str(external_ref), **fields)
        session.flush()
        result.customers += 1
    else:
        result.skipped_existing += 1
    sites: dict[str, Site] = {s.name: s for s in session.scalars(select(Site).where(Site.customer_id == customer.id))}
    for site_record in record.get("sites") or []:
        name = site_record.get("name")
        if not name:
            raise _fail("sites.name", "a site needs a name", site_record.get("__line__"))
        if name not in sites:
            sites[name] = customers.add_site(
                session, clock, actor, customer.id, name=name,
                is_central=bool(site_record.get("central")) or None,
                **{k: str(site_record[k]) for k in SITE_KEYS if k in site_record})
            result.sites += 1
    known_contacts = {(c.email or c.name) for c in session.scalars(select(Contact).where(Contact.customer_id == customer.id))}
    for contact in record.get("contacts") or []:
        key = contact.get("email") or contact.get("name")
        if key in known_contacts:
            continue
        values = {k: v for k, v in contact.items() if k in ("email", "phone", "roles")}
        customers.add_contact(session, clock, actor, customer.id, name=contact.get("name", ""), **values)
        known_contacts.add(key)
        result.contacts += 1
    session.flush()
    for order_record in record.get("orders") or []:
        _import_order(session, clock, actor, customer, sites, order_record, result)


def _import_order(session: Session, clock: Clock, actor: Actor, customer: Customer, sites: dict[str, Site],
                  record: dict, result: ImportResult) -> None:
    line = record.get("__line__")
    external_ref = record.get("external_ref")
    if not external_ref:
        raise _fail("orders.external_ref", "every imported order needs the reference of the old system", line)
    if session.scalar(select(Order).where(Order.customer_id == customer.id, Order.external_ref == str(external_ref))):
        result.skipped_existing += 1
        return
    signed_on = _parse_date(record.get("signed_on"), "orders.signed_on", line)
    if signed_on is None:
        raise _fail("orders.signed_on", "the signature date is required", line)
    go_live = _parse_date(record.get("go_live_on"), "orders.go_live_on", line)
    lines, identifiers = [], []
    for entry in record.get("lines") or []:
        entry_line = entry.get("__line__", line)
        site = sites.get(entry.get("site")) if entry.get("site") else next(iter(sites.values()), None)
        if site is None:
            raise _fail("lines.site", f"unknown site {entry.get('site')!r} for {customer.name}", entry_line)
        try:
            lines.append(contracts.LineInput(
                site_id=site.id, offer_code=str(entry.get("offer", "")), quantity=int(entry.get("quantity", 1)),
                commitment_months=int(entry["commitment_months"]) if entry.get("commitment_months") else None,
                monthly_fee=contracts.parse_amount(entry["monthly_fee"], "lines.monthly_fee") if entry.get("monthly_fee") else None,
                access_fee=contracts.parse_amount(entry["access_fee"], "lines.access_fee") if entry.get("access_fee") else None,
                access_fee_undiscounted=(contracts.parse_amount(entry["access_fee_undiscounted"], "lines.access_fee_undiscounted")
                                         if entry.get("access_fee_undiscounted") else None),
                options=tuple(entry.get("options") or ())))
        except ClausierError as exc:
            raise InvalidInput(exc.message, problems=[Problem(p.field, p.reason, entry_line) for p in exc.problems])
        except ValueError as exc:
            raise _fail("lines.quantity", str(exc), entry_line) from None
        identifiers.append((site.id, entry.get("service_identifier")))
    try:
        order = contracts.create_order(session, clock, actor, contracts.OrderInput(
            customer_id=customer.id, signed_on=signed_on, channel=record.get("channel", "on_premises"),
            lines=lines, outside_main_activity=bool(record.get("outside_main_activity")),
            external_ref=str(external_ref)))
        session.flush()
        created = contracts.accept_order(session, clock, actor, order.id)
    except ClausierError as exc:
        raise InvalidInput(exc.message, problems=[Problem(p.field, p.reason, p.line or line)
                                                  for p in (exc.problems or [Problem("orders", exc.message)])])
    result.orders += 1
    result.subscriptions += len(created)
    if go_live is not None:
        for subscription in created:
            identifier = next((i for s, i in identifiers if s == subscription.site_id and i), None)
            contracts.activate(session, clock, actor, subscription.id, go_live, identifier)
