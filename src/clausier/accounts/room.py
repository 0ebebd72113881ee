"""Staff users and tokens: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.accounts import models

    return models


def _routers():
    from clausier.accounts import api

    return [api.router]


def _commands():
    from clausier.accounts import cli

    return [("user", cli.app)]


def _tick_steps():
    from clausier.accounts import service

    return [service.forget_stale_logins]


ROOM = Room(
    "accounts",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
)
