"""SEPA files: pain.008 collection files (``sepaxml``, which validates its output against the
ISO 20022 XSD it ships) and the returns files a bank sends back.

Returns files, either:

* CSV (``;`` or ``,``) with a header ``end_to_end_id;reason_code;returned_on;amount`` —
  ``returned_on`` as ``YYYY-MM-DD``, ``amount`` optional (decimal, ``.`` or ``,``);
* a pain.002 customer payment status report: every ``TxInfAndSts`` with ``TxSts`` ``RJCT``
  gives ``OrgnlEndToEndId``, the reason ``StsRsnInf/Rsn/Cd``, the amount ``OrgnlTxRef/Amt/InstdAmt``
  and the date ``AccptncDtTm`` (else the report's ``GrpHdr/CreDtTm``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

from clausier.core.errors import Problem
from clausier.core.money import to_decimal

PAIN008_VERSION = "pain.008.001.02"
# Located rather than imported (``importlib.resources`` would import sepaxml and its schemas).
PAIN008_SCHEMA = Path(find_spec("sepaxml").origin).parent / "schemas" / f"{PAIN008_VERSION}.xsd"


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    identifier: str


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal
    sequence_type: str
    debtor_name: str
    iban: str
    bic: str
    mandate_reference: str
    mandate_signed_on: date
    description: str


def pain008(creditor: Creditor, collection_date: date, debits: list[Debit]) -> tuple[bytes, str]:
    """The collection file and its message id; ``sepaxml`` refuses output that breaks the XSD."""
    from sepaxml import SepaDD   # with its XML schemas: loaded by the SEPA commands only

    document = SepaDD({"name": creditor.name, "IBAN": creditor.iban, "BIC": creditor.bic,
                       "batch": True, "creditor_id": creditor.identifier, "currency": "EUR"},
                      schema=PAIN008_VERSION)
    for debit in debits:
        document.add_payment({
            "name": debit.debtor_name, "IBAN": debit.iban, "BIC": debit.bic,
            "amount": int((debit.amount * 100).to_integral_value()), "type": debit.sequence_type,
            "collection_date": collection_date, "mandate_id": debit.mandate_reference,
            "mandate_date": debit.mandate_signed_on, "description": debit.description,
            "endtoend_id": debit.end_to_end_id})
    return document.export(validate=True, pretty_print=True), document.msg_id


@dataclass(frozen=True)
class ReturnLine:
    line: int
    end_to_end_id: str
    reason_code: str
    returned_on: date
    amount: Decimal | None = None


def parse_returns(content: bytes) -> tuple[list[ReturnLine], list[Problem]]:
    """Read a returns file (CSV or pain.002 XML); bad rows are reported, not fatal."""
    text = content.decode("utf-8-sig").strip()
    if text.startswith("<"):
        return _parse_pain002(content)
    return _parse_csv(text)


def _parse_csv(text: str) -> tuple[list[ReturnLine], list[Problem]]:
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = {"end_to_end_id", "reason_code", "returned_on"} - set(reader.fieldnames or [])
    if missing:
        return [], [Problem("header", f"missing column(s) {', '.join(sorted(missing))}", 1)]
    lines, problems = [], []
    for number, row in enumerate(reader, start=2):
        try:
            returned_on = date.fromisoformat((row["returned_on"] or "").strip())
        except ValueError:
            problems.append(Problem("returned_on", f"{row['returned_on']!r} is not YYYY-MM-DD", number))
            continue
        amount = None
        if (row.get("amount") or "").strip():
            try:
                amount = to_decimal(row["amount"], field="amount")
            except ValueError as exc:
                problems.append(Problem("amount", str(exc), number))
                continue
        if not (row["end_to_end_id"] or "").strip():
            problems.append(Problem("end_to_end_id", "empty", number))
            continue
        lines.append(ReturnLine(number, row["end_to_end_id"].strip(),
                                (row["reason_code"] or "").strip().upper(), returned_on, amount))
    return lines, problems


def _local(element) -> str:
    from lxml import etree

    return etree.QName(element).localname


def _child(element, *path: str):
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if isinstance(c.tag, str) and _local(c) == name), None)
    return element


def _parse_pain002(content: bytes) -> tuple[list[ReturnLine], list[Problem]]:
    from lxml import etree   # loaded by the SEPA commands only

    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [], [Problem("file", f"not well-formed XML: {exc}", exc.lineno)]
    report = _child(root, "CstmrPmtStsRpt")
    if report is None:
        return [], [Problem("file", "not a pain.002 report (no CstmrPmtStsRpt)", 1)]
    created = _child(report, "GrpHdr", "CreDtTm")
    default_day = datetime.fromisoformat(created.text.strip()).date() if created is not None else None
    lines, problems = [], []
    for tx in report.iter():
        if not isinstance(tx.tag, str) or _local(tx) != "TxInfAndSts":
            continue
        number = tx.sourceline
        status = _child(tx, "TxSts")
        if status is None or status.text.strip() != "RJCT":
            continue
        e2e = _child(tx, "OrgnlEndToEndId")
        code = _child(tx, "StsRsnInf", "Rsn", "Cd")
        accepted = _child(tx, "AccptncDtTm")
        amount = _child(tx, "OrgnlTxRef", "Amt", "InstdAmt")
        day = datetime.fromisoformat(accepted.text.strip()).date() if accepted is not None else default_day
        if e2e is None or code is None or day is None:
            problems.append(Problem("TxInfAndSts", "needs OrgnlEndToEndId, StsRsnInf/Rsn/Cd and a date",
                                    number))
            continue
        lines.append(ReturnLine(number, e2e.text.strip(), code.text.strip().upper(), day,
                                to_decimal(amount.text) if amount is not None else None))
    return lines, problems
