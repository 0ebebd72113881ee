"""Who may reach what, by the kind of user; login throttling. Pure: no database, no clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

STAFF_ROLES = ("admin", "billing", "support", "sales")
PORTAL_ROLES = ("customer", "site_admin", "site_delegate")
SITE_ROLES = ("site_admin", "site_delegate")

# What each role may change: staff by role (reading is open to every staff role); a customer's
# user, for its own customer only, reports and confirms incidents and claims SLA credits.
WRITE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"customers", "contracts", "billing", "payments", "support", "terms",
                        "catalog", "users", "equipment", "usage", "access", "privacy"}),
    "billing": frozenset({"customers", "billing", "payments", "usage"}),
    "support": frozenset({"support", "equipment", "customers"}),
    "sales": frozenset({"customers", "contracts", "catalog"}),
    "customer": frozenset({"support"}),
}


class Reach(StrEnum):
    """Whose data a kind of user reaches: the one policy every route and use case is scoped by."""

    STAFF = "staff"          # every customer, through the back office
    CUSTOMER = "customer"    # its own customer, through the customer portal
    SITE = "site"            # its own access-control sites, by its delegation (CP A art. 3)


# The areas of the app and who enters each at all; anyone else is told "not found".
AUDIENCES: dict[str, frozenset[Reach]] = {
    "account": frozenset(Reach),                            # one's own profile and API tokens
    "back_office": frozenset({Reach.STAFF}),
    "customer_portal": frozenset({Reach.CUSTOMER}),
    # support and equipment routes answering staff and the customer's own users alike
    "customer_service": frozenset({Reach.STAFF, Reach.CUSTOMER}),
    "sites": frozenset({Reach.STAFF, Reach.SITE}),         # access-control sites
}


def reach_of(role: str, kind: str | None = None) -> Reach | None:
    """The reach of a role (and, for a user, of its kind, which must agree); None: no reach."""
    reach = (Reach.STAFF if role in STAFF_ROLES else Reach.CUSTOMER if role == "customer"
             else Reach.SITE if role in SITE_ROLES else None)
    return reach if kind is None or (reach is not None and kind == reach.value) else None


def may_enter(role: str, kind: str, area: str) -> bool:
    return reach_of(role, kind) in AUDIENCES[area]


def own_customer(role: str, own_customer_id: int | None) -> int | None:
    """The one customer a user who is not staff acts for: its own for a customer's user; none
    for a site user, although its account carries its pack's customer."""
    return own_customer_id if reach_of(role) is Reach.CUSTOMER else None


def acts_for(role: str, own_customer_id: int | None, customer_id: int | None) -> bool:
    """Whether one acting as ``role`` may read or act on ``customer_id``'s tickets, reports and
    equipment: staff for every customer, anyone else for its ``own_customer`` only."""
    own = own_customer(role, own_customer_id)
    return reach_of(role) is Reach.STAFF or (own is not None and own == customer_id)


def site_member_may(member_role: str, scopes: list[str], need: str) -> bool:
    """A site's administrator does everything on it; a delegate reads it and does what its
    delegation's scopes name (CP A art. 3)."""
    return member_role == "admin" or need == "read" or need in scopes


def may_write(role: str, area: str) -> bool:
    return area in WRITE_PERMISSIONS.get(role, frozenset())


MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failed_login(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """Count the failure; lock the account for ``LOCKOUT`` after ``MAX_FAILED_LOGINS``."""
    failed = failed_logins + 1
    if failed >= MAX_FAILED_LOGINS:
        return 0, now + LOCKOUT
    return failed, None
