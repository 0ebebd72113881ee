"""``clausier import FILE``: how an operator migrates from its old system.

Two documented formats (see docs/IMPORT.md):

* YAML: ``customers:`` with their ``sites``, ``contacts`` and ``orders`` (lines per site);
* CSV: one row per order line, customer and site columns repeated (a flat export).

A change line (``changes:``, or the ``change_*`` columns) is a change order of a subscription
(seats, licences, options, offer) recorded through the same service as the back office: quoted
on its date (a refusal is reported with its clause), then confirmed and audited.

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

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog import facts as catalog_facts
from clausier.contracts import service as contracts
from clausier.contracts.changes import ACTIONS, Change
from clausier.contracts.models import ChangeOrder, Order, Subscription
from clausier.contracts.rules import Refused
from clausier.core.clock import Clock
from clausier.core.errors import ClausierError, InvalidInput, Problem, Report
from clausier.customers import facts as customer_facts
from clausier.customers import service as customers

CUSTOMER_KEYS = ("kind", "name", "siren", "siret", "vat_number", "category", "employees",
                 "main_activity", "email", "phone", "billing_address", "country")
SITE_KEYS = ("address", "postcode", "city", "country", "numbering_zone")
CSV_COLUMNS = (
    "customer_external_ref", "operator", *CUSTOMER_KEYS,
    "site_name", "site_address", "site_postcode", "site_city", "site_country", "site_numbering_zone",
    "site_central", "order_external_ref", "signed_on", "channel", "outside_main_activity",
    "offer", "quantity", "commitment_months", "monthly_fee", "access_fee", "access_fee_undiscounted",
    "shipped_on", "delivered_on", "received_on", "go_live_on", "service_identifier",
    "change_external_ref", "change_subscription", "change_order", "change_on", "change_action",
    "change_offer", "change_quantity",
    # Clausier's own references and the old system's billing (issue 18): their own columns.
    "customer_ref", "subscription_ref", "billed_until",
)
# The lifecycle events an imported order may carry, by field, in the order they are recorded
# (the goods' journey first, then the go-live).
EVENT_FIELDS = (("shipped_on", "shipment"), ("delivered_on", "delivery"), ("received_on", "receipt"),
                ("go_live_on", "activation"))
CHANGE_KEYS = ("subscription", "order", "on")


# Every field of a file is at most this long, whatever its column (a longer one is refused with
# the limit): the widest text a customer record holds is an address, and 1,000 characters is
# far more than any postal address, while a 5 MB value is never data.
MAX_FIELD_CHARS = 1000
# Keys whose value is a list (of mappings, or of words for roles and options).
LIST_KEYS = ("sites", "contacts", "orders", "changes", "lines", "roles", "options")
# The widths of the columns a record's keys are stored in, by section (they bound the values).
_CUSTOMER_FIELDS = customer_facts.field_lengths()
SECTION_WIDTHS = {
    "": _CUSTOMER_FIELDS["customer"], "sites.": _CUSTOMER_FIELDS["site"],
    "contacts.": _CUSTOMER_FIELDS["contact"],
    **{section: {column.name: column.type.length for column in model.__table__.c
                 if getattr(column.type, "length", None)}
       for section, model in (("orders.", Order), ("orders.lines.", Subscription),
                              ("changes.", ChangeOrder))}}
# Fields normalised before they are stored (spaces removed, prefixes added) and checked for
# their form: the width of their column does not bound what is typed.
NORMALISED = ("siren", "siret", "vat_number", "email", "phone")
FLAG_TEXT = {"1": True, "true": True, "yes": True, "oui": True,
             "0": False, "false": False, "no": False, "non": False, "": False}
_YAML_TYPED_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line number, so that errors point into the file. Scalars stay text
    (only ``null`` is typed), as in a CSV file: ``name: 12345`` is a name, ``siren: 012345678``
    keeps its zero, ``2026-02-30`` is a bad date reported with its field rather than a crash
    of the YAML reader, and one set of checks serves both formats."""


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _YAML_TYPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class ReferenceMapping:
    """An external reference of the file and what it is in Clausier."""

    kind: str                       # customer | order
    external_ref: str
    ref: str                        # Clausier's reference
    subscriptions: tuple[str, ...] = ()
    already_imported: bool = False

    def as_dict(self) -> dict:
        return {"kind": self.kind, "external_ref": self.external_ref, "ref": self.ref,
                "subscriptions": list(self.subscriptions),
                "already_imported": self.already_imported}


