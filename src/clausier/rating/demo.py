"""Demo call records: last month's traffic of the demo's live lines, synthesised (with the
fair-use breaches and fraud patterns ``synth`` gives a few lines on purpose), imported as an
operator's CDR file and rated after the demo's bill runs (next month's run would bill it: the
demo's invoices cite only the terms, not the demo price lists); the usage price lists loaded
first. The fraud alerts stay open, waiting for a decision (idempotent: a file imported once is
not imported again)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.rating.cdr import service as cdr_service
from clausier.rating.cdr import synth
from clausier.rating.month import service as month_service
from clausier.rating.price import service as price_service
from clausier.rating.store import UsageStore

# Enough records for every demo line to call, few enough to keep ``demo load`` quick.
DEMO_RECORDS = 4000
DEMO_SEED = 21


def demo_file_name(month: str) -> str:
    return f"demo-cdr-{month}.csv"


def demo_lines(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The lines in the order ``synth`` gives its patterns (``synth.PROFILES``, from the second
    line on), so that mobiles carry the heavy use, the long calls, the burst and the robot, and a
    fixed line presents the 089 number: the patterns the sheets of those families watch."""
    mobiles = [line for line in lines if line[1] == "mobile"]
    others = [line for line in lines if line[1] != "mobile"]
    return others[:1] + mobiles[:4] + others[1:2] + mobiles[4:] + others[2:]


def load_demo(session: Session, clock: Clock, actor: Actor) -> str | None:
    month = f"{clock.today().replace(day=1) - timedelta(days=1):%Y-%m}"   # last month
    name = demo_file_name(month)
    if any(batch.file_name == name for batch in cdr_service.list_batches(session)):
        return None
    for path in price_service.built_in_price_lists():
        price_service.load_price_list(session, clock, actor, path)
    lines = demo_lines(cdr_service.service_lines(session, 100))
    if not lines:
        return None
    store = UsageStore.default()
    path = synth.write(synth.generate(lines, DEMO_RECORDS, month, DEMO_SEED),
                       store.root / "demo" / name)
    batch = cdr_service.import_cdr_file(session, clock, actor, path, store)
    report = month_service.rate(session, clock, actor, month, store)
    return (f"{batch.accepted} call records of {month} rated, {report.breaches} fair-use "
            f"breach(es), {report.alerts} fraud alert(s)")
