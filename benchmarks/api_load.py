"""API load benchmark: bearer-token readers and writers against ``clausier serve`` on SQLite while
a bill run goes on.

    python benchmarks/api_load.py               # 15 000 customers, 50 readers, 10 writers, 30 s
    python benchmarks/api_load.py --customers 2000 --seconds 10
    python benchmarks/api_load.py --db postgresql --writers 0 --no-billrun --rate 200   # reads only

A fresh SQLite database in a temporary data dir (the embedded default), with the customers of
``benchmarks/billrun.py`` (3 subscriptions each), a portal user and token for each reader and a
billing user and token for each writer. ``clausier serve`` (its default workers) listens on a
free loopback port; the readers' load runs ``--warm-up`` seconds unmeasured (5: every worker's
connections, statements and tokens ready); a bill run of the period is started through the API, then Debian's ``wrk``
(``make system-deps``) keeps ``--readers`` connections on ``GET /api/v1/portal/invoices`` (each
request with the next reader's token) and ``--writers`` connections on ``POST
/api/v1/customers/{id}/contacts`` for ``--seconds``. Printed: requests, errors, p50 and p99 per
kind; then the bill run's progress, that every answered write is stored, and how long the server
took to stop on SIGTERM. Reads only (``--writers 0 --no-billrun``): the same load is then run on
``/api/v1/health`` of the same server, the framework's own limit on this machine, and the ratio of
the two p99 printed, with the server's CPU time beside the wall time of each. Exit status 1 when any request failed. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import billrun  # noqa: E402
from wrk_load import (DONE, against_reference, cpu_line, cpu_seconds, free_port,  # noqa: E402
                      health_reference, lua_strings, machine_line, pacing_lua, require_wrk,
                      start_wrk, wrk_figures)

PERIOD = billrun.PERIOD
START_SECONDS = 300     # a machine shared with other work may take long to import the app
READERS_LUA = """
local tokens = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[n %% #tokens + 1]})
end
"""
WRITERS_LUA = """
local tokens = {%s}
local customers = %d
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"name": "Contact written under load %%d"}', n)
  return wrk.format("POST", string.format("/api/v1/customers/%%d/contacts", n %% customers + 1),
                    {["Authorization"] = "Bearer " .. tokens[n %% #tokens + 1],
                     ["Content-Type"] = "application/json"}, body)
end
"""


def set_up(url: str, customers: int, readers: int, writers: int, tokens_file: Path) -> None:
    """The customers of the bill-run benchmark, then the users and their tokens (in a child
    process: the server and the load generator have the machine to themselves)."""
    from clausier.accounts import service as accounts
    from clausier.audit.service import Actor
    from clausier.core.clock import FixedClock
    from clausier.db.session import engine_for, transaction

    billrun.set_up(url, customers)
    clock, actor = FixedClock.on(billrun.ISSUE_DAY), Actor.system("benchmark")
    tokens: dict[str, list[str]] = {"readers": [], "writers": [], "admin": []}
    with transaction(engine_for(url)) as session:
        users = ([("readers", f"reader{n}@bench.local", "customer", "customer", n + 1)
                  for n in range(readers)]
                 + [("writers", f"writer{n}@bench.local", "billing", "staff", None)
                    for n in range(writers)]
                 + [("admin", "admin@bench.local", "admin", "staff", None)])
        for group, email, role, kind, customer_id in users:
            user = accounts.create_user(session, clock, actor, email=email, name=email, role=role,
                                        kind=kind, customer_id=customer_id,
                                        password="benchmark password")
            session.flush()
            tokens[group].append(accounts.issue_token(session, clock, actor, user.id, "load")[1])
    tokens_file.write_text(json.dumps(tokens))


def wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"the server did not answer within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


def show(kind: str, figures: dict, seconds: int) -> None:
    kinds = ("connect", "read", "write", "status", "timeout")
    detail = ", ".join(f"{kind} {figures[kind]}" for kind in kinds if figures[kind])
    print(f"  {kind:<8} {figures['requests']:>7} requests ({figures['requests'] / seconds:.0f}/s), "
          f"{figures['errors']} errors{f' ({detail})' if detail else ''}, "
          f"p50 {figures['p50_us'] / 1000:.0f} ms, p99 {figures['p99_us'] / 1000:.0f} ms, "
          f"max {figures['max_us'] / 1000:.0f} ms")


def stored_contacts(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(text("SELECT count(*) FROM contacts WHERE name LIKE "
                                       "'Contact written under load %'"))
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=15_000)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warm-up", type=int, default=5,
                        help="seconds of the readers' load before the measured one (0: none)")
    parser.add_argument("--workers", type=int, default=None,
                        help="clausier serve --workers (default: its own, one per CPU)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: a fresh database on the local server")
    parser.add_argument("--rate", type=float, default=None,
                        help="hold the readers to this many requests/s (default: as fast as served)")
    parser.add_argument("--no-billrun", action="store_true",
                        help="no bill run during the load (with --writers 0: reads only, measured "
                             "against /api/v1/health under the same load)")
    args = parser.parse_args()
    require_wrk()
    data_dir = Path(tempfile.mkdtemp(prefix="clausier-api-load-"))
    try:
        run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, data_dir: Path) -> None:
    started = time.perf_counter()
    if args.db == "postgresql":
        db_url = billrun.fresh_database("postgresql", "clausier_bench_api")
    else:
        from clausier.db.migrate import upgrade

        db_url = f"sqlite:///{data_dir / 'clausier.db'}"
        upgrade(db_url)
    tokens_file = data_dir / "tokens.json"
    child = multiprocessing.get_context("spawn").Process(
        target=set_up, args=(db_url, args.customers, args.readers, args.writers, tokens_file))
    child.start()
    child.join()
    if child.exitcode:
        sys.exit("set-up failed")
    tokens = json.loads(tokens_file.read_text())
    print(f"set-up: {args.customers} customers × 3 subscriptions, {args.readers} portal readers, "
          f"{args.writers} writers on {args.db} in {time.perf_counter() - started:.1f} s")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CLAUSIER_DATA_DIR": str(data_dir), "CLAUSIER_DATABASE_URL": db_url,
           "CLAUSIER_NO_TICK": "1", "CLAUSIER_TODAY": billrun.ISSUE_DAY.isoformat(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                        os.environ.get("PYTHONPATH")]))}
    serve = [sys.executable, "-m", "clausier.cli.main", "serve", "--host", "127.0.0.1",
             "--port", str(port)] + (["--workers", str(args.workers)] if args.workers else [])
    log = data_dir / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(serve, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, server, log)
        errors, answered_writes = load(args, url, tokens, data_dir, server.pid)
        during_load = log.read_text()     # what the shutdown logs (cancelled requests) aside
    finally:
        stopped_in = stop(server)
    print(f"server stopped on SIGTERM in {stopped_in:.1f} s" if stopped_in is not None
          else "server did NOT stop within 60 s of SIGTERM (killed)")
    cancelled = re.search(r"Cancel (\d+) running task", log.read_text())
    if cancelled:
        print(f"  {cancelled[1]} request(s) still queued at SIGTERM were cancelled")
    print(f"writes answered 201: {answered_writes}, contacts stored: {stored_contacts(db_url)}")
    logged = [line for line in during_load.splitlines() if "Traceback" in line or "ERROR" in line]
    if logged:
        first = during_load.index(logged[0])
        print(f"server log: {len(logged)} error line(s) during the load, the first:\n"
              f"{during_load[first:first + 3000]}")
    if errors or logged or stopped_in is None:
        sys.exit(1)


def load(args: argparse.Namespace, url: str, tokens: dict, data_dir: Path, server_pid: int
         ) -> tuple[int, int]:
    """Start the bill run (unless --no-billrun), run both loads at once, then the same readers'
    load on /api/v1/health; the errors, and the writes answered."""
    admin = httpx.Client(base_url=url, timeout=60,
                         headers={"authorization": f"Bearer {tokens['admin'][0]}"})
    # Warm-up (not measured): the first call of a route builds its models.
    reader = httpx.get(f"{url}/api/v1/portal/invoices", timeout=60,
                       headers={"authorization": f"Bearer {tokens['readers'][0]}"})
    if reader.status_code != 200:
        sys.exit(f"warm-up failed: {reader.status_code} {reader.text}")
    if args.writers:
        writer = httpx.post(f"{url}/api/v1/customers/1/contacts", json={"name": "Warm-up"},
                            timeout=60, headers={"authorization": f"Bearer {tokens['writers'][0]}"})
        if writer.status_code != 201:
            sys.exit(f"warm-up failed: {writer.status_code} {writer.text}")
    readers_lua, writers_lua = data_dir / "readers.lua", data_dir / "writers.lua"
    readers_lua.write_text(READERS_LUA % lua_strings(tokens["readers"])
                           + pacing_lua(args.readers, args.rate) + DONE)
    writers_lua.write_text(WRITERS_LUA % (lua_strings(tokens["writers"]), args.customers) + DONE)
    if args.warm_up:
        # The readers' load for a few seconds, not measured: every worker then has the pool's
        # connections open, its statements compiled and its readers' tokens checked, as a server
        # in service has (a cold server's first second holds requests for up to ~300 ms).
        warm = wrk_figures(start_wrk(readers_lua, f"{url}/api/v1/portal/invoices", args.readers,
                                     args.warm_up), args.warm_up)
        print(f"warm-up ({args.warm_up} s, not measured):")
        show("readers", warm, args.warm_up)
    run_id = None
    if not args.no_billrun:
        started = admin.post("/api/v1/billruns", json={"period": PERIOD, "operator": "technicophone"})
        if started.status_code != 202:
            sys.exit(f"the bill run did not start: {started.status_code} {started.text}")
        run_id = started.json()["id"]
    pace = f" paced to {args.rate:g} requests/s" if args.rate else ""
    print(f"load: {args.readers} readers{pace} + {args.writers} writers for {args.seconds} s on "
          f"{args.db}" + (f", bill run {run_id} of {PERIOD} going on" if run_id else ""))
    cpu_before = cpu_seconds(server_pid)
    readers = start_wrk(readers_lua, f"{url}/api/v1/portal/invoices", args.readers, args.seconds)
    writers = (start_wrk(writers_lua, url, args.writers, args.seconds) if args.writers else None)
    read = wrk_figures(readers, args.seconds)
    written = (wrk_figures(writers, args.seconds) if writers else
               {"requests": 0, "errors": 0, "rate": 0.0})
    server_cpu = cpu_seconds(server_pid) - cpu_before
    if not args.writers:
        read["cpu_seconds"] = server_cpu      # the readers' alone: compared with the reference's
    progress = None
    if run_id:
        try:
            progress = admin.get(f"/api/v1/billruns/{run_id}").json()
        except httpx.HTTPError as exc:       # the server still busy with the requests queued
            progress = {"status": f"not read ({type(exc).__name__})", "customers_done": "?",
                        "customers_total": args.customers, "invoices": "?"}
    admin.close()
    show("readers", read, args.seconds)
    if writers:
        show("writers", written, args.seconds)
    print(f"  total    {read['requests'] + written['requests']:>7} requests, "
          f"{read['errors'] + written['errors']} errors; server CPU "
          f"{server_cpu * 1000 / max(1, read['requests'] + written['requests']):.2f} ms per request")
    if progress:
        print(f"bill run {run_id} at the end of the load: {progress['status']}, "
              f"{progress['customers_done']}/{progress['customers_total']} customers, "
              f"{progress['invoices']} invoices")
    if not run_id and not args.writers:
        reference = health_reference(url, args.readers, args.seconds, args.rate, data_dir,
                                     server_pid)
        print(against_reference("/api/v1/health", read, reference))
        print(cpu_line("readers", read))
        print(cpu_line("/api/v1/health", reference))
    print(machine_line())
    return read["errors"] + written["errors"], written["requests"] - written["errors"]


def stop(server: subprocess.Popen) -> float | None:
    """SIGTERM; the seconds the server took to stop, None if it had to be killed."""
    stopping = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        return None
    return time.perf_counter() - stopping


if __name__ == "__main__":
    main()
