"""A customer user of the portal finds, from the navigation, the equipment it must send back: the
demo's CinéTime box of OZO-000001 (option ended ten days before the Sunday of the demo's
week), due within 10 days, else 80 € TTC (CPV CinéTime art. 8, L1080-1082) — in English, then in French, with
screenshots."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import log_in, shot

OZONE_CUSTOMER = ("client.ozo@clausier.local", "clausier-client")      # portal/demo.py, English


def test_a_customer_user_reads_its_equipment_to_return(page):
    log_in(page, *OZONE_CUSTOMER)
    page.get_by_role("link", name="Equipment to return").click()
    expect(page.locator("h1")).to_have_text("Equipment to return")
    row = page.locator("tbody tr", has_text="DEMO-VF-0001")
    expect(row).to_have_count(1)
    text = row.inner_text()
    assert "29 Nov 2026" in text, text      # ended 19 November (the demo week's Sunday − 10 days)
    assert "80.00" in text and "TTC" in text and "CPV CinéTime art. 8" in text, text
    assert "Poilley" in text, text
    assert_accessible(page)
    shot(page, "portal-equipment-en")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("h1")).to_have_text("Équipements à restituer")   # waits for the new page
    french = page.locator("tbody tr", has_text="DEMO-VF-0001").inner_text()
    assert "29/11/2026" in french and "80,00" in french, french
    assert_accessible(page)
    shot(page, "portal-equipment-fr")
