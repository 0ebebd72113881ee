"""``clausier serve`` on its embedded default (SQLite in a fresh data dir), as a user starts it.

Before (issue 17 §8): after a burst of concurrent writes the server no longer stopped on
SIGTERM, a request thread waiting forever on a write lock released by another thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.core.clock import SystemClock
from clausier.db.migrate import upgrade
from clausier.db.session import engine_for, transaction
from clausier.web.cli import GRACEFUL_SHUTDOWN_SECONDS, default_workers
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 300       # a busy machine may take long to import the app
WRITERS = 10


def _admin_token(url: str) -> str:
    upgrade(url)
    clock, actor = SystemClock(), Actor.system("test")
    with transaction(engine_for(url)) as s:
        user = accounts.create_user(s, clock, actor, email="admin@test.local", name="Ada",
                                    role="admin", password="correct horse battery")
        s.flush()
        token = accounts.issue_token(s, clock, actor, user.id, "burst")[1]
    engine_for(url).dispose()
    return token


def test_after_a_burst_of_concurrent_writes_the_server_stops_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'clausier.db'}"
    token = _admin_token(url)
    port = free_port()
    env = {**os.environ, "CLAUSIER_DATA_DIR": str(tmp_path), "CLAUSIER_DATABASE_URL": url,
           "CLAUSIER_NO_TICK": "1", "PYTHONPATH": str(ROOT / "src")}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "clausier.cli.main", "serve", "--port",
                               str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        def write(n: int) -> list[int]:
            with httpx.Client(base_url=base, timeout=60,
                              headers={"authorization": f"Bearer {token}"}) as api:
                return [api.post("/api/v1/tokens", json={"name": f"w{n}-{k}"}).status_code
                        for k in range(5)]

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = [s for answers in pool.map(write, range(WRITERS)) for s in answers]
        assert statuses == [201] * WRITERS * 5
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=GRACEFUL_SHUTDOWN_SECONDS + 20)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    # Stopped by the signal, which uvicorn raises again once it has shut down.
    assert server.returncode == -signal.SIGTERM
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_one_web_process_on_sqlite_one_per_cpu_on_postgresql():
    """SQLite takes one writer at a time: several processes would poll its lock, unfairly."""
    assert default_workers("sqlite:////var/lib/clausier/clausier.db") == 1
    cpus = max(1, os.cpu_count() or 1)
    assert default_workers("postgresql+psycopg://clausier@db/clausier") == cpus
