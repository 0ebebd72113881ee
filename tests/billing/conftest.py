"""Billing fixtures: operators with their built-in sheets and demo offers, customers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests import factories


@pytest.fixture
def tec(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "vga-analogue", "vga", "20.00", unit="analogue_line", access_fee="50")
    factories.offer(session, op, "presel", "preselection", "10.00")
    factories.offer(session, op, "vga-management", "vga", "30.00", common=True)
    factories.offer(session, op, "sip-10", "sip_trunk", "450.00", unit="trunk", access_fee="300.00")
    factories.offer(session, op, "mobile-pro", "mobile", "25.00", unit="line")
    return op


@pytest.fixture
def ozone(session, clock, actor):
    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "pack-fibre", "pack", "39.99")
    factories.offer(session, op, "option-mobile", "mobile", "9.99")
    return op


@pytest.fixture
def business(session, clock, tec):
    """A company with its head office (central site) and a branch."""
    customer = factories.customer(session, clock, tec, "Menuiserie Lebrun", employees=25,
                                  sites=(("Siège Tours", "37"), ("Atelier Blois", "41")))
    customer.siren, customer.vat_number = "552100554", "FR40552100554"
    customer.billing_address = "8 quai Paul Bert, 37100 Tours"
    return customer


# The official EN 16931 validation artefacts (CEN/TC 434, CII syntax), beside the repository
# like the seeds; CLAUSIER_VALIDATORS_DIR points elsewhere.
VALIDATORS = Path(os.environ.get("CLAUSIER_VALIDATORS_DIR")
                  or Path(__file__).resolve().parents[2].parent / "shared" / "validators")
EN16931_CII = VALIDATORS / "en16931" / "EN16931-CII-validation.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@pytest.fixture(scope="session")
def en16931_fatal() -> Callable[[bytes], list[str]]:
    """The fatal assertions the official EN 16931 CII Schematron finds in a Factur-X XML, as
    ``"BR-S-02: text"``. The XSLT (compiled Schematron) is compiled once per session."""
    if not EN16931_CII.is_file():
        message = f"no EN 16931 validation artefacts at {EN16931_CII} (CLAUSIER_VALIDATORS_DIR)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    stylesheet = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(EN16931_CII))

    def fatal(xml: bytes) -> list[str]:
        report = stylesheet.transform_to_string(xdm_node=processor.parse_xml(
            xml_text=xml.decode("utf-8")))
        svrl = etree.fromstring(report.encode("utf-8"))
        return [f"{failed.get('id')}: {' '.join(failed.findtext('svrl:text', '', SVRL).split())}"
                for failed in svrl.iterfind(".//svrl:failed-assert[@flag='fatal']", SVRL)]

    return fatal