@dataclass
class ImportResult:
    report: Report = field(default_factory=Report)
    customers: int = 0
    sites: int = 0
    contacts: int = 0
    orders: int = 0
    subscriptions: int = 0
    changes: int = 0
    skipped_existing: int = 0
    references: list[ReferenceMapping] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"customers": self.customers, "sites": self.sites, "contacts": self.contacts,
                "orders": self.orders, "subscriptions": self.subscriptions,
                "changes": self.changes, "already_imported": self.skipped_existing,
                "references": [mapping.as_dict() for mapping in self.references],
                "problems": [{"line": p.line, "field": p.field, "reason": p.reason}
                             for p in self.report.problems]}


# --------------------------------------------------------------------------- reading

def read_records(path: Path) -> list[dict]:
    """The customer records of a YAML or CSV file, each with its ``__line__``. A file that
    cannot be read at all (not UTF-8, broken CSV or YAML) is refused with its line."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _file_error(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                "save it as UTF-8", line) from None
    if path.suffix.lower() == ".csv":
        return _records_from_csv(path, text)
    try:
        loaded = yaml.load(text, Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _file_error(path, f"not valid YAML ({str(exc).splitlines()[0]})",
                          mark.line + 1 if mark else None) from None
    records = loaded.get("customers") if isinstance(loaded, dict) else None
    if not isinstance(records, list):
        raise InvalidInput.on("customers", "the YAML file must have a 'customers:' list",
                              code=Refused.import_customers_not_a_list)
    return records


def _file_error(path: Path, reason: str, line: int | None) -> InvalidInput:
    where = f", line {line}" if line else ""
    return InvalidInput(f"{path.name}{where}: {reason}; nothing imported",
                        problems=[Problem("file", reason, line)])


def _csv_rows(path: Path, text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header, and each row of the file as a mapping with its line. A row with more or
    fewer fields than the header (a file cut mid-line, a stray separator) is refused rather
    than padded or cut."""
    reader = csv.reader(io.StringIO(text), strict=True)
    rows, starts_on = [], 1
    try:
        header = [name.strip() for name in next(reader, [])]
        starts_on = reader.line_num + 1
        for fields in reader:
            if fields and len(fields) != len(header):
                raise _file_error(path, f"{len(fields)} field(s) where the header has "
                                        f"{len(header)} (a row cut short or a stray comma?)",
                                  reader.line_num)
            if fields:
                rows.append((reader.line_num, dict(zip(header, fields, strict=True))))
            starts_on = reader.line_num + 1
    except csv.Error as exc:
        # csv's own limit on a field (128 KiB) is met before ours is checked.
        reason = (f"a field is longer than {MAX_FIELD_CHARS} characters (or a quote is never "
                  "closed)" if "field limit" in str(exc)
                  else "a quote opened on this line is never closed" if "end of data" in str(exc)
                  else f"not valid CSV ({exc})")
        raise _file_error(path, reason, starts_on) from None
    return header, rows


