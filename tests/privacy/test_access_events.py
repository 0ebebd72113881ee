"""Access-control events purged by the privacy room's daily purge, site by site (Rozoh)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.access.devices.service import register_device
from clausier.access.events.service import EventIn, device_events
from clausier.access.models import DeviceEvent
from clausier.access.sites.service import set_event_retention
from clausier.audit.service import Actor
from clausier.cli.main import app as cli
from clausier.core.clock import PARIS
from clausier.customers.models import Customer
from clausier.db.session import transaction
from clausier.privacy import service
from clausier.privacy.models import PurgeReportLine
from clausier.scheduler.service import run_daily_tick
from tests.access.builders import activated_site
from tests.privacy import world

TODAY = date(2026, 11, 24)
DAYS_AGO = [0, 20, 40, 80, 100, 200]      # 2026-11-24, 11-04, 10-15, 09-05, 08-16, 05-08
CLAUSE = "CP A art. 1 (L142-146), reading ROZ-ACCESS-EVENT-RETENTION"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    return tmp_path


def _site_with_events(session, clock, actor, email: str, retention_months: int | None = None):
    built = activated_site(session, clock, actor, email=email)
    if retention_months:
        set_event_retention(session, clock, built.admin, built.site.id, retention_months)
    device, _ = register_device(session, clock, built.admin, built.site.id, "Contrôleur")
    device_events(session, clock, device, "b1", [
        EventIn(i + 1, datetime.combine(TODAY - timedelta(days=d), time(8), tzinfo=PARIS),
                "entry_granted", "granted") for i, d in enumerate(DAYS_AGO)])
    return built


def _events_left(session, site_id: int) -> int:
    return session.scalar(select(func.count()).select_from(DeviceEvent)
                          .where(DeviceEvent.site_id == site_id))


def _lines(session, run_id: int) -> dict[str, PurgeReportLine]:
    return {l.what: l for l in session.scalars(select(PurgeReportLine).where(
        PurgeReportLine.run_id == run_id, PurgeReportLine.data == "access_events"))}


def test_an_access_control_site_with_a_one_month_event_retention(session, clock, actor, data_dir):
    """Reading ROZ-ACCESS-EVENT-RETENTION: events kept 3 months, unless the site administrator —
    the controller of the residents' data (CP A art. 3 L266-269) — sets another period. On
    2026-11-24 the 1-month site keeps the events since 2026-10-25 (2 of 6), the default site
    those since 2026-08-25 (4 of 6); the daily tick purges them and the report says so."""
    short = _site_with_events(session, clock, actor, "admin@short.fr", retention_months=1)
    default = _site_with_events(session, clock, actor, "admin@default.fr")

    outcomes = {o.step: o for o in run_daily_tick(session, clock, actor, TODAY)}

    assert outcomes["clausier.privacy.service:tick"].status == "done"
    assert "events" not in outcomes["clausier.access.periods.service:daily_tick"].summary  # one path
    assert (_events_left(session, short.site.id), _events_left(session, default.site.id)) == (2, 4)
    run, _ = service.purge_report(session, TODAY)
    lines = _lines(session, run.id)
    one_month = lines[f"access events of site {short.site.id} ({short.site.name})"]
    assert (one_month.count, one_month.unit, one_month.held, one_month.clause) == (
        4, "events", 0, CLAUSE)
    assert one_month.detail == "1 month after creation — set by the site administrator"
    assert "rozoh: access_events 3 months after creation" in one_month.rule
    three_months = lines[f"access events of site {default.site.id} ({default.site.name})"]
    assert (three_months.count, three_months.detail) == (2, "3 months after creation")


def test_a_legal_hold_keeps_a_sites_events(session, clock, actor, data_dir):
    """A legal hold on the customer stops the purge of its sites' events until it is lifted."""
    built = _site_with_events(session, clock, actor, "admin@held.fr", retention_months=1)
    customer_id = built.pack.customer_id
    world.give_siren(session.get(Customer, customer_id))
    service.place_legal_hold(session, clock, actor, customer_id, "break-in under investigation",
                             TODAY)
    run = service.purge(session, clock, actor, TODAY)
    [line] = _lines(session, run.id).values()
    assert (line.count, line.held, line.detail) == (0, 4, "legal hold")
    assert _events_left(session, built.site.id) == 6
    service.lift_legal_hold(session, clock, actor, customer_id, "closed", TODAY)
    service.purge(session, clock, actor, TODAY + timedelta(days=1))
    assert _events_left(session, built.site.id) == 2


def test_clausier_privacy_purge_lists_the_access_events(clean_engine, db_url, clock, data_dir,
                                                        monkeypatch):
    """``clausier privacy purge`` runs the same purger and prints the report line."""
    with transaction(clean_engine) as s:
        site_id = _site_with_events(s, clock, Actor.system("test"), "admin@cli.fr",
                                    retention_months=1).site.id
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["privacy", "purge", "--today", TODAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    [line] = [l for l in json.loads(result.output)["lines"] if l["data"] == "access_events"]
    assert (line["count"], line["unit"], line["clause"]) == (4, "events", CLAUSE)
    assert line["what"].startswith(f"access events of site {site_id} ")
