"""The rooms of Clausier, in the order their data depends on each other: their tables are
declared, their routes matched, their commands listed and their daily steps run in this order
(tests/core/test_rooms.py). A new room is its manifest ``<room>/room.py`` (``core/room.py``) and
its line here."""

from __future__ import annotations

from clausier.db.room import ROOM as DB
from clausier.audit.room import ROOM as AUDIT
from clausier.terms.room import ROOM as TERMS
from clausier.catalog.room import ROOM as CATALOG
from clausier.customers.room import ROOM as CUSTOMERS
from clausier.contracts.room import ROOM as CONTRACTS
from clausier.equipment.room import ROOM as EQUIPMENT
from clausier.numbers.room import ROOM as NUMBERS
from clausier.billing.room import ROOM as BILLING
from clausier.payments.room import ROOM as PAYMENTS
from clausier.notifications.room import ROOM as NOTIFICATIONS
from clausier.support.room import ROOM as SUPPORT
from clausier.rating.room import ROOM as RATING
from clausier.access.room import ROOM as ACCESS
from clausier.privacy.room import ROOM as PRIVACY
from clausier.accounts.room import ROOM as ACCOUNTS
from clausier.portal.room import ROOM as PORTAL
from clausier.demo.room import ROOM as DEMO
from clausier.scheduler.room import ROOM as SCHEDULER
from clausier.web.room import ROOM as WEB
from clausier.workers.room import ROOM as WORKERS

ROOMS = [
    DB,
    AUDIT,
    TERMS,
    CATALOG,
    CUSTOMERS,
    CONTRACTS,
    EQUIPMENT,      # after contracts: returns open once the line has ended
    NUMBERS,
    BILLING,        # after equipment and numbers: bills their charges of the day
    PAYMENTS,
    NOTIFICATIONS,  # after payments: sends the letters its daily step wrote
    SUPPORT,
    RATING,
    ACCESS,
    PRIVACY,
    ACCOUNTS,       # its daily step, forgetting stale logins, comes last
    PORTAL,
    DEMO,
    SCHEDULER,
    WEB,
    WORKERS,
]
