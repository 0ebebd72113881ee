"""The term-sheet schema: every operator figure, with the clause it comes from.

A sheet is a versioned YAML document, one per operator, with a ``general`` section (the
general terms, *conditions générales*) and one section per service family (the schedules,
*conditions particulières*). A family section overrides the general one block by block.

Every value taken from a seed is a ``Sourced`` value: ``{value: 36, src: "CGV art. 7 L190-194"}``
— the article and the seed's line range. A value that the seed does not give (a gap) or that
it gives twice in contradiction points to a recorded reading instead: ``src: "reading:T-PRORATA"``.

Formulas are never code: fee rules are named kinds from a closed list (``FeeRule``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from clausier.core.calendar import DayKind
from clausier.terms.sourced import Block, SourceRef, Sourced, Src
from clausier.terms.vocabulary import (PrivacyFigures, PrivacyFlags, PrivacyLists, UsageAmounts,
                                       UsageFigures, UsageFlags, UsageLists)

# --------------------------------------------------------------------------- enums

class StartEvent(StrEnum):
    go_live = "go_live"                                   # *mise en service*
    go_live_per_access_link = "go_live_per_access_link"   # per *lien d'accès* (VGA, Présélection)
    first_connection = "first_connection"                 # Ozone: *première connexion*
    activation = "activation"                             # Rozoh: activation on the platform
    option_activation = "option_activation"               # an option's own activation date


class RenewalMode(StrEnum):
    tacit_fixed = "tacit_fixed"      # *tacite reconduction* for fixed periods
    indefinite = "indefinite"        # open-ended after the initial period
    none = "none"                    # ends at term


class Channel(StrEnum):
    registered_letter = "registered_letter"   # *lettre recommandée avec AR*
    any_notification = "any_notification"
    email = "email"
    sms = "sms"
    phone = "phone"
    online_form = "online_form"
    ticket = "ticket"


class NoticeEffect(StrEnum):
    end_of_period = "end_of_period"               # takes effect at the end of the current period
    days_after_receipt = "days_after_receipt"     # takes effect N days after receipt
    months_after_receipt = "months_after_receipt"


class Proration(StrEnum):
    prorata = "prorata"            # *prorata temporis*, by days
    whole_month = "whole_month"    # any started month is due in full
    none = "none"                  # nothing for a partial month


class Timing(StrEnum):
    in_advance = "in_advance"      # *à terme à échoir*
    in_arrears = "in_arrears"      # *à terme échu*
    once = "once"


class DayCount(StrEnum):
    calendar = "calendar"
    ouvres = "ouvres"              # *jours ouvrés* Mon–Fri
    ouvrables = "ouvrables"        # *jours ouvrables* Mon–Sat
    business_hours = "business_hours"   # *heures ouvrées*
    around_the_clock = "around_the_clock"

    @property
    def day_kind(self) -> DayKind:
        """The calendar's kind of day this count steps by (hours are not a count of days)."""
        if self is DayCount.business_hours:
            raise ValueError("counted_in: business_hours counts hours, not days")
        return (DayKind.CALENDAR if self is DayCount.around_the_clock else DayKind(self.value))


class ExemptionReason(StrEnum):
    price_increase_refused = "price_increase_refused"
    usage_price_increase_refused = "usage_price_increase_refused"
    harmful_change_to_terms = "harmful_change_to_terms"
    force_majeure = "force_majeure"
    move_to_uncovered_area = "move_to_uncovered_area"
    death = "death"
    technical_impossibility = "technical_impossibility"
    technical_malfunction = "technical_malfunction"
    incumbent_terms_changed = "incumbent_terms_changed"
    sub_processor_objection = "sub_processor_objection"
    at_term = "at_term"


class DunningAction(StrEnum):
    reminder = "reminder"
    formal_notice = "formal_notice"          # *mise en demeure*
    restrict = "restrict"                    # e.g. outgoing calls barred
    suspend = "suspend"
    re_present_debit = "re_present_debit"
    terminate = "terminate"
    litigation = "litigation"                # *contentieux*


# --------------------------------------------------------------------------- fee rules

class _Rule(Block):
    src: Src

    @property
    def clause(self) -> str:
        return str(self.src)


