"""Figures of the back-office dashboard; each room adds its card provider to ``CARD_PROVIDERS``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from clausier.accounts.models import User


@dataclass
class Card:
    title: str
    figure: str
    link: str | None = None


# "module:function" returning a list of Card, given (session, gettext).
CARD_PROVIDERS = [
    "clausier.customers.service:dashboard_cards",
    "clausier.billing.service:dashboard_cards",
    "clausier.payments.service:dashboard_cards",
    "clausier.support.views:dashboard_cards",
]


def cards(session: Session, gettext: Callable[[str], str]) -> list[Card]:
    result: list[Card] = []
    for provider in CARD_PROVIDERS:
        module_name, _, function = provider.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not module_name.startswith(exc.name or "-"):
                raise      # the room exists but something it imports is missing
            continue       # the room is not built (yet)
        if hasattr(module, function):
            result.extend(getattr(module, function)(session, gettext))
    return result


def portal_home(user: User) -> str:
    return "/portal" if user.kind == "customer" else "/sites"
