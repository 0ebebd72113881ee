"""Pure equipment rules: return deadlines, non-return penalties, damaged returns, warranty,
ownership of sold items, appointment cancellations, the SIM's PUK and inactivity.

No database, no clock, no I/O: facts and the term-sheet blocks in, explained results out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum, auto

from dateutil.relativedelta import relativedelta

from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import message_fields, msg
from clausier.core.money import ZERO, money
from clausier.terms.delays import delay
from clausier.terms.schema import NonReturnPenalty, Sourced, Terms

PROVISION_MODES = ("loaned", "rented", "sold")   # *mise à disposition*, *location*, *vente*
STATES = ("in_stock", "shipped", "installed", "returned", "lost", "sold")
AT_CUSTOMER = ("shipped", "installed")
OWNERS = ("operator", "customer", "manufacturer", "third_party")
# ``ineligibility``: the line turns out ineligible after the box is installed (Ozone CPV ADSL art. 6).
RETURN_REASONS = ("termination", "withdrawal", "end_of_service", "ineligibility")
# Rozoh CP A art. 1 L34-42, CP B art. 1 L340-348: "un module de transmission complet, contenant
# une carte SIM mise à disposition pendant la durée contractuelle": the module holds the SIM, so
# both are expected back at the end of the service.
LENT_WITH_THE_SIM = ("transmission_module", "sim")
# What the operator may do when rented equipment is not returned (sheet lists use these words).


class SimStatus(StrEnum):
    """A SIM card: active, suspended (on request, loss or theft), retired when swapped for a new
    one, deactivated when its line ended."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"
    DEACTIVATED = "deactivated"


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


SELL_CHOICES = ("sell", "sell_to_client")
REPOSSESS_CHOICES = ("repossess", "repossess_at_client_cost")

# Where a sheet counts return days in a unit the calendar knows.
_DAY_KINDS = {"calendar": DayKind.CALENDAR, "ouvres": DayKind.OUVRES, "ouvrables": DayKind.OUVRABLES}


class Refused(RefusalCode):
    """Why the equipment rules refuse an operation."""

    equipment_return_reason_unknown = auto()
    no_ineligibility_return = auto()
    no_withdrawal_return_deadline = auto()
    kind_not_in_non_return_grid = auto()
    repairs_not_billed = auto()
    repair_cost_negative = auto()
    puk_not_digits = auto()
    puk_wrong_length = auto()
    equipment_serves_no_subscription = auto()
    equipment_state_not_allowed = auto()
    equipment_serial_missing = auto()
    equipment_kind_unknown = auto()
    equipment_serial_taken = auto()
    provision_mode_unknown = auto()
    subscription_of_another_operator = auto()
    equipment_never_shipped = auto()
    equipment_event_already_recorded = auto()
    equipment_event_in_the_future = auto()
    equipment_not_sold = auto()
    equipment_not_at_the_customer = auto()
    return_condition_unknown = auto()
    equipment_owned_by_the_customer = auto()
    repair_cost_missing = auto()
    appointment_time_naive = auto()
    appointment_not_planned = auto()
    sim_suspension_reason_unknown = auto()
    sim_not_active = auto()
    sim_not_resumable = auto()
    sim_swap_reason_unknown = auto()
    sim_carries_no_line = auto()
    puk_unreadable = auto()


@dataclass(frozen=True)
class ItemFacts:
    """What the rules need to know about one serialised item."""

    kind: str                       # equipment kind code: box_fibre, tv_box, router, sim…
    serial: str
    provision_mode: str             # loaned | rented | sold
    owner: str                      # operator | customer | manufacturer | third_party
    replacement_value: Decimal      # the value on the order (*Bulletin de souscription*)
    sale_price: Decimal = ZERO
    received_on: date | None = None
    paid_in_full_on: date | None = None


# --------------------------------------------------------------------------- returns

