"""Demo personal-data records: Technicophone's sub-processors named in its terms, and a
customer contact's request for access to their data received a week ago, still to be answered
within its month (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.core.errors import NotFound
from clausier.customers import service as customers
from clausier.privacy import service

# The sub-processors the seed names, with the clause naming them.
DEMO_SUB_PROCESSORS = {
    "technicophone": [
        dict(name="Ikoula", purpose="Data centre of the Cloud VM Essentiel service (CP XI §2.3 L8316-8320)",
             country="FR", essential=True),
        dict(name="Lemonway", purpose="Payment service provider of premium-number payouts "
                                      "(CP XII §1 L9423-9429)", country="FR"),
    ],
}


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    added = 0
    for operator, entries in DEMO_SUB_PROCESSORS.items():
        try:
            known = {s.name for s in service.list_sub_processors(session, operator)}
        except NotFound:
            continue
        for entry in entries:
            if entry["name"] not in known:
                service.add_sub_processor(session, clock, actor, operator, **entry)
                added += 1
    opened = _open_request(session, clock, actor)
    return f"privacy: {added} sub-processors, {opened} request(s) opened"


# (customer, contact's e-mail, kind, what they ask)
DEMO_REQUEST = ("TEC-000003", "marc@transports-durand.example", "access",
                "Demande par courriel la copie de toutes ses données personnelles "
                "(RGPD art. 15).")


def _open_request(session: Session, clock: Clock, actor: Actor) -> int:
    customer_ref, email, kind, details = DEMO_REQUEST
    if service.list_requests(session):
        return 0
    try:
        customer = customers.get_customer_by_ref(session, customer_ref)
    except NotFound:
        return 0
    contact = next((c for c in customer.contacts if c.email == email), None)
    if contact is None:
        return 0
    service.open_request(session, clock, actor, kind=kind,
                         received_on=clock.today() - timedelta(days=7), requester=contact.name,
                         contact_id=contact.id, requester_email=email, details=details)
    return 1
