"""Billing: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.billing import models

    return models


def _routers():
    from clausier.billing import api, views

    return [api.router, views.router]


def _commands():
    from clausier.billing import cli

    return [
        ("invoice", cli.app),
        ("index", cli.index_app),
        ("price-change", cli.price_app),
        (None, cli.top_level),
    ]


def _tick_steps():
    from clausier.billing.invoices import service

    return [service.tick]


def _dashboard_cards():
    from clausier.billing import views

    return [views.dashboard_cards]


def _customer_sections():
    from clausier.billing import views

    return [views.customer_section]


ROOM = Room(
    "billing",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    dashboard_cards=_dashboard_cards,
    customer_sections=_customer_sections,
)
