"""What the pages show for the codes the rooms store (a service family, a unit, a timeline event,
a termination ground, a role): an English message id, translated by the catalogues
(``locale/<lang>/web.po``) like every other text of a page. A code no table knows is shown as
stored, so that an operator's own family or unit still reads, if not translated.

Statuses need no table: a status word is its own message id, translated in the context of what
it is the status of (``pgettext("invoice", "cancelled")`` is « annulée », ``pgettext(
"subscription", "cancelled")`` « annulé »), since French agrees it with its noun."""

from __future__ import annotations

from babel.support import NullTranslations

from clausier.web.i18n import N_


# Service families of the three built-in term sheets (``terms/sheets/*/families``).
FAMILIES = {
    "vga": N_("Analogue and ISDN lines (VGA)"),
    "preselection": N_("Carrier preselection"),
    "internet": N_("Internet access"),
    "sip_trunk": N_("SIP trunk"),
    "centrex": N_("Hosted telephony (Centrex)"),
    "mail": N_("Hosted e-mail"),
    "vpn": N_("VPN, security and firewall"),
    "office365": N_("Office 365"),
    "mobile": N_("Mobile telephony"),
    "cx": N_("Contact centre (CX)"),
    "hosting": N_("Hosting"),
    "sva": N_("Premium-rate numbers (SVA)"),
    "internet_adsl": N_("ADSL internet access"),
    "internet_fibre": N_("Fibre internet access"),
    "internet_radio": N_("Radio internet access"),
    "voip": N_("Fixed telephony (VoIP)"),
    "tv": N_("TV and video on demand"),
    "video_surveillance": N_("Video surveillance"),
    "home_assistance": N_("Home assistance"),
    "pack": N_("Bundle"),
    "intercom_pack": N_("Intercom and access-control pack"),
    "access_pack": N_("Access-control pack"),
}

# The units offers are sold by (``catalog/data/*.yaml``).
UNITS = {
    "access": N_("access"), "agent_licence": N_("agent licence"),
    "analogue_line": N_("analogue line"), "extension": N_("extension"),
    "ip_address": N_("IP address"), "isdn_access": N_("ISDN access"), "licence": N_("licence"),
    "line": N_("line"), "mailbox": N_("mailbox"), "number": N_("number"), "pack": N_("pack"),
    "sda_block": N_("block of DDI numbers"), "server": N_("server"),
    "sim_line": N_("SIM line"), "site": N_("site"), "subscription": N_("subscription"),
    "trunk": N_("trunk"), "user": N_("user"), "volume": N_("volume"),
}

# The attributes of the offers (``catalog/attributes.py``) and the words of their values.
ATTRIBUTES = {
    "technology": N_("technology"), "bandwidth_down_mbps": N_("download (Mbit/s)"),
    "bandwidth_up_mbps": N_("upload (Mbit/s)"), "mailboxes": N_("mailboxes"),
    "mailbox_gb": N_("mailbox (GB)"), "calls": N_("calls"),
    "call_destinations": N_("calls included to"), "call_minutes": N_("minutes included"),
    "data_gb": N_("data (GB)"), "data_plan": N_("beyond the data"), "box": N_("box"),
    "cameras": N_("cameras"), "components": N_("components"), "user_records": N_("user records"),
    "variant": N_("variant"), "b_channels": N_("B channels"), "numbers": N_("numbers"),
    "channels": N_("channels"), "storage_gb": N_("storage (GB)"),
    "classes_of_service": N_("classes of service"), "inbound_minutes": N_("inbound minutes"),
    "inbound_minutes_source": N_("inbound minutes: clause"), "vcpu": N_("vCPU"),
    "ram_gb": N_("memory (GB)"), "disk_gb": N_("disk (GB)"), "users": N_("users"),
    "packs": N_("packs"), "sms": N_("SMS"), "call_countries": N_("countries included"),
    "lines_managed": N_("lines managed by the operator"),
}
ATTRIBUTE_VALUES = {
    "adsl": N_("ADSL"), "adsl_unbundled": N_("unbundled ADSL"), "dsl": N_("DSL"),
    "fibre_dedicated": N_("dedicated fibre"), "fibre_shared": N_("shared fibre"),
    "ftth": N_("FTTH"), "wifi": N_("WiFi"), "wimax": N_("Wimax"), "unlimited": N_("unlimited"),
    "metered": N_("metered"), "included": N_("included"), "tv_box": N_("TV box"),
}
# The kinds of offer (``catalog.models.Offer.kind``).
OFFER_KINDS = {"service": N_("service"), "option": N_("option"), "pack": N_("pack")}

