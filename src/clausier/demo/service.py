"""The demonstration data set: customers and staff users on top of the built-in term sheets and
price lists (``catalog.service.install_builtins``), loaded idempotently (``make run`` loads it on
every start). The rooms add their own demo data by a step in ``demo_steps``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.catalog import service as catalog
from clausier.core.clock import Clock
from clausier.core.errors import NotFound
from clausier.core.room import step_name
from clausier.customers import service as customers

CUSTOMERS_FILE = Path(__file__).parent / "data" / "customers.yaml"

# Staff users of the demo; the passwords are documented in the README and printed by the CLI.
DEMO_USERS = [
    {"email": "admin@clausier.local", "name": "Alice Admin", "role": "admin",
     "password": "clausier-admin"},
    {"email": "billing@clausier.local", "name": "Bruno Billing", "role": "billing",
     "password": "clausier-billing"},
    {"email": "support@clausier.local", "name": "Sonia Support", "role": "support",
     "password": "clausier-support"},
    {"email": "sales@clausier.local", "name": "Samuel Sales", "role": "sales",
     "password": "clausier-sales"},
]

def demo_steps() -> list:
    """What the rooms load after the steps of this room, in the order their data depends on
    each other (the mandates before the invoices they collect), each called with (session,
    clock, actor) and returning a short text for the report, or None. The convention is one
    ``<room>/demo.py`` with ``load_demo``."""
    from clausier.access import demo as access
    from clausier.billing import demo as billing
    from clausier.contracts import demo as contracts
    from clausier.equipment import demo as equipment
    from clausier.payments import demo as payments
    from clausier.portal import demo as portal
    from clausier.numbers import demo as numbers
    from clausier.privacy import demo as privacy
    from clausier.rating import demo as rating
    from clausier.support import demo as support

    return [contracts.load_demo, equipment.load_demo, payments.load_mandates, billing.load_demo,
            payments.load_demo, rating.load_demo, numbers.load_demo, support.load_demo,
            access.load_demo, privacy.load_demo, portal.load_demo]


@dataclass
class DemoReport:
    sheets: list[str] = field(default_factory=list)
    offers: int = 0
    customers_created: int = 0
    customers_total: int = 0
    users: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def demo_customer_entries() -> dict[str, list[dict]]:
    """Operator code -> the demo customers (with their ``sites``, ``contacts`` and ``offers``)."""
    return yaml.safe_load(CUSTOMERS_FILE.read_text(encoding="utf-8"))


def _load_customer(session: Session, clock: Clock, actor: Actor, operator: str,
                   entry: dict) -> bool:
    """Create one demo customer with its sites and contacts unless its ref exists already."""
    try:
        customers.get_customer_by_ref(session, entry["ref"], operator)
        return False
    except NotFound:
        pass
    kind = "company" if entry.get("siren") else "household"
    fields = {k: v for k, v in entry.items() if k not in ("sites", "contacts", "offers")}
    customer = customers.create_customer(session, clock, actor, operator=operator, kind=kind,
                                         **fields)
    for site in entry.get("sites", []):
        values = {k: v for k, v in site.items() if k != "central"}
        customers.add_site(session, clock, actor, customer.id, is_central=site.get("central"),
                           **values)
    for contact in entry.get("contacts", []):
        customers.add_contact(session, clock, actor, customer.id, **contact)
    return True


def load_demo(session: Session, clock: Clock, actor: Actor) -> DemoReport:
    """Load the demo data set; loading it again changes nothing."""
    report = DemoReport(sheets=catalog.install_builtins(session, clock, actor).sheets)
    report.offers = len(catalog.list_offers(session))
    for operator, entries in demo_customer_entries().items():
        for entry in entries:
            report.customers_created += _load_customer(session, clock, actor, operator, entry)
    report.customers_total = customers.search_customers(session, per_page=1).total
    for user in DEMO_USERS:
        accounts.ensure_user(session, clock, actor, **user)
        report.users.append(f"{user['email']} / {user['password']} ({user['role']})")
    for step in demo_steps():
        outcome = step(session, clock, actor)
        report.steps.append(f"{step_name(step)}: {outcome}" if outcome else step_name(step))
    return report
