"""Every column that holds personal data carries its marker (``info={"personal": ...}``), since
the export, the erasure and the register find personal data from the markers alone."""

from __future__ import annotations

import re

from sqlalchemy import JSON, String, Text

from clausier.db.base import Base, import_all_models
from clausier.privacy import discovery, rules

# Column names that suggest personal data (GDPR art. 4(1): a name, an identifier, contact
# details), whole words of snake_case names.
SUGGESTS_PERSONAL = re.compile(r"(^|_)(name|e?mail|phone|address|iban|bic|recipient|caller|"
                               r"calling|called|msisdn|imsi|numbers?|users|credential|requester|"
                               r"debtor)($|_)")

# Columns whose name suggests personal data but which hold none, each with why.
NOT_PERSONAL = {
    ("access_devices", "name"): "a device's label",
    ("access_points", "name"): "a door or gate",
    ("access_records", "phone_code"): "the directory code dialled on the panel; it names no one "
                                      "once the record's name and numbers are erased",
    ("access_sites", "name"): "a building",
    ("access_time_profiles", "name"): "a time-slot profile",
    ("api_tokens", "name"): "a token's label",
    ("app_locks", "name"): "a lock name",
    ("cdr_import_batches", "file_name"): "an imported file",
    ("creditor_accounts", "name"): "the operator's own account",
    ("creditor_accounts", "iban"): "the operator's own account",
    ("creditor_accounts", "bic"): "the operator's own account",
    ("customers", "vat_number"): "a company's VAT identifier, printed on its invoices",
    ("direct_debit_items", "invoice_number"): "an invoice number",
    ("disputes", "invoice_number"): "an invoice number",
    ("disputes", "credit_note_number"): "a credit note number",
    ("equipment_kinds", "name"): "a catalogue entry",
    ("invoice_lines", "site_name"): "a site's label on an invoice line",
    ("invoices", "number"): "an invoice number",
    ("offers", "name"): "a catalogue entry",
    ("operators", "name"): "the operator (a company)",
    ("operators", "legal_name"): "the operator (a company)",
    ("operators", "vat_number"): "the operator (a company)",
    ("operators", "address_lines"): "the operator (a company)",
    ("operators", "iban"): "the operator's own account",
    ("operators", "bic"): "the operator's own account",
    ("operators", "email"): "the operator (a company)",
    ("operators", "phone"): "the operator (a company)",
    ("payment_allocations", "invoice_number"): "an invoice number",
    ("phone_numbers", "number"): "the operator's numbering resource; the customer it is "
                                 "assigned to is the personal link (customer_id)",
    ("privacy_recordings", "file_name"): "a generated file name",
    ("privacy_sub_processors", "name"): "a company",
    ("sim_cards", "msisdn"): "the SIM of a device, in the operator's inventory",
    ("sim_cards", "imsi"): "the SIM of a device, in the operator's inventory",
    ("sites", "name"): "a site's label",
}


def _text_columns():
    import_all_models()
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def test_every_column_named_like_personal_data_is_marked_or_exempted():
    """Names, e-mails, phone numbers, addresses and IBANs: marked, a secret, or exempted here."""
    unmarked = sorted((table.name, column.name) for table, column in _text_columns()
                      if SUGGESTS_PERSONAL.search(column.name) and "personal" not in column.info
                      and not column.info.get("secret")
                      and (table.name, column.name) not in NOT_PERSONAL)
    assert unmarked == []


def test_exemptions_name_existing_unmarked_columns():
    """An exemption that no longer matches a column (renamed, or since marked) is stale."""
    columns = {(table.name, column.name): column for table, column in _text_columns()}
    stale = sorted(key for key in NOT_PERSONAL
                   if key not in columns or "personal" in columns[key].info)
    assert stale == []


def test_markers_use_known_categories_and_obligations():
    for table, column in _text_columns():
        if "personal" in column.info:
            assert column.info["personal"] in rules.PERSONAL_CATEGORIES, (table.name, column.name)
            assert column.info.get("needed_for") in (None, *rules.LEGAL_OBLIGATIONS)


def test_support_notifications_and_access_control_records_are_marked():
    """The people kept informed of a ticket (recipients, phone numbers, message text) and the
    residents of an access-control site (names, numbers, app users, badges, events)."""
    personal = {table: {c.name: c.category for c in columns}
                for table, columns in discovery.personal_map().items()}
    assert personal["support_notifications"] == {
        "recipient_name": "identity", "recipient_email": "contact", "recipient_phone": "contact",
        "body": "content"}
    assert personal["access_records"] == {
        "name": "identity", "display_name": "identity", "main_number": "contact",
        "secondary_numbers": "contact", "app_users": "identification"}
    assert personal["access_credentials"] == {"raw": "identification", "key": "identification"}
    assert personal["access_events"] == {"credential": "identification"}
