"""What other rooms may read of the accounts, for many at once: plain facts, no ORM objects."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.accounts.models import User


@dataclass(frozen=True)
class UserIdentity:
    id: int
    email: str
    name: str


def user_identities(session: Session, user_ids: Collection[int]) -> dict[int, UserIdentity]:
    """Each user's e-mail and name (who they are, as a page lists them), by user id."""
    ids = sorted(set(user_ids))
    return {row.id: UserIdentity(*row) for row in session.execute(
        select(User.id, User.email, User.name).where(User.id.in_(ids)))}
