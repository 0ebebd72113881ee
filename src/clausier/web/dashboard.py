"""The back-office dashboard: figure cards (each room's manifest declares its ``dashboard_cards``)
and panels (tables and SVG charts, declared by the web room's manifest) that read the rooms'
services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from babel.dates import format_date
from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from sqlalchemy.orm import Session

from clausier.accounts.models import User
from clausier.catalog import service as catalog
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.clock import Clock
from clausier.core.money import money
from clausier.customers import service as customers
from clausier.equipment import service as equipment
from clausier.payments import invoices as invoice_reads
from clausier.payments.dunning import service as dunning
from clausier.rating.cdr import service as cdr
from clausier.rating.fraud import service as fraud
from clausier.rating.statuses import AlertStatus
from clausier.rating.month import service as rating
from clausier.rooms import ROOMS
from clausier.support import service as support
from clausier.support.rules import duration_text
from clausier.web import labels
from clausier.web.charts import Point, bar_chart


def _(text: str) -> str:
    """Marks a text for the catalogues (translated when the page is rendered)."""
    return text


@dataclass
class Card:
    title: str
    figure: str
    link: str | None = None


def cards(session: Session, gettext: Callable[[str], str]) -> list[Card]:
    """Every room's cards, in the rooms' order; each provider is ``cards(session, gettext)``."""
    return [card for room in ROOMS for provider in room.dashboard_cards()
            for card in provider(session, gettext)]


def portal_home(user: User) -> str:
    return "/portal" if user.kind == "customer" else "/sites"


# --------------------------------------------------------------------------- panels

@dataclass
class Panel:
    """A section of the dashboard: a table (headers + rows of text) and optional charts."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    charts: list[Markup] = field(default_factory=list)
    link: str | None = None
    empty: str = ""


@dataclass(frozen=True)
class View:
    """What a panel needs to write its texts: the language, gettext and the page's formatters."""

    language: str
    gettext: Callable[[str], str]
    f: dict


def panels(session: Session, clock: Clock, view: View) -> list[Panel]:
    """The panels the rooms' manifests declare (``dashboard_panels``), in the rooms' order."""
    return [panel for room in ROOMS for build in room.dashboard_panels()
            for panel in [build(session, clock, view)] if panel is not None]


def _month_label(day: date, language: str) -> str:
    return format_date(day, "MMM yy", locale="fr_FR" if language == "fr" else "en_GB")


def last_months(today: date, count: int = 12) -> list[date]:
    """The first days of the ``count`` months up to today's, oldest first."""
    first = today.replace(day=1)
    return [first - relativedelta(months=n) for n in range(count - 1, -1, -1)]


# --------------------------------------------------------------------------- recurring revenue

@dataclass(frozen=True)
class RecurringItem:
    """A priced item of a subscription with the dates it is billed between (pure input)."""

    operator: str
    family: str
    basis: str                  # HT | TTC
    monthly: Decimal            # quantity × monthly fee
    live_from: date | None
    live_until: date | None     # first day no longer billed


def live_on(item: RecurringItem, day: date) -> bool:
    return (item.live_from is not None and item.live_from <= day
            and (item.live_until is None or day < item.live_until))