# What a subscription's timeline records (``contracts/service.py``: transitions and events).
SUBSCRIPTION_EVENTS = {
    "ordered": N_("ordered"), "activate": N_("activated"), "activation": N_("activated"),
    "cancel": N_("order cancelled"), "withdraw": N_("withdrawal"), "suspend": N_("suspended"),
    "restrict": N_("restricted"), "resume": N_("resumed"), "give_notice": N_("notice given"),
    "terminate": N_("terminated"), "renewed": N_("renewed"), "recommitted": N_("recommitted"),
    "notice_reminder": N_("notice reminder sent"), "change_requested": N_("change requested"),
    "changed": N_("items changed"), "change": N_("items changed"), "moved": N_("moved"),
    "service_started": N_("service started"),
    "billed_until": N_("billed by the previous system until"),
}

# The grounds on which the terms waive the termination fees (``terms.schema.ExemptionReason``).
TERMINATION_GROUNDS = {
    "price_increase_refused": N_("The client refuses a price increase"),
    "usage_price_increase_refused": N_("The client refuses an increase of the usage prices"),
    "harmful_change_to_terms": N_("A change to the terms harms the client"),
    "force_majeure": N_("Force majeure"),
    "move_to_uncovered_area": N_("The client moves where the service is not available"),
    "death": N_("Death of the subscriber"),
    "technical_impossibility": N_("The service is technically impossible to provide"),
    "technical_malfunction": N_("The service does not work"),
    "incumbent_terms_changed": N_("The incumbent operator changed its terms"),
    "sub_processor_objection": N_("The client objects to a new sub-processor"),
    "at_term": N_("At the end of the commitment"),
}

# The events the terms excuse from the service levels (``service_levels.excusable_events``).
EXCUSABLE_EVENTS = {
    "force_majeure": N_("Force majeure"), "maintenance": N_("Scheduled maintenance"),
    "supplier_outage": N_("Outage of a supplier"),
    "events_outside_operator_control": N_("Events outside the operator's control"),
}

# What the retention rules of the term sheets keep, and what their periods run from.
RETAINED_DATA = {
    "access_events": N_("Access events"), "billing_data": N_("Billing data"),
    "cdr": N_("Call records"), "mailboxes": N_("Mailboxes"), "hosting_data": N_("Hosted data"),
    "recordings": N_("Call recordings"), "snapshots": N_("Backups"),
}
RETENTION_STARTS = {
    "creation": N_("after their creation"), "termination": N_("after the termination"),
    "termination_letter_receipt": N_("after the termination letter is received"),
}

# Personal-data categories (``privacy.rules.PERSONAL_CATEGORIES``, GDPR annex A.1).
DATA_CATEGORIES = {
    "identity": N_("identity"), "contact": N_("contact details"),
    "identification": N_("identification data"),
    "connection_and_usage": N_("connection and usage data"), "location": N_("location"),
    "content": N_("content"), "financial": N_("financial data"),
}

# The register of processing activities (``privacy.rules.register_entries``).
REGISTER_PURPOSES = {
    "customer_relationship": N_("Customer relationship: orders, contracts, billing, payments, "
                                "support and usage"),
    "customer_instructions": N_("Data processed on the customer's instructions to provide the "
                                "services"),
}
LEGAL_BASES = {
    "contract_and_legal_obligation": N_("Performance of the contract and legal obligations "
                                        "(GDPR art. 6(1)(b) and (c))"),
    "controller_instructions": N_("The controller's documented instructions (GDPR art. 28(3))"),
}
DATA_SUBJECTS = {
    "customers": N_("customers"), "customer_contacts": N_("customers' contacts"),
    "portal_users": N_("portal users"),
    "entrusted_people": N_("people whose data the customer entrusts to the services"),
}
RECIPIENTS = {
    "operator_staff": N_("operator staff"), "sub_processors": N_("sub-processors"),
    "authorities_on_legal_request": N_("authorities on legal request"),
    "customer_as_controller": N_("the customer (controller)"),
}
# What the law requires keeping (``privacy.rules.LEGAL_OBLIGATIONS``).
LEGAL_OBLIGATIONS = {
    "accounting": N_("Invoices, accounting records and their supporting documents"),
    "accountability": N_("Records proving how personal data were handled"),
}

