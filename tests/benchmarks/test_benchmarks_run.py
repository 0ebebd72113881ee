"""The benchmark scripts still run against the code (a renamed reader once broke
``benchmarks/billrun.py`` with nothing to say so): each runs at a tiny size and prints the lines
the README documents. Their figures are not looked at here: speed is measured on an idle machine,
never asserted in the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("script", "args", "lines"), [
    ("billrun.py", ["--customers", "40"], ["invoices/s", "invoices checksum:", "re-run (idempotent)"]),
    ("rating.py", ["--records", "3000", "--services", "40"],
     ["records/s", "summaries checksum:", "reference, Polars parse only"]),
], ids=["billrun", "rating"])
def test_a_benchmark_runs_at_a_tiny_size_and_prints_its_documented_lines(script, args, lines,
                                                                         tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CLAUSIER_DATA_DIR": str(tmp_path)}
    env.pop("CLAUSIER_DATABASE_URL", None)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for line in lines:
        assert line in done.stdout, f"{script}: no {line!r} in\n{done.stdout}"
