"""The support room's plain shapes of tickets, SLA reports and claims, for the CLI's ``--json``
and the API (an edge's business: the service returns the data)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from clausier.core.message import message_of
from clausier.support.models import SlaClaim
from clausier.support.service import SubscriptionReport, TicketClock


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def ticket_to_dict(clock: TicketClock, *, with_events: bool = False) -> dict:
    t, reading, status = clock.ticket, clock.reading, clock.status
    data = {
        "ref": t.ref, "status": t.status, "customer_id": t.customer_id,
        "subscription_id": t.subscription_id, "site_ids": t.site_ids,
        "reporter_contact_id": t.reporter_contact_id, "channel": t.channel,
        "description": t.description, "location": t.location, "consequences": t.consequences,
        "keep_informed": t.keep_informed, "access": t.access,
        "service_level_option": t.service_level_option,
        "called_at": _iso(t.called_at), "confirmed_at": _iso(t.confirmed_at),
        "restored_at": _iso(t.restored_at), "closed_at": _iso(t.closed_at),
        "qualification": {"in_scope": t.in_scope, "anomaly": t.anomaly,
                          "excusable_event": t.excusable_event, "misuse": t.misuse,
                          "billable": t.billable, "note": t.qualification_note},
        "restoration_minutes": t.restoration_minutes,
        "clock": {
            "start": _iso(reading.start), "start_reason": reading.start_reason,
            "until": _iso(reading.until), "elapsed_seconds": _seconds(reading.elapsed),
            "paused_seconds": _seconds(reading.paused), "paused_now": reading.paused_now,
            "confirmation_due": _iso(reading.confirmation_due),
            "spans": [{"start": _iso(s.start), "end": _iso(s.end), "state": s.state,
                       "counted_seconds": _seconds(s.counted)} for s in reading.spans],
        },
        "target": None if clock.target is None else {
            "label": clock.target.label, "seconds": _seconds(clock.target.duration),
            "counted_in": clock.target.counted_in.value, "penalised": clock.target.penalised,
            "clause": clock.target.clause,
            "left_seconds": _seconds(status.left), "deadline": _iso(status.deadline),
            "breached": status.breached},
    }
    if with_events:
        data["events"] = [{"kind": e.kind, "at": _iso(e.at), "actor": e.actor, "details": e.details}
                          for e in sorted(t.events, key=lambda e: (e.at, e.id))]
    return data


def report_to_dict(item: SubscriptionReport) -> dict:
    report, availability = item.report, item.report.availability
    return {
        "subscription": item.subscription.ref, "customer_id": item.subscription.customer_id,
        "family": item.subscription.family, "site_id": item.subscription.site_id,
        "service_level_option": item.subscription.service_level_option,
        "month": report.month.strftime("%Y-%m"), "monthly_amount": str(report.monthly_amount),
        "has_service_level": report.has_service_level,
        "availability": {
            "applicable": availability.applicable,
            "period": [_iso(availability.period_start), _iso(availability.period_end)],
            "percent": None if availability.percent is None else str(availability.percent.quantize(
                Decimal("0.001"))),
            "outage_seconds": _seconds(availability.down),
            "excluded_seconds": _seconds(availability.excluded),
            "objective": None if availability.objective is None else str(availability.objective),
            "objective_met": availability.objective_met,
            "objective_only": availability.objective_only,
            "band_percent": None if availability.band is None else str(availability.band.percent),
            "credit": availability.credit.as_dict(), "notes": list(availability.notes),
            "note_messages": [message_of(note) for note in availability.notes]},
        "restoration": {
            "tickets": [{"ref": o.ticket_ref, "restoration_seconds": _seconds(o.restoration_time),
                         "target": o.target.label, "breached": o.breached,
                         "percent": None if o.percent is None else str(o.percent), "reason": o.reason}
                        for o in report.outcomes],
            "penalties": report.penalties.as_dict()},
        "claim_deadline": _iso(report.claim_deadline),
        "total": str(report.total),
    }


def claim_to_dict(row: SlaClaim) -> dict:
    return {"customer_id": row.customer_id, "month": row.month.strftime("%Y-%m"),
            "requested_on": row.requested_on.isoformat(), "total": str(row.total),
            "includes_restoration": row.includes_restoration, "explanation": row.explanation,
            "refused": row.refused}
