"""Packs: the platform set up for a sold pack, its activation, its user-record cap and
extensions, its service period and whether its site is still synchronised, its suspension."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import (AccessSite, Pack, PackExtension, SiteMember, SiteNotice,
                                    UserRecord)
from clausier.access.sites.service import (SCOPES, authorize, check_timeout, new_version,
                                           secret_digest, staff_writer)
from clausier.accounts import service as accounts
from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.catalog import facts as catalog_facts
from clausier.contracts import facts as contract_facts
from clausier.contracts import rules as contract_rules
from clausier.contracts import service as contracts
from clausier.contracts import statuses as contract_statuses
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import money
from clausier.customers import facts as customer_facts
from clausier.db.lookup import get_or_not_found
from clausier.equipment import rules as equipment_rules
from clausier.equipment import service as equipment
from clausier.terms import service as terms_service
from clausier.terms.schema import Pack as PackTerms
from clausier.terms.schema import Sourced, Terms

# Which sheet family is which pack variant of the seed (A: L1-306, B: L307-540).
VARIANTS = {"intercom_pack": "A", "access_pack": "B"}


def pack_terms(session: Session, pack: Pack) -> tuple[PackTerms, Terms]:
    subscription = contracts.get_subscription(session, pack.subscription_id)
    terms = contracts.terms_of(session, subscription)
    if terms.pack is None:
        raise NotAllowed(f"sheet {subscription.sheet_id}: family {subscription.family} has no pack terms",
                         code=rules.Refused.pack_terms_missing)
    return terms.pack, terms


def call_destinations(session: Session, site: AccessSite) -> tuple[frozenset[str], str]:
    terms, _ = pack_terms(session, session.get(Pack, site.pack_id))
    sheet = terms.allowed_call_countries
    return (rules.call_destinations(site.country, sheet.value if sheet else ()),
            sheet.clause if sheet else "")


def _records_on_order(session: Session, subscription) -> int:
    items = subscription.items
    offers = catalog_facts.offers(session, [item.offer_id for item in items])
    return sum(int(offers[item.offer_id].attributes.get("user_records", 0)) * item.quantity
               for item in items)


def open_pack(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int, *,
              site_name: str | None = None, kind: str = "company", call_timeout_seconds: int = 20,
              records: int | None = None) -> tuple[Pack, AccessSite, str]:
    """Set up the platform for a sold pack: refused for a customer category or a site country
    the sheet does not allow. Returns the activation code for the administrator (shown once)."""
    staff_writer(actor, "open packs")
    subscription = contracts.get_subscription(session, subscription_ref)
    if subscription.family not in VARIANTS:
        raise InvalidInput.on("subscription", f"{subscription.ref} is a {subscription.family}, "
                                              f"not a pack ({', '.join(VARIANTS)})",
                              code=rules.Refused.pack_subscription_not_a_pack)
    if session.scalar(select(Pack).where(Pack.subscription_id == subscription.id)):
        raise Conflict(f"subscription: {subscription.ref} already has its pack",
                       code=rules.Refused.pack_already_made)
    terms = contracts.terms_of(session, subscription).pack
    customer_id, site_id = subscription.customer_id, subscription.site_id
    customer = customer_facts.customers(session, [customer_id])[customer_id]
    customer_site = customer_facts.sites(session, [site_id])[site_id]
    refusals = rules.pack_refusals(
        customer.category, customer.country, customer_site.country,
        (terms.allowed_customer_categories.clause, tuple(terms.allowed_customer_categories.value))
        if terms and terms.allowed_customer_categories else None,
        (terms.same_country_only.clause, terms.same_country_only.value)
        if terms and terms.same_country_only else None)
    if refusals:
        raise NotAllowed("pack: " + "; ".join(f"{r.reason} ({r.clause})" for r in refusals),
                         problems=[Problem(r.field, f"{r.reason} ({r.clause})") for r in refusals],
                         code=rules.Refused.pack_refused_by_terms)
    cap = records if records is not None else _records_on_order(session, subscription)
    if cap < 1:
        raise InvalidInput.on("records", "the order does not say how many user records the pack serves",
                              code=rules.Refused.pack_record_count_missing)
    check_timeout(call_timeout_seconds)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    pack = Pack(subscription_id=subscription.id, customer_id=customer.id,
                variant=VARIANTS[subscription.family], records_ordered=cap,
                activation_code_hash=secret_digest(code), created_at=clock.now())
    session.add(pack)
    session.flush()
    site = AccessSite(pack_id=pack.id, customer_site_id=customer_site.id,
                      name=site_name or customer_site.name, kind=kind, country=customer_site.country,
                      call_timeout_seconds=call_timeout_seconds, created_at=clock.now())
    session.add(site)
    refresh_period(session, pack)
    record(session, clock, actor, "access.pack.open", pack,
           msg("pack {variant} for {ref}: {cap} user records, site {site}", variant=pack.variant,
               ref=subscription.ref, cap=cap, site=site.name))
    return pack, site, code


def refresh_period(session: Session, pack: Pack) -> bool:
    """Service start/end per the contract rules (CP A art. 2 L224-227: 120 months from the
    activation, or at the latest 12 months after shipment). True if they changed."""
    subscription = contracts.get_subscription(session, pack.subscription_id)
    facts = contracts.facts_of(session, subscription)
    terms = contracts.terms_of(session, subscription)
    start = contract_rules.commitment_start(facts, terms)
    end = contract_rules.commitment_end(facts, terms)
    if (start, end) == (pack.service_start, pack.service_end):
        return False
    pack.service_start, pack.service_end = start, end
    return True


def activate_pack(session: Session, clock: Clock, actor: Actor, *, code: str, email: str, name: str,
                  password: str, on: date | None = None) -> AccessSite:
    """The administrator activates the pack on the platform with the code received and chooses
    their own credentials (CP A art. 3 L251-253); the service period starts (art. 2)."""
    code_hash = secret_digest(code.strip().upper())
    pack = session.scalar(select(Pack).where(Pack.activation_code_hash == code_hash))
    if pack is None:
        raise NotFound("code: unknown activation code", resource="activation_code")
    site = session.scalar(select(AccessSite).where(AccessSite.pack_id == pack.id))
    day = on or clock.today()
    user = accounts.create_user(session, clock, actor, email=email, name=name, role="site_admin",
                                password=password, kind="site", customer_id=pack.customer_id)
    session.add(SiteMember(site_id=site.id, user_id=user.id, role="admin", scopes=list(SCOPES),
                           created_at=clock.now()))
    subscription = contracts.get_subscription(session, pack.subscription_id)
    if subscription.status == contract_statuses.SubscriptionStatus.ORDERED:
        contracts.activate(session, clock, actor, subscription.id, day)
    pack.activation_code_hash = None
    pack.activated_on = day
    refresh_period(session, pack)
    new_version(session, clock, site, [("site", site.id, "upsert")])
    record(session, clock, actor, "access.pack.activate", pack,
           msg("{site} activated on {date} by {email}; service {start} → {end}", site=site.name,
               date=day, email=user.email, start=pack.service_start, end=pack.service_end))
    return site


def record_cap(pack: Pack) -> int:
    return pack.records_ordered + sum(e.records for e in pack.extensions)


def extension_offers(session: Session, pack: Pack) -> list[catalog_facts.OfferFacts]:
    """The catalogue's record extensions for the pack's family (price from the catalogue:
    reading ROZ-EXTRA-RECORD-PRICE)."""
    subscription = contracts.get_subscription(session, pack.subscription_id)
    offers = catalog_facts.offers_of_family(session, subscription.operator_id, subscription.family)
    return [o for o in offers
            if o.active and o.kind != "pack" and o.attributes.get("user_records")]


def buy_extension(session: Session, clock: Clock, actor: Actor, site_id: int, offer_code: str,
                  quantity: int = 1) -> PackExtension:
    """Add user records to the pack's cap; the price goes on the next invoice."""
    site = authorize(session, actor, site_id, "admin")
    pack = session.get(Pack, site.pack_id)
    terms, _ = pack_terms(session, pack)
    if terms.extra_records_purchasable is not None and not terms.extra_records_purchasable.value:
        raise NotAllowed(f"extension: the terms sell no extra records ({terms.extra_records_purchasable.clause})",
                         code=rules.Refused.pack_extension_not_sold)
    if quantity < 1:
        raise InvalidInput.on("quantity", "must be at least 1",
                              code=rules.Refused.pack_extension_quantity_below_one)
    offer = next((o for o in extension_offers(session, pack) if o.code == offer_code), None)
    if offer is None:
        raise InvalidInput.on("offer_code", f"{offer_code!r} is not a record extension of this pack",
                              code=rules.Refused.pack_extension_offer_unknown)
    per_unit = int(offer.attributes["user_records"])
    clause = terms.extra_records_purchasable.clause if terms.extra_records_purchasable else ""
    explained = Explained((Line(label=msg("{offer} — {site}", offer=offer.name, site=site.name),
                                amount=money(offer.one_off_price * quantity),
                                formula=msg("{quantity} × {price} €", quantity=quantity,
                                            price=str(offer.one_off_price)), clause=clause),))
    subscription = contracts.get_subscription(session, pack.subscription_id)
    day = clock.today()
    extension = PackExtension(pack_id=pack.id, offer_code=offer.code, quantity=quantity,
                              records=per_unit * quantity, bought_on=day, actor=actor.name,
                              created_at=clock.now())
    session.add(extension)
    session.flush()
    charge = add_charge(session, clock, actor, customer_id=pack.customer_id,
                        subscription_id=subscription.id, source="access_extension",
                        source_key=f"{pack.id}:{extension.id}",
                        label=msg("{offer} × {quantity} — {ref}", offer=offer.name, quantity=quantity,
                                  ref=subscription.ref), explained=explained,
                        price_basis=offer.price_basis, incurred_on=day, vat_rate=offer.vat_rate)
    extension.charge_id = charge.id
    session.refresh(pack, ["extensions"])
    record(session, clock, actor, "access.pack.extend", pack,
           msg("{site}: +{n} user records ({amount}), cap {cap}", site=site.name,
               n=extension.records, amount=explained.total, cap=record_cap(pack)))
    return extension


