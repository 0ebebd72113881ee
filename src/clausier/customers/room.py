"""Customers, sites and contacts: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.customers import models

    return models


def _routers():
    from clausier.customers import api, views

    return [api.router, views.router]


def _commands():
    from clausier.customers import cli

    return [("customer", cli.app)]


def _dashboard_cards():
    from clausier.customers import views

    return [views.dashboard_cards]


ROOM = Room(
    "customers",
    models=_models,
    routers=_routers,
    commands=_commands,
    dashboard_cards=_dashboard_cards,
)