def _records_from_csv(path: Path, text: str) -> list[dict]:
    header, rows = _csv_rows(path, text)
    missing = {"customer_external_ref", "operator", "name", "kind"} - set(header)
    if missing:
        raise InvalidInput.on("header", f"missing column(s): {', '.join(sorted(missing))}",
                              code=Refused.import_columns_missing)
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise InvalidInput.on("header", f"unknown column(s): {', '.join(sorted(unknown))}",
                              code=Refused.import_columns_unknown)
    by_customer: dict[str, dict] = {}
    for line, row in rows:
        row = {k: v.strip() for k, v in row.items() if v.strip()}
        key = row.get("customer_external_ref", f"line-{line}")
        record = by_customer.setdefault(key, {
            "__line__": line, "external_ref": key, "operator": row.get("operator"),
            **{k: row[k] for k in CUSTOMER_KEYS if k in row},
            **({"ref": row["customer_ref"]} if "customer_ref" in row else {}),
            "sites": [], "orders": [],
            "changes": []})
        if "site_name" in row and not any(s["name"] == row["site_name"] for s in record["sites"]):
            record["sites"].append({"__line__": line, "name": row["site_name"],
                                    "central": row.get("site_central"),
                                    **{k: row[f"site_{k}"] for k in SITE_KEYS if f"site_{k}" in row}})
        if "offer" in row:
            order_key = row.get("order_external_ref", f"{key}-line-{line}")
            order = next((o for o in record["orders"] if o["external_ref"] == order_key), None)
            if order is None:
                order = {"__line__": line, "external_ref": order_key, "signed_on": row.get("signed_on"),
                         "channel": row.get("channel", "on_premises"),
                         "outside_main_activity": row.get("outside_main_activity"),
                         **{name: row.get(name) for name, _ in EVENT_FIELDS}, "lines": []}
                record["orders"].append(order)
            order["lines"].append({"__line__": line, "site": row.get("site_name"), "offer": row["offer"],
                                   **{k: row[k] for k in ("quantity", "commitment_months", "monthly_fee",
                                                          "access_fee", "access_fee_undiscounted",
                                                          "service_identifier", "subscription_ref",
                                                          "billed_until") if k in row}})
        if "change_action" in row or "change_external_ref" in row:
            change_key = row.get("change_external_ref", f"{key}-change-{line}")
            change = next((c for c in record["changes"] if c["external_ref"] == change_key), None)
            if change is None:
                change = {"__line__": line, "external_ref": change_key,
                          **{k: row[f"change_{k}"] for k in CHANGE_KEYS if f"change_{k}" in row},
                          "lines": []}
                record["changes"].append(change)
            change["lines"].append({"__line__": line, "action": row.get("change_action"),
                                    "offer": row.get("change_offer"),
                                    **({"quantity": row["change_quantity"]}
                                       if "change_quantity" in row else {})})
    return list(by_customer.values())


def _value_problems(mapping: dict, line: int | None, section: str = "") -> list[Problem]:
    """What is wrong with the shape of a record's values, whatever the format it came from:
    text where text is expected, lists where lists are, no value longer than its column."""
    problems = []
    widths = SECTION_WIDTHS.get(section, {})
    for key, value in mapping.items():
        name = f"{section}{key}"
        if key == "__line__" or value is None:
            continue
        if key in LIST_KEYS:
            if not isinstance(value, list):
                problems.append(Problem(name, "must be a list", line))
                continue
            for item in value:
                if isinstance(item, dict):
                    problems += _value_problems(item, item.get("__line__", line), f"{name}.")
                elif not isinstance(item, str):
                    problems.append(Problem(name, "must be a list of words", line))
            continue
        if not isinstance(value, str):
            problems.append(Problem(name, f"must be a single value, not a {_kind(value)}", line))
            continue
        width = widths.get(key) if key not in NORMALISED else None
        limit = min(MAX_FIELD_CHARS, width or MAX_FIELD_CHARS)
        if len(value) > limit:
            reason = f"{len(value)} characters, more than the limit of {limit}"
            problems.append(Problem(name, reason, line))
    return problems


def _kind(value: object) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else "value"


def _whole_number(value: str | None, field_name: str, line: int | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.isascii() or not value.isdigit():
        raise _fail(field_name, f"{value!r} is not a whole number", line)
    return int(value)


def _flag(value: str | None, field_name: str, line: int | None) -> bool:
    if value is None:
        return False
    if value.lower() not in FLAG_TEXT:
        raise _fail(field_name, f"{value!r} is not one of yes, no, true, false, 1, 0", line)
    return FLAG_TEXT[value.lower()]


# --------------------------------------------------------------------------- importing

def import_file(session: Session, clock: Clock, actor: Actor, path: Path,
                skip_bad_rows: bool = False) -> ImportResult:
    result = ImportResult()
    records = read_records(path)
    whole_file = session.begin_nested()     # rolled back below if the file has errors
    for record in records:
        if not isinstance(record, dict):
            result.report.problems.append(Problem("customers", "each customer must be a mapping"))
            continue
        line = record.get("__line__")
        shape = _value_problems(record, line)
        if shape:
            result.report.problems.extend(shape)
            continue
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
            for name in ("customers", "sites", "contacts", "orders", "subscriptions", "changes",
                         "skipped_existing"):
                setattr(result, name, getattr(result, name) + getattr(counts, name))
            result.references += counts.references
    if result.report.problems and not skip_bad_rows:
        whole_file.rollback()
        raise InvalidInput(f"{path}: {len(result.report.problems)} bad row(s); nothing imported "
                           "(use --skip-bad-rows to import the good ones)", problems=result.report.problems,
                           code=Refused.import_rows_refused)
    whole_file.commit()
    return result


def _parse_date(value: str | None, field_name: str, line: int | None) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field_name}: {value!r} is not a date (YYYY-MM-DD)",
                           problems=[Problem(field_name, f"{value!r} is not a date (YYYY-MM-DD)", line)],
                           code=Refused.import_date_malformed) from None