@dataclass(frozen=True)
class SiteStatus:
    state: rules.ServiceState
    why: str                   # empty when changes are synchronised
    clause: str
    records: int
    cap: int
    notices: list[SiteNotice]
    sim_return: list[dict] = field(default_factory=list)    # the SIM items to return, once flagged
    variant: str = ""           # the pack's variant


def site_status(session: Session, site: AccessSite, day: date) -> SiteStatus:
    pack = session.get(Pack, site.pack_id)
    terms, _ = pack_terms(session, pack)
    state = rules.service_state(pack.service_start, pack.service_end, day)
    clause = terms.service_months.clause if terms.service_months else ""
    why = sync_refusal_of(session, pack, day)
    count = session.scalar(select(func.count()).select_from(UserRecord)
                           .where(UserRecord.site_id == site.id)) or 0
    notices = list(session.scalars(select(SiteNotice).where(SiteNotice.site_id == site.id)
                                   .order_by(SiteNotice.on.desc())))
    sims = [{"serial": i.serial, "state": i.state, "return_to": i.return_to, "due_on": i.return_due_on,
             "returned_on": i.returned_on, "clause": (i.return_terms or {}).get("clause", "")}
            for i in sim_items(session, pack) if i.return_to == "manufacturer"]
    return SiteStatus(state, why[1] if why else "", clause, count, record_cap(pack), notices, sims,
                      pack.variant)


