"""Roles and what they may do; login throttling. Pure: no database, no clock."""

from __future__ import annotations

from datetime import datetime, timedelta

STAFF_ROLES = ("admin", "billing", "support", "sales")
PORTAL_ROLES = ("customer", "site_admin", "site_delegate")

# What each staff role may change (reading is open to every staff role).
WRITE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"customers", "contracts", "billing", "payments", "support", "terms",
                        "catalog", "users", "equipment", "usage", "access", "privacy"}),
    "billing": frozenset({"customers", "billing", "payments", "usage"}),
    "support": frozenset({"support", "equipment", "customers"}),
    "sales": frozenset({"customers", "contracts", "catalog"}),
}

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def may_write(role: str, area: str) -> bool:
    return area in WRITE_PERMISSIONS.get(role, frozenset())


def locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failed_login(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """Count the failure; lock the account for ``LOCKOUT`` after ``MAX_FAILED_LOGINS``."""
    failed = failed_logins + 1
    if failed >= MAX_FAILED_LOGINS:
        return 0, now + LOCKOUT
    return failed, None


# A token's last use is recorded to the minute: an API call stays a read (a write per call made
# every reader a writer, queued on SQLite's lock or on the token's row in PostgreSQL).
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_use_is_stale(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a token's recorded last use is to be brought up to date."""
    return last_used_at is None or now - last_used_at >= TOKEN_USE_RESOLUTION