@dataclass(frozen=True)
class ReturnTerms:
    """What a return obligation is: until when, and what missing it costs.

    ``due_on`` is the last day to send the item back (None: the operator states the deadline
    in its termination acknowledgement); ``on_overdue`` is ``invoice``, ``sell``,
    ``repossess`` or ``flag`` (overdue is only reported: the sheet sets no amount).
    """

    reason: str
    due_on: date | None
    days: int | None
    counted_in: str
    on_overdue: str
    penalty: Explained | None
    ownership_passes: bool
    still_to_return: bool
    return_to: str
    clause: str
    basis: str = "HT"       # of the penalty (Ozone annex 2 amounts are TTC)

    def overdue_on(self, day: date) -> bool:
        return self.due_on is not None and day > self.due_on

    def as_dict(self) -> dict:
        return {"reason": self.reason, "due_on": self.due_on.isoformat() if self.due_on else None,
                "days": self.days, "counted_in": self.counted_in, "on_overdue": self.on_overdue,
                "penalty": self.penalty.as_dict() if self.penalty else None,
                "ownership_passes": self.ownership_passes, "still_to_return": self.still_to_return,
                "return_to": self.return_to, "clause": self.clause, "basis": self.basis,
                **message_fields("basis", self.basis)}


def _add_days(start: date, days: int, counted_in: str) -> date:
    kind = _DAY_KINDS.get(counted_in, DayKind.CALENDAR)
    return BusinessCalendar(OpeningHours.heures_ouvrees()).add_days(start, days, kind)


def _penalty_entry(terms: Terms, kind: str) -> NonReturnPenalty | None:
    """The non-return line of the sheet for this kind: its own line, else the ``any`` line."""
    entries = terms.equipment.non_return if terms.equipment else []
    return (next((p for p in entries if p.equipment == kind), None)
            or next((p for p in entries if p.equipment == "any"), None))


def return_terms(item: ItemFacts, terms: Terms, *, reason: str, effective_on: date) -> ReturnTerms | None:
    """The return obligation born on ``effective_on`` (termination, withdrawal or end of service);
    None when nothing is to be returned (a sold item, or one that already belongs to the customer).
    """
    if reason not in RETURN_REASONS:
        raise RuleRefusal(Refused.equipment_return_reason_unknown, "reason",
                          f"{reason!r} is not one of {', '.join(RETURN_REASONS)}")
    block = terms.equipment
    if block is not None and block.sim_returns_to_manufacturer and block.sim_returns_to_manufacturer.value \
            and item.kind in LENT_WITH_THE_SIM and reason != "withdrawal":
        # Rozoh: the transmission module and its SIM are lent for the service period and go back
        # to the manufacturer at its end; the sheet sets neither deadline nor penalty.
        return ReturnTerms(reason, effective_on, 0, "calendar", "flag", None, False, True,
                           "manufacturer", block.sim_returns_to_manufacturer.clause)
    if reason == "ineligibility":
        # The only case where a box the client owns is taken back (Ozone CPV ADSL art. 6 L547-549).
        if block is None or block.ineligibility_return_days is None:
            raise RuleRefusal(Refused.no_ineligibility_return, "reason",
                              "the terms take equipment back on ineligibility for no service "
                              "of this family")
        return _ineligibility_return(item, terms, effective_on, block.ineligibility_return_days,
                                     block.ineligibility_non_return_billed_at)
    if item.provision_mode == "sold" or item.owner == "customer":
        return None
    if reason == "withdrawal":
        days = terms.withdrawal.equipment_return_days if terms.withdrawal else None
        if days is None:
            raise RuleRefusal(Refused.no_withdrawal_return_deadline,
                              "withdrawal.equipment_return_days",
                              "the sheet sets no return deadline after a withdrawal")
        return ReturnTerms(reason, _add_days(effective_on, days.value, "calendar"), days.value,
                           "calendar", "flag", None, False, True, "operator", days.clause)
    entry = _penalty_entry(terms, item.kind)
    counted = (block.return_days_counted_in.value.value
               if block and block.return_days_counted_in else "calendar")
    days = entry.return_days if entry and entry.return_days is not None else (
        block.return_days.value if block and block.return_days else None)
    clause = str(entry.src) if entry else (block.return_days.clause if block and block.return_days else "")
    due = _add_days(effective_on, days, counted) if days is not None else None
    choices = block.operator_choices_on_non_return if block else None
    # The operator's first listed choice applies; with neither a grid line nor a choice the
    # overdue item is only reported.
    on_overdue = (_overdue_action(choices.value[0]) if choices
                  else "invoice" if entry else "flag")
    basis = entry.basis if entry else "HT"
    source = str(entry.src) if entry else (choices.clause if choices else clause)
    penalty = (_non_return_penalty(item, entry.amount if entry else None, basis, source, on_overdue,
                                   days, effective_on)
               if on_overdue in ("invoice", "sell") else None)
    passes = on_overdue == "sell" or bool(entry and entry.ownership_passes)
    still = bool(entry and entry.still_to_return) or on_overdue in ("flag", "repossess")
    return ReturnTerms(reason, due, days, counted, on_overdue, penalty, passes, still, "operator",
                       source or clause, basis)


