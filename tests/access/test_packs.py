"""Packs: eligibility, service period, user-record cap and paid extensions (Rozoh seed, CP A
art. 2-3 / CP B art. 2-3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clausier.access.credentials.service import CredentialInput, import_credentials
from clausier.access.packs.service import buy_extension, open_pack, site_status
from clausier.access.periods.service import daily_tick
from clausier.access.records.service import RecordInput, create_record, import_records
from clausier.billing.ledger.charges import pending_charges
from clausier.contracts import service as contracts
from clausier.core.errors import NotAllowed
from tests.access.builders import activated_site, sold_pack


def test_pack_activated_14_months_after_shipment_starts_12_months_after_it(session, clock, actor):
    """CP A art. 2 L224-227: 120 months from activation, "ou au plus tard douze (12) mois à
    compter de l'expédition" — shipped 2024-03-01, activated 2025-05-01 (14 months later)."""
    built = activated_site(session, clock, actor, signed_on=date(2024, 2, 15), shipped_on=date(2024, 3, 1),
                           activated_on=date(2025, 5, 1))
    assert built.pack.activated_on == date(2025, 5, 1)
    assert built.pack.service_start == date(2025, 3, 1)
    assert built.pack.service_end == date(2035, 2, 28)
    subscription = contracts.get_subscription(session, built.subscription_id)
    assert subscription.commitment_start == date(2025, 3, 1)


def test_pack_activated_before_the_latest_start_runs_from_activation(session, clock, actor):
    """CP A art. 2 L224-226: activated 2 months after shipment → 120 months from activation."""
    built = activated_site(session, clock, actor, shipped_on=date(2025, 1, 20), activated_on=date(2025, 3, 20))
    assert (built.pack.service_start, built.pack.service_end) == (date(2025, 3, 20), date(2035, 3, 19))


@pytest.mark.parametrize("category, site_country, field", [
    ("other", "FR", "customer.category"),
    ("public_body", "BE", "site.country"),
])
def test_pack_refused_to_an_ineligible_customer_or_a_foreign_site(session, clock, actor, category,
                                                                  site_country, field):
    """CP A art. 3 L238-242: public bodies, tertiary or industrial companies only; never
    installed in a country other than the country of purchase."""
    subscription = sold_pack(session, clock, actor, category=category, site_country=site_country)
    with pytest.raises(NotAllowed) as refused:
        open_pack(session, clock, actor, subscription.id)
    assert [p.field for p in refused.value.problems] == [field]
    assert "CP A art. 3" in refused.value.message


def test_51st_record_refused_then_accepted_after_a_billed_extension(session, clock, actor):
    """CP A art. 3 L244-249: the site serves the number of records on the order (50); more
    records "moyennant un coût supplémentaire" (reading ROZ-RECORD-QUOTA: a cap)."""
    built = activated_site(session, clock, actor)
    rows = [RecordInput(name=f"Usager {i:02d}") for i in range(50)]
    import_records(session, clock, built.admin, built.site.id, rows)
    with pytest.raises(NotAllowed) as refused:
        create_record(session, clock, built.admin, built.site.id, RecordInput(name="Usager 51"))
    assert "50 user records" in refused.value.message
    assert "intercom_pack_records_10: +10 records for 190.00 € HT" in refused.value.message

    extension = buy_extension(session, clock, built.admin, built.site.id, "intercom_pack_records_10")
    assert extension.records == 10
    created = create_record(session, clock, built.admin, built.site.id, RecordInput(name="Usager 51"))
    assert created.id
    assert site_status(session, built.site, clock.today()).cap == 60
    [charge] = pending_charges(session, built.pack.customer_id)
    assert charge.amount == Decimal("190.00")
    assert charge.explanation["lines"][0]["formula"] == "1 × 190.00 €"
    assert charge.explanation["lines"][0]["clause"] == "CP A art. 3 (L247-249)"


