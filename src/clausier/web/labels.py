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
    # the lists of the built-in sheets' service levels (``excusable_events``)
    "client_act_or_omission": N_("An act or omission of the customer"),
    "client_acts_or_omissions": N_("An act or omission of the customer"),
    "client_information_withheld": N_("Information withheld by the customer"),
    "client_non_cooperation": N_("The customer not cooperating"),
    "client_not_cooperating": N_("The customer not cooperating"),
    "client_or_third_party": N_("The customer or a third party"),
    "client_or_user_act": N_("An act of the customer or a user"),
    "client_user_or_third_party": N_("The customer, a user or a third party"),
    "equipment_not_installed_by_operator": N_("Equipment not installed by the operator"),
    "equipment_not_supplied_by_operator": N_("Equipment not supplied by the operator"),
    "equipment_or_service_not_supplied": N_("Equipment or service not supplied by the operator"),
    "exceptional_access_difficulties": N_("Exceptional difficulties of access"),
    "other_network_operators": N_("Other network operators"),
    "other_operator_act": N_("An act of another operator"),
    "other_operators": N_("Other network operators"),
    "planned_maintenance": N_("Scheduled maintenance"),
    "power_cut": N_("Power cut"),
    "regulator_prescriptions": N_("Prescriptions of the regulator"),
    "requested_tests_not_run": N_("Requested tests not run"),
    "site_access_refused": N_("Access to the site refused"),
    "third_party_act": N_("An act of a third party"),
    "traffic_above_capacity": N_("Traffic above the subscribed capacity"),
    "traffic_over_capacity": N_("Traffic above the subscribed capacity"),
}

# The kinds of fraud alert of the rating room (``rating.rules``, ``rating.service``).
FRAUD_ALERTS = {
    "automated_caller_id": N_("Automated calls presenting a forbidden number"),
    "platform_caller_id": N_("Platform presenting a number outside its ranges"),
    "setup_burst": N_("Burst of call set-ups"),
    "caller_id_rewrite": N_("Presented number to rewrite (089B)"),
    "origin_mismatch": N_("Calling country not matching the presented number"),
    "sva_abnormal_traffic": N_("Abnormal traffic on a premium-rate number"),
    "roaming_abuse": N_("Permanent roaming"),
}

# What the fair-use thresholds of the sheets measure (``rating.rules.MEASURED_METRICS``).
FAIR_USE_METRICS = {
    "distinct_numbers": N_("distinct numbers called"), "call_hours": N_("hours of calls"),
    "hours": N_("hours"), "sms": N_("SMS"), "sms_recipients": N_("SMS recipients"),
    "simultaneous_calls": N_("simultaneous calls"),
    "call_setups_per_second": N_("call set-ups per second"),
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
          "weekday": WEEKDAYS, "fraud_alert": FRAUD_ALERTS,
          "fair_use_metric": FAIR_USE_METRICS}


def label(translations: NullTranslations, table: str, code: str | None) -> str:
    """The label of ``code`` in the page's language, or the code when no table knows it."""
    if not code:
        return ""
    english = TABLES[table].get(code)
    return translations.gettext(english) if english else code