def _ineligibility_return(item: ItemFacts, terms: Terms, effective_on: date, days: Sourced[int],
                          billed_at: Sourced[str] | None) -> ReturnTerms:
    """Return within the days of the clause, else "le matériel sera facturé": at the grid amount
    of its kind (Ozone: the clause gives none, reading OZ-ADSL-INELIGIBILITY-AMOUNT takes Annexe 2)
    or at the value on the order."""
    entry = _penalty_entry(terms, item.kind) if billed_at and billed_at.value == "non_return_grid" else None
    if billed_at and billed_at.value == "non_return_grid" and entry is None:
        raise RuleRefusal(Refused.kind_not_in_non_return_grid, "kind",
                          f"the non-return grid has no line for {item.kind} ({billed_at.clause})",
                          billed_at.clause)
    # The deadline and the amount usually come from one clause: cite it once, with the reading.
    cited = (billed_at.clause if billed_at and billed_at.clause.startswith(days.clause)
             else "; ".join(c for c in (days.clause, billed_at.clause if billed_at else "") if c))
    clause = "; ".join(c for c in (cited, str(entry.src) if entry else "") if c)
    basis = entry.basis if entry else "HT"
    penalty = _non_return_penalty(item, entry.amount if entry else None, basis, clause, "invoice",
                                  days.value, effective_on)
    window = delay(terms, days)
    return ReturnTerms("ineligibility", window.after(effective_on), days.value,
                       window.kind.value, "invoice", penalty, bool(entry and entry.ownership_passes), False,
                       "operator", clause, basis)


def _overdue_action(choice: str) -> str:
    if choice in SELL_CHOICES:
        return "sell"
    if choice in REPOSSESS_CHOICES:
        return "repossess"
    return "invoice"


def _non_return_penalty(item: ItemFacts, grid_amount: Decimal | None, basis: str, clause: str,
                        action: str, days: int | None, effective_on: date) -> Explained:
    if action == "sell":
        amount = item.sale_price or item.replacement_value
        formula = msg("sold to the customer at {amount} {basis}", amount=amount, basis=basis)
    elif grid_amount is not None:
        amount = grid_amount
        formula = msg("grid amount {amount} {basis}", amount=amount, basis=basis)
    else:
        # No grid amount: the price stated on the order / termination acknowledgement.
        amount = item.replacement_value
        formula = msg("value on the order {amount} {basis}", amount=amount, basis=basis)
    deadline = (msg("not returned within {days} days of {date}", days=days, date=effective_on)
                if days else msg("not returned"))
    return Explained((Line(msg("Non-return of {kind} {serial}", kind=item.kind.replace('_', ' '),
                               serial=item.serial), money(amount),
                           msg("{deadline}: {formula}", deadline=deadline, formula=formula),
                           clause),))


def with_deadline(terms_: ReturnTerms, due_on: date) -> ReturnTerms:
    """The same obligation with the deadline the operator stated in its acknowledgement."""
    return ReturnTerms(terms_.reason, due_on, terms_.days, terms_.counted_in, terms_.on_overdue,
                       terms_.penalty, terms_.ownership_passes, terms_.still_to_return,
                       terms_.return_to, terms_.clause, terms_.basis)


# --------------------------------------------------------------------------- damage, warranty, ownership

def repair_charge(serial: str, repair_cost: Decimal, replacement_value: Decimal, terms: Terms) -> Explained:
    """A return in bad working order: the repairs, capped at the replacement value."""
    block = terms.equipment
    if block is None or block.damaged_billed_up_to_replacement is None \
            or not block.damaged_billed_up_to_replacement.value:
        raise RuleRefusal(Refused.repairs_not_billed, "equipment.damaged_billed_up_to_replacement",
                          "the sheet does not bill repairs of a damaged return")
    if repair_cost < 0:
        raise RuleRefusal(Refused.repair_cost_negative, "repair_cost", "cannot be negative")
    capped = min(money(repair_cost), money(replacement_value))
    formula = (msg("repairs {amount}, capped at the replacement value {value}", amount=repair_cost,
                   value=replacement_value) if repair_cost > replacement_value
               else msg("repairs {amount}", amount=repair_cost))
    return Explained((Line(msg("Repairs of damaged returned equipment {serial}", serial=serial),
                           capped, formula,
                           block.damaged_billed_up_to_replacement.clause),))