def recurring_by_family(items: Iterable[RecurringItem], day: date
                        ) -> dict[tuple[str, str, str], Decimal]:
    """Monthly recurring revenue on ``day`` by (operator, family, price basis)."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for item in items:
        if live_on(item, day):
            totals[(item.operator, item.family, item.basis)] += item.monthly
    return dict(sorted(totals.items()))


def recurring_by_month(items: list[RecurringItem], months: list[date], basis: str
                       ) -> list[Decimal]:
    return [money(sum((i.monthly for i in items if i.basis == basis and live_on(i, m)),
                      Decimal(0))) for m in months]


def _first_day(*days: date | None) -> date | None:
    given = [d for d in days if d is not None]
    return min(given) if given else None


def recurring_items(session: Session) -> list[RecurringItem]:
    """Every subscription item with the dates its monthly fee runs between."""
    operators = {o.id: o.name for o in catalog.list_operators(session)}
    items = []
    for sub in contracts.list_subscriptions(session, limit=100_000):
        if sub.cancelled_on is not None or sub.go_live_on is None:
            continue
        end = _first_day(sub.terminated_on, sub.termination_effective_on)
        for item in sub.items:
            until = _first_day(end, item.active_until + timedelta(days=1)
                               if item.active_until else None)
            items.append(RecurringItem(
                operator=operators.get(sub.operator_id, "?"), family=sub.family,
                basis=item.price_basis, monthly=item.monthly_fee * item.quantity,
                live_from=max(sub.go_live_on, item.active_from or sub.go_live_on),
                live_until=until))
    return items


def revenue_panel(session: Session, clock: Clock, view: View) -> Panel:
    _, f = view.gettext, view.f
    today = clock.today()
    items = recurring_items(session)
    by_family = recurring_by_family(items, today)
    months = last_months(today)
    charts = []
    for basis in sorted({i.basis for i in items}):
        totals = recurring_by_month(items, months, basis)
        label = _("excl. VAT") if basis == "HT" else _("incl. VAT")
        charts.append(bar_chart(
            f"revenue-{basis.lower()}", f"{_('Recurring revenue per month')} ({label})",
            _("Monthly fees of the subscriptions live on the first day of each month."),
            [Point(_month_label(m, view.language), t, f["money"](t), f["money_short"](t))
             for m, t in zip(months, totals)]))
    return Panel(
        key="revenue", title=_("Recurring revenue by operator and service family"),
        headers=[_("Operator"), _("Service family"), _("Basis"), _("Per month")],
        rows=[[operator, f["label"]("family", family), basis, f["money"](money(total))]
              for (operator, family, basis), total in by_family.items()],
        charts=charts, link="/contracts", empty=_("No live subscription."))


# --------------------------------------------------------------------------- overdue invoices

# How staff read a dunning action (the sheets' ladders name the steps by these actions).
DUNNING_ACTIONS = labels.DUNNING_ACTIONS


# Step statuses that mean the customer stands at that step (declined/lapsed ones never applied).
REACHED = ("done", "approved", "pending_approval")


@dataclass
class OverdueGroup:
    """Overdue invoices of the customers standing at one dunning step."""

    position: int                # the step's place on the ladder (from 0); -1: none reached yet
    step: str
    action: str
    invoices: int = 0
    amount: Decimal = Decimal(0)


def overdue_by_step(session: Session, today: date) -> list[OverdueGroup]:
    """Issued invoices past their due date with something left to pay, grouped by the last step
    their customer's open dunning case reached (read-only on the payments room's models)."""
    groups: dict[tuple[int, str], OverdueGroup] = {}
    for customer_id in invoice_reads.customers_with_due_invoices(session, today):
        overdue = [i for i in invoice_reads.open_invoices(session, customer_id)
                   if i.due_date < today]
        if not overdue:
            continue
        case = dunning.open_case_of(session, customer_id)
        reached = [s for s in case.steps if s.status in REACHED] if case else []
        last = max(reached, key=lambda s: s.position) if reached else None
        key = (last.position, last.step_id) if last else (-1, "")
        group = groups.setdefault(key, OverdueGroup(key[0], key[1], last.action if last else ""))
        group.invoices += len(overdue)
        group.amount = money(group.amount + sum((i.outstanding for i in overdue), Decimal(0)))
    return [groups[key] for key in sorted(groups)]


def overdue_panel(session: Session, clock: Clock, view: View) -> Panel:
    _, f = view.gettext, view.f
    groups = overdue_by_step(session, clock.today())
    rows = [[_("No dunning step yet") if g.position < 0 else
             f"{g.position + 1}. {_(DUNNING_ACTIONS.get(g.action, g.action))}",
             str(g.invoices), f["money"](g.amount)] for g in groups]
    if groups:
        rows.append([_("Total"), str(sum(g.invoices for g in groups)),
                     f["money"](money(sum((g.amount for g in groups), Decimal(0))))])
    return Panel(
        key="overdue", title=_("Invoices overdue by dunning step"),
        headers=[_("Dunning step"), _("Invoices"), _("Left to pay")], rows=rows,
        link="/payments/dunning", empty=_("No invoice is overdue."))


# --------------------------------------------------------------------------- equipment returns

def returns_panel(session: Session, clock: Clock, view: View) -> Panel:
    """Equipment whose return deadline falls in this calendar week (Monday to Sunday, the week
    of the returns page it links to), with what the daily tick bills the day after if it has
    not come back (the equipment room's terms and clauses)."""
    _, f = view.gettext, view.f
    rows = []
    for due in equipment.returns_due(session, *equipment.week_of(clock.today())):
        item, obligation = due.item, due.obligation
        customer = customers.get_customer(session, item.customer_id) if item.customer_id else None
        penalty = (f["money"](obligation.penalty.total) + f" {obligation.basis}"
                   if obligation.penalty else _("no penalty"))
        rows.append([f"{_(due.kind.name)} {item.serial}", customer.name if customer else "",
                     f["day"](item.return_due_on), penalty, obligation.clause or ""])
    return Panel(
        key="returns", title=_("Equipment returns due this week"),
        headers=[_("Equipment"), _("Customer"), _("Return by"), _("Billed if not returned"),
                 _("Clause")],
        rows=rows, link="/equipment/returns", empty=_("No equipment is due back this week."))


# --------------------------------------------------------------------------- packs

PACK_HORIZON = timedelta(days=180)


def packs_panel(session: Session, clock: Clock, view: View) -> Panel:
    """Prepaid packs (families whose terms carry a ``pack`` block) ending within the horizon."""
    _, f = view.gettext, view.f
    today = clock.today()
    rows = []
    for sub in contracts.list_subscriptions(session, limit=100_000):
        if (sub.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.TERMINATED)
                or contracts.terms_of(session, sub).pack is None):
            continue
        end = contracts.timeline(session, sub.id, today).commitment_end
        if end is not None and today <= end <= today + PACK_HORIZON:
            rows.append((end, sub))
    rows.sort(key=lambda row: row[0])
    return Panel(
        key="packs", title=_("Packs nearing their end"),
        headers=[_("Subscription"), _("Service family"), _("Ends on"), _("Days left")],
        rows=[[sub.ref, f["label"]("family", sub.family), f["day"](end), str((end - today).days)] for end, sub in rows],
        link="/contracts", empty=_("No pack ends in the next six months."))


