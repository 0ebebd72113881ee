"""The demo's mail server: an SMTP sink on the loopback that keeps every message it is given in
a Maildir (``$CLAUSIER_DATA_DIR/mail``), so the demo's notices are really sent, and readable
(``mutt -f var/mail``, or any file in ``var/mail/new``). ``clausier serve --demo-mail`` runs it
for as long as the server runs."""

from __future__ import annotations

from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

LOOPBACK = "127.0.0.1"


class _AnyFreePortController(Controller):
    """Listens on the port given, or on one the system picks when it is 0."""

    def _trigger_server(self) -> None:
        # aiosmtpd checks the server by connecting to ``self.port``: the port actually bound.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class DemoMailSink:
    def __init__(self, mail_dir: Path, port: int = 0):
        mail_dir.parent.mkdir(parents=True, exist_ok=True)
        self.mail_dir = mail_dir
        self._controller = _AnyFreePortController(Mailbox(mail_dir), hostname=LOOPBACK, port=port)

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> DemoMailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> DemoMailSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
