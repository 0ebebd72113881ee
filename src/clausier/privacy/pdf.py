"""The end-of-contract certificate (PDF): what was erased, what is kept and why, and the digest of
the data returned to the customer."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from clausier.catalog import service as catalog
from clausier.customers import service as customers
from clausier.privacy.models import EndOfContractDecision
from clausier.web.templating import environment

WEB = Path(__file__).resolve().parent.parent / "web"


def certificate_pdf(session: Session, decision: EndOfContractDecision) -> bytes:
    from weasyprint import HTML   # heavy import, only when a certificate is made

    customer = customers.get_customer(session, decision.customer_id)
    operator = catalog.get_operator_by_id(session, customer.operator_id)
    returned_sha = (hashlib.sha256(Path(decision.returned_file).read_bytes()).hexdigest()
                    if decision.returned_file else "")
    html = environment.get_template("privacy/certificate.html").render(
        decision=decision, customer=customer, operator=operator, returned_sha=returned_sha)
    return HTML(string=html, base_url=str(WEB)).write_pdf()