class RemainingMonthsFee(_Rule):
    """Remaining months (a started month counts whole) × a share of the monthly recurring fees."""

    kind: Literal["remaining_months_x_monthly_fees"]
    percent: Decimal = Decimal(100)
    until: Literal["current_period_end", "initial_period_end", "commitment_end"] = "current_period_end"
    counted_from: Literal["receipt", "effective_date"] = "receipt"
    started_month_counts_whole: bool = True


class ChatelFee(_Rule):
    """*Loi Chatel*: what remains within the first months + a fraction of what remains beyond."""

    kind: Literal["chatel"]
    full_months: int = 12
    beyond_fraction: Decimal = Decimal("0.25")


class FlatPerUnitFee(_Rule):
    kind: Literal["flat_per_unit"]
    unit: str                        # e.g. analogue_line, isdn_access
    amount: Decimal
    basis: Literal["HT", "TTC"] = "HT"
    only_during_initial_period: bool = False   # VGA 6.2: "avant la fin de sa période initiale"


class FlatFee(_Rule):
    kind: Literal["flat"]
    amount: Decimal
    basis: Literal["HT", "TTC"] = "HT"
    label: str = ""


class MultipleOfAccessFees(_Rule):
    kind: Literal["multiple_of_access_fees"]
    multiple: Decimal
    undiscounted: bool = True
    at_least: bool = True


class MinimumBillingRemaining(_Rule):
    """The minimum billing amounts of the remaining period fall due at once (VGA 6.2)."""

    kind: Literal["minimum_billing_remaining"]


FeeRule = Annotated[
    RemainingMonthsFee | ChatelFee | FlatPerUnitFee | FlatFee | MultipleOfAccessFees
    | MinimumBillingRemaining,
    Field(discriminator="kind"),
]


class Exemption(_Rule):
    reason: ExemptionReason
    note: str = ""


# --------------------------------------------------------------------------- blocks

class Commitment(Block):
    """Initial period (*période initiale*) and re-commitment (*réengagement*)."""

    initial_months: Sourced[int] | None = None
    minimum_months: Sourced[int] | None = None
    start_event: Sourced[StartEvent] | None = None
    start_at_latest_months_after_shipment: Sourced[int] | None = None
    recommit_on_change_months: Sourced[int] | None = None
    recommit_on_change_choices_months: Sourced[list[int]] | None = None
    recommit_scope: Sourced[Literal["whole_service_and_options", "changed_line"]] | None = None
    recommit_on_move_months: Sourced[int] | None = None
    # What removing units or options during the commitment costs (a change order's quote).
    removal_fee_during_commitment: Sourced[Decimal] | None = None
    termination_allowed_from_month: Sourced[int] | None = None


class Renewal(Block):
    mode: Sourced[RenewalMode] | None = None
    period_months: Sourced[int] | None = None


class Notice(Block):
    """Notice (*préavis*) to end the contract and how it takes effect."""

    months_before_term: Sourced[int] | None = None
    effect: Sourced[NoticeEffect] | None = None
    days_after_receipt: Sourced[int] | None = None
    channel: Sourced[Channel] | None = None
    fees_due_during_notice: Sourced[bool] | None = None
    # Days before the notice deadline on which the client is reminded of it; none when absent.
    reminder_days_before_deadline: Sourced[list[PositiveInt]] | None = None


class Termination(Block):
    """Early-termination fees (*frais de résiliation anticipée*) and their exemptions."""

    fees: list[FeeRule] = []
    exemptions: list[Exemption] = []
    cancellation_fees: list[FeeRule] = []      # *annulation* before go-live
    numbers_lost_unless_ported: Sourced[bool] | None = None


class Withdrawal(Block):
    """*Droit de rétractation*."""

    days: Sourced[int] | None = None
    days_counted_in: Sourced[DayCount] | None = None
    who: Sourced[Literal["consumers", "small_business_off_premises", "nobody"]] | None = None
    max_employees: Sourced[int] | None = None
    requires_off_premises: Sourced[bool] | None = None
    requires_outside_main_activity: Sourced[bool] | None = None
    start_service: Sourced[Literal["signature", "order", "day_after_order"]] | None = None
    start_goods: Sourced[Literal["delivery", "signature"]] | None = None
    channel: Sourced[Channel] | None = None
    equipment_return_days: Sourced[int] | None = None


