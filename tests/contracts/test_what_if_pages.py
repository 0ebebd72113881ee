"""What-ifs on the pages never write (issue 18 §7): the contract page on another date, the exit
quote and the change quote of the back office, the exit quote of the portal."""

from __future__ import annotations


from tests.conftest import csrf_of, log_in
from tests.contracts.changes import centrex_with_ten_seats
from tests.security.world import PASSWORD, World, browser, world, world_app  # noqa: F401
from tests.snapshot import snapshot


def test_the_back_office_what_ifs_write_nothing(staff_client, clean_engine, clock):
    ref = centrex_with_ten_seats(clean_engine, clock)
    page = staff_client.get(f"/contracts/{ref}").text
    token = csrf_of(page)
    before = snapshot(clean_engine)
    assert staff_client.get(f"/contracts/{ref}", params={"on": "2027-08-31"}).status_code == 200
    quoted = staff_client.post(f"/contracts/{ref}/quote", data={
        "received": "2027-08-31", "reason": "", "csrf_token": token})
    assert quoted.status_code == 200 and 'class="explained"' in quoted.text
    changed = staff_client.post(f"/contracts/{ref}/change-quote", data={
        "on": "2026-10-15", "action": "add", "offer": "centrex_user", "quantity": "2",
        "csrf_token": token})
    assert changed.status_code == 200 and 'class="explained"' in changed.text
    assert snapshot(clean_engine) == before


def test_the_portal_exit_quote_writes_nothing(world: World, browser, engine):
    assert log_in(browser, world.user_a_email, PASSWORD).status_code == 303
    ref = world.own.rows["subscriptions"][0]["ref"]
    page = browser.get(f"/portal/contracts/{ref}").text
    before = snapshot(engine)
    quoted = browser.post(f"/portal/contracts/{ref}/quote", data={
        "received": "2027-03-31", "reason": "", "csrf_token": csrf_of(page)},
        headers={"HX-Request": "true"})
    assert quoted.status_code == 200 and 'class="explained"' in quoted.text
    assert snapshot(engine) == before
