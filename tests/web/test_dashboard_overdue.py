"""The dashboard's "invoices overdue by dunning step" panel: overdue invoices counted and summed
per step their customer's dunning case reached, in French on a French page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clausier.core.clock import FixedClock
from clausier.web import dashboard
from clausier.web.i18n import gettext_for
from clausier.web.templating import filters_for
from tests.payments.test_dunning import tick_until
from tests.payments.test_payments import technicophone_invoice


def _panel(session, day: date):
    view = dashboard.View("fr", gettext_for("fr"), filters_for("fr"))
    return dashboard.overdue_panel(session, FixedClock.on(day), view)


def test_overdue_invoices_grouped_by_dunning_step(session, actor):
    """TECHNICOPHONE CGV art. 10.4: the 1 200.00 € TTC invoice of Friday 3 October 2025 falls due
    25 « jours » later, working days as art. 2 L66-67 defines them: Friday 7 November; art. 8.4:
    formal notice 1 the day after (the ladder's first step)."""
    technicophone_invoice(session, actor)
    assert dashboard.overdue_by_step(session, date(2025, 11, 7)) == []     # not overdue yet
    [before] = dashboard.overdue_by_step(session, date(2025, 11, 8))
    assert (before.position, before.invoices, before.amount) == (-1, 1, Decimal("1200.00"))
    panel = _panel(session, date(2025, 11, 8))
    assert panel.title == "Factures échues par étape de relance"
    assert panel.rows[0][0] == "Pas encore d'étape de relance"

    tick_until(session, actor, date(2025, 11, 8), date(2025, 11, 8))
    [after] = dashboard.overdue_by_step(session, date(2025, 11, 8))
    assert (after.step, after.action, after.invoices, after.amount) == (
        "formal_notice_1", "formal_notice", 1, Decimal("1200.00"))
    rows = _panel(session, date(2025, 11, 8)).rows
    assert rows[0][:2] == ["1. mise en demeure", "1"]
    assert rows[0][2].replace("\u202f", " ").replace("\xa0", " ") == "1 200,00 €"
    assert rows[-1][0] == "Total"
