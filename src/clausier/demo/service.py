"""The demonstration data set: customers and staff users on top of the built-in term sheets and
price lists (``catalog.service.install_builtins``), loaded idempotently (``make run`` loads it on
every start). Later rooms add their own demo data by appending a step to ``DEMO_STEPS``."""

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
from clausier.core.rooms import optional_function
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

# "module:function" called with (session, clock, actor) after the steps of this room, in order.
# A room adds its line here (e.g. "clausier.contracts.demo:load_subscriptions"); a module that
# does not exist yet is skipped. A step returns a short text for the report, or None.
# The convention is one ``<room>/demo.py`` with ``load_demo``; the rooms of the design are listed
# in the order their data depends on each other.
DEMO_STEPS: list[str] = [
    "clausier.contracts.demo:load_demo",
    "clausier.equipment.demo:load_demo",
    "clausier.payments.demo:load_mandates",
    "clausier.billing.demo:load_demo",
    "clausier.payments.demo:load_demo",
    "clausier.rating.demo:load_demo",
    "clausier.numbers.demo:load_demo",
    "clausier.support.demo:load_demo",
    "clausier.access.demo:load_demo",
    "clausier.privacy.demo:load_demo",
    "clausier.portal.demo:load_demo",
]


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
    for step in DEMO_STEPS:
        function = optional_function(step)
        if function is not None:
            outcome = function(session, clock, actor)
            report.steps.append(f"{step}: {outcome}" if outcome else step)
    return report
