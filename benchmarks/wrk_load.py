"""What the HTTP benchmarks share: Debian's ``wrk`` as the load generator (native, so the
figures are the server's and not a Python client's sharing the same cores), its answer read
from a Lua ``done`` hook, the CPU time of the server's processes, and the machine's load.

``make system-deps`` installs wrk. Loopback only; every run is bounded by ``-d``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

# wrk's answer: one JSON line from the Lua ``done`` hook (latencies in microseconds).
DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"duration_us": %d}\\n',
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, summary.duration))
end
"""
ERROR_KINDS = ("connect", "read", "write", "status", "timeout")


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make system-deps` installs Debian's wrk")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lua_strings(values: list[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def start_wrk(script: Path, url: str, connections: int, seconds: float, threads: int = 2,
              timeout_seconds: int = 35) -> subprocess.Popen:
    """``wrk`` in the background (the caller may run something else meanwhile)."""
    return subprocess.Popen(["wrk", f"-t{min(threads, connections)}", f"-c{connections}",
                             f"-d{max(1, round(seconds))}s", "--timeout", f"{timeout_seconds}s",
                             "-s", str(script), url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_figures(process: subprocess.Popen, seconds: float) -> dict:
    """The figures of a finished ``wrk`` run; exits with its output when it failed."""
    output, _ = process.communicate(timeout=seconds + 90)
    lines = [line for line in output.splitlines() if line.startswith('{"requests"')]
    if process.returncode or not lines:
        sys.exit(f"wrk failed:\n{output}")
    figures = json.loads(lines[-1])
    figures["errors"] = sum(figures[kind] for kind in ERROR_KINDS)
    figures["seconds"] = figures["duration_us"] / 1e6
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures


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


def machine_line() -> str:
    one, five, _ = os.getloadavg()
    return (f"machine load average: {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"
            " — figures taken on a busy machine are not comparable")


def pacing_lua(connections: int, rate: float | None, threads: int = 2) -> str:
    """A Lua ``delay`` hook that holds the whole load to ``rate`` requests/s: each connection
    waits ``connections / rate`` seconds between its requests (as a device polling every N
    seconds does), the first wait of each spread at random so that they do not all start at
    once. No rate: as fast as the server answers."""
    if not rate:
        return ""
    pause_ms = round(connections / rate * 1000)
    first_waits = -(-connections // min(threads, connections))
    return f"""
local pause_ms, first_waits, waits = {pause_ms}, {first_waits}, 0
delay = function()
  waits = waits + 1
  if waits <= first_waits then return math.random(0, pause_ms) end
  return pause_ms
end
"""


def health_reference(base_url: str, connections: int, seconds: float, rate: float | None,
                     script_dir: Path, server_pid: int) -> dict:
    """The same load on the same server's ``/api/v1/health`` (no database, no token): the
    framework's own limit on this machine, the reference a route's figures are read against;
    with the server's CPU time meanwhile."""
    script = script_dir / "health.lua"
    script.write_text(pacing_lua(connections, rate) + DONE)
    cpu_before = cpu_seconds(server_pid)
    figures = wrk_figures(start_wrk(script, f"{base_url}/api/v1/health", connections, seconds),
                          seconds)
    figures["cpu_seconds"] = cpu_seconds(server_pid) - cpu_before
    return figures


def cpu_line(label: str, figures: dict) -> str:
    """The server's CPU time beside the wall time of a run, and per request."""
    cpu, wall = figures["cpu_seconds"], figures["seconds"]
    return (f"server CPU ({label}): {cpu:.1f} s over {wall:.1f} s wall ({cpu / wall:.2f} cores), "
            f"{cpu * 1000 / max(1, figures['requests']):.2f} ms per request")


def against_reference(label: str, figures: dict, reference: dict) -> str:
    ratio = figures["p99_us"] / reference["p99_us"] if reference["p99_us"] else float("inf")
    cpu = ""
    if "cpu_seconds" in figures:
        cpu_ratio = ((figures["cpu_seconds"] / max(1, figures["requests"]))
                     / (reference["cpu_seconds"] / max(1, reference["requests"])))
        cpu = f", {cpu_ratio:.1f}× its CPU per request"
    return (f"reference: {label} under the same load: {reference['rate']:.0f} requests/s, "
            f"p50 {reference['p50_us'] / 1000:.1f} ms, p99 {reference['p99_us'] / 1000:.1f} ms "
            f"(the route's p99 is {ratio:.1f}× the framework's{cpu})")