# --------------------------------------------------------------------------- support

TICKETS_SHOWN = 10


def tickets_panel(session: Session, clock: Clock, view: View) -> Panel:
    """Open tickets, most urgent first, with the time left before their target."""
    _, f = view.gettext, view.f
    board = support.live_board(session, clock.now())
    rows = []
    for item in board[:TICKETS_SHOWN]:
        if item.status is None:
            left = _("none (best efforts)")
        elif item.breached:
            left = f"{_('breached by')} {duration_text(-item.status.left)}"
        else:
            left = duration_text(item.status.left)
        rows.append([item.ticket.ref, f["target"](item.target),
                     left, f["instant"](item.status.deadline) if item.status and item.status.deadline
                     else ""])
    return Panel(
        key="tickets", title=f"{_('Tickets with time left')} ({len(board)})",
        headers=[_("Ticket"), _("Target"), _("Time left"), _("Target falls at")],
        rows=rows, link="/support/tickets", empty=_("No open ticket."))


def availability_by_family(reports) -> dict[str, Decimal]:
    """The lowest availability of the month per service family (the one to look at)."""
    lowest: dict[str, Decimal] = {}
    for item in reports:
        percent = item.report.availability.percent
        if item.report.availability.applicable and percent is not None:
            family = item.subscription.family
            lowest[family] = min(percent, lowest.get(family, percent))
    return dict(sorted(lowest.items()))


def availability_panel(session: Session, clock: Clock, view: View) -> Panel:
    _, f = view.gettext, view.f
    month = clock.today().replace(day=1)
    lowest = availability_by_family(support.sla_report(session, clock, month))
    percent = lambda value: f"{f['number'](value)} %"   # noqa: E731
    charts = [bar_chart(
        "availability", f"{_('Availability per service')} — {_month_label(month, view.language)}",
        _("Lowest availability of the month among the subscriptions of each service family."),
        [Point(f["label"]("family", family), value, percent(value))
         for family, value in lowest.items()])] if lowest else []
    return Panel(
        key="availability", title=_("Availability per service"),
        headers=[_("Service family"), _("Lowest availability this month")],
        rows=[[f["label"]("family", family), percent(value)] for family, value in lowest.items()],
        charts=charts,
        link="/support/sla", empty=_("No service with an availability commitment this month."))


# --------------------------------------------------------------------------- usage (rating)

IMPORTS_SHOWN = 5


def usage_panel(session: Session, clock: Clock, view: View) -> Panel:
    """The latest CDR imports, the open fraud alerts and rated usage per month."""
    _, f = view.gettext, view.f
    months = last_months(clock.today())
    periods = [m.strftime("%Y-%m") for m in months]
    totals = rating.usage_per_month(session, periods)
    charts = [bar_chart(
        f"usage-{basis.lower()}",
        f"{_('Rated usage per month')} ({_('excl. VAT') if basis == 'HT' else _('incl. VAT')})",
        _("Amounts of the rated calls and data of each month."),
        [Point(_month_label(m, view.language), totals.get((p, basis), Decimal(0)),
               f["money"](totals.get((p, basis), Decimal(0))),
               f["money_short"](totals.get((p, basis), Decimal(0))))
         for m, p in zip(months, periods)])
        for basis in sorted({basis for _period, basis in totals})]
    rows = [[_("CDR import") + f" #{b.id}", b.file_name,
             f"{b.accepted} / {b.rows_read} ({b.rejected} {_('rejected')})",
             f["instant"](b.finished_at or b.started_at)]
            for b in cdr.list_batches(session, limit=IMPORTS_SHOWN)]
    rows += [[_("Fraud alert") + f" #{a.id}", f["label"]("fraud_alert", a.kind),
              f"{a.calls} {_('calls')} · {a.month}",
              f["instant"](a.detected_at)] for a in fraud.list_alerts(session, status=AlertStatus.OPEN)]
    return Panel(
        key="usage", title=_("Latest CDR imports and fraud alerts"),
        headers=[_("What"), _("Subject"), _("Figures"), _("When")], rows=rows, charts=charts,
        link="/usage/imports", empty=_("No CDR import and no open fraud alert."))
