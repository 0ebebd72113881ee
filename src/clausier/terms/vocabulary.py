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
    penalty_per_calling_number: Amount | None = None    # per number presented in breach
    penalty_per_call_or_attempt: Amount | None = None   # per call or attempt in breach
    # A surcharged number priced above these tiers may not be presented as caller ID (ping calls).
    forbidden_caller_id_tier_per_minute: Amount | None = None
    forbidden_caller_id_tier_per_call: Amount | None = None
    # Premium numbers (SVA, CP XII)
    caller_charge_cap_per_call: Amount | None = None    # the most a caller pays for one call
    # the per-minute price above which a call's length is capped (``call_max_minutes_above_tier``)
    duration_limit_applies_above_per_minute: Amount | None = None
    ethics_or_abnormal_traffic_penalty: Amount | None = None  # per number: ethics breach or abnormal traffic
    # a breach not cured by ``cure_deadline_business_days``
    not_cured_within_deadline_penalty: Amount | None = None
    repeated_within_a_year_penalty: Amount | None = None  # breach repeated within ``repeat_window_months``
    payout_min_balance_exclusive: Amount | None = None  # a payout request needs a balance above it
    # Contact centre (CX, CP X §2)
    inbound_overage_per_minute: Amount | None = None    # beyond the packs' included minutes
    inbound_unmanaged_lines_per_minute: Amount | None = None  # on lines the operator does not manage
    # an inbound call sent on to an unmanaged number
    inbound_redirected_to_unmanaged_number_per_minute: Amount | None = None
    # Internet (CP III §2)
    dsl_desaturation_flat_fee: Amount | None = None     # desaturating a DSL access
    # Home assistance (Ozone Annexe 3)
    glazier_locksmith_cap: Amount | None = None         # the most paid per intervention
    franchise_buyback_cap: Amount | None = None         # the most of the insurance excess paid back


