"""What other rooms may read of accounts: which logins exist, and whose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.accounts.models import User


@dataclass(frozen=True)
class UserFacts:
    id: int
    email: str
    name: str
    kind: str
    role: str
    language: str
    active: bool
    customer_id: int | None


def emails_in_use(session: Session, emails: Collection[str]) -> set[str]:
    """Which of ``emails`` already name a user (compared as stored)."""
    if not emails:
        return set()
    return set(session.scalars(select(User.email).where(User.email.in_(set(emails)))))


def customer_users(session: Session, customer_ids: Collection[int]
                   ) -> dict[int, tuple[UserFacts, ...]]:
    """The logins of kind ``customer`` (portal users) of each customer, by email, by customer."""
    found: dict[int, list[UserFacts]] = defaultdict(list)
    if customer_ids:
        for user in session.scalars(select(User).where(User.kind == "customer",
                                                       User.customer_id.in_(set(customer_ids)))
                                    .order_by(User.email)):
            found[user.customer_id].append(UserFacts(
                user.id, user.email, user.name, user.kind, user.role, user.language,
                user.active, user.customer_id))
    return {customer_id: tuple(users) for customer_id, users in found.items()}


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