def test_daily_tick_warns_six_then_one_month_before_the_end_once(session, clock, actor):
    """Reading ROZ-END-WARNINGS: the administrator is warned 6 months and 1 month before the
    end of the 120 months (end 2035-03-19 → warnings on 2034-09-20 and 2035-02-20)."""
    built = activated_site(session, clock, actor, shipped_on=date(2025, 1, 20), activated_on=date(2025, 3, 20))
    assert built.pack.service_end == date(2035, 3, 19)
    assert daily_tick(session, clock, actor, date(2034, 9, 19)).startswith("periods=0, warnings=0")
    assert "warnings=1" in daily_tick(session, clock, actor, date(2034, 9, 20))
    assert "warnings=0" in daily_tick(session, clock, actor, date(2034, 9, 20))   # idempotent
    assert "warnings=1" in daily_tick(session, clock, actor, date(2035, 2, 20))
    notices = site_status(session, built.site, date(2035, 2, 20)).notices
    assert [(n.kind, n.on, n.clause) for n in notices] == [
        ("end_warning_1", date(2035, 2, 20), "CP A art. 2 (L224-227), reading ROZ-END-WARNINGS"),
        ("end_warning_6", date(2034, 9, 20), "CP A art. 2 (L224-227), reading ROZ-END-WARNINGS")]
    assert "ends on 2035-03-19" in notices[0].message


def test_pack_never_activated_starts_twelve_months_after_shipment(session, clock, actor):
    """CP A art. 2 L226-227: the period starts at the latest 12 months after shipment."""
    subscription = sold_pack(session, clock, actor, shipped_on=date(2025, 1, 20))
    pack, _, _ = open_pack(session, clock, actor, subscription.id)
    assert (pack.service_start, pack.service_end) == (date(2026, 1, 20), date(2036, 1, 19))


def test_credential_import_names_the_line_of_a_badge_given_twice(session, clock, actor):
    """The same badge in two notations is one badge, even within one import file."""
    from clausier.core.errors import Conflict
    built = activated_site(session, clock, actor)
    [first, second] = import_records(session, clock, built.admin, built.site.id,
                                     [RecordInput(name="A"), RecordInput(name="B")])
    rows = [(first.id, CredentialInput("badge", "wiegand26", facility=123, card=4567)),
            (second.id, CredentialInput("badge", "raw", value="2F623AE", bits=26))]
    with pytest.raises(Conflict) as refused:
        import_credentials(session, clock, built.admin, built.site.id, rows)
    assert refused.value.message == "line 2: credential: the same badge as line 1"
    assert len(import_credentials(session, clock, built.admin, built.site.id, rows[:1])) == 1


def test_end_of_service_notices_are_emailed_through_the_outbox(session, clock, actor):
    """Reading ROZ-END-WARNINGS (CP A art. 2 L224-227): the warnings 6 and 1 months before the
    end of the 120 months (2035-03-19), then the end itself, reach the customer by e-mail
    through the outbox like every other notice, once each."""
    from sqlalchemy import select

    from clausier.customers.models import Customer
    from clausier.notifications.models import OutboxMessage

    built = activated_site(session, clock, actor, shipped_on=date(2025, 1, 20), activated_on=date(2025, 3, 20))
    session.get(Customer, built.pack.customer_id).email = "syndic@example.org"
    for day in (date(2034, 9, 20), date(2034, 9, 21), date(2035, 2, 20), date(2035, 3, 20)):
        daily_tick(session, clock, actor, day)
    messages = session.scalars(select(OutboxMessage).where(
        OutboxMessage.customer_id == built.pack.customer_id).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.channel, m.status) for m in messages if m.kind.startswith("access_")][:3] == [
        ("access_end_warning_6", "email", "queued"), ("access_end_warning_1", "email", "queued"),
        ("access_service_ended", "email", "queued")]
    assert "prend fin le 19/03/2035" in messages[0].body and "préavis de 6 mois" in messages[0].body
    assert "CP A art. 2 (L224-227)" in messages[0].body
