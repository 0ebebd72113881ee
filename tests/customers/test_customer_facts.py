"""customers.facts: one reader per job. ``customers`` reads a bill run's dense batch of ids by
one range and scattered ids by IN lists, the same facts either way; ``customer_ids`` narrows
an operator's ids to a partition's range; ``sites_of`` carries the central site and address
the invoices name."""

from __future__ import annotations

from clausier.audit.service import Actor
from clausier.customers import facts
from tests import factories

ACTOR = Actor(name="test@clausier.local")


def _five_customers(session, clock) -> list[int]:
    ozone = factories.operator(session, clock, ACTOR, "ozone")
    rozoh = factories.operator(session, clock, ACTOR, "rozoh")
    ids = []
    for n in range(5):
        ids.append(factories.customer(session, clock, ozone, f"Client {n}").id)
        factories.customer(session, clock, rozoh, f"Autre {n}")      # interleaved ids
    return ids


def test_dense_and_scattered_ids_read_the_same_customers(session, clock):
    ids = _five_customers(session, clock)
    every = facts.customers(session, ids)
    assert [every[i].name for i in ids] == [f"Client {n}" for n in range(5)]
    scattered = facts.customers(session, [ids[0], ids[4], 10**9])
    assert scattered == {ids[0]: every[ids[0]], ids[4]: every[ids[4]]}
    assert (every[ids[0]].kind, every[ids[0]].category, every[ids[0]].country) == (
        "company", "tertiary", "FR")


def test_customer_ids_of_an_operator_within_a_partition(session, clock):
    ids = _five_customers(session, clock)
    operator_id = facts.customers(session, ids)[ids[0]].operator_id
    assert facts.customer_ids(session, operator_id=operator_id) == ids
    assert facts.customer_ids(session, operator_id=operator_id, first=ids[1], last=ids[3]) == ids[1:4]


def test_sites_of_carry_the_central_site(session, clock):
    ids = _five_customers(session, clock)
    [site] = facts.sites_of(session, ids)[ids[2]]
    assert (site.customer_id, site.name) == (ids[2], "Siège")
    assert facts.sites(session, [site.id]) == {site.id: site}