def sim_items(session: Session, pack: Pack) -> list:
    """The pack's transmission module and SIM card in the equipment inventory."""
    return [item for kind in equipment_rules.LENT_WITH_THE_SIM
            for item in equipment.list_items(session, customer_id=pack.customer_id, kind=kind, limit=10_000)
            if item.subscription_id == pack.subscription_id]


def sync_refusal_of(session: Session, pack: Pack, day: date) -> tuple[str, str] | None:
    """(reason code, message) when the platform no longer synchronises this site."""
    subscription = contracts.get_subscription(session, pack.subscription_id)
    return sync_refusal(session, subscription.id, subscription.status, pack.service_start, pack.service_end, day)


def sync_refusal(session: Session | Connection, subscription_id: int, status: str, service_start: date | None,
                 service_end: date | None, day: date) -> tuple[str, str] | None:
    """(reason code, message) when the platform no longer synchronises a site: its service
    period has ended, or its pack is suspended (with the reason given by the operator), each
    with the sheet's clause. Reads nothing unless the site is refused (devices poll often)."""
    state = rules.service_state(service_start, service_end, day)
    suspended = status == contract_statuses.SubscriptionStatus.SUSPENDED
    if state.state != "ended" and not suspended:
        return None
    service_months, suspension = _refusal_terms(session, subscription_id)
    reason = (contract_facts.suspension_reasons(session, [subscription_id]).get(subscription_id, "")
              if suspended and state.state != "ended" else "")
    return rules.sync_refusal(state, suspended, service_months, suspension, reason)


