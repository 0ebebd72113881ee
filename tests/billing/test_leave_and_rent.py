"""A price change's right to leave read by the exit quote; rented equipment billed by the bill run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from clausier.billing import service
from clausier.billing.charges import pending_charges
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from tests import factories


def test_the_exit_quote_waives_the_fees_within_the_window_a_price_change_opened(
        session, clock, actor, tec, business):
    """CGV art. 9.2 L298-302: after 30 days' notice of a price change the client may terminate,
    without fees until the change is deemed accepted (30 days); art. 9.3: not for a regulatory
    pass-through."""
    [trunk] = factories.subscription(session, clock, actor, business,
                                     [LineInput(business.sites[0].id, "sip-10")],
                                     signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 1))
    before = contracts.quote_termination(session, trunk.id, date(2026, 11, 20))
    assert before.one_off.total > 0 and before.exempted_by is None       # fees of the commitment
    service.announce_price_change(session, clock, actor, "technicophone", "regulatory",
                                  date(2026, 12, 1), family="sip_trunk", announced_on=date(2026, 11, 1))
    assert contracts.quote_termination(session, trunk.id, date(2026, 11, 20)).one_off.total == before.one_off.total
    service.announce_price_change(session, clock, actor, "technicophone", "general", date(2026, 12, 1),
                                  family="sip_trunk", percent=D("3"), announced_on=date(2026, 11, 1))
    within = contracts.quote_termination(session, trunk.id, date(2026, 11, 20))
    assert (within.one_off.total, within.exempted_by) == (D("0.00"), "price_change")
    [waiver] = within.one_off.lines
    assert waiver.clause == "CGV art. 9.2 (L299-301)"
    assert "until 2026-12-01" in waiver.formula
    late = contracts.quote_termination(session, trunk.id, date(2026, 12, 2))   # deemed accepted
    assert late.one_off.total > 0 and late.exempted_by is None
    # The recorded letter bills nothing on the next invoice.
    contracts.give_notice(session, clock, actor, trunk.id, date(2026, 11, 20))
    session.flush()
    assert not [c for c in pending_charges(session, business.id) if c.source == "termination"]


def test_ozone_leaves_four_months_after_the_change_applies(session, clock, actor, ozone):
    """OZONE CGV art. 7.4 L203: changes notified a month ahead; the client may terminate without
    penalty up to 4 months after they apply."""
    household = factories.customer(session, clock, ozone, "M. Lefort", kind="household",
                                   employees=None, sites=(("Domicile", "50"),))
    [pack] = factories.subscription(session, clock, actor, household,
                                    [LineInput(household.sites[0].id, "pack-fibre")],
                                    signed_on=date(2026, 6, 1), go_live_on=date(2026, 6, 10),
                                    channel="distance")
    change = service.announce_price_change(session, clock, actor, "ozone", "general", date(2026, 12, 15),
                                           family="pack", percent=D("5"), announced_on=date(2026, 11, 1))
    [notice] = change.notices
    assert (notice.leave_until, notice.leave_clause) == (date(2027, 4, 15), "CGV art. 7.4 (L203)")
    within = contracts.quote_termination(session, pack.id, date(2027, 4, 10))
    assert (within.one_off.total, within.exempted_by) == (D("0.00"), "price_change")
    assert within.one_off.lines[0].clause == "CGV art. 7.4 (L203)"
    late = contracts.quote_termination(session, pack.id, date(2027, 4, 16))
    assert late.exempted_by is None