def _fail(field_name: str, reason: str, line: int | None) -> InvalidInput:
    return InvalidInput(f"{field_name}: {reason}", problems=[Problem(field_name, reason, line)])


def _import_customer(session: Session, clock: Clock, actor: Actor, record: dict, result: ImportResult) -> None:
    line = record.get("__line__")
    external_ref = record.get("external_ref")
    if not external_ref:
        raise _fail("external_ref", "every imported customer needs the reference of the old system", line)
    operator_code = record.get("operator")
    operator = catalog_facts.operator_by_code(session, operator_code)
    if operator is None:
        raise _fail("operator", f"unknown operator {operator_code!r}", line)
    customer = customer_facts.by_external_ref(session, operator.id, [str(external_ref)]).get(
        str(external_ref))
    fields = {k: record[k] for k in CUSTOMER_KEYS if k in record and k not in ("name", "kind")}
    if "employees" in fields:
        fields["employees"] = _whole_number(fields["employees"], "employees", line)
    given_ref = (record.get("ref") or "").strip() or None
    already_imported = customer is not None
    if customer is None:
        customer = customers.create_customer(session, clock, actor, operator=operator.code,
                                             name=record.get("name", ""), kind=record.get("kind", ""),
                                             ref=given_ref, external_ref=str(external_ref), **fields)
        session.flush()
        result.customers += 1
    elif given_ref is not None and given_ref != customer.ref:
        raise _fail("ref", f"customer {external_ref} was already imported as {customer.ref}, "
                           f"not {given_ref}", line)
    else:
        result.skipped_existing += 1
    result.references.append(ReferenceMapping("customer", str(external_ref), customer.ref,
                                              already_imported=already_imported))
    sites = {site.name: site
             for site in customer_facts.sites_of(session, [customer.id]).get(customer.id, ())}
    for site_record in record.get("sites") or []:
        name = site_record.get("name")
        if not name:
            raise _fail("sites.name", "a site needs a name", site_record.get("__line__"))
        if name not in sites:
            sites[name] = customers.add_site(
                session, clock, actor, customer.id, name=name,
                is_central=_flag(site_record.get("central"), "sites.central",
                                 site_record.get("__line__")) or None,
                **{k: str(site_record[k]) for k in SITE_KEYS if k in site_record})
            result.sites += 1
    contacts = customer_facts.contacts_of(session, [customer.id]).get(customer.id, ())
    known_contacts = {(c.email or c.name) for c in contacts}
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
    for change_record in record.get("changes") or []:
        _import_change(session, clock, actor, customer, change_record, result)


