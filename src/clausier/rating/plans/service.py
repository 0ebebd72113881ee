"""The rating plan of each subscription, read in bulk (the contracts room's subscriptions and
items, the catalogue's offers, the price lists of their scopes), and the numbers the operators
of contact centres manage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog import facts as catalog_facts
from clausier.contracts import facts as contracts_facts
from clausier.contracts import service as contracts
from clausier.rating.classify import rules as classify_rules
from clausier.rating.models import UsageTariff
from clausier.rating.numbering import rules as nb
from clausier.rating.plans import rules
from clausier.rating.price import rules as price_rules
from clausier.rating.rows import chunks
from clausier.terms.schema import Usage


def _scopes(subscription, items, operator_codes: dict[int, str]) -> list[str]:
    """Price-list scopes of a subscription, widest first."""
    return ([f"operator:{operator_codes[subscription.operator_id]}"]
            + [f"offer:{item.offer_code}" for item in items]
            + [f"subscription:{subscription.ref}"])


def plans_of(session: Session, subscription_ids: Iterable[int]) -> tuple[list[rules.Plan], dict]:
    """The rating plan of each subscription (sheet usage block of its signed version, offer
    bundle and units, price list) and the merged price lists by key."""
    # Plain values, not ORM objects: a month may concern tens of thousands of subscriptions.
    subscriptions = list(contracts_facts.subscription_outlines(session, subscription_ids).values())
    items_of = contracts_facts.subscribed_items(session, subscription_ids)
    terms_cache: dict[tuple, Usage] = {}
    attributes_of = catalog_facts.offer_rating_attributes(
        session, {item.offer_id for items in items_of.values() for item in items})
    operator_codes = catalog_facts.operator_codes(session)
    scopes_of = {sub.id: _scopes(sub, items_of.get(sub.id, []), operator_codes) for sub in subscriptions}
    wanted = sorted({scope for scopes in scopes_of.values() for scope in scopes})
    scoped: dict[str, list[UsageTariff]] = {}
    for chunk in chunks(wanted):
        for row in session.scalars(select(UsageTariff).where(UsageTariff.scope.in_(chunk))
                                   .order_by(UsageTariff.id)):
            scoped.setdefault(row.scope, []).append(row)
    plans, tariffs = [], {}
    for sub in subscriptions:
        key = (sub.sheet_id, sub.sheet_version, sub.family)
        if key not in terms_cache:
            try:
                terms_cache[key] = contracts.terms_of(session, sub).usage or Usage()
            except KeyError:
                terms_cache[key] = Usage()
        units: Counter[str] = Counter()
        bundle, lines_managed = None, True
        items = items_of.get(sub.id, [])
        for item in sorted(items, key=lambda i: i.is_option):
            attributes = attributes_of[item.offer_id]
            if not item.is_option:      # a per-line option (Télétaxe) is not one more line
                units[item.unit] += item.quantity
            for unit, per_item in (("channel", attributes.channels), ("user", attributes.users),
                                   ("pack", attributes.packs)):
                if per_item:
                    units[unit] += per_item * item.quantity
            if bundle is None and (offered := rules.Bundle.of(attributes)).includes_anything:
                bundle = offered
            lines_managed = lines_managed and attributes.lines_managed
        scopes = [scope for scope in scopes_of[sub.id] if scope in scoped]
        tariff_key = "|".join(scopes)
        if tariff_key not in tariffs:
            merged: dict[tuple[str, str], list[price_rules.Tariff]] = {}
            for scope in scopes:        # narrower scopes come later and replace wider ones
                lines: dict[tuple[str, str], list[price_rules.Tariff]] = {}
                for row in scoped[scope]:
                    lines.setdefault((row.destination, row.kind), []).append(price_rules.Tariff(
                        row.destination, row.kind, row.price, row.setup, row.increment,
                        row.price_basis, row.valid_from,
                        f"{row.source}{' (demo)' if row.demo else ''}"))
                merged.update(lines)
            tariffs[tariff_key] = [t for chain in merged.values() for t in chain]
        plans.append(rules.Plan(
            subscription_id=sub.id, customer_id=sub.customer_id, family=sub.family,
            identifier=sub.service_identifier or "", usage=terms_cache[key],
            bundle=bundle or rules.Bundle(), units=dict(units), tariff_key=tariff_key,
            price_basis=items[0].price_basis if items else "HT", lines_managed=lines_managed,
            operator_id=sub.operator_id))
    return plans, tariffs


def managed_numbers(session: Session, plans: Sequence[rules.Plan],
                    known: dict[int, set[str]]) -> set[str] | None:
    """The numbers the operators of contact-centre plans manage (their subscriptions' service
    identifiers, normalised), or None when no plan is a contact centre. ``known`` caches them
    per operator."""
    operators = {p.operator_id for p in plans if classify_rules.pools_cx_minutes(p)}
    if not operators:
        return None
    missing = operators - known.keys()
    for operator_id, identifiers in contracts_facts.service_identifiers_by_operator(
            session, missing).items():
        known[operator_id] = set(pl.Series("n", identifiers, pl.String).to_frame()
                                 .select(nb.normalise(pl.col("n")))["n"].to_list())
    return set().union(*(known[o] for o in operators))
