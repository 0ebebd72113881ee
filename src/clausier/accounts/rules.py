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


# Login throttling: no lock (an attacker could lock anyone out), but a delay before the next
# attempt that doubles with each failure past a few free ones, per client address (any e-mail:
# an office behind one address gets more) and per account at that address (an attacker
# elsewhere never delays the owner). Platform settings: the seed sets no figure.
FREE_FAILURES = {"account": 3, "address": 10}
FIRST_LOGIN_DELAY = timedelta(seconds=2)
MAX_LOGIN_DELAY = timedelta(minutes=15)


def login_delay(scope: str, failures: int) -> timedelta:
    """The wait after ``failures`` consecutive failures counted in ``scope``."""
    beyond = failures - FREE_FAILURES[scope]
    if beyond < 0:
        return timedelta(0)
    return min(FIRST_LOGIN_DELAY * 2 ** min(beyond, 20), MAX_LOGIN_DELAY)


def retry_after(scope: str, failures: int, last_failed_at: datetime,
                now: datetime) -> timedelta:
    """How long the next attempt must still wait (zero: it may be tried now)."""
    return max(last_failed_at + login_delay(scope, failures) - now, timedelta(0))


# A failure this old no longer counts: the count starts again.
FAILURE_MEMORY = timedelta(days=1)


def failures_after(failures: int, last_failed_at: datetime | None, now: datetime) -> int:
    """The count once a new failure is added."""
    if last_failed_at is None or now - last_failed_at > FAILURE_MEMORY:
        return 1
    return failures + 1


# A signed-in browser session lasts this long from the login, however active it is.
SESSION_LIFETIME = timedelta(hours=8)


def session_expired(started_at: datetime, now: datetime) -> bool:
    return now - started_at > SESSION_LIFETIME


# A token's last use is recorded to the minute: an API call stays a read (a write per call made
# every reader a writer, queued on SQLite's lock or on the token's row in PostgreSQL).
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_use_is_stale(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a token's recorded last use is to be brought up to date."""
    return last_used_at is None or now - last_used_at >= TOKEN_USE_RESOLUTION
