"""Use cases of the price ledger: index values, the annual indexation and price changes,
each recorded as price revisions the bill runs apply."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing import periods
from clausier.billing.context import TermsCache, month_of, operator_by_code
from clausier.billing.ledger import rules
from clausier.billing.models import (
    IndexValue,
    PriceChange,
    PriceChangeNotice,
    PriceRevision,
)
from clausier.billing.runs import inputs
from clausier.contracts import facts as contracts
from clausier.contracts.facts import BilledItem
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import message_fields, msg
from clausier.core.money import ZERO, fr_number, money, to_decimal

# --------------------------------------------------------------------------- indexation


def add_index_value(session: Session, clock: Clock, actor: Actor, series: str, month: str | date,
                    value: str | Decimal) -> IndexValue:
    """Record a published index value (e.g. ``001565192 2026-09 132.4``). The same value again
    changes nothing; another value for a recorded month is refused."""
    day = month_of(month)
    try:
        number = to_decimal(value, field="value")
    except ValueError as exc:
        raise InvalidInput.on("value", str(exc), code=periods.Refused.index_not_a_number) from None
    if number <= 0:
        raise InvalidInput.on("value", "an index value is positive",
                              code=periods.Refused.index_not_positive)
    existing = session.scalar(select(IndexValue).where(IndexValue.series == series,
                                                       IndexValue.month == day))
    if existing is not None:
        if Decimal(existing.value) != number:
            raise Conflict(f"index {series} {periods.period_label(day)}: already recorded as "
                           f"{existing.value}", code=periods.Refused.index_already_recorded)
        return existing
    row = IndexValue(series=series, month=day, value=str(number), recorded_at=clock.now(),
                     actor=actor.name)
    session.add(row)
    record(session, clock, actor, "index.add", row,
           f"{series} {periods.period_label(day)} = {number}")
    return row


def list_index_values(session: Session, series: str | None = None) -> list[IndexValue]:
    query = select(IndexValue).order_by(IndexValue.series, IndexValue.month)
    if series:
        query = query.where(IndexValue.series == series)
    return list(session.scalars(query))


def current_monthly_fee(session: Session, item: BilledItem, on: date) -> Decimal:
    """The monthly fee of an item on a date, revisions (indexation, price changes) included."""
    steps = [inputs.PriceStep(r.effective_on, r.old_fee, r.new_fee) for r in session.scalars(
        select(PriceRevision).where(PriceRevision.subscription_item_id == item.id))]
    return inputs.item_facts(item, set(), {item.id: steps}).fee_on(on)[0]


def apply_indexation(session: Session, clock: Clock, actor: Actor, operator_code: str,
                     year: int) -> list[PriceRevision]:
    """The annual revision by the sheet's index (CGV art. 9.4) for every live subscription:
    ``new = old × (1 + (I_new − I_old) / I_old)`` with the recorded index values. Idempotent."""
    operator = operator_by_code(session, operator_code)
    cache = TermsCache(session)
    revisions = []
    recorded: dict[str, dict[date, Decimal]] = {}
    for sub in contracts.subscriptions_in_force_of_operator(session, operator.id, date(year, 1, 1)):
        terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family)
        indexation = terms.indexation
        if indexation is None or indexation.series_id is None:
            continue
        applies = indexation.applies_to.value if indexation.applies_to else ["recurring"]
        if "recurring" not in applies:
            continue
        on = rules.revision_date(terms, year)
        if sub.go_live_on is None or sub.go_live_on >= on:
            continue
        series = indexation.series_id.value
        values = recorded.setdefault(series, {row.month: Decimal(row.value)
                                              for row in list_index_values(session, series)})
        try:
            month_new, month_old = rules.index_months(terms, on, values)
        except RuleRefusal as exc:
            raise exc.as_error(NotAllowed) from None
        if month_old not in values:
            raise NotAllowed(
                f"indexation: index {series} of {periods.period_label(month_old)} is not "
                             f"recorded (needed with {periods.period_label(month_new)}; "
                             f"{indexation.reference_lag_months.clause if indexation.reference_lag_months else ''})",
                             code=periods.Refused.index_value_missing)
        for item in sub.items:
            if item.monthly_fee == ZERO or session.scalar(select(PriceRevision.id).where(
                    PriceRevision.subscription_item_id == item.id, PriceRevision.effective_on == on,
                    PriceRevision.cause == "indexation")):
                continue
            old = current_monthly_fee(session, item, on - periods.ONE_DAY)
            indexed = rules.indexed_fee(terms, old, values[month_old], values[month_new],
                                        month_old, month_new)
            note = msg("{label}: {note}", label=item.label, note=indexed.note)
            revision = PriceRevision(
                subscription_id=sub.id, subscription_item_id=item.id, effective_on=on,
                cause="indexation", old_fee=old, new_fee=indexed.new,
                explanation={**indexed.explained.as_dict(), "note": note,
                             **message_fields("note", note)}, created_at=clock.now())
            session.add(revision)
            revisions.append(revision)
    if revisions:
        record(session, clock, actor, "price.indexation", revisions[0],
               msg("{operator} {year}: {n} item(s) indexed", operator=operator.code, year=year,
                   n=len(revisions)))
    return revisions


# --------------------------------------------------------------------------- price changes


def announce_price_change(session: Session, clock: Clock, actor: Actor, operator_code: str,
                          kind: str, effective_on: date, *, family: str | None = None,
                          offer_code: str | None = None, percent: Decimal | None = None,
                          description: str = "", announced_on: date | None = None) -> PriceChange:
    """Announce a price change: refused if the effective date leaves less than the sheet's
    notice; otherwise one notice per affected subscription with the customer's right to leave
    without fees when the sheet grants it, and the new fees from the effective date."""
    if kind not in rules.PRICE_CHANGE_KINDS:
        raise InvalidInput.on("kind", f"{kind!r} is not one of {', '.join(rules.PRICE_CHANGE_KINDS)}",
                              code=periods.Refused.price_change_kind_unknown)
    operator = operator_by_code(session, operator_code)
    announced = announced_on or clock.today()
    if percent is not None:
        percent = to_decimal(percent, field="percent")
    increase = percent is None or percent > 0
    cache = TermsCache(session)
    subs = [s for s in contracts.subscriptions_in_force_of_operator(
                session, operator.id, effective_on, family)
            if offer_code is None or any(i.offer_code == offer_code for i in s.items)]
    if not subs:
        raise InvalidInput.on("family" if family else "offer_code", "no live subscription is affected",
                              code=periods.Refused.price_change_affects_nothing)
    notices = []
    for sub in subs:
        terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family)
        try:
            rule = rules.price_change_notice(terms, kind, announced, increase, effective_on)
        except RuleRefusal as exc:
            raise exc.as_error(NotAllowed, of=sub.ref) from None
        if effective_on < rule.earliest_effective:
            raise NotAllowed(f"effective_on: {effective_on.isoformat()} leaves less than the notice "
                             f"of {sub.family} (earliest {rule.earliest_effective.isoformat()}, "
                             f"{rule.notice_clause})", code=periods.Refused.notice_too_short,
                             clause=rule.notice_clause)
        notices.append((sub, rule))
    change = PriceChange(operator_id=operator.id, kind=kind, family=family, offer_code=offer_code,
                         percent=str(percent) if percent is not None else None,
                         announced_on=announced, effective_on=effective_on,
                         description=description, actor=actor.name, created_at=clock.now())
    session.add(change)
    session.flush()
    for sub, rule in notices:
        change.notices.append(PriceChangeNotice(
            customer_id=sub.customer_id, subscription_id=sub.id, sent_on=announced,
            effective_on=effective_on, notice_clause=rule.notice_clause,
            may_leave_without_fees=rule.may_leave, leave_clause=rule.leave_clause,
            leave_until=rule.leave_until, details=rule.as_dict()))
        if kind == "usage" or percent is None:
            continue    # usage prices are the rating room's; a notice without a figure is a text
        for item in sub.items:
            if item.monthly_fee == ZERO or (offer_code and item.offer_code != offer_code):
                continue
            old = current_monthly_fee(session, item, effective_on - periods.ONE_DAY)
            new = money(old * (1 + percent / 100))
            explained = Explained((Line(msg("New monthly fee from {date}", date=effective_on), new,
                                        msg("{old} × (1 + {percent} %)", old=old,
                                            percent=fr_number(percent)),
                                        rule.notice_clause),))
            note = msg("{label}: price change of {date}: {old} × (1 + {percent} %) = {new} — "
                       "{clause}", label=item.label, date=announced, old=old,
                       percent=fr_number(percent), new=new, clause=rule.notice_clause)
            session.add(PriceRevision(
                subscription_id=sub.id, subscription_item_id=item.id, effective_on=effective_on,
                cause="price_change", price_change_id=change.id, old_fee=old, new_fee=new,
                explanation={**explained.as_dict(), "note": note,
                             **message_fields("note", note)},
                created_at=clock.now()))
    record(session, clock, actor, "price.change", change,
           msg("{operator} {kind} from {date}: {n} notice(s)", operator=operator.code,
               kind=kind, date=effective_on, n=len(notices)))
    return change


def list_price_changes(session: Session) -> list[PriceChange]:
    return list(session.scalars(select(PriceChange).order_by(PriceChange.id.desc())))
