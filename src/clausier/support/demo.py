"""Demo tickets: one in each state on Technicophone's lines — closed last month after a long
outage (its restoration time breached, then claimed: the SLA claim's credit), restored and
waiting to be closed, open and waiting for site access, open past its restoration target —
as support staff record them, at instants counted from the demo's clock (idempotent)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.clock import PARIS, Clock, FixedClock
from clausier.core.errors import NotAllowed, NotFound
from clausier.customers import service as customers
from clausier.support import service
from clausier.support.service import TicketInput

# (customer, family of the line, what the reporter says, where)
CLOSED = ("TEC-000002", "vga", "Plus de tonalité sur l'accès RNIS du cabinet",
          "Cabinet Paris, local technique")
RESTORED = ("TEC-000001", "vga", "Ligne analogique de la boutique coupée", "Siège Tours, accueil")
WAITING_ACCESS = ("TEC-000004", "sip_trunk", "Appels entrants impossibles sur le trunk SIP",
                  "Clinique, salle serveurs")
BREACHED = ("TEC-000003", "internet", "Accès fibre du dépôt hors service",
            "Dépôt Lille, baie réseau")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _open(session: Session, actor: Actor, entry: tuple, called_at: datetime):
    customer_ref, family, description, location = entry
    try:
        customer = customers.get_customer_by_ref(session, customer_ref, "technicophone")
    except NotFound:
        return None
    line = next(iter(contracts.list_subscriptions(session, customer.id, status=SubscriptionStatus.ACTIVE,
                                                  family=family)), None)
    reporters = customers.authorised_reporters(session, customer.id)
    if line is None or not reporters:
        return None
    return service.open_ticket(session, FixedClock(called_at), actor, TicketInput(
        subscription=line.id, reporter_contact_id=reporters[0].id, description=description,
        location=location, called_at=called_at))


def load_demo(session: Session, clock: Clock, actor: Actor) -> str | None:
    if service.list_tickets(session):
        return None
    today = clock.today()
    # A Tuesday of last month: the outage runs through working hours, whatever the month.
    eighth = (today.replace(day=1) - timedelta(days=1)).replace(day=8)
    last_month = eighth + timedelta(days=(1 - eighth.weekday()) % 7)
    tickets = []
    # Closed: a day and a half without service last month, then claimed.
    closed = _open(session, actor, CLOSED, _at(last_month, 9))
    if closed is not None:
        restored_at = _at(last_month + timedelta(days=1), 18)
        service.confirm(session, FixedClock(_at(last_month, 9, 20)), actor, closed.ref,
                        _at(last_month, 9, 20))
        service.qualify(session, FixedClock(restored_at), actor, closed.ref, in_scope=True,
                        anomaly="major", note="Carte d'abonné défectueuse au central")
        service.restore(session, FixedClock(restored_at), actor, closed.ref, restored_at)
        service.close(session, FixedClock(restored_at + timedelta(minutes=30)), actor,
                      closed.ref, restored_at + timedelta(minutes=30))
        tickets.append(closed)
    # Restored two days ago, the customer has not confirmed yet: waiting to be closed.
    two_days = today - timedelta(days=2)
    restored = _open(session, actor, RESTORED, _at(two_days, 8, 30))
    if restored is not None:
        service.qualify(session, FixedClock(_at(two_days, 10)), actor, restored.ref,
                        in_scope=True, anomaly="minor")
        service.restore(session, FixedClock(_at(two_days, 11)), actor, restored.ref,
                        _at(two_days, 11))
        tickets.append(restored)
    # Open, its clock stopped: the technician waits for access to the customer's site.
    yesterday = today - timedelta(days=1)
    waiting = _open(session, actor, WAITING_ACCESS, _at(yesterday, 14))
    if waiting is not None:
        service.request_access(session, FixedClock(_at(yesterday, 15)), actor, waiting.ref,
                               _at(yesterday, 15))
        tickets.append(waiting)
    # Open for three days: past its restoration target.
    breached = _open(session, actor, BREACHED, _at(today - timedelta(days=3), 9))
    if breached is not None:
        tickets.append(breached)
    claimed = ""
    if closed is not None:
        try:
            claim = service.claim(session, clock, actor, CLOSED[0], last_month)
            claimed = f", SLA claim of {CLOSED[0]} for {last_month:%Y-%m} ({claim.total} €)"
        except NotAllowed as refused:          # a month the sheets give nothing for
            claimed = f", no SLA claim ({refused})"
    return f"{len(tickets)} ticket(s){claimed}"