def warranty_end(item: ItemFacts, terms: Terms) -> tuple[date, str] | None:
    """Last day of the commercial warranty of a sold item: receipt + the sheet's months."""
    block = terms.equipment
    if item.provision_mode != "sold" or item.received_on is None or block is None \
            or block.warranty_months_sold is None:
        return None
    months = block.warranty_months_sold.value
    return item.received_on + relativedelta(months=months) - timedelta(days=1), block.warranty_months_sold.clause


def owner_on(item: ItemFacts, terms: Terms, day: date) -> tuple[str, str]:
    """Who owns the item on ``day``, and why: a sold item passes to the customer only once paid
    in full where the sheet keeps title until then (*clause de réserve de propriété*)."""
    block = terms.equipment
    if item.provision_mode == "sold" and item.owner == "operator":
        retained = block is not None and block.ownership_on_full_payment is not None \
            and block.ownership_on_full_payment.value
        if not retained:
            return "customer", "sold"
        if item.paid_in_full_on is not None and item.paid_in_full_on <= day:
            return "customer", f"paid in full on {item.paid_in_full_on.isoformat()} " \
                               f"({block.ownership_on_full_payment.clause})"
        return "operator", f"title kept until paid in full ({block.ownership_on_full_payment.clause})"
    return item.owner, "recorded owner"


# --------------------------------------------------------------------------- installation appointments

def opening_hours_of(terms: Terms) -> OpeningHours:
    """The operator's *heures ouvrées*: the sheet's support hours, else Mon–Fri 08:30–17:30."""
    levels = terms.service_levels
    if levels is not None and levels.support_hours is not None:
        return OpeningHours.from_mapping(levels.support_hours.value)
    return OpeningHours.heures_ouvrees()


def appointment_cancellation_fee(scheduled_at: datetime, cancelled_at: datetime, price: Decimal,
                                 terms: Terms) -> Explained | None:
    """Cancelling an installation appointment less than N business hours ahead bills the
    installation service; None when the notice was long enough or the sheet sets no such rule."""
    block = terms.equipment
    if block is None or block.appointment_cancel_notice_business_hours is None:
        return None
    hours = block.appointment_cancel_notice_business_hours.value
    notice = BusinessCalendar(opening_hours_of(terms)).business_time_between(cancelled_at, scheduled_at)
    if notice >= timedelta(hours=hours):
        return None
    given = notice.total_seconds() / 3600
    return Explained((Line(msg("Installation appointment cancelled late"), money(price),
                           msg("{given} business hours' notice < {hours}: installation service "
                               "{price}", given=f"{given:.1f}", hours=str(hours), price=price),
                           block.appointment_cancel_notice_business_hours.clause),))


# --------------------------------------------------------------------------- SIM cards

def sim_inactivity_limit(terms: Terms) -> tuple[int, str] | None:
    """Months without activity after which the sheet lets the operator suspend a SIM."""
    figure = terms.usage.figures.sim_inactivity_suspension_months if terms.usage else None
    return (int(figure.value), figure.clause) if figure is not None else None


def sim_inactive_on(last_activity_on: date, day: date, months: int) -> bool:
    """Inactive "depuis plus de N mois": strictly more than N months before ``day``."""
    return last_activity_on + relativedelta(months=months) < day


def check_puk(puk: str, terms: Terms) -> None:
    """A PUK is digits, of the length the sheet gives (Ozone: 8)."""
    if not puk.isdigit():
        raise RuleRefusal(Refused.puk_not_digits, "puk", "only digits")
    figure = terms.usage.figures.puk_digits if terms.usage else None
    if figure is not None and len(puk) != int(figure.value):
        raise RuleRefusal(Refused.puk_wrong_length, "puk",
                          f"must have {int(figure.value)} digits ({figure.clause})", figure.clause)
