"""Demo personal-data records: Technicophone's sub-processors named in its terms (idempotent)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.core.errors import NotFound
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
    return f"privacy: {added} sub-processors"