class PlanChangeFee(Block):
    change: str                       # e.g. pack_downgrade, internet_downgrade, telephony_upgrade
    in_commitment: FeeRule | None = None
    out_of_commitment: FeeRule | None = None
    # items billed at the amount on the change confirmation, e.g. new_offer_access_fees, connection_kit
    bills: list[str] = []
    # the service families the row is about (the grid's headings); empty: every family
    families: list[str] = []
    note: str = ""
    src: Src


class PlanChange(Block):
    """Changes of offer (*avenant*), Ozone annex 1."""

    fees: list[PlanChangeFee] = []
    shipping_fee_on_equipment_change: Sourced[Decimal] | None = None
    effective: Sourced[Literal["when_implemented", "first_day_next_month"]] | None = None
    telephony_effective: Sourced[Literal["when_implemented", "first_day_next_month"]] | None = None
    # the families whose contracts are "de téléphonie": their changes take ``telephony_effective``
    telephony_families: Sourced[list[str]] | None = None


class Move(Block):
    """Site move (*déménagement*)."""

    notice_months: Sourced[int] | None = None
    remaining_fees_percent: Sourced[Decimal] | None = None
    numbers_kept_same_zone_only: Sourced[bool] | None = None
    recommit_months: Sourced[int] | None = None
    late_notice_rebills_access_fees: Sourced[bool] | None = None
    fees: list[FeeRule] = []


class PriceChanges(Block):
    notice_days: Sourced[int] | None = None
    usage_notice_days: Sourced[int] | None = None
    regulatory_notice_days: Sourced[int] | None = None
    client_may_leave: Sourced[bool] | None = None
    leave_notice_days: Sourced[int] | None = None
    deemed_accepted_after_days: Sourced[int] | None = None
    regulatory_client_may_leave: Sourced[bool] | None = None
    terms_change_notice_months: Sourced[int] | None = None
    terms_change_leave_months: Sourced[int] | None = None
    usage_notice_months: Sourced[int] | None = None        # notice stated in months (CP IX §10)
    regulatory_notice_months: Sourced[int] | None = None


class Indexation(Block):
    index_name: Sourced[str] | None = None
    series_id: Sourced[str] | None = None
    revision_month_day: Sourced[str] | None = None       # "01-01"
    reference_lag_months: Sourced[int] | None = None     # old index = 12 months before new
    applies_to: Sourced[list[str]] | None = None          # recurring, rentals


class Billing(Block):
    recurring_timing: Sourced[Timing] | None = None
    usage_timing: Sourced[Timing] | None = None
    one_off_timing: Sourced[Timing] | None = None
    periodicity_months: Sourced[int] | None = None
    first_period: Sourced[Proration] | None = None
    last_period: Sourced[Proration] | None = None
    starts_at: Sourced[Literal["go_live", "first_connection", "activation", "sale"]] | None = None
    start_at_latest_days_after_receipt: Sourced[int] | None = None
    planned_go_live_if_client_late: Sourced[bool] | None = None
    minimum_billing: Sourced[bool] | None = None
    common_fees_to_central_site: Sourced[bool] | None = None
    billed_while_suspended: Sourced[bool] | None = None
    late_usage_max_days: Sourced[int] | None = None
    paper_invoice_delay_days: Sourced[int] | None = None
    paper_invoice_delay_counted_in: Sourced[DayCount] | None = None


class Payment(Block):
    due_days_after_issue: Sourced[int] | None = None
    method: Sourced[Literal["direct_debit", "transfer", "any_agreed"]] | None = None
    debited_in_advance: Sourced[bool] | None = None
    early_payment_discount: Sourced[bool] | None = None
    set_off_notice_days: Sourced[int] | None = None
    dispute_window_days: Sourced[int] | None = None
    dispute_window_counted_in: Sourced[DayCount] | None = None
    dispute_channel: Sourced[Channel] | None = None
    undisputed_part_due: Sourced[bool] | None = None


