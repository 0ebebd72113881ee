"""Browser tests: the real app served by uvicorn on a free loopback port, with a fresh SQLite
database and the demo data, driven by Debian's Chromium through Playwright (headless; never a
downloaded browser). Screenshots go to ``test-artifacts/screenshots/``. These tests use no
database fixture, so the PostgreSQL leg leaves them out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.browser.a11y import AXE
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CLAUSIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TODAY = "2026-11-24"
# Demo accounts (demo/service.py DEMO_USERS, portal/demo.py DEMO_PORTAL_USERS).
STAFF = {role: (f"{role}@clausier.local", f"clausier-{role}")
         for role in ("admin", "billing", "support", "sales")}
CUSTOMER = ("client.tec@clausier.local", "clausier-client")
# Site portal (access/demo.py DEMO_SITES): site A's delegate allowed to manage credentials.
SITE_DELEGATE = ("site.delegate@clausier.local", "clausier-delegate")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@dataclass
class Server:
    url: str
    data_dir: Path


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser-server")
    env = {**os.environ, "CLAUSIER_DATA_DIR": str(data_dir),
           "CLAUSIER_DATABASE_URL": f"sqlite:///{data_dir / 'clausier.db'}",
           "CLAUSIER_NO_TICK": "1", "CLAUSIER_TODAY": TODAY,
           "CLAUSIER_SECRET_KEY": "browser-test-secret",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                        os.environ.get("PYTHONPATH")]))}
    cli = [sys.executable, "-m", "clausier.cli.main"]
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(cli + args, env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "clausier.api.app:create_app",
                                "--factory", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {(data_dir / 'server.log').read_text()}")
            time.sleep(0.1)
        yield Server(url, data_dir)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def chromium():
    _required(Path(CHROMIUM).exists() or shutil.which("chromium"),
              f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    _required(AXE.exists(), f"{AXE} is missing: `make system-deps` installs it (npm ci)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _required(present, missing: str) -> None:
    """What the browser tests need: skipped on a machine without it, failed in CI."""
    if not present:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)


def new_context(chromium, server: Server):
    """A fresh browser context (no cookies) on the app, with axe-core in its pages."""
    context = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    return context


@pytest.fixture
def page(chromium, server):
    """A fresh browser context (no cookies) whose console errors — a CSP violation, a failed
    script — fail the test."""
    context = new_context(chromium, server)
    page = context.new_page()
    errors = console_errors(page)
    yield page
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def console_errors(page) -> list[str]:
    """The errors the page's console will log (a CSP violation, a failed script), with the page's
    address; a page answered with an error status is logged too, but the tests check statuses
    themselves."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Failed to load resource" not in message.text
            else None)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return errors


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail", exact=False).first.fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