# The days of a time slot (``access.rules.DAY_NAMES``), as written in a slot.
WEEKDAYS = {"mon": N_("mon"), "tue": N_("tue"), "wed": N_("wed"), "thu": N_("thu"),
            "fri": N_("fri"), "sat": N_("sat"), "sun": N_("sun"), "holiday": N_("holiday")}

# The kinds of a subscription's period (``contracts.rules``).
PERIODS = {"initial": N_("initial period"), "renewal": N_("renewal period"),
           "indefinite": N_("period without end")}

# The actions of the dunning steps (``terms.schema.DunningAction``).
DUNNING_ACTIONS = {
    "reminder": N_("reminder"), "formal_notice": N_("formal notice"),
    "restrict": N_("service restricted"), "suspend": N_("service suspended"),
    "re_present_debit": N_("debit presented again"), "terminate": N_("termination"),
    "litigation": N_("litigation"),
}

# The topics of a term sheet: its blocks (``terms.schema.Terms``).
TERM_TOPICS = {
    "definitions": N_("Definitions"),
    "commitment": N_("Commitment"),
    "renewal": N_("Renewal"),
    "notice": N_("Notice"),
    "termination": N_("Termination"),
    "withdrawal": N_("Withdrawal"),
    "plan_change": N_("Change of offer"),
    "move": N_("Move"),
    "price_changes": N_("Price changes"),
    "indexation": N_("Indexation"),
    "billing": N_("Billing"),
    "payment": N_("Payment"),
    "late_payment": N_("Late payment"),
    "dunning": N_("Dunning"),
    "deposit": N_("Deposit"),
    "service_levels": N_("Service levels"),
    "usage": N_("Usage"),
    "equipment": N_("Equipment"),
    "retention": N_("Retention"),
    "privacy": N_("Personal data"),
    "pack": N_("Prepaid pack"),
    "liability": N_("Liability"),
}

