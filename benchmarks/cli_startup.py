"""CLI start-up benchmark: how long ``clausier --help`` and a read command (``contract list``) take,
measured by hyperfine (``scripts/ensure-system-deps.sh`` installs it) on the demo data set.

    .venv/bin/python benchmarks/cli_startup.py [--runs 10] [--data-dir DIR]

Without ``--data-dir``, a demo database is made in a temporary folder (``db upgrade`` and
``demo load``, about a minute). Each command runs once before it is timed, which also writes the
bytecode caches a user's second call finds (``PYTHONDONTWRITEBYTECODE`` is ignored here: with it,
every call compiles every module it imports, ten times slower).

Target (2-core machine): ``--help`` under 0.3 s. The load average is printed: wall-clock figures
taken on a busy machine are not comparable, the CPU time (user + system) less so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CLAUSIER = Path(sys.executable).with_name("clausier")
COMMANDS = {"--help": ["--help"], "contract list": ["contract", "list"]}


def demo_data_dir(env: dict[str, str]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="clausier-cli-bench-"))
    env = {**env, "CLAUSIER_DATA_DIR": str(folder)}
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(CLAUSIER), *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, help="A data dir that holds a demo database.")
    args = parser.parse_args()
    if shutil.which("hyperfine") is None:
        sys.exit("hyperfine is not installed (bash scripts/ensure-system-deps.sh)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    data_dir = args.data_dir or demo_data_dir(env)
    env["CLAUSIER_DATA_DIR"] = str(data_dir)
    results = Path(tempfile.mkdtemp(prefix="clausier-cli-bench-")) / "hyperfine.json"
    subprocess.run(["hyperfine", "--shell=none", "--warmup", "1", "--runs", str(args.runs),
                    "--style", "none", "--export-json", str(results),
                    *(" ".join([str(CLAUSIER), *command]) for command in COMMANDS.values())],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    for name, result in zip(COMMANDS, json.loads(results.read_text())["results"]):
        print(f"clausier {name:<14} wall {result['mean']:.3f} s ± {result['stddev']:.3f} "
              f"(min {result['min']:.3f})  CPU {result['user'] + result['system']:.3f} s")
    shutil.rmtree(results.parent)
    if args.data_dir is None:
        shutil.rmtree(data_dir)


if __name__ == "__main__":
    main()