def _import_order(session: Session, clock: Clock, actor: Actor, customer, sites: dict,
                  record: dict, result: ImportResult) -> None:
    line = record.get("__line__")
    external_ref = record.get("external_ref")
    if not external_ref:
        raise _fail("orders.external_ref", "every imported order needs the reference of the old system", line)
    existing = session.scalar(select(Order).where(Order.customer_id == customer.id,
                                                  Order.external_ref == str(external_ref)))
    if existing is not None:
        result.skipped_existing += 1
        result.references.append(ReferenceMapping(
            "order", str(external_ref), existing.ref,
            tuple(session.scalars(select(Subscription.ref).where(Subscription.order_id == existing.id)
                                  .order_by(Subscription.id))), already_imported=True))
        return
    signed_on = _parse_date(record.get("signed_on"), "orders.signed_on", line)
    if signed_on is None:
        raise _fail("orders.signed_on", "the signature date is required", line)
    events = [(name, event, _parse_date(record.get(name), f"orders.{name}", line)) for name, event in EVENT_FIELDS]
    lines, identifiers, refs, billed_until = [], [], [], []
    for entry in record.get("lines") or []:
        entry_line = entry.get("__line__", line)
        site = sites.get(entry.get("site")) if entry.get("site") else next(iter(sites.values()), None)
        if site is None:
            raise _fail("lines.site", f"unknown site {entry.get('site')!r} for {customer.name}", entry_line)
        quantity = _whole_number(entry.get("quantity"), "lines.quantity", entry_line)
        try:
            lines.append(contracts.LineInput(
                site_id=site.id, offer_code=str(entry.get("offer", "")),
                quantity=1 if quantity is None else quantity,
                commitment_months=_whole_number(entry.get("commitment_months"),
                                                "lines.commitment_months", entry_line),
                monthly_fee=contracts.parse_amount(entry["monthly_fee"], "lines.monthly_fee") if entry.get("monthly_fee") else None,
                access_fee=contracts.parse_amount(entry["access_fee"], "lines.access_fee") if entry.get("access_fee") else None,
                access_fee_undiscounted=(contracts.parse_amount(entry["access_fee_undiscounted"], "lines.access_fee_undiscounted")
                                         if entry.get("access_fee_undiscounted") else None),
                options=tuple(entry.get("options") or ())))
        except ClausierError as exc:
            raise InvalidInput(exc.message, problems=[Problem(p.field, p.reason, entry_line) for p in exc.problems],
                               code=exc.code)
        identifiers.append((site.id, entry.get("service_identifier")))
        if entry.get("subscription_ref"):
            refs.append((site.id, str(entry.get("offer", "")), str(entry["subscription_ref"])))
        until = _parse_date(entry.get("billed_until"), "lines.billed_until", entry_line)
        if until is not None:
            billed_until.append((site.id, str(entry.get("offer", "")), until, entry_line))
    try:
        order = contracts.create_order(session, clock, actor, contracts.OrderInput(
            customer_id=customer.id, signed_on=signed_on, channel=record.get("channel", "on_premises"),
            lines=lines,
            outside_main_activity=_flag(record.get("outside_main_activity"),
                                        "orders.outside_main_activity", line),
            external_ref=str(external_ref)))
        session.flush()
        created = contracts.accept_order(session, clock, actor, order.id, refs)
    except ClausierError as exc:
        raise InvalidInput(exc.message, problems=[Problem(p.field, p.reason, p.line or line)
                                                  for p in (exc.problems or [Problem("orders", exc.message)])],
                           code=exc.code)
    result.orders += 1
    result.subscriptions += len(created)
    result.references.append(ReferenceMapping("order", str(external_ref), order.ref,
                                              tuple(s.ref for s in created)))
    for subscription in created:
        identifier = next((i for s, i in identifiers if s == subscription.site_id and i), None)
        for name, event, day in events:
            if day is None:
                continue
            try:
                if event == "activation":
                    contracts.activate(session, clock, actor, subscription.id, day, identifier,
                                       source=f"import {external_ref}")
                else:
                    contracts.record_event(session, clock, actor, subscription.id, event, day,
                                           source=f"import {external_ref}")
            except ClausierError as exc:
                raise _fail(f"orders.{name}", exc.problems[0].reason if exc.problems else exc.message,
                            line) from None
        _record_billed_until(session, clock, actor, subscription, billed_until)


def _import_change(session: Session, clock: Clock, actor: Actor, customer,
                   record: dict, result: ImportResult) -> None:
    """A change order of one of the customer's subscriptions: quoted on its date, then confirmed
    (the back office's use case: dated, re-committed, audited, its fees charged)."""
    line = record.get("__line__")
    external_ref = record.get("external_ref")
    if not external_ref:
        raise _fail("changes.external_ref",
                    "every imported change needs the reference of the old system", line)
    on = _parse_date(record.get("on"), "changes.on", line)
    if on is None:
        raise _fail("changes.on", "the date the change was ordered is required", line)
    wanted = []
    for index, entry in enumerate(record.get("lines") or []):
        entry_line = entry.get("__line__", line)
        action = entry.get("action")
        if action not in ACTIONS:
            raise _fail("changes.lines.action", f"{action!r} is not one of {', '.join(ACTIONS)}",
                        entry_line)
        if not entry.get("offer"):
            raise _fail("changes.lines.offer", "the offer code changed is required", entry_line)
        quantity = _whole_number(entry.get("quantity"), "changes.lines.quantity", entry_line)
        wanted.append(Change(action, str(entry["offer"]), 1 if quantity is None else quantity))
    if not wanted:
        raise _fail("changes.lines", "a change needs at least one line (action, offer, quantity)",
                    line)
    subscription = _changed_subscription(session, customer, record, wanted, line)
    if session.scalar(select(ChangeOrder).where(ChangeOrder.subscription_id == subscription.id,
                                                ChangeOrder.external_ref == str(external_ref))):
        result.skipped_existing += 1
        return
    lines = [entry.get("__line__", line) for entry in record.get("lines") or []]
    try:
        # The back office's use case: quoted on its date (a refusal names its clause), confirmed.
        contracts.confirm_change(session, clock, actor, subscription.id, tuple(wanted), on,
                                 external_ref=str(external_ref))
    except ClausierError as exc:
        problems = exc.problems or [Problem(*_field_and_reason(exc.message))]
        raise InvalidInput(exc.message, problems=[
            _change_problem(p.field, p.reason, lines, line) for p in problems],
                           code=exc.code) from None
    result.changes += 1


