"""Print every explained amount of the demo data: the exit quote of each demo contract and each
demo invoice with its lines, as the CLI's ``--json`` prints them.

Run it before and after a change that must not change behaviour (a room moved, a module cut)
and compare the two files: they must be byte-identical.

    python scripts/demo_explained.py > before.json   # on the old code
    python scripts/demo_explained.py > after.json    # on the new code
    cmp before.json after.json

The demo is loaded into a scratch data folder with a pinned date (``CLAUSIER_TODAY``), so two runs
of the same code print the same bytes. The commands run in this one process (Typer's runner)
rather than one process each: the demo has hundreds of contracts and invoices.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

PINNED_DAY = "2026-12-01"   # any fixed day: the demo builds its history back from "today"
QUOTE_RECEIVED_ON = PINNED_DAY


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="clausier-explained-") as data_dir:
        os.environ.update(CLAUSIER_DATA_DIR=data_dir, CLAUSIER_TODAY=PINNED_DAY)
        os.environ.pop("CLAUSIER_DATABASE_URL", None)
        from typer.testing import CliRunner

        from clausier.cli.main import app

        runner = CliRunner()

        def run(*args: str, refusal_ok: bool = False) -> str:
            result = runner.invoke(app, list(args), catch_exceptions=False)
            if result.exit_code != 0 and not (refusal_ok and result.exit_code == 2):
                raise SystemExit(f"clausier {' '.join(args)} failed:\n{result.output}")
            return result.stdout

        run("db", "upgrade")
        run("demo", "load")
        contracts = json.loads(run("contract", "list", "--json"))
        invoices = json.loads(run("invoice", "list", "--json", "--limit", "100000"))
        out = sys.stdout
        for contract in sorted(contracts, key=lambda c: c["ref"]):
            out.write(f"## contract quote-termination {contract['ref']}\n")
            out.write(run("contract", "quote-termination", contract["ref"],
                          "--received", QUOTE_RECEIVED_ON, "--json", refusal_ok=True))
        for invoice in sorted(invoices, key=lambda i: str(i.get("number") or i["id"])):
            if not invoice.get("number"):
                continue       # a draft has no number to show it by
            out.write(f"## invoice show {invoice['number']}\n")
            out.write(run("invoice", "show", invoice["number"], "--json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
