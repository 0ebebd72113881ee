"""Payments and dunning: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.payments import models

    return models


def _routers():
    from clausier.payments import api, views

    return [api.router, views.router]


def _commands():
    from clausier.payments import cli

    return [(None, cli.top_level), ("rate", cli.rate_app)]


def _tick_steps():
    from clausier.payments import daily

    return [daily.tick]


def _dashboard_cards():
    from clausier.payments import views

    return [views.dashboard_cards]


def _customer_sections():
    from clausier.payments import views

    return [views.customer_section]


ROOM = Room(
    "payments",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    dashboard_cards=_dashboard_cards,
    customer_sections=_customer_sections,
)
