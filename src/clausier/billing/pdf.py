"""Invoice documents: the PDF (WeasyPrint, from an HTML template) with its Factur-X XML (EN 16931
profile) embedded by the ``factur-x`` library, which validates the XML against the official XSD.

The document is in French (the mentions the law requires are French texts); each line shows its
explanation, formula and clause, as on screen.
"""

from __future__ import annotations

import re
from decimal import Decimal

import facturx
from facturx.generate_xml import generate_xml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from clausier.billing.models import Invoice
from clausier.core.money import fr_format
from clausier.web.templating import TEMPLATES

FACTURX_LEVEL = "en16931"
_TYPE_CODES = {"invoice": "380", "credit_note": "381"}       # UNTDID 1001
_VAT_CATEGORY = {"exempt": "E"}                              # UNTDID 5305; S = standard rate
# Notes subjects (UNTDID 4451) French e-invoicing uses for the mandatory payment mentions.
_NOTE_SUBJECTS = (("Pénalités", "PMD"), ("Indemnité forfaitaire", "PMT"), ("escompte", "AAB"))

_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)
_environment.filters["money"] = fr_format
_environment.filters["day"] = lambda d: d.strftime("%d/%m/%Y") if d else ""
_environment.filters["percent"] = lambda rate: f"{(Decimal(rate) * 100).normalize():f} %".replace(".", ",")


def invoice_html(invoice: Invoice, credited: Invoice | None = None) -> str:
    """The printable HTML of an invoice or credit note (lines grouped by site)."""
    sites: dict[str, list] = {}
    for line in invoice.lines:
        sites.setdefault(line.site_name or "", []).append(line)
    return _environment.get_template("billing/invoice_pdf.html").render(
        invoice=invoice, sites=sites, credited=credited,
        title="Avoir" if invoice.kind == "credit_note" else "Facture")


def facturx_xml(invoice: Invoice, credited: Invoice | None = None) -> bytes:
    """The EN 16931 Cross-Industry-Invoice XML of an issued document, checked against the XSD."""
    if invoice.number is None:
        raise ValueError(f"invoice {invoice.id}: a draft has no Factur-X document")
    seller, buyer = invoice.seller, invoice.buyer
    lines = []
    for line in invoice.lines:
        negative = line.amount_ht < 0
        quantity = -abs(line.quantity) if negative else abs(line.quantity)
        net = abs(line.amount_ht / line.quantity) if line.quantity else abs(line.amount_ht)
        note = "; ".join(f"{l['formula']} — {l['clause']}".strip(" —")
                         for l in line.explanation.get("lines", []) if l.get("formula") or l.get("clause"))
        entry = {
            "BT-126": str(line.position), "BT-129": str(quantity), "BT-130": "C62",
            "BT-131": str(line.amount_ht), "BT-146": f"{net:.4f}", "BT-153": line.label[:200],
            "BT-151": _VAT_CATEGORY.get(line.vat_rate, "S"),
            "BT-152": _percent(_rate_of(invoice, line.vat_rate)),
        }
        if note:
            entry["BT-127-00"] = [{"BT-127": note[:500]}]
        if line.period_start and line.period_end:
            entry["BT-134"], entry["BT-135"] = line.period_start, line.period_end
        lines.append(entry)
    data = {
        "BT-1": invoice.number, "BT-2": invoice.issue_date,
        "BT-3": _TYPE_CODES[invoice.kind], "BT-5": "EUR",
        "BT-9": invoice.due_date or invoice.issue_date,
        "BT-10": buyer.get("ref") or None,
        "BG-1": [{"BT-22": m["text"], **({"BT-21": code} if code else {})}
                 for m in invoice.mentions for code in [_subject(m["text"])]],
        "BG-4": _party(seller),
        "BG-7": _party(buyer),
        # Deliver-to: the buyer (its central site gets the common fees); always given, as the
        # library writes an empty, invalid delivery block without it.
        "BG-13": {key: value for key, value in _party(buyer).items()
                  if key in ("name", "country_code", "addr_l1", "postcode")},
        "BG-23": [{"BT-116": b["base_ht"], "BT-117": b["vat"],
                   "BT-118": _VAT_CATEGORY.get(b["code"], "S"), "BT-119": _percent(b["rate"]),
                   **({"BT-120": "Exonération de TVA"} if b["code"] == "exempt" else {})}
                  for b in invoice.vat_breakdown],
        "BG-25": lines,
        "BT-106": str(sum((Decimal(b["base_ht"]) for b in invoice.vat_breakdown), Decimal(0))),
        "BT-109": str(invoice.total_ht), "BT-110": str(invoice.total_vat),
        "BT-112": str(invoice.total_ttc), "BT-115": str(invoice.total_ttc),
        "BT-73": invoice.period_start, "BT-74": invoice.period_end,
    }
    if credited is not None and credited.number:
        data["BG-3"] = [{"BT-25": credited.number, "BT-26": credited.issue_date}]
    data = {key: value for key, value in data.items() if value not in (None, "", [])}
    xml = generate_xml(data, flavor="factur-x", level=FACTURX_LEVEL, check_xsd=True,
                       check_schematron=False)
    return xml if isinstance(xml, bytes) else xml.encode("utf-8")


def _party(party: dict) -> dict:
    address = [part.strip() for part in re.split(r"[\n,–]", party.get("address") or "") if part.strip()]
    postcode = next((m.group(0) for m in (re.search(r"\b\d{5}\b", a) for a in address) if m), None)
    data = {"name": party.get("name") or "-", "country_code": party.get("country") or "FR"}
    if address:
        data["addr_l1"] = address[0][:100]
    if postcode:
        data["postcode"] = postcode
    if party.get("siren"):
        data["legal_identifier"], data["legal_identifier_schemeid"] = party["siren"], "0002"
    if party.get("vat_number"):
        data["vat_identifier"] = party["vat_number"]
    return data


def _rate_of(invoice: Invoice, code: str) -> str:
    for bucket in invoice.vat_breakdown:
        if bucket["code"] == code:
            return bucket["rate"]
    raise ValueError(f"invoice {invoice.number}: no VAT bucket for rate {code!r}")


def _percent(rate: str) -> str:
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.01'))}"


def _subject(text: str) -> str | None:
    return next((code for start, code in _NOTE_SUBJECTS if start.lower() in text.lower()), None)


def invoice_pdf(invoice: Invoice, credited: Invoice | None = None) -> bytes:
    """The Factur-X PDF: WeasyPrint renders the HTML (PDF/A-3b), ``factur-x`` embeds and checks
    the XML."""
    from weasyprint import HTML

    pdf = HTML(string=invoice_html(invoice, credited), base_url=str(TEMPLATES.parent)).write_pdf(
        pdf_variant="pdf/a-3b")
    if invoice.number is None:
        return pdf
    return facturx.generate_from_binary(
        pdf, facturx_xml(invoice, credited), flavor="factur-x", level=FACTURX_LEVEL,
        check_xsd=False,     # checked when the XML was generated
        pdf_metadata={"author": invoice.seller.get("name", ""),
                      "keywords": "Factur-X", "title": f"{invoice.seller.get('name', '')}: "
                      f"{'Avoir' if invoice.kind == 'credit_note' else 'Facture'} {invoice.number}",
                      "subject": f"{invoice.buyer.get('name', '')} {invoice.period}"},
        lang="fr-FR")


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number or f'draft-{invoice.id}'}.pdf"

