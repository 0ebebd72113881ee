"""The audit trail: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.audit import models

    return models


def _routers():
    from clausier.audit import api, views

    return [api.router, views.router]


ROOM = Room("audit", models=_models, routers=_routers)
