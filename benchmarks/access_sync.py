"""Access-control sync benchmark: one site with 10 000 user records and 20 000 credentials,
2 500 devices polling the device API over HTTP on loopback.

Prints: snapshot time (in-process, cold, and over HTTP: the first fetch of a version the server
encoded on its own after a change), delta time, polling p50/p99 latency and requests/s, the
server's CPU time beside the wall time, and the time of one access decision. Bounded in time
(``--seconds``, default 20).

    PYTHONPATH=src python benchmarks/access_sync.py [--devices 2500] [--seconds 20] [--workers 2] [--db URL]

The server is ``clausier serve --workers 2`` in its own process; the devices are Debian's
``wrk`` (``make system-deps``), one keep-alive connection per device, each with its own token,
paced to one poll per ``--interval``; then the same load on ``/api/v1/health`` of the same server
(the framework's own limit on this machine) as the reference, with the ratio of the two p99.

Targets (2-core machine, issue 22): first fetch of a version over HTTP < 100 ms; 2 500 devices
every 5 s (500 polls/s) with p99 < 50 ms; a decision < 1 ms. The machine's load average is
printed: figures taken on a busy machine are not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from clausier.access import rules
from clausier.access.credentials.service import CredentialInput, import_credentials
from clausier.access.devices.service import register_device
from clausier.access.models import AccessSite
from clausier.access.packs.service import activate_pack, open_pack
from clausier.access.records.service import RecordInput, import_records, list_records, update_record
from clausier.access.rights.service import add_access_point, grant_right, save_profile
from clausier.access.sync.service import SNAPSHOTS, delta, snapshot_bytes
from clausier.audit.service import Actor
from clausier.catalog.models import Offer, Operator
from clausier.contracts import service as contracts
from clausier.core.clock import PARIS, SystemClock
from clausier.customers.models import Customer, Site
from clausier.db.migrate import upgrade
from clausier.db.session import engine_for, transaction, write_transaction
from clausier.terms import service as terms

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrk_load import (DONE, against_reference, cpu_line, cpu_seconds, free_port,  # noqa: E402
                      health_reference, lua_strings, machine_line, pacing_lua, require_wrk,
                      start_wrk, wrk_figures)

ACTOR = Actor(name="benchmark", role="admin")
CLOCK = SystemClock()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def build(url: str, records: int, credentials: int, devices: int) -> tuple[int, int, list[str]]:
    """A Rozoh site filled through the services (bulk imports: one version each)."""
    engine = engine_for(url)
    with transaction(engine) as s:
        terms.load_built_in_sheets(s, CLOCK, ACTOR)
        op = Operator(code="rozoh", name="ROZOH", sheet_id="rozoh", customer_kind="business", price_basis="HT",
                      invoice_prefix="ROZ")
        s.add(op)
        s.flush()
        s.add(Offer(operator_id=op.id, code="intercom_pack_bench", name="Pack", family="intercom_pack", kind="pack",
                    unit="pack", price_basis="HT", attributes={"user_records": records}))
        now = CLOCK.now()
        customer = Customer(operator_id=op.id, ref="ROZ-B1", kind="company", name="Bench SA", category="tertiary",
                            created_at=now, updated_at=now)
        s.add(customer)
        s.flush()
        site = Site(customer_id=customer.id, name="Campus")
        s.add(site)
        s.flush()
        order = contracts.create_order(s, CLOCK, ACTOR, contracts.OrderInput(
            customer_id=customer.id, signed_on=CLOCK.today() - timedelta(days=30), channel="on_premises",
            lines=[contracts.LineInput(site.id, "intercom_pack_bench")]))
        s.flush()
        [subscription] = contracts.accept_order(s, CLOCK, ACTOR, order.id)
        pack, access_site, code = open_pack(s, CLOCK, ACTOR, subscription.id)
        activate_pack(s, CLOCK, ACTOR, code=code, email="admin@bench.test", name="Admin",
                      password="Bench-password-1", on=CLOCK.today())
        point = add_access_point(s, CLOCK, ACTOR, access_site.id, "Main gate", "gate")
        profile = save_profile(s, CLOCK, ACTOR, access_site.id, name="Office hours",
                               segments=[f"{d} 07:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")])
        grant_right(s, CLOCK, ACTOR, access_site.id, access_point_id=point.id, profile_id=profile.id,
                    group="staff")
        site_id, point_id = access_site.id, point.id
    started = time.perf_counter()
    with transaction(engine) as s:
        rows = [RecordInput(name=f"User {i:05d}", display_name=f"USER {i:05d}",
                            main_number=f"+336{i:08d}", groups=["staff"]) for i in range(records)]
        created = import_records(s, CLOCK, ACTOR, site_id, rows)
        ids = [r.id for r in created]
    with transaction(engine) as s:
        import_credentials(s, CLOCK, ACTOR, site_id, [
            (ids[i % len(ids)], CredentialInput("badge", "wiegand26", facility=i // 65536, card=i % 65536))
            for i in range(credentials)])
    with transaction(engine) as s:
        tokens = [register_device(s, CLOCK, ACTOR, site_id, f"device {i}")[1] for i in range(devices)]
    print(f"built: {records} records, {credentials} credentials, {devices} devices in "
          f"{time.perf_counter() - started:.1f} s")
    return site_id, point_id, tokens


def serve(url: str, port: int, data_dir: str, workers: int | None) -> subprocess.Popen:
    """``clausier serve`` in its own process, as an operator runs it."""
    env = {**os.environ, "CLAUSIER_DATABASE_URL": url, "CLAUSIER_DATA_DIR": data_dir,
           "CLAUSIER_SECRET_KEY": "benchmark-secret-key", "CLAUSIER_NO_TICK": "1"}
    command = [sys.executable, "-m", "clausier.cli.main", "serve", "--port", str(port)]
    process = subprocess.Popen(command + (["--workers", str(workers)] if workers else []), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not start")


def in_process(url: str, site_id: int) -> None:
    engine = engine_for(url)
    with transaction(engine) as s:
        site = s.get(AccessSite, site_id)
        SNAPSHOTS.clear()
        started = time.perf_counter()
        body = snapshot_bytes(s, site, CLOCK.today())
        built = time.perf_counter() - started
        snapshot = json.loads(body)
        print(f"snapshot built and encoded (in process, cold): {ms(built)} "
              f"({len(snapshot['records'])} records, {len(snapshot['credentials'])} credentials)")
        version = snapshot["site"]["version"]
    with transaction(engine) as s:
        record_id = snapshot["records"][0]["id"]
        update_record(s, CLOCK, ACTOR, site_id, record_id,
                      RecordInput(name="User 00000", display_name="USER 0 BIS", groups=["staff"]))
    with transaction(engine) as s:
        site = s.get(AccessSite, site_id)
        started = time.perf_counter()
        changes = delta(s, site, version, CLOCK.today())
        print(f"delta (in process, 1 change): {ms(time.perf_counter() - started)} (to v{changes['to']})")
    config = rules.SiteConfig.from_snapshot(snapshot)
    keys = [c["key"] for c in snapshot["credentials"]] + ["badge:0000000/26"] * 1000
    monday_10 = datetime.combine(date(2026, 11, 23), datetime.min.time(), tzinfo=PARIS) + timedelta(hours=10)
    presented = [rules.Presented("badge", snapshot["access_points"][0]["id"], monday_10, key) for key in keys]
    started = time.perf_counter()
    for p in presented:
        rules.decide(config, p)
    per = (time.perf_counter() - started) / len(presented)
    print(f"decision: {per * 1e6:.1f} µs per decision ({len(presented)} decisions)")


def warm_up(base: str, tokens: list[str]) -> None:
    """A few polls, so that each web worker has served the device routes once (their first
    request compiles the statements): the cold figure below is the version's, not the worker's."""
    for token in tokens:
        httpx.get(f"{base}/api/v1/devices/me/delta", params={"since": 0}, timeout=30,
                  headers={"authorization": f"Bearer {token}"})


def change_and_wait_for_prebuilt(url: str, site_id: int, folder: Path, seconds: float = 60) -> float:
    """An administrator's change made by another process (as a command would), then how long
    until the server has encoded the new version on its own, before any device asked for it."""
    engine = engine_for(url)
    with write_transaction(engine) as s:
        record_id = list_records(s, ACTOR, site_id, limit=1)[0].id
        update_record(s, CLOCK, ACTOR, site_id, record_id,
                      RecordInput(name="User 00000", display_name="USER 0 TER", groups=["staff"]))
        version = s.get(AccessSite, site_id).config_version
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if any(folder.glob(f"site-{site_id}-*-v{version}-*.json")):
            return time.perf_counter() - started
        time.sleep(0.02)
    raise SystemExit("the server did not build the snapshot")


def over_http(base: str, token: str) -> None:
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
        for label in ("cold: first fetch of the version", "cached", "cached"):
            started = time.perf_counter()
            response = client.get("/api/v1/devices/me/snapshot")
            print(f"snapshot over HTTP ({label}): {ms(time.perf_counter() - started)} "
                  f"({len(response.content) / 1e6:.1f} MB)")
        started = time.perf_counter()
        unchanged = client.get("/api/v1/devices/me/snapshot", headers={"if-none-match": response.headers["etag"]})
        print(f"snapshot over HTTP (unchanged, If-None-Match): {ms(time.perf_counter() - started)} "
              f"({unchanged.status_code})")
        version = response.json()["site"]["version"]
        for label in ("1 change", "1 change, again"):
            started = time.perf_counter()
            client.get("/api/v1/devices/me/delta", params={"since": version - 1})
            print(f"delta over HTTP ({label}): {ms(time.perf_counter() - started)}")


# Each device polls for the delta of the version it holds, with its ETag (304 while unchanged);
# a 200 carries the new version, which the devices of that wrk thread hold from then on.
POLL_LUA = """
local tokens = {%s}
local since, etag, n = %d, "", 0
local threads = %d
request = function()
  n = n + 1
  local token = tokens[(n * threads + id) %% #tokens + 1]
  return wrk.format("GET", "/api/v1/devices/me/delta?since=" .. since,
                    {["Authorization"] = "Bearer " .. token, ["If-None-Match"] = etag})
end
response = function(status, headers, body)
  if status == 200 then
    local tag = headers["etag"] or headers["ETag"] or ""
    local version = string.match(tag, "%%-v(%%d+)")
    if version then since, etag = version, tag end
  end
end
"""
WRK_THREADS = 2
SETUP_LUA = """
local next_id = 0
setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
"""


def poll(base: str, tokens: list[str], seconds: float, interval: float, start_version: int,
         script_dir: Path) -> dict:
    """Every device polls every ``interval`` seconds on its own keep-alive connection (as a
    device's transmission module would), driven by Debian's ``wrk``: a native load generator,
    so that the figures are the server's."""
    script = script_dir / "poll.lua"
    script.write_text(SETUP_LUA + POLL_LUA % (lua_strings(tokens), start_version, WRK_THREADS)
                      + pacing_lua(len(tokens), len(tokens) / interval, WRK_THREADS) + DONE)
    return wrk_figures(start_wrk(script, base, len(tokens), seconds, WRK_THREADS), seconds)


def writer(url: str, site_id: int, stop: threading.Event, every: float) -> None:
    """The administrator keeps editing while the devices poll (deltas are not empty)."""
    engine = engine_for(url)
    with transaction(engine) as s:
        record_id = list_records(s, ACTOR, site_id, limit=1)[0].id
    n = 0
    while not stop.wait(every):
        n += 1
        with write_transaction(engine) as s:
            update_record(s, CLOCK, ACTOR, site_id, record_id,
                          RecordInput(name="User 00000", display_name=f"USER 0 v{n}", groups=["staff"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--credentials", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=2_500)
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of the polling run.")
    parser.add_argument("--interval", type=float, default=5.0, help="Seconds between two polls of a device.")
    parser.add_argument("--workers", type=int, default=2, help="clausier serve --workers")
    parser.add_argument("--db", help="Database URL (default: a fresh SQLite file).")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="clausier-bench-")
    url = args.db or f"sqlite:///{Path(workdir) / 'bench.db'}"
    upgrade(url)
    site_id, _, tokens = build(url, args.records, args.credentials, args.devices)
    in_process(url, site_id)
    require_wrk()
    port = free_port()
    server = serve(url, port, workdir, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        warm_up(base, tokens[1:21])
        prebuilt = change_and_wait_for_prebuilt(url, site_id, Path(workdir) / "access" / "snapshots")
        print(f"snapshot of a new version built by the server on its own, {ms(prebuilt)} after "
              "the change (before any device asked)")
        over_http(base, tokens[0])
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {tokens[0]}"}) as client:
            version = client.get("/api/v1/devices/me/delta", params={"since": 0}).json()["to"]
        stop = threading.Event()
        editing = threading.Thread(target=writer, args=(url, site_id, stop, 10.0), daemon=True)
        editing.start()
        server_cpu = cpu_seconds(server.pid)
        polled = poll(base, tokens, args.seconds, args.interval, version, Path(workdir))
        polled["cpu_seconds"] = cpu_seconds(server.pid) - server_cpu
        stop.set()
        editing.join()
        reference = health_reference(base, len(tokens), args.seconds, len(tokens) / args.interval,
                                     Path(workdir), server.pid)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"polling: {len(tokens)} devices every {args.interval:g} s for {polled['seconds']:.1f} s — "
          f"{polled['requests']} requests, {polled['rate']:.0f} requests/s, "
          f"p50 {polled['p50_us'] / 1000:.1f} ms, p99 {polled['p99_us'] / 1000:.1f} ms, "
          f"{polled['errors']} errors")
    print(against_reference("/api/v1/health", polled, reference))
    # CPU per request does not depend on how busy the machine is: it says what the server can
    # sustain on this machine's cores.
    print(cpu_line("polling, the administrator's edits every 10 s included", polled))
    print(cpu_line("/api/v1/health", reference))
    print(machine_line())


if __name__ == "__main__":
    main()
