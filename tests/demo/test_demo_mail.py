"""``clausier serve --demo-mail`` (what ``make run`` starts): the server and an SMTP sink that
keeps the demo's mail under ``$CLAUSIER_DATA_DIR/mail``, stopped with the server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from clausier.db.session import transaction
from clausier.notifications import outbox
from tests.payments.test_outbox_delivery import kept_mails, queue_reminder
from tests.net import free_port


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_with_demo_mail_sends_the_queued_mail_to_its_sink_and_stops_it(
        db_url, clean_engine, clock, actor, tmp_path):
    with transaction(clean_engine) as s:
        queue_reminder(s, clock, actor)
    env = {**os.environ, "CLAUSIER_DATA_DIR": str(tmp_path), "CLAUSIER_DATABASE_URL": db_url,
           "CLAUSIER_SMTP_PORT": "9"}     # the configured relay, which the sink replaces
    env.pop("CLAUSIER_NO_TICK", None)        # the server's tick and sender deliver the mail
    http_port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "clausier.cli.main", "serve", "--demo-mail", "--workers", "1",
             "--port", str(http_port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        give_up = time.monotonic() + 120     # waits for the server; not a timing assertion
        while (not (kept_mails(tmp_path / "mail") and _answers(http_port))
               and server.poll() is None and time.monotonic() < give_up):
            time.sleep(0.2)
        assert server.poll() is None, log_path.read_text()
        assert httpx.get(f"http://127.0.0.1:{http_port}/favicon.ico").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    output = log_path.read_text()
    sink = re.search(r"Demo mail: SMTP sink on 127\.0\.0\.1:(\d+)", output)
    assert sink, output
    assert f"kept in {tmp_path / 'mail'}/new" in output
    assert kept_mails(tmp_path / "mail") == [("jeanne@example.org", "OZONE : facture impayée")]
    with transaction(clean_engine) as s:
        [message] = outbox.list_messages(s)
        assert (message.status, message.error) == ("sent", "")
    with pytest.raises(ConnectionRefusedError):      # the sink stopped with the server
        socket.create_connection(("127.0.0.1", int(sink[1])), timeout=5)