class LatePayment(Block):
    interest_multiple_of_legal_rate: Sourced[Decimal] | None = None
    rate_reference: Sourced[Literal["invoice_date", "due_date"]] | None = None
    # which rate is multiplied: the French *taux d'intérêt légal* or the ECB refinancing rate
    rate_source: Sourced[Literal["french_legal_rate", "ecb_refinancing_rate"]] | None = None
    interest_from: Sourced[Literal["day_after_due_date"]] | None = None
    recovery_indemnity: Sourced[Decimal] | None = None
    acceleration: Sourced[bool] | None = None
    rejected_debit_fee: Sourced[Decimal] | None = None
    reconnection_rebills_access_fees: Sourced[bool] | None = None


class DunningStep(Block):
    id: str
    action: DunningAction
    after_days: int = 0
    counted_in: DayCount = DayCount.calendar
    after: Literal["due_date", "previous_step", "rejection"] = "previous_step"
    # a registered letter's delay runs from its sending or from its receipt by the client
    counted_from: Literal["sending", "receipt"] = "sending"
    after_months: int | None = None      # a delay stated in months (added before after_days)
    channels: list[Channel] = []
    pay_within_days: int | None = None
    requires_approval: bool = False
    src: Src


class Dunning(Block):
    steps: list[DunningStep] = []
    restriction_from_first_late_payment: Sourced[bool] | None = None
    payment_lifts_suspension: Sourced[bool] | None = None


class Deposit(Block):
    grounds: Sourced[list[str]] | None = None
    suspend_until_provided: Sourced[bool] | None = None
    draw_after_notice_days: Sourced[int] | None = None
    replenish_within_days: Sourced[int] | None = None
    release_after_months: Sourced[int] | None = None


class Band(Block):
    """A half-open band ``[lower, upper)`` of a measure (hours, percent) and what it yields."""

    lower: Decimal | None = None          # None = no lower bound
    upper: Decimal | None = None          # None = no upper bound
    lower_inclusive: bool = False
    upper_inclusive: bool = True
    percent: Decimal
    src: Src
    access: str | None = None             # a band of one access type's table (None: every access)


class RestorationTarget(Block):
    access: str                      # analogue, isdn, ...
    option: str                      # standard, gtr_6h_business, gtr_6h_24x7
    hours: Decimal
    counted_in: DayCount
    src: Src


class Restoration(Block):
    """*Garantie de temps de rétablissement* (GTR)."""

    targets: list[RestorationTarget] = []
    penalty_bands: list[Band] = []           # measured in hours of restoration time
    cap_percent: Sourced[Decimal] | None = None
    cap_basis: Sourced[str] | None = None
    claims_per_year: Sourced[int] | None = None
    restoration_days: Sourced[int] | None = None     # Ozone: restore within N calendar days
    confirmation_window_minutes: Sourced[int] | None = None
    objective_only: Sourced[bool] | None = None      # best-effort targets, no penalty if missed


class Availability(Block):
    objective_percent: Sourced[Decimal] | None = None
    objective_months: Sourced[int] | None = None
    objective_only: Sourced[bool] | None = None       # reported, no credit (VGA GTD)
    bands: list[Band] = []                             # measured in percent of availability
    cap_percent: Sourced[Decimal] | None = None
    claim_window_days: Sourced[int] | None = None
    claim_window_counted_in: Sourced[DayCount] | None = None
    sole_remedy: Sourced[bool] | None = None
    probation_months: Sourced[int] | None = None
    coverage_hours: Sourced[dict[str, list[str]]] | None = None   # the objective's coverage window
    # which minutes the percentage is computed over when the coverage window and the formula disagree
    measured_over: Sourced[Literal["all_minutes", "coverage_window", "lower_of_both"]] | None = None
    unavailability_means: Sourced[str] | None = None   # e.g. total_loss, total_loss_voice_and_data
    on_request_only: Sourced[bool] | None = None       # credited only when the client claims it


class ServiceLevels(Block):
    support_hours: Sourced[dict[str, list[str]]] | None = None   # {"mon": ["08:30-17:30"], ...}
    support_channel: Sourced[Channel] | None = None
    restoration: Restoration | None = None
    availability: Availability | None = None
    excusable_events: Sourced[list[str]] | None = None
    no_service_level: Sourced[bool] | None = None     # best efforts only (Présélection)
    wrongly_opened_ticket_billable: Sourced[bool] | None = None