class UsageFigures(NamedValues):
    """Counts, delays, percentages and sizes."""

    # Delivery and installation (Ozone CGV)
    shipping_hours_max: Figure = None                   # equipment shipped within
    activation_hours_after_installation_max: Figure = None  # the service is activated within, once installed
    self_install_months_max: Figure = None              # the client installs within
    self_install_report_difficulty_days: Figure = None  # days to report an installation difficulty
    line_creation_hours_max: Figure = None              # a VoIP line is created within
    # Throughput and capacity
    min_guaranteed_kbit_s: Figure = None                # the least throughput guaranteed
    max_down_mbit_s_unbundled: Figure = None            # ADSL on an unbundled line
    max_down_mbit_s_not_unbundled: Figure = None        # ADSL on a line not unbundled
    data_throttle_kbit_s: Figure = None                 # mobile data speed once throttled
    # the throughput a dedicated fibre guarantees, as a share of the ordered one: low and high end
    dedicated_fibre_throughput_guaranteed_min_percent: Figure = None
    dedicated_fibre_throughput_guaranteed_max_percent: Figure = None
    mailboxes: Figure = None                            # mailboxes included
    mailbox_storage_gb: Figure = None                   # storage of each mailbox
    min_vcpu_per_vm: Figure = None                      # hosting: a virtual machine's least vCPUs
    max_snapshots_per_vm: Figure = None                 # snapshots kept per virtual machine
    update_install_average_business_hours: Figure = None  # hosting: updates installed within, on average
    # Internet orders (Technicophone CP III §2)
    coax_socket_max_distance_metres: Figure = None      # socket to equipment, at most
    dsl_change_confirmation_days: Figure = None         # the client confirms a DSL change within
    dsl_desaturation_quote_acceptance_days: Figure = None  # the client accepts a desaturation quote within
    dsl_desaturation_deferred_extra_weeks: Figure = None  # go-live deferred by a desaturation
    fibre_client_delay_warning_days: Figure = None      # the client warns of its delay this early
    fibre_new_go_live_max_months: Figure = None         # a delayed go-live is set within
    fibre_fee_due_days_after_new_go_live: Figure = None  # fees start again this long after the new go-live
    # or this long before the planned go-live when the client did not warn of its delay
    fibre_fee_due_days_before_planned_go_live_if_not_warned: Figure = None
    # Fixed lines (VGA CP I, Présélection CP II)
    sda_block_size: Figure = None                       # numbers of an SDA block
    incumbent_change_notice_months: Figure = None       # notice of a change of the incumbent's terms
    internal_wiring_ready_days_before_go_live: Figure = None  # the client's wiring is ready this long before go-live
    routing_stops_days_after_preselection_elsewhere: Figure = None  # calendar days
    # Off-network surcharge: +N % when more than M % of fixed traffic ends off the incumbent's loop
    offnet_share_threshold_percent: Figure = None       # M
    offnet_surcharge_percent: Figure = None             # N
    # Mobile lines
    pin_digits: Figure = None                           # digits of a SIM's PIN
    puk_digits: Figure = None                           # digits of a SIM's PUK
    wrong_pins_to_block: Figure = None                  # wrong PINs in a row block the SIM
    plan_reset_day_of_month: Figure = None              # the day allowances start again
    sim_inactivity_suspension_months: Figure = None     # a SIM inactive longer may be suspended
    address_change_notice_days: Figure = None           # the client reports a new address within
    operator_change_notice_months: Figure = None        # notice of a change of host operator
    # Porting (*portabilité*)
    porting_business_days_min: Figure = None            # mobile: ported after at least
    porting_business_days_max: Figure = None            # mobile: ported after at most
    porting_business_days_average: Figure = None        # fixed: ported after, on average
    porting_outage_minutes_min: Figure = None           # service cut on the porting day, at least
    porting_outage_minutes_max: Figure = None           # and at most (in minutes)
    porting_outage_business_hours_max: Figure = None    # or at most (in business hours)
    porting_transition_business_hours: Figure = None    # both SIMs may work during
    # a porting may be cancelled until, before its date
    porting_cancel_deadline_business_days_before: Figure = None
    # Roaming abuse (Technicophone CP IX §17)
    # months of use abroad observed before abuse is found
    roaming_abuse_observation_consecutive_months: Figure = None
    serial_multi_sim_roaming_min_sims: Figure = None    # SIMs used one after another that count as abuse
    # the client regularises a multi-SIM abuse within
    multi_sim_roaming_regularisation_business_days: Figure = None
    # notice before the operator ends the line for abuse
    roaming_abuse_termination_notice_business_days: Figure = None
    # Contact centre (CX, CP X)
    inbound_minutes_included_per_pack_per_month: Figure = None  # inbound minutes each pack includes
    web_call_back_calls_billed_per_request: Figure = None  # a web call-back is billed as N calls
    studio_words_per_billing_unit: Figure = None        # voice studio: words per unit billed
    sms_max_characters: Figure = None                   # one SMS
    access_codes_delivery_business_days: Figure = None  # access codes are delivered within
    bloctel_refresh_max_months: Figure = None           # the opposition list is refreshed at least
    equipment_rental_renewal_months: Figure = None      # an equipment rental renews for
    # Premium numbers (SVA, CP XII)
    call_max_minutes_above_tier: Figure = None          # a call's length above the per-minute tier
    hyper_short_call_seconds_exclusive: Figure = None   # calls shorter are hyper-short (abnormal)
    # Concentrated traffic: the top N callers make more than P % of at least C calls.
    concentrated_traffic_top_callers: Figure = None     # N
    concentrated_traffic_share_percent: Figure = None   # P
    concentrated_traffic_min_calls: Figure = None       # C
    cure_deadline_business_days: Figure = None          # to cure a breach once notified
    repeat_window_months: Figure = None                 # a breach again within is repeated
    info_request_answer_hours: Figure = None            # to answer the operator's request
    payout_claimable_after_business_days: Figure = None  # a call's payout is claimable after
    payout_invoice_deadline_months: Figure = None       # the client invoices a payout within
    tariff_change_request_last_day_of_month: Figure = None  # a request by then applies next month
    # a later request applies this many months ahead
    tariff_change_late_request_effective_months_ahead: Figure = None
    # The operator may refuse an order after its own termination of the client's service.
    refusal_after_termination_months: Figure = None     # after a termination, for
    refusal_after_repeated_termination_months: Figure = None  # after a second one, for
    refusal_pending_referral_lookback_months: Figure = None  # a referral to the authorities within counts
    # Home assistance and video surveillance (Ozone)
    guarding_block_hours: Figure = None                 # guarding is provided in blocks of
    guarding_hours_max: Figure = None                   # guarding at most
    psychological_calls_per_year: Figure = None         # calls to a psychologist a year
    # security call-outs without cause free a year
    unjustified_security_interventions_free_per_year: Figure = None
    claim_declaration_business_days: Figure = None      # a claim is declared within
    remote_stream_cut_minutes: Figure = None            # a remote video stream stops after


