"""Support: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Outbox, Room


def _models():
    from clausier.support import models

    return models


def _routers():
    from clausier.support import api, views

    return [api.router, views.router]


def _commands():
    from clausier.support import cli

    return [(None, cli.app)]


def _tick_steps():
    from clausier.support import service

    return [service.deliver_notifications]


def _outboxes():
    from clausier.support import service

    return [Outbox(service.deliver_notifications, service.send_next_notification,
                   service.deliveries_due)]


def _dashboard_cards():
    from clausier.support import views

    return [views.dashboard_cards]


def _customer_sections():
    from clausier.support import views

    return [views.customer_section]


ROOM = Room(
    "support",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    outboxes=_outboxes,
    dashboard_cards=_dashboard_cards,
    customer_sections=_customer_sections,
)
