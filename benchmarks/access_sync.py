"""Access-control sync benchmark: one site with 10 000 user records and 20 000 credentials,
1 000 simulated devices polling the device API over HTTP on loopback.

Prints: snapshot time (in-process, cold, and over HTTP), delta time, polling p50/p99 latency and
requests/s, and the time of one access decision. Bounded in time (``--seconds``, default 20).

    PYTHONPATH=src python benchmarks/access_sync.py [--devices 1000] [--seconds 20] [--workers N] [--db URL]

The server is ``clausier serve`` in its own process; the devices are one asyncio httpx client
(which takes its share of the same CPUs: the figures are those of the whole machine).

Targets (2-core machine): snapshot < 200 ms, delta < 20 ms, 200 polls/s with p99 < 100 ms, a
decision < 1 ms. The machine's load average is printed: figures taken on a busy machine are not
comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
from collections import Counter
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from clausier.access import rules
from clausier.access import service as access
from clausier.audit.service import Actor
from clausier.catalog.models import Offer, Operator
from clausier.contracts import service as contracts
from clausier.core.clock import PARIS, SystemClock
from clausier.customers.models import Customer, Site
from clausier.db.migrate import upgrade
from clausier.db.session import engine_for, transaction, write_transaction
from clausier.terms import service as terms

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
        pack, access_site, code = access.open_pack(s, CLOCK, ACTOR, subscription.id)
        access.activate_pack(s, CLOCK, ACTOR, code=code, email="admin@bench.test", name="Admin",
                             password="Bench-password-1", on=CLOCK.today())
        point = access.add_access_point(s, CLOCK, ACTOR, access_site.id, "Main gate", "gate")
        profile = access.save_profile(s, CLOCK, ACTOR, access_site.id, name="Office hours",
                                      segments=[f"{d} 07:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")])
        access.grant_right(s, CLOCK, ACTOR, access_site.id, access_point_id=point.id, profile_id=profile.id,
                           group="staff")
        site_id, point_id = access_site.id, point.id
    started = time.perf_counter()
    with transaction(engine) as s:
        rows = [access.RecordInput(name=f"User {i:05d}", display_name=f"USER {i:05d}",
                                   main_number=f"+336{i:08d}", groups=["staff"]) for i in range(records)]
        created = access.import_records(s, CLOCK, ACTOR, site_id, rows)
        ids = [r.id for r in created]
    with transaction(engine) as s:
        access.import_credentials(s, CLOCK, ACTOR, site_id, [
            (ids[i % len(ids)], access.CredentialInput("badge", "wiegand26", facility=i // 65536, card=i % 65536))
            for i in range(credentials)])
    with transaction(engine) as s:
        tokens = [access.register_device(s, CLOCK, ACTOR, site_id, f"device {i}")[1] for i in range(devices)]
    print(f"built: {records} records, {credentials} credentials, {devices} devices in "
          f"{time.perf_counter() - started:.1f} s")
    return site_id, point_id, tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (the web workers), from /proc."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def in_process(url: str, site_id: int) -> None:
    engine = engine_for(url)
    with transaction(engine) as s:
        site = s.get(access.AccessSite, site_id)
        access.SNAPSHOTS.clear()
        started = time.perf_counter()
        body = access.snapshot_bytes(s, site, CLOCK.today())
        built = time.perf_counter() - started
        snapshot = json.loads(body)
        print(f"snapshot built and encoded (in process, cold): {ms(built)} "
              f"({len(snapshot['records'])} records, {len(snapshot['credentials'])} credentials)")
        version = snapshot["site"]["version"]
    with transaction(engine) as s:
        record_id = snapshot["records"][0]["id"]
        access.update_record(s, CLOCK, ACTOR, site_id, record_id,
                             access.RecordInput(name="User 00000", display_name="USER 0 BIS", groups=["staff"]))
    with transaction(engine) as s:
        site = s.get(access.AccessSite, site_id)
        started = time.perf_counter()
        changes = access.delta(s, site, version, CLOCK.today())
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


def over_http(base: str, token: str) -> None:
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
        for label in ("cold: a fresh worker's first request", "cached", "cached"):
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


DEVICES_PER_CLIENT = 50


async def poll(base: str, tokens: list[str], seconds: float, interval: float, start_version: int
               ) -> tuple[list[float], int, float]:
    """Each device polls every ``interval`` seconds on its own keep-alive connection (as a
    device's transmission module would). The devices share a few httpx clients: one pool of a
    thousand connections costs the client more CPU than the server spends answering."""
    latencies: list[float] = []
    errors = 0
    kinds: Counter[str] = Counter()
    per = DEVICES_PER_CLIENT
    limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
    clients = [httpx.AsyncClient(base_url=base, timeout=30, limits=limits)
               for _ in range(0, len(tokens), per)]
    deadline = time.perf_counter() + seconds

    async def device(client: httpx.AsyncClient, token: str) -> None:
        nonlocal errors
        headers = {"authorization": f"Bearer {token}"}
        held, etag = start_version, ""
        await asyncio.sleep(random.uniform(0, interval))
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                response = await client.get(f"/api/v1/devices/me/delta?since={held}",
                                            headers={**headers, "if-none-match": etag})
                latencies.append(time.perf_counter() - began)
                if response.status_code == 304:
                    pass
                elif response.status_code != 200:
                    errors += 1
                    kinds[f"delta {response.status_code}: {response.text[:80]}"] += 1
                else:
                    etag = response.headers.get("etag", "")
                    if (to := response.json()["to"]) != held:
                        held = to
                        acked = time.perf_counter()
                        ack = await client.post("/api/v1/devices/me/ack", json={"version": held}, headers=headers)
                        latencies.append(time.perf_counter() - acked)
                        if ack.status_code != 200:
                            errors += 1
                            kinds[f"ack {ack.status_code}: {ack.text[:80]}"] += 1
            except httpx.HTTPError as exc:
                errors += 1
                kinds[type(exc).__name__] += 1
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))

    started = time.perf_counter()
    tasks = [asyncio.create_task(device(clients[i // per], t)) for i, t in enumerate(tokens)]
    # Bounded: requests still queued a little after the deadline are abandoned and counted.
    _, late = await asyncio.wait(tasks, timeout=seconds + 10)
    for task in late:
        task.cancel()
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    if kinds:
        print("errors:", dict(kinds))
    return latencies, errors + len(late), elapsed


def writer(url: str, site_id: int, stop: threading.Event, every: float) -> None:
    """The administrator keeps editing while the devices poll (deltas are not empty)."""
    engine = engine_for(url)
    with transaction(engine) as s:
        record_id = access.list_records(s, ACTOR, site_id, limit=1)[0].id
    n = 0
    while not stop.wait(every):
        n += 1
        with write_transaction(engine) as s:
            access.update_record(s, CLOCK, ACTOR, site_id, record_id,
                                 access.RecordInput(name="User 00000", display_name=f"USER 0 v{n}", groups=["staff"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--credentials", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of the polling run.")
    parser.add_argument("--interval", type=float, default=5.0, help="Seconds between two polls of a device.")
    parser.add_argument("--workers", type=int, default=None,
                        help="Web worker processes (default: clausier serve's, one per CPU).")
    parser.add_argument("--db", help="Database URL (default: a fresh SQLite file).")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="clausier-bench-")
    url = args.db or f"sqlite:///{Path(workdir) / 'bench.db'}"
    upgrade(url)
    site_id, _, tokens = build(url, args.records, args.credentials, args.devices)
    in_process(url, site_id)
    port = free_port()
    server = serve(url, port, workdir, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        over_http(base, tokens[0])
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {tokens[0]}"}) as client:
            version = client.get("/api/v1/devices/me/delta", params={"since": 0}).json()["to"]
        stop = threading.Event()
        editing = threading.Thread(target=writer, args=(url, site_id, stop, 10.0), daemon=True)
        editing.start()
        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        latencies, errors, elapsed = asyncio.run(poll(base, tokens, args.seconds, args.interval, version))
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
        stop.set()
        editing.join()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"polling: {len(tokens)} devices every {args.interval:g} s for {elapsed:.1f} s — "
          f"{len(latencies)} requests, {len(latencies) / elapsed:.0f} requests/s, "
          f"p50 {ms(statistics.median(latencies))}, p99 {ms(p99)}, {errors} errors or abandoned")
    # CPU per request does not depend on how busy the machine is: it says what the server can
    # sustain on this machine's cores once the client is elsewhere.
    print(f"CPU per request: server {ms(server_cpu / len(latencies))}, devices' client "
          f"{ms(client_cpu / len(latencies))} (the writer thread included)")
    print(f"machine load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