def _refusal_terms(session: Session | Connection, subscription_id: int) -> tuple[Sourced | None, Sourced | None]:
    """The sheet's months of service and its suspension clause, for a pack's subscription. A
    family's own usage flags replace the sheet's general ones: the clause may be in either."""
    if not isinstance(session, Session):        # a device's poll reads on a plain connection
        with Session(bind=session) as orm:
            return _refusal_terms(orm, subscription_id)
    signed = contract_facts.sheet_references(session, [subscription_id])[subscription_id]
    sheet = terms_service.get_sheet(session, signed.sheet_id, signed.sheet_version)
    terms = sheet.terms_for(signed.family)
    suspension = next((usage.flags.suspension_on_breach for usage in (terms.usage, sheet.general.usage)
                       if usage is not None and usage.flags.suspension_on_breach is not None), None)
    return terms.pack.service_months if terms.pack else None, suspension


def list_packs(session: Session) -> list[tuple[Pack, AccessSite]]:
    return list(session.execute(select(Pack, AccessSite).join(AccessSite, AccessSite.pack_id == Pack.id)
                                .order_by(Pack.service_end.is_(None), Pack.service_end, Pack.id)))


def get_pack(session: Session, pack_id: int) -> tuple[Pack, AccessSite]:
    pack = get_or_not_found(session, Pack, pack_id, resource="pack")
    return pack, session.scalar(select(AccessSite).where(AccessSite.pack_id == pack.id))


def new_activation_code(session: Session, clock: Clock, actor: Actor, pack_id: int) -> str:
    """A fresh code for an administrator who lost theirs (the previous one stops working)."""
    staff_writer(actor, "issue activation codes")
    pack = get_or_not_found(session, Pack, pack_id, resource="pack")
    if pack.activated_on is not None:
        raise Conflict(f"pack: already activated on {pack.activated_on.isoformat()}",
                       code=rules.Refused.pack_already_activated)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    pack.activation_code_hash = secret_digest(code)
    record(session, clock, actor, "access.pack.code", pack, msg("new activation code issued"))
    return code


def suspend_pack(session: Session, clock: Clock, actor: Actor, pack_id: int, reason: str) -> Pack:
    """The operator suspends the pack's associated services for a breach of the conditions of
    installation, use or resale (CP A art. 3 L279-285): its devices are no longer synchronised
    and refuse the app's door opening with the reason ``suspended``; the portal says why."""
    staff_writer(actor, "suspend packs")
    pack, site = get_pack(session, pack_id)
    reason = reason.strip()
    if not reason:
        raise InvalidInput.on("reason", "say why the services are suspended (shown to the administrator)",
                              code=rules.Refused.pack_suspension_reason_missing)
    contracts.change_status(session, clock, actor, pack.subscription_id, "suspend", clock.today(), reason)
    record(session, clock, actor, "access.pack.suspend", pack, msg("{site}: services suspended — {reason}",
                                                                   site=site.name, reason=reason),
           {"reason": reason})
    return pack


def resume_pack(session: Session, clock: Clock, actor: Actor, pack_id: int, reason: str = "") -> Pack:
    """The services resume: devices synchronise again at their next poll."""
    staff_writer(actor, "resume packs")
    pack, site = get_pack(session, pack_id)
    contracts.change_status(session, clock, actor, pack.subscription_id, "resume", clock.today(), reason.strip())
    record(session, clock, actor, "access.pack.resume", pack,
           msg("{site}: services resumed — {reason}" if reason.strip()
               else "{site}: services resumed", site=site.name, reason=reason.strip()),
           {"reason": reason.strip()} if reason.strip() else None)
    return pack


def pack_status(session: Session, pack: Pack) -> str:
    """The pack's subscription status (active, suspended…)."""
    return contracts.get_subscription(session, pack.subscription_id).status

