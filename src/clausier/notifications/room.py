"""Notifications: the outbox of e-mails, SMS and letters the rooms send to customers (payments'
letters, access's notices), and their delivery (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Outbox, Room


def _models():
    from clausier.notifications import models

    return models


def _tick_steps():
    from clausier.notifications import service

    return [service.deliver]


def _outboxes():
    from clausier.notifications import service

    return [Outbox(service.deliver, service.send_next, service.deliveries_due)]


ROOM = Room("notifications", models=_models, tick_steps=_tick_steps, outboxes=_outboxes)
