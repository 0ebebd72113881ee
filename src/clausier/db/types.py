"""Column types that keep money exact and instants aware on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator

from clausier.core.clock import PARIS
from clausier.core.money import to_decimal


class Money(TypeDecorator):
    """``Decimal`` euros: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 2))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = to_decimal(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UnitPrice(Money):
    """A unit price with six decimals (0.020000 €/min): NUMERIC(14, 6), text on SQLite."""

    impl = Numeric(14, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return super().load_dialect_impl(dialect)
        return dialect.type_descriptor(Numeric(14, 6))


class Instant(TypeDecorator):
    """Timezone-aware instants, stored in UTC, returned in Europe/Paris."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored: give it a timezone")
        try:
            utc = value.astimezone(UTC)
            utc.astimezone(PARIS)       # as it will be read back
        except OverflowError:
            # Late on 9999-12-31 (early on 0001-01-01) in one zone is off the calendar in another.
            raise ValueError(f"{value.isoformat()} is out of the range of instants") from None
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(PARIS)


class Status(TypeDecorator):
    """A room's closed list of statuses (a ``StrEnum`` declared in its ``rules``), stored as the
    member's text in a VARCHAR as before (no database enum, no migration when a room adds one),
    read back as the member: ``Column(Status(SubscriptionStatus))``. Binding a text outside the
    list fails before anything is written. ``length`` is the column's (the class, not an
    instance, as ``impl``: ``TypeDecorator`` builds ``String(length)`` from it, where a shared
    instance would ignore the length)."""

    impl = String
    cache_ok = True

    def __init__(self, statuses: type[StrEnum], length: int = 30):
        super().__init__(length)
        self.statuses = statuses

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.statuses(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.statuses(value)
