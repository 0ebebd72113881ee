"""The portal's list of a customer's invoices is cut by PostgreSQL through the index on the
customer's invoices in id order (``ix_invoices_customer_listing``), whatever the table's size:
not every invoice of the customer read, drafts dropped in Python."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, text
from tests import factories

from clausier.billing.models import Invoice
from clausier.portal import service as portal

CUSTOMERS, MONTHS, PAGE = 200, 30, 10


def _month(m: int) -> str:
    return f"{2000 + m // 12}-{m % 12 + 1:02d}"


def _invoices(session, clock, actor) -> int:
    """Invoices of many customers, a draft among each one's; the id of one customer."""
    op = factories.operator(session, clock, actor, "technicophone")
    customers = [factories.customer(session, clock, op, f"Client {n}") for n in range(CUSTOMERS)]
    rows = [dict(kind="invoice", operator_id=op.id, customer_id=c.id, series="TEC",
                 number=None if m == MONTHS - 1 else f"TEC-{c.id}-{m}",
                 status="draft" if m == MONTHS - 1 else "issued",
                 period=_month(m), period_start=date(2000 + m // 12, m % 12 + 1, 1),
                 period_end=date(2000 + m // 12, m % 12 + 1, 28), price_basis="HT",
                 total_ht=Decimal("10"),
                 total_vat=Decimal("2"), total_ttc=Decimal("12"), vat_breakdown=[], seller={},
                 buyer={}, mentions=[], created_at=clock.now())
            for m in range(MONTHS) for c in customers]
    session.execute(insert(Invoice), rows)
    session.execute(text("ANALYZE invoices"))
    return customers[CUSTOMERS // 2].id


def test_the_portal_list_of_a_customer_uses_the_customers_invoice_index(session, clock, actor):
    if session.bind.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's (CLAUSIER_TEST_DB=postgresql)")
    customer_id = _invoices(session, clock, actor)
    # With a few dozen invoices a customer, reading them all and sorting costs the planner about
    # as much as the index (either is fast); asked for no sort, it shows what the index serves.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    connection = session.connection()
    queries: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, *_args) -> None:
        if "FROM invoices" in statement:
            queries.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", seen)
    try:
        listed = portal.invoices_of_customer(session, customer_id, limit=PAGE, offset=PAGE)
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    # The second page: the draft of the last month is no document of the customer's.
    assert [i.period for i in listed] == [_month(m) for m in range(MONTHS - 2 - PAGE,
                                                                  MONTHS - 2 - 2 * PAGE, -1)]
    [(statement, parameters)] = queries
    plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
    assert "Index Scan Backward using ix_invoices_customer_listing" in plan, plan
    assert "Index Cond: (customer_id = " in plan and "Sort" not in plan, plan
