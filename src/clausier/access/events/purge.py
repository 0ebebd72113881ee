"""The access room's part of the retention purge (``privacy`` runs it for each retention rule in
force): device events past their site's period."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clausier.access.models import AccessSite, DeviceEvent, Pack
from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.privacy.purgers import customers_in_scope, start_of_day, subscriptions_in_scope
from clausier.privacy.rules import Purged, RetentionPeriod, RuleInForce
from clausier.terms.schema import DayCount


def purge_access_events(session: Session, clock: Clock, actor: Actor, rule: RuleInForce,
                        today: date, held_customer_ids: frozenset[int]) -> list[Purged] | None:
    """Access-control events past their site's period: the sheet's (reading
    ROZ-ACCESS-EVENT-RETENTION, 3 months), or the months the site administrator set as the
    controller of the residents' data (CP A art. 3 L266-269; ``AccessSite.event_retention_months``)."""
    if rule.data != "access_events":
        return None
    query = (select(AccessSite, Pack.customer_id).join(Pack, AccessSite.pack_id == Pack.id)
             .where(Pack.customer_id.in_(customers_in_scope(session, rule))).order_by(AccessSite.id))
    subscriptions = subscriptions_in_scope(session, rule)
    if subscriptions is not None:
        query = query.where(Pack.subscription_id.in_(subscriptions))
    out = []
    for site, customer_id in session.execute(query):
        period = site_event_period(rule, site)
        due = (DeviceEvent.site_id == site.id,
               DeviceEvent.at < start_of_day(period.cutoff(today) + timedelta(days=1)))
        what = f"access events of site {site.id} ({site.name})"
        detail = period.describe() + (" — set by the site administrator"
                                      if site.event_retention_months else "")
        if customer_id in held_customer_ids:
            count = session.scalar(select(func.count()).select_from(DeviceEvent).where(*due))
            if count:
                out.append(Purged(rule.data, what, 0, "events", count, "legal hold"))
            continue
        deleted = session.execute(delete(DeviceEvent).where(*due)).rowcount or 0
        if deleted:
            out.append(Purged(rule.data, what, deleted, "events", 0, detail))
    return out


def site_event_period(rule: RuleInForce, site: AccessSite) -> RetentionPeriod:
    """The site's own period when its administrator set one, else the sheet's."""
    if not site.event_retention_months:
        return rule.period
    return RetentionPeriod(rule.data, site.event_retention_months, None, DayCount.calendar,
                           rule.period.after, rule.clause)
