"""The service period's daily tick: periods refreshed, end-of-service warnings and notices,
the SIM's return to the manufacturer; the packs nearing their end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import AccessSite, Pack, SiteNotice
from clausier.access.packs.service import (list_packs, pack_terms, refresh_period, sim_items,
                                           sync_refusal_of)
from clausier.access.sites.service import new_version
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock, SystemClock
from clausier.core.message import Message, message_fields, msg
from clausier.customers import service as customers
from clausier.equipment import rules as equipment_rules
from clausier.equipment import service as equipment
from clausier.notifications import outbox
from clausier.terms.schema import Pack as PackTerms


def daily_tick(session: Session, clock: Clock, actor: Actor, day: date, *,
               customer_id: int | None = None) -> str:
    """Service periods, end-of-service warnings (6 and 1 months before, reading
    ROZ-END-WARNINGS), end of sync, the SIM's return to the manufacturer at the end of service.
    Idempotent for a date; one customer's packs only with ``customer_id``. Events past their
    site's retention are purged by the privacy room's daily purge
    (``access.events.purge.purge_access_events``)."""
    counts = {"periods": 0, "warnings": 0, "ended": 0, "sim_returns": 0}
    for pack, site in list_packs(session):
        if customer_id is not None and pack.customer_id != customer_id:
            continue
        if refresh_period(session, pack):
            new_version(session, clock, site, [("site", site.id, "upsert")])
            counts["periods"] += 1
        terms, _ = pack_terms(session, pack)
        if pack.service_end is not None:
            counts["warnings"] += _warn(session, clock, actor, site, pack, terms, day)
            if day > pack.service_end and _notice(session, clock, actor, site, pack, "service_ended", day,
                                                  sync_refusal_of(session, pack, day)[1],
                                                  terms.service_months.clause if terms.service_months else ""):
                counts["ended"] += 1
            counts["sim_returns"] += _flag_sim_return(session, clock, actor, site, pack, day)
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def _flag_sim_return(session: Session, clock: Clock, actor: Actor, site: AccessSite, pack: Pack, day: date) -> int:
    """Once the service period is over, the transmission module and its SIM go back to the
    manufacturer, the SIM's owner (CP A art. 1 L34-42, reading the sheet's
    equipment.sim_returns_to_manufacturer): the inventory's SIM items get their return
    obligation (the equipment room's), and the administrator a notice. Once per pack."""
    _, all_terms = pack_terms(session, pack)
    rule = all_terms.equipment.sim_returns_to_manufacturer if all_terms.equipment else None
    if rule is None or not rule.value or day <= pack.service_end:
        return 0
    flagged = 0
    for item in sim_items(session, pack):
        if item.state in equipment_rules.AT_CUSTOMER and item.return_reason is None:
            equipment.open_return(session, clock, actor, item.serial, "end_of_service",
                                  pack.service_end + timedelta(days=1))
            flagged += 1
    serials = ", ".join(i.serial for i in sim_items(session, pack) if i.return_to == "manufacturer")
    message = msg("The service period of {site} ended on {date}: the transmission module and its SIM "
                  "card{serials}, lent for the service period, must be returned to the manufacturer, "
                  "which owns the SIM card.", site=site.name, date=pack.service_end.isoformat(),
                  serials=f" ({serials})" if serials else "")
    noticed = _notice(session, clock, actor, site, pack, "sim_return", day, message, rule.clause)
    return int(noticed or flagged > 0)


def _warn(session: Session, clock: Clock, actor: Actor, site: AccessSite, pack: Pack,
          terms: PackTerms, day: date) -> int:
    if terms.end_warnings_months_before is None or day > pack.service_end:
        return 0
    due = {m: d for m, d in rules.end_warning_dates(pack.service_end, terms.end_warnings_months_before.value).items()
           if d <= day}
    if not due:
        return 0
    months = min(due)        # a late tick sends the nearest warning only
    message = msg("The service period of {site} ends on {date} ({months} month notice): after that "
                  "date changes are no longer synchronised and the SIM card must be returned."
                  if months == 1 else
                  "The service period of {site} ends on {date} ({months} months notice): after that "
                  "date changes are no longer synchronised and the SIM card must be returned.",
                  site=site.name, date=pack.service_end.isoformat(), months=months)
    return int(_notice(session, clock, actor, site, pack, f"end_warning_{months}", day, message,
                       terms.end_warnings_months_before.clause))


def _notice(session: Session, clock: Clock, actor: Actor, site: AccessSite, pack: Pack, kind: str,
            day: date, message: str, clause: str) -> bool:
    """Once per site and kind: the notice shown on the site's pages, and the e-mail to the
    customer through the outbox, like every other notice (sent by the sender, retried)."""
    if session.scalar(select(SiteNotice.id).where(SiteNotice.site_id == site.id, SiteNotice.kind == kind)):
        return False
    notice = SiteNotice(site_id=site.id, kind=kind, on=day, message=message, clause=clause,
                        **message_fields("message", message))
    session.add(notice)
    record(session, clock, actor, f"access.notice.{kind}", notice,
           msg("{site}: {notice}", site=site.name, notice=message))
    subject, body = _notice_email(kind, site, pack, clause)
    outbox.queue(session, clock, actor, customers.get_customer(session, pack.customer_id),
                 channel="email", kind=f"access_{kind}", key=f"access-notice:{site.id}:{kind}",
                 subject=subject, body=body)
    return True


def _notice_email(kind: str, site: AccessSite, pack: Pack, clause: str) -> tuple[Message, Message]:
    """The customer's e-mail of an end-of-service notice: messages the outbox writes in the
    recipient's language (French for Rozoh's customers)."""
    end = f"{pack.service_end:%d/%m/%Y}"
    if kind == "sim_return":
        return (msg("Return of the transmission module and its SIM card — {site}", site=site.name),
                msg("The service period of the site {site} ended on {end}: the transmission module "
                    "and its SIM card, lent for the service period, must be returned to the "
                    "manufacturer, which owns the SIM card ({clause}).",
                    site=site.name, end=end, clause=clause))
    if kind == "service_ended":
        return (msg("End of the service period — {site}", site=site.name),
                msg("The service period of the site {site} ended on {end} ({clause}): changes are "
                    "no longer synchronised with your equipment and the transmission module, with "
                    "its SIM card, must be returned.", site=site.name, end=end, clause=clause))
    months = int(kind.removeprefix("end_warning_"))
    return (msg("Your service period ends on {end} — {site}", end=end, site=site.name),
            msg("The service period of the site {site} ends on {end} ({months} month notice, "
                "{clause}): after that date, changes will no longer be synchronised with your "
                "equipment and the transmission module, with its SIM card, must be returned."
                if months == 1 else
                "The service period of the site {site} ends on {end} ({months} months notice, "
                "{clause}): after that date, changes will no longer be synchronised with your "
                "equipment and the transmission module, with its SIM card, must be returned.",
                site=site.name, end=end, months=months, clause=clause))


def packs_ending(session: Session, day: date) -> dict[int, list[tuple[Pack, AccessSite]]]:
    """Packs whose service period ends within each warning horizon of their sheet (6 and 1
    months before the end, reading ROZ-END-WARNINGS), by horizon in months."""
    ending: dict[int, list[tuple[Pack, AccessSite]]] = {}
    for pack, site in list_packs(session):
        terms, _ = pack_terms(session, pack)
        for months in (terms.end_warnings_months_before.value if terms.end_warnings_months_before else ()):
            ending.setdefault(months, [])
            if rules.ends_within(pack.service_end, day, months):
                ending[months].append((pack, site))
    return dict(sorted(ending.items(), reverse=True))