class UsageLists(NamedValues):
    """Prefixes, countries, triggers and other enumerations."""

    # Caller IDs (*identifiants d'appelant*)
    automated_system_caller_id_prefixes: Listed = None  # the prefixes automated systems may present
    # prefixes automated systems may never present
    automated_system_forbidden_caller_id_prefixes: Listed = None
    technical_platform_caller_id_prefixes: Listed = None  # ranges only technical platforms may present
    caller_id_rewritten_forms: Listed = None            # forms the operator rewrites (089B…)
    forbidden_caller_id_forms: Listed = None            # caller-ID forms the client may not present
    forbidden_caller_id_forms_to_consumers: Listed = None  # caller-ID forms never presented to consumers
    forbidden_caller_id_exceptions: Listed = None       # forms those rules let through
    # Breaches and their consequences
    penalty_triggers: Listed = None                     # breaches that bring the penalties
    traffic_interruption_triggers: Listed = None        # breaches that let the operator cut traffic
    sip_account_suspension_triggers: Listed = None      # what lets the operator suspend a SIP account
    unlimited_rerate_consequences: Listed = None        # what a fair-use breach entails
    forbidden_uses: Listed = None                       # uses of the line the terms forbid
    forbidden_use_measures: Listed = None               # what the operator may do on a forbidden use
    # Calls and destinations
    included_sms_destinations: Listed = None            # prefixes the included SMS may reach
    excluded_calls: Listed = None                       # calls the service does not carry
    call_restriction_profiles: Listed = None            # the outgoing-call restrictions a line may have
    dial_time_bands: Listed = None                      # peak and off-peak hours
    line_options: Listed = None                         # options a mobile line may have
    roaming_included: Listed = None                     # zones where use is rated as national
    roaming_abuse_indicators: Listed = None             # what shows a permanent use abroad
    roaming_abuse_components: Listed = None             # voice, SMS/MMS, data: compared one by one
    porting_refusal_reasons: Listed = None              # why a porting request may be refused
    # Premium numbers (SVA, CP XII)
    abnormal_traffic_patterns: Listed = None            # what counts as abnormal traffic
    payout_call_origins: Listed = None                  # calls that earn a payout
    rsva_required_fields: Listed = None                 # what the client declares to the RSVA directory
    # Hosting and office software (CP VIII, CP XI)
    management_modes: Listed = None                     # who manages the machines
    storage_tiers: Listed = None                        # storage classes on offer
    backup_retention_choices_days: Listed = None        # days a backup may be kept
    change_classes: Listed = None                       # classes of change requests
    included_applications: Listed = None                # applications the subscription includes
    extra_services_on_quote: Listed = None              # services sold on quote only
    # Access and intercom packs (Rozoh)
    hardware: Listed = None                             # the equipment of the pack
    synced_data: Listed = None                          # what the platform syncs to the panel
    secondary_number_triggers: Listed = None            # when a call goes on to the secondary number
    video_clients: Listed = None                        # platforms of the video-call apps
    # Home assistance (Ozone)
    territory: Listed = None                            # where the service is available
    territory_excluded: Listed = None                   # places excluded from it