# The fields of the blocks of a term sheet (``terms/schema.py``).
TERM_FIELDS = {
    "acceleration": N_("all sums fall due at once"),
    "access": N_("access"),
    "action": N_("action"),
    "after": N_("counted from"),
    "after_days": N_("after (days)"),
    "after_months": N_("after (months)"),
    "allowed_call_countries": N_("countries that may be called"),
    "allowed_customer_categories": N_("customer categories allowed"),
    "amount": N_("amount"),
    "amounts": N_("amounts"),
    "applies_to": N_("applies to"),
    "appointment_cancel_notice_business_hours": N_("notice to cancel an appointment"),
    "at_least": N_("at least"),
    "availability": N_("availability"),
    "bands": N_("bands"),
    "basis": N_("tax basis"),
    "beyond_fraction": N_("share beyond"),
    "billed_while_suspended": N_("billed while suspended"),
    "bills": N_("bills"),
    "can_only_shorten": N_("can only be shortened"),
    "cancellation_fees": N_("cancellation fees"),
    "cap_basis": N_("cap basis"),
    "cap_months_of_fees": N_("cap (months of fees)"),
    "cap_percent": N_("cap"),
    "change": N_("change"),
    "channel": N_("channel"),
    "channels": N_("channels"),
    "claim_window_counted_in": N_("claim window counted in"),
    "claim_window_days": N_("claim window"),
    "claims_per_year": N_("claims per year"),
    "client_may_leave": N_("the client may terminate"),
    "common_fees_to_central_site": N_("common fees billed to the central site"),
    "confirmation_window_minutes": N_("confirmation window"),
    "consequence": N_("consequence"),
    "counted_from": N_("counted from"),
    "counted_in": N_("counted in"),
    "coverage_hours": N_("coverage hours"),
    "damaged_billed_up_to_replacement": N_("damaged equipment billed up to its replacement"),
    "data": N_("data"),
    "day": N_("an unqualified day means"),
    "days": N_("days"),
    "days_after_receipt": N_("days after receipt"),
    "days_counted_in": N_("days counted in"),
    "debited_in_advance": N_("debited in advance"),
    "deemed_accepted_after_days": N_("deemed accepted after"),
    "dispute_channel": N_("dispute channel"),
    "dispute_window_counted_in": N_("dispute window counted in"),
    "dispute_window_days": N_("dispute window"),
    "draw_after_notice_days": N_("drawn after notice"),
    "due_days_after_issue": N_("due after issue"),
    "early_payment_discount": N_("early payment discount"),
    "effect": N_("takes effect"),
    "effective": N_("takes effect"),
    "end_warnings_months_before": N_("end warnings before"),
    "equipment_return_days": N_("equipment to return within"),
    "excluded_from_unlimited": N_("excluded from unlimited"),
    "excusable_events": N_("excused events"),
    "exemptions": N_("exemptions"),
    "extra_records_purchasable": N_("extra records purchasable"),
    "fair_use": N_("fair use"),
    "families": N_("families"),
    "fees": N_("fees"),
    "fees_due_during_notice": N_("fees due during the notice"),
    "first_period": N_("first, partial period"),
    "figures": N_("figures"),
    "flags": N_("stipulations"),
    "fraud": N_("fraud thresholds"),
    "full_months": N_("months due in full"),
    "grounds": N_("grounds"),
    "hours": N_("hours"),
    "in_commitment": N_("during the commitment"),
    "included_destinations": N_("included destinations"),
    "index_name": N_("index"),
    "indirect_damages_excluded": N_("indirect damages excluded"),
    "ineligibility_non_return_billed_at": N_("non-return after ineligibility billed at"),
    "ineligibility_return_days": N_("return after ineligibility within"),
    "initial_months": N_("initial period"),
    "interest_from": N_("interest runs from"),
    "interest_multiple_of_legal_rate": N_("interest (multiple of the rate)"),
    "kind": N_("rule"),
    "label": N_("label"),
    "last_period": N_("last, partial period"),
    "late_notice_rebills_access_fees": N_("late notice rebills the access fees"),
    "late_usage_max_days": N_("late usage billed up to"),
    "leave_notice_days": N_("notice to terminate"),
    "limit": N_("limit"),
    "lists": N_("lists"),
    "lower": N_("from"),
    "lower_inclusive": N_("lower bound included"),
    "max_employees": N_("at most employees"),
    "measured_over": N_("measured over"),
    "method": N_("method"),
    "metric": N_("measure"),
    "minimum_billing": N_("minimum billing"),
    "minimum_months": N_("minimum period"),
    "mode": N_("mode"),
    "months": N_("months"),
    "months_before_term": N_("notice before the term"),
    "multiple": N_("multiple"),
    "no_service_level": N_("no service level"),
    "non_return": N_("non-return"),
    "note": N_("note"),
    "notice_days": N_("notice"),
    "notice_months": N_("notice"),
    "numbers_kept_same_zone_only": N_("numbers kept in the same zone only"),
    "numbers_lost_unless_ported": N_("numbers lost unless ported"),
    "objective_months": N_("objective over"),
    "objective_only": N_("objective only"),
    "objective_percent": N_("objective"),
    "offline_mode": N_("offline mode"),
    "on_request_only": N_("on request only"),
    "one_off_timing": N_("one-off fees billed"),
    "only_during_initial_period": N_("only during the initial period"),
    "operator_choices_on_non_return": N_("operator's choices on non-return"),
    "option": N_("option"),
    "out_of_commitment": N_("out of commitment"),
    "ownership_on_full_payment": N_("ownership on full payment"),
    "ownership_passes": N_("ownership passes"),
    "paper_invoice_delay_counted_in": N_("paper invoice delay counted in"),
    "paper_invoice_delay_days": N_("paper invoice delay"),
    "pay_within_days": N_("pay within"),
    "payment_lifts_suspension": N_("payment lifts the suspension"),
    "penalty_bands": N_("penalty bands"),
    "per": N_("per"),
    "percent": N_("percentage"),
    "period_months": N_("renewal period"),
    "periodicity_months": N_("billing period"),
    "planned_go_live_if_client_late": N_("planned go-live if the client is late"),
    "probation_months": N_("probation period"),
    "rate_reference": N_("rate of the"),
    "rate_source": N_("rate"),
    "reason": N_("ground"),
    "recommit_months": N_("re-commitment"),
    "recommit_on_change_choices_months": N_("re-commitment choices on a change"),
    "recommit_on_change_months": N_("re-commitment on a change"),
    "recommit_on_move_months": N_("re-commitment on a move"),
    "recommit_scope": N_("re-commitment scope"),
    "reconnection_rebills_access_fees": N_("reconnection rebills the access fees"),
    "recovery_indemnity": N_("flat recovery indemnity"),
    "recurring_timing": N_("recurring fees billed"),
    "reference_lag_months": N_("reference index lag"),
    "regulatory_client_may_leave": N_("the client may terminate on a regulatory change"),
    "regulatory_notice_days": N_("notice of a regulatory change"),
    "regulatory_notice_months": N_("notice of a regulatory change"),
    "rejected_debit_fee": N_("rejected debit fee"),
    "release_after_months": N_("released after"),
    "remaining_fees_percent": N_("remaining fees due"),
    "reminder_days_before_deadline": N_("reminders before the deadline"),
    "removal_fee_during_commitment": N_("removal fee during the commitment"),
    "rental_billed_as_service": N_("rental billed as a service"),
    "replenish_within_days": N_("replenished within"),
    "requires_approval": N_("requires approval"),
    "requires_off_premises": N_("requires an off-premises contract"),
    "requires_outside_main_activity": N_("requires a contract outside the main activity"),
    "restoration": N_("restoration"),
    "restoration_days": N_("restoration within"),
    "restriction_from_first_late_payment": N_("restriction from the first late payment"),
    "return_days": N_("return within"),
    "return_days_counted_in": N_("return delay counted in"),
    "revision_month_day": N_("revised on"),
    "rules": N_("rules"),
    "same_country_only": N_("same country only"),
    "series_id": N_("series"),
    "service_months": N_("service period"),
    "set_off_notice_days": N_("set-off notice"),
    "shipping_fee_on_equipment_change": N_("shipping fee on an equipment change"),
    "sim_returns_to_manufacturer": N_("SIM returned to the manufacturer"),
    "sole_remedy": N_("sole remedy"),
    "start_at_latest_days_after_receipt": N_("starts at the latest after receipt"),
    "start_at_latest_months_after_shipment": N_("starts at the latest after shipment"),
    "start_event": N_("starts on"),
    "start_goods": N_("period for goods starts on"),
    "start_service": N_("period for services starts on"),
    "started_month_counts_whole": N_("a started month counts whole"),
    "starts_at": N_("billing starts on"),
    "steps": N_("steps"),
    "still_to_return": N_("still to return"),
    "support_channel": N_("support channel"),
    "support_hours": N_("support hours"),
    "suspend_until_provided": N_("suspended until provided"),
    "targets": N_("targets"),
    "telephony_effective": N_("telephony change takes effect"),
    "telephony_families": N_("telephony families"),
    "termination_allowed_from_month": N_("termination allowed from month"),
    "terms_change_leave_months": N_("termination after a change of terms"),
    "terms_change_notice_months": N_("notice of a change of terms"),
    "unavailability_means": N_("unavailability means"),
    "undiscounted": N_("before discounts"),
    "undisputed_part_due": N_("undisputed part due"),
    "unit": N_("unit"),
    "unlimited_syncs": N_("unlimited synchronisations"),
    "until": N_("until"),
    "upper": N_("up to"),
    "upper_inclusive": N_("upper bound included"),
    "usage_notice_days": N_("notice of a usage price change"),
    "usage_notice_months": N_("notice of a usage price change"),
    "usage_timing": N_("usage billed"),
    "warranty_months_sold": N_("warranty sold"),
    "who": N_("who may withdraw"),
    "window": N_("over"),
    "wrongly_opened_ticket_billable": N_("wrongly opened ticket billable"),
    "equipment": N_("equipment"),
    "id": N_("step"),
}

