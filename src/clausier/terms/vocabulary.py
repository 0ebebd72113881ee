"""The closed vocabulary of the ``usage`` and ``privacy`` blocks: every stipulation a schedule
states beyond the common blocks, each a named field (None where the sheet is silent).

A sheet writes them under ``amounts``, ``figures``, ``lists`` and ``flags``; a name the
vocabulary does not hold is refused (``clausier terms lint`` names its path), so a misspelt key
cannot be silently ignored by the rules that read it. A new stipulation is a new field here,
with a line saying what it means.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from clausier.terms.sourced import Block, Sourced, Src

Figure = Sourced[Decimal] | None
Listed = Sourced[list[str]] | None
Flag = Sourced[bool] | None


class Amount(Block):
    """A named amount of the sheet (a penalty, a unit price, a fee) with its basis and clause."""

    amount: Decimal
    basis: Literal["HT", "TTC"] = "HT"
    unit: str = ""          # per_call, per_minute, per_number, per_event, ...
    src: Src


class NamedValues(Block):
    """Named values of one kind; the fields are grouped by subject."""

    def stated(self) -> dict[str, Any]:
        """The values the sheet states, by name."""
        return {name: value for name in type(self).model_fields
                if (value := getattr(self, name)) is not None}


# --------------------------------------------------------------------------- usage

class UsageAmounts(NamedValues):
    """Unit prices, penalties and caps."""

    # Caller-ID and fraud penalties (Technicophone CP IV/V/IX §11.3, CP XII §13.1)
    penalty_per_calling_number: Amount | None = None       # per number presented in breach
    penalty_per_call_or_attempt: Amount | None = None      # per call or attempt in breach
    # A surcharged number priced above these tiers may not be presented as caller ID (ping calls).
    forbidden_caller_id_tier_per_minute: Amount | None = None
    forbidden_caller_id_tier_per_call: Amount | None = None
    # Premium numbers (SVA, CP XII)
    caller_charge_cap_per_call: Amount | None = None       # the most a caller pays for one call
    # the per-minute price above which a call's length is capped (``call_max_minutes_above_tier``)
    duration_limit_applies_above_per_minute: Amount | None = None
    ethics_or_abnormal_traffic_penalty: Amount | None = None   # per number: ethics breach or abnormal traffic
    not_cured_within_deadline_penalty: Amount | None = None    # breach not cured by ``cure_deadline_business_days``
    repeated_within_a_year_penalty: Amount | None = None       # breach repeated within ``repeat_window_months``
    payout_min_balance_exclusive: Amount | None = None     # a payout request needs a balance above it
    # Contact centre (CX, CP X §2)
    inbound_overage_per_minute: Amount | None = None       # beyond the packs' included minutes
    inbound_unmanaged_lines_per_minute: Amount | None = None   # on lines the operator does not manage
    inbound_redirected_to_unmanaged_number_per_minute: Amount | None = None
    # Internet (CP III §2)
    dsl_desaturation_flat_fee: Amount | None = None        # desaturating a DSL access
    # Home assistance (Ozone Annexe 3)
    glazier_locksmith_cap: Amount | None = None            # the most paid per intervention
    franchise_buyback_cap: Amount | None = None            # the most of the insurance excess paid back


class UsageFigures(NamedValues):
    """Counts, delays, percentages and sizes."""

    # Delivery and installation (Ozone CGV)
    shipping_hours_max: Figure = None                      # equipment shipped within
    activation_hours_after_installation_max: Figure = None
    self_install_months_max: Figure = None                 # the client installs within
    self_install_report_difficulty_days: Figure = None     # days to report an installation difficulty
    line_creation_hours_max: Figure = None                 # a VoIP line is created within
    # Throughput and capacity
    min_guaranteed_kbit_s: Figure = None
    max_down_mbit_s_unbundled: Figure = None               # ADSL on an unbundled line
    max_down_mbit_s_not_unbundled: Figure = None
    data_throttle_kbit_s: Figure = None                    # mobile data speed once throttled
    dedicated_fibre_throughput_guaranteed_min_percent: Figure = None
    dedicated_fibre_throughput_guaranteed_max_percent: Figure = None
    mailboxes: Figure = None                               # mailboxes included
    mailbox_storage_gb: Figure = None                      # storage of each mailbox
    min_vcpu_per_vm: Figure = None                         # hosting: a virtual machine's least vCPUs
    max_snapshots_per_vm: Figure = None
    update_install_average_business_hours: Figure = None   # hosting: updates installed within, on average
    # Internet orders (Technicophone CP III §2)
    coax_socket_max_distance_metres: Figure = None         # socket to equipment, at most
    dsl_change_confirmation_days: Figure = None            # the client confirms a DSL change within
    dsl_desaturation_quote_acceptance_days: Figure = None
    dsl_desaturation_deferred_extra_weeks: Figure = None   # go-live deferred by a desaturation
    fibre_client_delay_warning_days: Figure = None         # the client warns of its delay this early
    fibre_new_go_live_max_months: Figure = None            # a delayed go-live is set within
    fibre_fee_due_days_after_new_go_live: Figure = None
    fibre_fee_due_days_before_planned_go_live_if_not_warned: Figure = None
    # Fixed lines (VGA CP I, Présélection CP II)
    sda_block_size: Figure = None                          # numbers of an SDA block
    incumbent_change_notice_months: Figure = None          # notice of a change of the incumbent's terms
    internal_wiring_ready_days_before_go_live: Figure = None
    routing_stops_days_after_preselection_elsewhere: Figure = None   # calendar days
    # Off-network surcharge: +N % when more than M % of fixed traffic ends off the incumbent's loop
    offnet_share_threshold_percent: Figure = None
    offnet_surcharge_percent: Figure = None
    # Mobile lines
    pin_digits: Figure = None
    puk_digits: Figure = None
    wrong_pins_to_block: Figure = None                     # wrong PINs in a row block the SIM
    plan_reset_day_of_month: Figure = None                 # the day allowances start again
    sim_inactivity_suspension_months: Figure = None        # a SIM inactive longer may be suspended
    address_change_notice_days: Figure = None              # the client reports a new address within
    operator_change_notice_months: Figure = None           # notice of a change of host operator
    # Porting (*portabilité*)
    porting_business_days_min: Figure = None               # mobile: ported after at least
    porting_business_days_max: Figure = None               # mobile: ported after at most
    porting_business_days_average: Figure = None           # fixed: ported after, on average
    porting_outage_minutes_min: Figure = None              # service cut on the porting day, at least
    porting_outage_minutes_max: Figure = None              # and at most (in minutes)
    porting_outage_business_hours_max: Figure = None       # or at most (in business hours)
    porting_transition_business_hours: Figure = None       # both SIMs may work during
    porting_cancel_deadline_business_days_before: Figure = None
    # Roaming abuse (Technicophone CP IX §17)
    roaming_abuse_observation_consecutive_months: Figure = None
    serial_multi_sim_roaming_min_sims: Figure = None       # SIMs used one after another that count as abuse
    multi_sim_roaming_regularisation_business_days: Figure = None
    roaming_abuse_termination_notice_business_days: Figure = None
    # Contact centre (CX, CP X)
    inbound_minutes_included_per_pack_per_month: Figure = None
    web_call_back_calls_billed_per_request: Figure = None  # a web call-back is billed as N calls
    studio_words_per_billing_unit: Figure = None           # voice studio: words per unit billed
    sms_max_characters: Figure = None                      # one SMS
    access_codes_delivery_business_days: Figure = None
    bloctel_refresh_max_months: Figure = None              # the opposition list is refreshed at least
    equipment_rental_renewal_months: Figure = None
    # Premium numbers (SVA, CP XII)
    call_max_minutes_above_tier: Figure = None             # a call's length above the per-minute tier
    hyper_short_call_seconds_exclusive: Figure = None      # calls shorter are hyper-short (abnormal)
    # Concentrated traffic: the top N callers make more than P % of at least C calls.
    concentrated_traffic_top_callers: Figure = None
    concentrated_traffic_share_percent: Figure = None
    concentrated_traffic_min_calls: Figure = None
    cure_deadline_business_days: Figure = None             # to cure a breach once notified
    repeat_window_months: Figure = None                    # a breach again within is repeated
    info_request_answer_hours: Figure = None               # to answer the operator's request
    payout_claimable_after_business_days: Figure = None    # a call's payout is claimable after
    payout_invoice_deadline_months: Figure = None          # the client invoices a payout within
    tariff_change_request_last_day_of_month: Figure = None # a request by then applies next month
    tariff_change_late_request_effective_months_ahead: Figure = None
    # The operator may refuse an order after its own termination of the client's service.
    refusal_after_termination_months: Figure = None
    refusal_after_repeated_termination_months: Figure = None
    refusal_pending_referral_lookback_months: Figure = None
    # Home assistance and video surveillance (Ozone)
    guarding_block_hours: Figure = None                    # guarding is provided in blocks of
    guarding_hours_max: Figure = None
    psychological_calls_per_year: Figure = None
    unjustified_security_interventions_free_per_year: Figure = None
    claim_declaration_business_days: Figure = None         # a claim is declared within
    remote_stream_cut_minutes: Figure = None               # a remote video stream stops after


class UsageLists(NamedValues):
    """Prefixes, countries, triggers and other enumerations."""

    # Caller IDs (*identifiants d'appelant*)
    automated_system_caller_id_prefixes: Listed = None     # the prefixes automated systems may present
    automated_system_forbidden_caller_id_prefixes: Listed = None
    technical_platform_caller_id_prefixes: Listed = None   # ranges only technical platforms may present
    caller_id_rewritten_forms: Listed = None               # forms the operator rewrites (089B…)
    forbidden_caller_id_forms: Listed = None
    forbidden_caller_id_forms_to_consumers: Listed = None
    forbidden_caller_id_exceptions: Listed = None
    # Breaches and their consequences
    penalty_triggers: Listed = None                        # breaches that bring the penalties
    traffic_interruption_triggers: Listed = None           # breaches that let the operator cut traffic
    sip_account_suspension_triggers: Listed = None
    unlimited_rerate_consequences: Listed = None           # what a fair-use breach entails
    forbidden_uses: Listed = None
    forbidden_use_measures: Listed = None                  # what the operator may do on a forbidden use
    # Calls and destinations
    included_sms_destinations: Listed = None               # prefixes the included SMS may reach
    excluded_calls: Listed = None                          # calls the service does not carry
    call_restriction_profiles: Listed = None
    dial_time_bands: Listed = None                         # peak and off-peak hours
    line_options: Listed = None
    roaming_included: Listed = None                        # zones where use is rated as national
    roaming_abuse_indicators: Listed = None
    roaming_abuse_components: Listed = None                # voice, SMS/MMS, data: compared one by one
    porting_refusal_reasons: Listed = None
    # Premium numbers (SVA, CP XII)
    abnormal_traffic_patterns: Listed = None
    payout_call_origins: Listed = None                     # calls that earn a payout
    rsva_required_fields: Listed = None                    # what the client declares to the RSVA directory
    # Hosting and office software (CP VIII, CP XI)
    management_modes: Listed = None                        # who manages the machines
    storage_tiers: Listed = None
    backup_retention_choices_days: Listed = None
    change_classes: Listed = None
    included_applications: Listed = None
    extra_services_on_quote: Listed = None
    # Access and intercom packs (Rozoh)
    hardware: Listed = None                                # the equipment of the pack
    synced_data: Listed = None                             # what the platform syncs to the panel
    secondary_number_triggers: Listed = None               # when a call goes on to the secondary number
    video_clients: Listed = None
    # Home assistance (Ozone)
    territory: Listed = None                               # where the service is available
    territory_excluded: Listed = None


class UsageFlags(NamedValues):
    """Yes-or-no stipulations."""

    # Telephony template
    telephony_clauses_apply: Flag = None                   # False: the schedule carries no calls
    rebound_calls_filtered: Flag = None
    ping_calls_filtered: Flag = None
    late_calls_billable_on_later_invoices: Flag = None
    special_and_emergency_calls_billed: Flag = None
    third_party_terminals_billed_per_minute: Flag = None
    one_restriction_profile_per_line: Flag = None
    carrier_cost_increases_passed_through: Flag = None
    abnormal_consumption_warning_owed: Flag = None         # the operator warns of abnormal use
    no_alert_on_abnormal_consumption: Flag = None
    offnet_surcharge_on_offnet_traffic_only: Flag = None   # the surcharge applies to off-net calls only
    # Caller IDs and fraud
    caller_id_needs_assignee_consent: Flag = None
    mobile_numbers_forbidden_as_automated_caller_id: Flag = None
    bloctel_registration_required: Flag = None
    penalties_cumulative: Flag = None
    operator_penalties_passed_through: Flag = None         # another operator's penalties are rebilled
    other_operator_penalties_rebilled: Flag = None
    supplier_penalties_passed_through: Flag = None         # SVA: the supplier's penalty is rebilled
    simbox_p2p_penalty_equals_operator_penalty: Flag = None
    # calls whose origin cannot be determined are rated at the country-mismatch tariff
    undetermined_origin_rating_on_country_mismatch: Flag = None
    traffic_interruption_without_notice: Flag = None
    routing_cut_without_notice_on_breach: Flag = None
    routing_cut_without_notice_on_territoriality_breach: Flag = None
    # Fair use
    hours_per_channel_fair_use_applies: Flag = None
    fair_use_breach_suspends_unlimited: Flag = None
    fair_use_rerating_retroactive: Flag = None
    retroactive_rerating_on_abuse: Flag = None
    data_fair_use_volume_from_order: Flag = None           # the data allowance is the order's
    data_fair_use_unlimited_plan_throttled_in_france: Flag = None
    data_fair_use_unlimited_plan_cut_in_roaming: Flag = None
    data_fair_use_metered_plans_bill_excess: Flag = None
    data_blocked_beyond_threshold: Flag = None
    sms_throttled: Flag = None
    # Mobile lines, roaming and porting
    legal_entities_only: Flag = None
    m2m_data_use_unsupported: Flag = None
    sim_activation_waits_for_porting: Flag = None
    sim_replacement_billed_next_invoice: Flag = None
    sim_swap_keeps_number_only: Flag = None
    voice_roaming_on_by_default: Flag = None
    data_roaming_on_by_default: Flag = None
    eu_roaming_rated_as_national: Flag = None
    client_waives_eu_roaming_blocking: Flag = None
    roaming_block_option_on_request: Flag = None
    roaming_surcharge_retroactive: Flag = None
    roaming_abuse_consumption_with_presence: Flag = None   # abuse needs use and presence abroad both
    outbound_porting_is_termination: Flag = None
    rio_required_for_porting: Flag = None
    porting_only_once_internet_active: Flag = None
    listed_in_directory_by_default: Flag = None
    # Fixed access and equipment
    france_telecom_line_required: Flag = None
    france_telecom_line_required_for_dsl: Flag = None
    auto_migration_to_ftth: Flag = None
    wifi_installation_subsidised: Flag = None
    box_owned_by_videofutur: Flag = None
    equipment_fees_from_order_date: Flag = None
    onsite_installation_metropolitan_france_and_corsica_only: Flag = None
    # Offers and use
    pack_dissociation_allowed: Flag = None                 # a bundle's elements may be ended apart
    element_termination_only_on_technical_incapacity: Flag = None
    resale_forbidden: Flag = None
    domestic_premises_only: Flag = None
    operator_cameras_only: Flag = None
    # Contact centre (CX, CP X)
    included_inbound_volumes_pooled: Flag = None           # the packs' minutes are shared
    transferred_call_counted_until_full_hang_up: Flag = None
    unmanaged_lines_rated_from_first_minute: Flag = None
    agent_outbound_calls_billed_per_use: Flag = None
    tts_volume_is_minutes_received_on_all_numbers: Flag = None
    sms_prospecting_needs_prior_consent: Flag = None
    recording_never_permanent_or_systematic: Flag = None
    recording_overage_per_minute_when_authorised: Flag = None
    recording_pack_increase_immediate: Flag = None
    recording_pack_decrease_next_month: Flag = None
    recording_web_viewer_only_when_stored_by_operator: Flag = None
    equipment_rental_early_end_pays_remaining_rents: Flag = None
    # Premium numbers (SVA, CP XII)
    price_figures_from_order: Flag = None                  # the tariff grid is the order's
    kyc_required_for_premium_numbers: Flag = None
    number_assignment_not_permanent: Flag = None
    automated_or_repeated_calls_forbidden: Flag = None
    missing_price_message_is_serious_breach: Flag = None
    payout_per_second_from_first_second: Flag = None
    payout_at_tariff_in_force_when_call_received: Flag = None
    payout_frozen_while_suspended: Flag = None
    frozen_payouts_bear_interest: Flag = None
    payout_balance_usable_for_orders: Flag = None
    payout_forfeited_after_invoice_deadline: Flag = None
    payout_refunded_on_operator_termination: Flag = None
    payout_withheld_on_unanswered_request_or_breach: Flag = None
    payout_withheld_when_kyc_not_renewed: Flag = None
    # Hosting and office software (CP VIII, CP XI)
    provider_managed_by_default: Flag = None               # the operator manages the machines unless ordered
    probation_billed: Flag = None
    backup_off_until_requested: Flag = None
    backup_on_a_distinct_site: Flag = None
    backup_daily_outside_business_hours: Flag = None
    custom_backup_retention_cloud_datacenter_on_quote_only: Flag = None
    cloud_datacenter_required_for_hosted_telephony: Flag = None
    standard_changes_free_within_quoted_monthly_quota: Flag = None
    pentest_requires_written_consent: Flag = None
    reversibility_best_efforts: Flag = None
    reversibility_refused_if_unpaid: Flag = None
    antispam_switch_admin_only_whole_domain: Flag = None
    # Access and intercom packs (Rozoh)
    rozoh_hardware_only: Flag = None
    record_quota_is_cap: Flag = None                       # the pack's records are a ceiling
    access_refused_beyond_record_quota: Flag = None
    credentials_set_by_administrator: Flag = None
    compromise_must_be_notified: Flag = None
    suspension_on_breach: Flag = None
    support_free_except_call_cost: Flag = None
    users_numbers_only: Flag = None                        # calls only to the users' numbers
    calls_outside_list_forbidden: Flag = None
    calls_free: Flag = None
    video_calls: Flag = None
    open_door_during_call: Flag = None


# --------------------------------------------------------------------------- privacy

class PrivacyFigures(NamedValues):
    """The GDPR annex's delays and counts."""

    # Sub-processors (Technicophone Annexe 1 A.2.c)
    subprocessor_change_notice_business_days: Figure = None
    subprocessor_objection_window_business_days: Figure = None   # silence after it is acceptance
    essential_subprocessor_talks_business_days: Figure = None    # talks before the client may leave
    # Audits (A.2.g)
    audit_notice_business_days: Figure = None
    audit_max_duration_business_days: Figure = None
    audit_window_start_hour: Figure = None
    audit_window_end_hour: Figure = None
    audits_per_window: Figure = None
    audit_window_months: Figure = None
    # Data subjects' requests to the operator as controller (B.1.e)
    data_subject_reply_months: Figure = None
    data_subject_extension_months: Figure = None
    data_subject_extension_reasons_within_months: Figure = None


class PrivacyLists(NamedValues):
    """The GDPR annex's enumerations."""

    processed_data_categories: Listed = None
    breach_notice_contents: Listed = None                  # what a breach notice states
    end_of_contract_choices: Listed = None                 # delete, or return and destroy copies


class PrivacyFlags(NamedValues):
    """The GDPR annex's yes-or-no duties."""

    administrator_is_controller: Flag = None               # the client's administrator is controller
    operator_processes_subcontracted_data: Flag = None
    processing_register_kept: Flag = None
    retention_as_agreed_with_controller: Flag = None
    breach_notified_as_soon_as_possible: Flag = None
    subprocessor_list_on_request: Flag = None
    subprocessor_silence_is_acceptance: Flag = None
    subprocessor_objection_termination_without_fees: Flag = None
    transfers_under_standard_contractual_clauses: Flag = None
    data_subject_request_forwarded_as_soon_as_possible: Flag = None
    substantial_assistance_billable_with_prior_consent: Flag = None
    audit_by_registered_letter: Flag = None
    audit_by_competitor_excluded: Flag = None
    audit_costs_borne_by_client: Flag = None
    end_of_contract_delete_or_return_per_controller_choice: Flag = None
    client_secures_backups_before_end: Flag = None