class UsageFlags(NamedValues):
    """Yes-or-no stipulations."""

    # Telephony template
    telephony_clauses_apply: Flag = None                # False: the schedule carries no calls
    rebound_calls_filtered: Flag = None                 # calls bouncing to surcharged numbers are filtered
    ping_calls_filtered: Flag = None                    # ping calls (one ring to make people call back) are filtered
    late_calls_billable_on_later_invoices: Flag = None  # calls reported late are billed on a later invoice
    special_and_emergency_calls_billed: Flag = None     # special and emergency numbers are billed
    # calls to third-party terminals are billed by the minute
    third_party_terminals_billed_per_minute: Flag = None
    one_restriction_profile_per_line: Flag = None       # a line has a single call-restriction profile
    carrier_cost_increases_passed_through: Flag = None  # carriers' price increases are passed on
    abnormal_consumption_warning_owed: Flag = None      # the operator warns of abnormal use
    no_alert_on_abnormal_consumption: Flag = None       # the operator owes no alert on abnormal use
    offnet_surcharge_on_offnet_traffic_only: Flag = None  # the surcharge applies to off-net calls only
    # Caller IDs and fraud
    caller_id_needs_assignee_consent: Flag = None       # a number is presented only with its assignee's consent
    # automated systems may not present 06/07 numbers
    mobile_numbers_forbidden_as_automated_caller_id: Flag = None
    bloctel_registration_required: Flag = None          # prospecting calls need the Bloctel opposition list
    penalties_cumulative: Flag = None                   # the penalties add up
    operator_penalties_passed_through: Flag = None      # another operator's penalties are rebilled
    other_operator_penalties_rebilled: Flag = None      # the same, in the SIP and Centrex schedules
    supplier_penalties_passed_through: Flag = None      # SVA: the supplier's penalty is rebilled
    # a SIM-box or P2P use costs what the host operator charges
    simbox_p2p_penalty_equals_operator_penalty: Flag = None
    # calls whose origin cannot be determined are rated at the country-mismatch tariff
    undetermined_origin_rating_on_country_mismatch: Flag = None
    traffic_interruption_without_notice: Flag = None    # the operator may cut traffic without notice
    routing_cut_without_notice_on_breach: Flag = None   # routing stops without notice on a breach
    routing_cut_without_notice_on_territoriality_breach: Flag = None  # and on a breach of territoriality
    # Fair use
    hours_per_channel_fair_use_applies: Flag = None     # the hours-per-channel fair use applies
    fair_use_breach_suspends_unlimited: Flag = None     # a breach of fair use suspends the unlimited plan
    fair_use_rerating_retroactive: Flag = None          # a breach rerates the month's calls per minute
    retroactive_rerating_on_abuse: Flag = None          # an abusive use is rerated retroactively
    data_fair_use_volume_from_order: Flag = None        # the data allowance is the order's
    # unlimited data is throttled in France beyond fair use
    data_fair_use_unlimited_plan_throttled_in_france: Flag = None
    data_fair_use_unlimited_plan_cut_in_roaming: Flag = None  # and cut abroad
    # metered plans bill the volume beyond the allowance
    data_fair_use_metered_plans_bill_excess: Flag = None
    data_blocked_beyond_threshold: Flag = None          # data stops at the allowance
    sms_throttled: Flag = None                          # SMS sending is throttled
    # Mobile lines, roaming and porting
    legal_entities_only: Flag = None                    # lines are sold to legal entities only
    m2m_data_use_unsupported: Flag = None               # data for machine-to-machine uses is not supported
    sim_activation_waits_for_porting: Flag = None       # a ported number's SIM works once the porting is done
    sim_replacement_billed_next_invoice: Flag = None    # a replacement SIM is billed on the next invoice
    sim_swap_keeps_number_only: Flag = None             # a SIM swap keeps the number, nothing else
    voice_roaming_on_by_default: Flag = None            # calls abroad work from the start
    data_roaming_on_by_default: Flag = None             # data abroad works from the start
    eu_roaming_rated_as_national: Flag = None           # use in the EU is rated as in France
    client_waives_eu_roaming_blocking: Flag = None      # the client waives the EU roaming block
    roaming_block_option_on_request: Flag = None        # roaming can be blocked on request
    roaming_surcharge_retroactive: Flag = None          # the roaming-abuse surcharge applies retroactively
    roaming_abuse_consumption_with_presence: Flag = None  # abuse needs use and presence abroad both
    outbound_porting_is_termination: Flag = None        # porting the number out ends the contract
    rio_required_for_porting: Flag = None               # a porting request needs the RIO code
    porting_only_once_internet_active: Flag = None      # a fixed number is ported once the internet access works
    listed_in_directory_by_default: Flag = None         # numbers are listed in the directory unless refused
    # Fixed access and equipment
    france_telecom_line_required: Flag = None           # the service needs an incumbent (France Télécom) line
    france_telecom_line_required_for_dsl: Flag = None   # DSL needs an incumbent line
    auto_migration_to_ftth: Flag = None                 # the radio access moves to fibre when it comes
    wifi_installation_subsidised: Flag = None           # the Wi-Fi installation is subsidised
    box_owned_by_videofutur: Flag = None                # the TV box belongs to the content provider
    equipment_fees_from_order_date: Flag = None         # equipment fees run from the order
    onsite_installation_metropolitan_france_and_corsica_only: Flag = None  # on-site installation only there
    # Offers and use
    pack_dissociation_allowed: Flag = None              # a bundle's elements may be ended apart
    # a bundle element ends only if it cannot work
    element_termination_only_on_technical_incapacity: Flag = None
    resale_forbidden: Flag = None                       # the client may not resell the service
    domestic_premises_only: Flag = None                 # for homes only
    operator_cameras_only: Flag = None                  # only the operator's cameras are supported
    # Contact centre (CX, CP X)
    included_inbound_volumes_pooled: Flag = None        # the packs' minutes are shared
    # a transferred call counts until every party hangs up
    transferred_call_counted_until_full_hang_up: Flag = None
    # calls to unmanaged lines are rated from the first minute
    unmanaged_lines_rated_from_first_minute: Flag = None
    agent_outbound_calls_billed_per_use: Flag = None    # agents' outgoing calls are billed as used
    # text-to-speech volume counts every number's inbound minutes
    tts_volume_is_minutes_received_on_all_numbers: Flag = None
    sms_prospecting_needs_prior_consent: Flag = None    # prospecting by SMS needs prior consent
    # calls may not be recorded permanently or systematically
    recording_never_permanent_or_systematic: Flag = None
    # recording beyond the pack is billed per minute if allowed
    recording_overage_per_minute_when_authorised: Flag = None
    recording_pack_increase_immediate: Flag = None      # a bigger recording pack applies at once
    recording_pack_decrease_next_month: Flag = None     # a smaller one from next month
    # the web viewer only for recordings the operator stores
    recording_web_viewer_only_when_stored_by_operator: Flag = None
    # ending a rental early costs the remaining rents
    equipment_rental_early_end_pays_remaining_rents: Flag = None
    # Premium numbers (SVA, CP XII)
    price_figures_from_order: Flag = None               # the tariff grid is the order's
    kyc_required_for_premium_numbers: Flag = None       # premium numbers need the client's identity checked
    number_assignment_not_permanent: Flag = None        # an assigned number may be taken back
    # automated or repeated calls to the number are forbidden
    automated_or_repeated_calls_forbidden: Flag = None
    missing_price_message_is_serious_breach: Flag = None  # no price announcement is a serious breach
    payout_per_second_from_first_second: Flag = None    # payouts count every second from the first
    payout_at_tariff_in_force_when_call_received: Flag = None  # at the tariff of the call's day
    payout_frozen_while_suspended: Flag = None          # payouts are frozen while the service is suspended
    frozen_payouts_bear_interest: Flag = None           # frozen payouts earn interest
    payout_balance_usable_for_orders: Flag = None       # the payout balance may pay for orders
    payout_forfeited_after_invoice_deadline: Flag = None  # a payout not invoiced in time is lost
    # payouts are refunded when the operator ends the contract
    payout_refunded_on_operator_termination: Flag = None
    # payouts are held while a request is unanswered
    payout_withheld_on_unanswered_request_or_breach: Flag = None
    payout_withheld_when_kyc_not_renewed: Flag = None   # payouts are held until the identity check is renewed
    # Hosting and office software (CP VIII, CP XI)
    provider_managed_by_default: Flag = None            # the operator manages the machines unless ordered
    probation_billed: Flag = None                       # the trial period is billed
    backup_off_until_requested: Flag = None             # backups start only on request
    backup_on_a_distinct_site: Flag = None              # backups are kept on another site
    backup_daily_outside_business_hours: Flag = None    # backups run daily outside business hours
    custom_backup_retention_cloud_datacenter_on_quote_only: Flag = None  # other retentions on quote only
    # hosted telephony needs the cloud datacenter
    cloud_datacenter_required_for_hosted_telephony: Flag = None
    # standard changes free within the quoted quota
    standard_changes_free_within_quoted_monthly_quota: Flag = None
    pentest_requires_written_consent: Flag = None       # penetration tests need written consent
    reversibility_best_efforts: Flag = None             # the operator helps the move-out on best efforts
    reversibility_refused_if_unpaid: Flag = None        # no move-out help while invoices are unpaid
    # only the administrator turns the antispam off, domain-wide
    antispam_switch_admin_only_whole_domain: Flag = None
    # Access and intercom packs (Rozoh)
    rozoh_hardware_only: Flag = None                    # only the operator's hardware is supported
    record_quota_is_cap: Flag = None                    # the pack's records are a ceiling
    access_refused_beyond_record_quota: Flag = None     # no record is added beyond the quota
    credentials_set_by_administrator: Flag = None       # the client's administrator sets the users' credentials
    compromise_must_be_notified: Flag = None            # the client reports compromised credentials
    suspension_on_breach: Flag = None                   # the operator may suspend the service on a breach
    support_free_except_call_cost: Flag = None          # support is free but for the cost of the call
    users_numbers_only: Flag = None                     # calls only to the users' numbers
    calls_outside_list_forbidden: Flag = None           # calls to numbers off the list are refused
    calls_free: Flag = None                             # intercom calls are free
    video_calls: Flag = None                            # intercom calls carry video
    open_door_during_call: Flag = None                  # the door may be opened during the call