# The words a term sheet's values are written in (its enums and literals).
TERM_VALUES = {
    "activation": N_("activation of the service"),
    "all_minutes": N_("every minute"),
    "any_agreed": N_("any agreed means"),
    "any_notification": N_("any notification"),
    "around_the_clock": N_("around the clock"),
    "billed": N_("billed"),
    "billed_and_paid": N_("billed and paid"),
    "business_hours": N_("business hours"),
    "calendar": N_("calendar days"),
    "changed_line": N_("the changed line"),
    "chatel": N_("Chatel law: what remains of the first months and a share beyond"),
    "commitment_end": N_("end of the commitment"),
    "consumers": N_("consumers"),
    "coverage_window": N_("the coverage window"),
    "current_period_end": N_("end of the current period"),
    "day_after_due_date": N_("day after the due date"),
    "day_after_order": N_("day after the order"),
    "delivery": N_("delivery of the goods"),
    "direct_debit": N_("direct debit"),
    "due_date": N_("due date"),
    "ecb_refinancing_rate": N_("ECB refinancing rate"),
    "effective_date": N_("effective date"),
    "email": N_("e-mail"),
    "end_of_period": N_("at the end of the period"),
    "first_connection": N_("first connection"),
    "first_day_next_month": N_("first day of the next month"),
    "flat": N_("flat fee"),
    "flat_per_unit": N_("flat fee per unit"),
    "french_legal_rate": N_("French legal interest rate"),
    "go_live": N_("go-live"),
    "go_live_per_access_link": N_("go-live of each access link"),
    "in_advance": N_("in advance"),
    "in_arrears": N_("in arrears"),
    "indefinite": N_("without end"),
    "initial_period_end": N_("end of the initial period"),
    "invoice_date": N_("invoice date"),
    "lower_of_both": N_("the lower of both"),
    "minimum_billing_remaining": N_("minimum billing of the remaining period"),
    "months_after_receipt": N_("months after receipt"),
    "days_after_receipt": N_("days after receipt"),
    "multiple_of_access_fees": N_("multiple of the access fees"),
    "nobody": N_("nobody"),
    "non_return_grid": N_("non-return grid"),
    "none": N_("none"),
    "once": N_("once"),
    "online_form": N_("online form"),
    "option_activation": N_("option activation"),
    "order": N_("order"),
    "order_value": N_("order value"),
    "ouvrables": N_("working days"),
    "ouvres": N_("business days"),
    "phone": N_("phone"),
    "previous_step": N_("previous step"),
    "prorata": N_("prorata temporis"),
    "receipt": N_("receipt of the letter"),
    "registered_letter": N_("registered letter with acknowledgement"),
    "rejection": N_("rejection"),
    "remaining_months_x_monthly_fees": N_("remaining months × monthly fees"),
    "sale": N_("sale"),
    "sending": N_("sending"),
    "signature": N_("signature"),
    "small_business_off_premises": N_("small businesses, off premises"),
    "sms": N_("SMS"),
    "tacit_fixed": N_("tacit renewal"),
    "ticket": N_("ticket"),
    "transfer": N_("transfer"),
    "when_implemented": N_("when implemented"),
    "whole_month": N_("whole month"),
    "whole_service_and_options": N_("the whole service and its options"),
    "HT": N_("excl. VAT"),
    "TTC": N_("incl. VAT"),
}

