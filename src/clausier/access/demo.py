"""Demo access-control sites: two Rozoh packs opened and activated, each with its site
administrator; site A also has a delegate allowed to manage badges (the site portal's logins of
the README), an entrance and a few user records."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.access.models import Pack
from clausier.access.packs import service as pack_service
from clausier.access.records import service as record_service
from clausier.access.rights import service as rights_service
from clausier.access.sites import service as site_service
from clausier.audit.service import Actor
from clausier.contracts import service as contracts
from clausier.core.clock import Clock
from clausier.core.errors import NotFound

# The passwords are printed by ``clausier demo load`` and listed in the README.
DEMO_SITES = [
    {"subscription": "ROZ-S000001", "kind": "school",
     "admin": {"email": "site.admin@clausier.local", "name": "Sandrine Gardienne",
               "password": "clausier-site"},
     "delegates": [{"email": "site.delegate@clausier.local", "name": "Denis Délégué",
                    "password": "clausier-delegate", "scopes": ["manage_credentials"]}],
     "access_points": ["Portail principal"],
     "records": [("Appartement 1 — Martin", "Martin", "001"),
                 ("Appartement 2 — Bernard", "Bernard", "002"),
                 ("Loge du gardien", "Gardien", "010")]},
    {"subscription": "ROZ-S000002", "kind": "company",
     "admin": {"email": "site.admin.b@clausier.local", "name": "Bruno Badge",
               "password": "clausier-site"},
     "delegates": [], "access_points": ["Entrée"], "records": [("Accueil", "Accueil", None)]},
]


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """Open, activate and populate the demo sites that do not exist yet (idempotent)."""
    done = []
    for entry in DEMO_SITES:
        try:
            subscription = contracts.get_subscription(session, entry["subscription"])
        except NotFound:
            continue
        if session.scalar(select(Pack.id).where(Pack.subscription_id == subscription.id)) is None:
            _, site, code = pack_service.open_pack(session, clock, actor, subscription.id,
                                                   kind=entry["kind"])
            pack_service.activate_pack(session, clock, actor, code=code, **entry["admin"])
            for delegate in entry["delegates"]:
                _, secret = site_service.invite_delegate(session, clock, actor, site.id,
                                                         email=delegate["email"],
                                                         scopes=delegate["scopes"])
                site_service.accept_invitation(session, clock, secret=secret, name=delegate["name"],
                                               password=delegate["password"])
            for name in entry["access_points"]:
                rights_service.add_access_point(session, clock, actor, site.id, name)
            for name, display, phone_code in entry["records"]:
                record_service.create_record(session, clock, actor, site.id,
                                             record_service.RecordInput(
                                                 name=name, display_name=display,
                                                 phone_code=phone_code))
        logins = [entry["admin"]] + entry["delegates"]
        done.append(", ".join(f"{u['email']} / {u['password']}" for u in logins))
    return "site portal " + "; ".join(done) if done else ""
