from datetime import date
import time
from sqlalchemy import select
from clausier.billing import service, pdf
from clausier.billing.models import Invoice
from clausier.contracts.service import LineInput
from tests import factories

def test_smoke(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    op.address = "12 rue X, 37000 Tours"; op.vat_number = "FR12379341803"
    factories.offer(session, op, "vga-analogue", "vga", "20.00", unit="analogue_line", access_fee="50")
    factories.offer(session, op, "presel", "preselection", "10.00")
    cust = factories.customer(session, clock, op, sites=(("Siège", "37"), ("Tours", "37")))
    cust.siren = "552100554"; cust.billing_address = "1 place Y, 41000 Blois"
    factories.subscription(session, clock, actor, cust, [LineInput(cust.sites[1].id, "vga-analogue", 3),
        LineInput(cust.sites[0].id, "presel")], signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 15))
    service.bill_period(session, clock, actor, "2026-11", "technicophone")
    inv = session.scalar(select(Invoice))
    t = time.time()
    data = pdf.invoice_pdf(inv)
    print("pdf secs", time.time() - t, len(data))
    open("/tmp/inv.pdf", "wb").write(data)
    note = service.credit_note(session, clock, actor, inv.number, "test", amount="10")
    session.flush()
    open("/tmp/cn.pdf", "wb").write(pdf.invoice_pdf(note, inv))