# --------------------------------------------------------------------------- privacy

class PrivacyFigures(NamedValues):
    """The GDPR annex's delays and counts."""

    # Sub-processors (Technicophone Annexe 1 A.2.c)
    subprocessor_change_notice_business_days: Figure = None  # a new sub-processor is announced this early
    subprocessor_objection_window_business_days: Figure = None  # silence after it is acceptance
    essential_subprocessor_talks_business_days: Figure = None  # talks before the client may leave
    # Audits (A.2.g)
    audit_notice_business_days: Figure = None           # an audit is announced this early
    audit_max_duration_business_days: Figure = None     # an audit lasts at most
    audit_window_start_hour: Figure = None              # audits run from this hour
    audit_window_end_hour: Figure = None                # to this hour
    audits_per_window: Figure = None                    # audits allowed in a window
    audit_window_months: Figure = None                  # the window's length
    # Data subjects' requests to the operator as controller (B.1.e)
    data_subject_reply_months: Figure = None            # a request is answered within
    data_subject_extension_months: Figure = None        # extendable by
    data_subject_extension_reasons_within_months: Figure = None  # the reasons for extending are given within


class PrivacyLists(NamedValues):
    """The GDPR annex's enumerations."""

    processed_data_categories: Listed = None            # data the operator processes for the client
    breach_notice_contents: Listed = None               # what a breach notice states
    end_of_contract_choices: Listed = None              # delete, or return and destroy copies