class Threshold(Block):
    """A fair-use or abuse threshold: ``metric`` per ``per`` over ``window``."""

    metric: str            # distinct_numbers, hours, call_hours, sms, sms_recipients, simultaneous_calls, call_setups_per_second ...
    limit: Decimal
    per: str = "line"      # analogue_line, isdn_access, channel, user, line, account
    window: str = "month"  # month, call, second
    consequence: str = "rerate_per_minute"
    src: Src


class Usage(Block):
    included_destinations: Sourced[list[str]] | None = None
    excluded_from_unlimited: Sourced[list[str]] | None = None
    fair_use: list[Threshold] = []
    fraud: list[Threshold] = []
    # The schedules' other stipulations, each under its name (``terms.vocabulary``).
    amounts: UsageAmounts = UsageAmounts()
    figures: UsageFigures = UsageFigures()
    lists: UsageLists = UsageLists()
    flags: UsageFlags = UsageFlags()


class NonReturnPenalty(Block):
    equipment: str            # radio_kit, box_non_fibre, box_fibre, tv_box, any
    amount: Decimal | None = None        # None: the price on the order / acknowledgement
    basis: Literal["HT", "TTC"] = "TTC"
    ownership_passes: bool = False
    still_to_return: bool = False
    return_days: int | None = None
    src: Src


class Equipment(Block):
    # the rent of rented equipment is a service, billed (and indexed) like the subscriptions
    rental_billed_as_service: Sourced[bool] | None = None
    return_days: Sourced[int] | None = None
    return_days_counted_in: Sourced[DayCount] | None = None
    non_return: list[NonReturnPenalty] = []
    operator_choices_on_non_return: Sourced[list[str]] | None = None
    damaged_billed_up_to_replacement: Sourced[bool] | None = None
    appointment_cancel_notice_business_hours: Sourced[int] | None = None
    warranty_months_sold: Sourced[int] | None = None
    ownership_on_full_payment: Sourced[bool] | None = None
    sim_returns_to_manufacturer: Sourced[bool] | None = None
    # return after ineligibility found on site (*inéligibilité de terrain*), and what a miss costs
    ineligibility_return_days: Sourced[int] | None = None
    ineligibility_non_return_billed_at: Sourced[Literal["order_value", "non_return_grid"]] | None = None


class RetentionRule(Block):
    data: str                 # cdr, billing_data, recordings, mailboxes, access_events, hosting_data, invoices
    months: int | None = None
    days: int | None = None
    counted_in: DayCount = DayCount.calendar
    after: str = "creation"   # creation, termination, reversibility_end
    can_only_shorten: bool = False
    src: Src


class Retention(Block):
    rules: list[RetentionRule] = []


class Privacy(Block):
    """Processor duties (GDPR annex) and data-subject requests."""

    figures: PrivacyFigures = PrivacyFigures()
    flags: PrivacyFlags = PrivacyFlags()
    lists: PrivacyLists = PrivacyLists()


class Pack(Block):
    """Prepaid packs (Rozoh): service period, eligibility, call destinations."""

    service_months: Sourced[int] | None = None
    start_at_latest_months_after_shipment: Sourced[int] | None = None
    end_warnings_months_before: Sourced[list[int]] | None = None
    allowed_customer_categories: Sourced[list[str]] | None = None
    same_country_only: Sourced[bool] | None = None
    allowed_call_countries: Sourced[list[str]] | None = None
    extra_records_purchasable: Sourced[bool] | None = None
    unlimited_syncs: Sourced[bool] | None = None
    offline_mode: Sourced[bool] | None = None


class Liability(Block):
    """The operator's liability cap (*plafond de responsabilité*)."""

    cap_months_of_fees: Sourced[Decimal] | None = None
    cap_basis: Sourced[Literal["billed", "billed_and_paid"]] | None = None
    indirect_damages_excluded: Sourced[bool] | None = None


class Definitions(Block):
    """Words the terms define for the whole contract (Technicophone CGV art. 2)."""

    # What a delay written in *jours* without qualification counts: a delay the clause qualifies
    # (calendar days, *jours ouvrables*, months) keeps its own unit.
    day: Sourced[DayCount] | None = None


