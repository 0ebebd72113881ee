"""Loopback servers the tests start for real: a free port, and an SMTP server (aiosmtpd) that
Clausier's mail settings point to."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received: aiosmtpd envelopes (``rcpt_tos``, ``content``)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, smtp_session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def point_mail_to(monkeypatch, port: int) -> None:
    monkeypatch.setenv("CLAUSIER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CLAUSIER_SMTP_PORT", str(port))


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
