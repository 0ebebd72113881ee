"""Rating on the workers (issue 23): with a broker, ``clausier rate --month M`` sends each bucket of
subscriptions to the workers, and the summaries the bill run reads are the very ones the
in-process rating writes (same checksum), each bucket named with the worker that rated it."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import delete, select
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.rating.month import service as month_service
from clausier.rating.models import UsageSummary
from clausier.rating.store import UsageStore
from tests.rating.conftest import make_rating_operator, subscriber

MONTH = "2026-10"


def summaries_checksum(engine) -> tuple[int, str]:
    """How many summaries, and a digest of what the bill run reads of them."""
    with transaction(engine) as s:
        rows = [(r.subscription_id, r.customer_id, r.month, r.usage_period, str(r.amount),
                 r.price_basis, r.records, r.explanation)
                for r in s.scalars(select(UsageSummary).order_by(UsageSummary.subscription_id,
                                                                 UsageSummary.month))]
    return len(rows), hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def test_the_workers_rate_a_month_bucket_by_bucket_as_the_in_process_rating_does(
        shared_worker, worker_data_dir, tasks, clean_engine, db_url, clock, actor, monkeypatch,
        tmp_path):
    with transaction(clean_engine) as s:
        operator = make_rating_operator(s, clock, actor, tmp_path)
        make = subscriber(s, clock, actor, operator)
        for n in range(1, 11):      # ten lines: spread over several of the store's buckets
            make("mobile", f"06{n:08d}")
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(worker_data_dir))
    runner = CliRunner()
    target = tmp_path / "synth.csv.gz"
    made = runner.invoke(app, ["cdr", "synth", "-o", str(target), "--records", "4000",
                               "--month", MONTH])
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["cdr", "import", str(target)]).exit_code == 0
    rated_on = FixedClock.on(date(2026, 11, 3))
    with transaction(clean_engine) as s:      # the in-process rating, as without a broker
        expected = month_service.rate(s, rated_on, actor, MONTH,
                                      UsageStore(worker_data_dir / "usage")).as_dict()
    count, checksum = summaries_checksum(clean_engine)
    assert count == 10
    with transaction(clean_engine) as s:      # forgotten: the workers write them again
        s.execute(delete(UsageSummary))
    result = runner.invoke(app, ["rate", "--month", MONTH, "--today", "2026-11-03", "--json"])
    assert result.exit_code == 0, result.output + shared_worker.log_text()
    report = json.loads(result.output)
    assert summaries_checksum(clean_engine) == (count, checksum)
    buckets = report.pop("buckets")
    assert report == expected
    assert len(buckets) > 1 and all(b["status"] == "done" and b["worker"] for b in buckets)
    assert sum(b["records"] for b in buckets) == expected["records"] == 4000