class PrivacyFlags(NamedValues):
    """The GDPR annex's yes-or-no duties."""

    administrator_is_controller: Flag = None            # the client's administrator is controller
    operator_processes_subcontracted_data: Flag = None  # the operator processes the data as sub-processor
    processing_register_kept: Flag = None               # the operator keeps a register of the processing
    retention_as_agreed_with_controller: Flag = None    # data is kept as long as the client decides
    breach_notified_as_soon_as_possible: Flag = None    # a breach is notified as soon as possible
    subprocessor_list_on_request: Flag = None           # the list of sub-processors is given on request
    subprocessor_silence_is_acceptance: Flag = None     # no objection in time accepts the change
    # an objection lets the client leave without fees
    subprocessor_objection_termination_without_fees: Flag = None
    # transfers abroad under the EU standard clauses
    transfers_under_standard_contractual_clauses: Flag = None
    # people's requests are forwarded to the client
    data_subject_request_forwarded_as_soon_as_possible: Flag = None
    # heavy assistance is billed, once agreed
    substantial_assistance_billable_with_prior_consent: Flag = None
    audit_by_registered_letter: Flag = None             # an audit is requested by registered letter
    audit_by_competitor_excluded: Flag = None           # the auditor may not be a competitor
    audit_costs_borne_by_client: Flag = None            # the client pays for the audit
    # at the end, data deleted or returned as the client chooses
    end_of_contract_delete_or_return_per_controller_choice: Flag = None
    client_secures_backups_before_end: Flag = None      # the client saves its data before the end
