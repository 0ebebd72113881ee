"""Demo users of the customer portal: one per demo operator, on its first demo customer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clausier.accounts import facts as account_facts
from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.core.errors import NotFound
from clausier.customers import service as customers
from clausier.portal import service

# The passwords are printed by ``clausier demo load``; these accounts exist only in the demo.
DEMO_PORTAL_USERS = [
    {"customer": "TEC-000001", "email": "client.tec@clausier.local", "name": "Claire Client",
     "password": "clausier-client"},
    {"customer": "OZO-000001", "email": "client.ozo@clausier.local", "name": "Jean Lemoine",
     "password": "clausier-client", "language": "en"},
    {"customer": "ROZ-000001", "email": "client.roz@clausier.local", "name": "Romain Client",
     "password": "clausier-client"},
]


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """Create the demo portal users that do not exist yet (idempotent)."""
    done = []
    for entry in DEMO_PORTAL_USERS:
        try:
            customer = customers.get_customer_by_ref(session, entry["customer"])
        except NotFound:
            continue
        fields = {k: v for k, v in entry.items() if k != "customer"}
        if not account_facts.emails_in_use(session, [fields["email"]]):
            service.create_portal_user(session, clock, actor, customer.id, **fields)
        done.append(f"{fields['email']} / {fields['password']} ({customer.ref})")
    return "portal users " + ", ".join(done)
