"""``clausier demo load`` benchmark: wall-clock and CPU time of loading the demo data set into a
fresh SQLite database (``db upgrade`` first, not timed).

    .venv/bin/python benchmarks/demo_load.py [--runs 3]

The load average is printed: on a busy shared machine the wall-clock figure is not comparable,
the CPU time (user + system of the command) much more so. Issue 18 §8 (the demo's history billed
month by month from where an old system stopped) left it unchanged: 10.4 s of CPU before, 10.5 to
11.6 s after (load average 14-16 on 2 cores, wall-clock 46-51 s both).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLAUSIER = Path(sys.executable).with_name("clausier")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run() -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one ``demo load`` on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="clausier-demo-bench-") as folder:
        env = {**os.environ, "CLAUSIER_DATA_DIR": folder,
               "CLAUSIER_DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.db'}"}
        subprocess.run([str(CLAUSIER), "db", "upgrade"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run([str(CLAUSIER), "demo", "load"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - start, _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for index in range(1, args.runs + 1):
        wall, cpu = one_run()
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"run {index}: demo load {wall:.1f} s wall-clock, {cpu:.1f} s CPU "
              f"(load average {load})")


if __name__ == "__main__":
    main()
