"""Invoice PDFs rendered by the workers (issue 23): with a broker, ``clausier invoice pdfs``
sends the documents to a ``clausier worker`` process, whose files carry the Factur-X EN 16931 XML
the billing tests check, and rendering them again gives the very same files."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import facturx
from lxml import etree
from typer.testing import CliRunner

from clausier.billing.runs import service as billing_runs
from clausier.cli.main import app
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_workers_write_factur_x_pdfs_and_the_same_files_again(
        shared_worker, tasks, clean_engine, db_url, clock, actor, en16931_fatal, monkeypatch,
        tmp_path):
    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        for name in ("Garage Moreau", "Boulangerie Roux", "Cabinet Lenoir"):
            customer = factories.customer(s, clock, op, name)
            factories.subscription(s, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "presel")],
                                   signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
        billing_runs.bill_period(s, clock, actor, "2026-11", "technicophone")
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    folder = tmp_path / "pdfs"
    command = ["invoice", "pdfs", "--period", "2026-11", "-o", str(folder), "--json"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output + shared_worker.log_text()
    report = json.loads(result.output)
    assert (report["written"], report["workers"]) == (3, None)     # None: the broker's workers
    first = _digests(folder)
    assert list(first) == ["TEC-2026-000001.pdf", "TEC-2026-000002.pdf", "TEC-2026-000003.pdf"]
    _name, xml = facturx.get_facturx_xml_from_pdf((folder / "TEC-2026-000002.pdf").read_bytes(),
                                                  check_xsd=True)
    tree = etree.fromstring(xml)
    assert facturx.get_level(tree) == "en16931"
    assert tree.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == "TEC-2026-000002"
    assert en16931_fatal(xml) == []
    # Again (the files are removed, then written by the workers once more): the same bytes.
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output
    assert _digests(folder) == first