class Terms(Block):
    """The blocks a section may carry; a family section overrides the general one."""

    definitions: Definitions | None = None
    commitment: Commitment | None = None
    renewal: Renewal | None = None
    notice: Notice | None = None
    termination: Termination | None = None
    withdrawal: Withdrawal | None = None
    plan_change: PlanChange | None = None
    move: Move | None = None
    price_changes: PriceChanges | None = None
    indexation: Indexation | None = None
    billing: Billing | None = None
    payment: Payment | None = None
    late_payment: LatePayment | None = None
    dunning: Dunning | None = None
    deposit: Deposit | None = None
    service_levels: ServiceLevels | None = None
    usage: Usage | None = None
    equipment: Equipment | None = None
    retention: Retention | None = None
    privacy: Privacy | None = None
    pack: Pack | None = None
    liability: Liability | None = None


BLOCK_NAMES = tuple(Terms.model_fields)


class Family(Terms):
    """A service family (*conditions particulières*): its schedule and the blocks it overrides."""

    title: str
    schedule: str = ""
    src: Src
    same_as: str | None = None    # inherit another family's blocks before overriding


class QuotedText(Block):
    src: Src
    says: str


class Reading(Block):
    """A contradiction or gap in the seed, and the reading the sheet applies.

    Default reading: the one more favourable to the client (Code civil art. 1190).
    """

    id: str
    kind: Literal["contradiction", "gap"]
    about: str
    texts: list[QuotedText] = []
    chosen: str | None = None          # None = unresolved: ``terms lint`` fails
    favours: Literal["client", "operator", "neutral"] | None = None
    why: str = ""
    # The clause whose rule the reading applies, cited beside the reading on every explained line
    # (a person checks the clause, then the reading). Default: the first text quoted.
    applies: Src | None = None
    # The rules (``room.module.function``) that apply a reading settling no single value of the
    # sheet; the rules reading a value that cites it are found by ``terms.readings``.
    applied_by: list[str] = []

    @property
    def cited_clause(self) -> SourceRef | None:
        if self.applies is not None:
            return self.applies
        return next((text.src for text in self.texts if text.src.article), None)


class Operator(Block):
    name: str
    legal_name: str = ""
    siren: str = ""
    rcs: str = ""
    vat_number: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    src: Src | None = None


class Source(Block):
    seed: str
    title: str = ""
    version_stamp: str = ""


class TermSheet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: int = Field(ge=1)
    valid_from: date
    title: str
    operator: Operator
    source: Source
    customer_kind: Literal["business", "consumer", "mixed"]
    price_basis: Literal["HT", "TTC"]
    vat_rate: str = "normal"
    general: Terms = Terms()
    families: dict[str, Family] = {}
    readings: list[Reading] = []

    @model_validator(mode="after")
    def _unique_readings(self) -> TermSheet:
        seen: set[str] = set()
        for reading in self.readings:
            if reading.id in seen:
                raise ValueError(f"readings: id {reading.id} is recorded twice")
            seen.add(reading.id)
        return self

    def reading(self, reading_id: str) -> Reading:
        for reading in self.readings:
            if reading.id == reading_id:
                return reading
        raise KeyError(reading_id)

    def terms_for(self, family: str) -> Terms:
        """The blocks that govern ``family``: general, then ``same_as``, then the family's own."""
        if family not in self.families:
            raise KeyError(f"{self.id} has no family {family!r}")
        chain: list[Terms] = []
        current: str | None = family
        visited: set[str] = set()
        while current is not None:
            if current in visited:
                raise ValueError(f"{self.id}: families {sorted(visited)} inherit in a circle")
            visited.add(current)
            section = self.families[current]
            chain.insert(0, section)
            current = section.same_as
        merged = {name: getattr(self.general, name) for name in BLOCK_NAMES}
        for section in chain:
            for name in BLOCK_NAMES:
                override = getattr(section, name)
                if override is not None:
                    merged[name] = _merge_block(merged[name], override)
        return Terms(**merged)


def _merge_block(base: Block | None, override: Block) -> Block:
    """Field-by-field override: a family states only what differs from the general terms."""
    if base is None:
        return override
    values = dict(base)
    for name in override.model_fields_set:
        values[name] = getattr(override, name)
    return type(override)(**values)