ROLES = {
    "admin": N_("administrator"), "billing": N_("billing"), "support": N_("support"),
    "sales": N_("sales"), "customer": N_("customer"),
    "site_admin": N_("site administrator"), "site_delegate": N_("site delegate"),
}

TABLES = {"family": FAMILIES, "unit": UNITS, "subscription_event": SUBSCRIPTION_EVENTS,
          "termination_ground": TERMINATION_GROUNDS, "period": PERIODS, "role": ROLES,
          "dunning_action": DUNNING_ACTIONS, "attribute": ATTRIBUTES,
          "attribute_value": ATTRIBUTE_VALUES, "offer_kind": OFFER_KINDS,
          "excusable_event": EXCUSABLE_EVENTS, "retained_data": RETAINED_DATA,
          "retention_start": RETENTION_STARTS, "data_category": DATA_CATEGORIES,
          "weekday": WEEKDAYS, "register_purpose": REGISTER_PURPOSES,
          "legal_basis": LEGAL_BASES, "data_subject": DATA_SUBJECTS, "recipient": RECIPIENTS,
          "legal_obligation": LEGAL_OBLIGATIONS, "term_topic": TERM_TOPICS,
          "term_field": TERM_FIELDS, "term_value": TERM_VALUES}


def label(translations: NullTranslations, table: str, code: str | None) -> str:
    """The label of ``code`` in the page's language, or the code when no table knows it."""
    if not code:
        return ""
    english = TABLES[table].get(code)
    return translations.gettext(english) if english else code
