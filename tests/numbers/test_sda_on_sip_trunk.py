"""SDA blocks on a SIP trunk (issue 19): the trunk's schedule (CP IV) sets no block size, the
price list sells blocks of 10 for it; an SDA order is a change order (CGV art. 7.4)."""

from __future__ import annotations

from datetime import date

import pytest

from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.core.errors import InvalidInput, RuleRefusal
from clausier.numbers import rules, service
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from tests import factories


@pytest.fixture
def trunk(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "sip_trunk_10", "sip_trunk", "90.00", unit="trunk")
    factories.offer(session, op, "sip_sda_block_10", "sip_trunk", "5.00", unit="sda_block",
                    kind="option", numbers=10)
    customer = factories.customer(session, clock, op, sites=(("Tours", "02"),))
    return factories.subscription(session, clock, actor, customer,
                                  [LineInput(factories.site_id(customer), "sip_trunk_10")],
                                  signed_on=date(2025, 1, 6), go_live_on=date(2025, 1, 20))[0]


def test_the_trunk_schedule_alone_sells_no_sda_blocks():
    terms = load_sheet(BUILT_IN_DIR / "technicophone").terms_for("sip_trunk")
    with pytest.raises(RuleRefusal, match="sda: neither the sheet nor the price list"):
        rules.sda_block("0247660100", 10, terms)


def test_sda_on_a_sip_trunk_by_the_blocks_the_price_list_sells(session, clock, actor, trunk):
    """CGV art. 7.4 L206-212: « ajout/suppression de SDA » re-commits the trunk for 36 months."""
    with pytest.raises(InvalidInput, match=r"count: SDA are ordered by blocks of 10; 15 .*"
                                           r"price list \(sip_sda_block_10\)"):
        service.order_sda(session, clock, actor, trunk.id, "0247660100", 15, date(2026, 2, 2))
    rows = service.order_sda(session, clock, actor, trunk.id, "0247660100", 20, date(2026, 2, 2))
    assert len(rows) == 20 and rows[-1].number == "0247660119"
    in_force = [(i.offer_code, i.quantity) for i in contracts.items_in_force(trunk,
                                                                             date(2026, 2, 2))]
    assert in_force == [("sip_trunk_10", 1), ("sip_sda_block_10", 2)]
    assert (trunk.recommitted_on, trunk.recommit_months) == (date(2026, 2, 2), 36)
    [order] = contracts.change_orders(session, trunk.ref)
    assert order.changes == [{"action": "add", "offer": "sip_sda_block_10", "quantity": 2}]
