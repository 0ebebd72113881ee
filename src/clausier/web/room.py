"""The back office's shared pages: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _routers():
    from clausier.web import views

    return [views.router]


def _commands():
    from clausier.web import cli

    return [(None, cli.app)]


def _dashboard_panels():
    from clausier.web import dashboard

    return [
        dashboard.revenue_panel,
        dashboard.overdue_panel,
        dashboard.tickets_panel,
        dashboard.availability_panel,
        dashboard.usage_panel,
        dashboard.returns_panel,
        dashboard.packs_panel,
    ]


ROOM = Room("web", routers=_routers, commands=_commands, dashboard_panels=_dashboard_panels)
