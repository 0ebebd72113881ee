"""Contracts: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.contracts import models

    return models


def _routers():
    from clausier.contracts import api, views

    return [api.router, views.router]


def _commands():
    from clausier.contracts import cli

    return [("contract", cli.app), (None, cli.top_level)]


def _tick_steps():
    from clausier.contracts import service

    return [service.tick]


def _customer_sections():
    from clausier.contracts import views

    return [views.customer_section]


ROOM = Room(
    "contracts",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    customer_sections=_customer_sections,
)