def _field_and_reason(message: str) -> tuple[str, str]:
    """``"changes.0.quantity: 11 is more than …"`` → the field and the reason."""
    field_name, colon, reason = message.partition(": ")
    return (field_name, reason) if colon and " " not in field_name else ("changes", message)


def _change_problem(field_name: str, reason: str, lines: list[int | None],
                    line: int | None) -> Problem:
    """A refusal of the change service, pointed at the line of the change it names
    (``changes.N.…`` is the Nth line of the change)."""
    parts = field_name.split(".")
    if (len(parts) > 1 and parts[0] == "changes" and parts[1].isdigit()
            and int(parts[1]) < len(lines)):
        return Problem("changes.lines." + ".".join(parts[2:]), reason, lines[int(parts[1])])
    return Problem(field_name if field_name.startswith("changes") else f"changes.{field_name}",
                   reason, line)


def _changed_subscription(session: Session, customer, record: dict,
                          wanted: list[Change], line: int | None) -> Subscription:
    """The subscription a change names: its reference or service identifier (``subscription``),
    or the order it came from (``order``, the old system's reference; the subscription of the
    changed offer's family when the order made several)."""
    named = record.get("subscription")
    if named:
        found = session.scalar(select(Subscription).where(
            Subscription.customer_id == customer.id,
            (Subscription.ref == str(named)) | (Subscription.external_ref == str(named))))
        found = found or contracts.find_by_service_identifier(session, str(named))
        if found is None or found.customer_id != customer.id:
            raise _fail("changes.subscription",
                        f"no subscription {named!r} (reference or service identifier) "
                        f"for {customer.name}", line)
        return found
    order_ref = record.get("order")
    if not order_ref:
        raise _fail("changes.subscription", "name the subscription changed (subscription: its "
                    "reference or service identifier, or order: the imported order)", line)
    order = session.scalar(select(Order).where(Order.customer_id == customer.id,
                                               Order.external_ref == str(order_ref)))
    if order is None:
        raise _fail("changes.order", f"no imported order {order_ref!r} for {customer.name}", line)
    candidates = list(session.scalars(select(Subscription).where(
        Subscription.order_id == order.id).order_by(Subscription.id)))
    if len(candidates) > 1:
        families = {offer.family for offer in catalog_facts.offers_by_code(
            session, order.operator_id, [change.offer_code for change in wanted]).values()}
        candidates = [s for s in candidates if s.family in families]
    if len(candidates) != 1:
        raise _fail("changes.order", f"order {order_ref!r} made {len(candidates)} subscriptions "
                    "for these offers: name the subscription instead", line)
    return candidates[0]



def _record_billed_until(session: Session, clock: Clock, actor: Actor, subscription: Subscription,
                         given: list[tuple[int, str, date, int | None]]) -> None:
    """The day the old system billed the subscription up to, from its lines (site id, offer code,
    date, line of the file), which must agree."""
    offers = {item.offer_code for item in subscription.items}
    dates = {(until, entry_line) for site_id, offer, until, entry_line in given
             if site_id == subscription.site_id and offer in offers}
    if not dates:
        return
    days = {until for until, _ in dates}
    entry_line = min(entry_line or 0 for _, entry_line in dates) or None
    if len(days) > 1:
        raise _fail("lines.billed_until", f"the lines of subscription {subscription.ref} (same site "
                                          "and service family) give different dates: "
                                          f"{', '.join(sorted(d.isoformat() for d in days))}", entry_line)
    try:
        contracts.record_billed_until(session, clock, actor, subscription.id, days.pop())
    except ClausierError as exc:
        raise InvalidInput(exc.message, problems=[Problem(p.field if p.field.startswith("lines.")
                                                          else f"lines.{p.field}", p.reason, entry_line)
                                                  for p in exc.problems], code=exc.code) from None
