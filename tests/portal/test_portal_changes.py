"""A change asked for on the portal: quoted for the customer, confirmed by staff (issue 19)."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from clausier.contracts import service as contracts
from clausier.contracts.models import ChangeOrder
from clausier.db.session import transaction
from tests.conftest import csrf_of, log_in
from tests.security.world import PASSWORD, World, browser, world, world_app  # noqa: F401


def test_the_customer_requests_a_change_and_nothing_changes_until_confirmed(world: World,
                                                                           browser, engine):
    client = browser
    assert log_in(client, world.user_a_email, PASSWORD).status_code == 303
    ref = world.own.rows["subscriptions"][0]["ref"]
    page = client.get(f"/portal/contracts/{ref}").text
    offer = re.search(r'<select id="change-offer" name="offer">\s*<option value="([^"]+)"',
                      page).group(1)
    asked = client.post(f"/portal/contracts/{ref}/changes", follow_redirects=False, data={
        "on": "2026-12-01", "action": "add", "offer": offer, "quantity": "1",
        "csrf_token": csrf_of(page)})
    assert asked.status_code == 303, asked.text
    shown = client.get(f"/portal/contracts/{ref}").text
    assert f"{ref}-C001" in shown and "en attente de confirmation" in shown
    with transaction(engine) as s:
        order = s.scalar(select(ChangeOrder).where(ChangeOrder.ref == f"{ref}-C001"))
        assert order.status == "requested" and order.quote["monthly"]["lines"]
        subscription = contracts.get_subscription(s, ref)
        assert all(item.active_until is None or item.offer_code != offer
                   for item in subscription.items)
        quoted = order.quote
    # The quote is shown line by line, each with its clause (the contract page's own block).
    page_text = html.unescape(shown)
    assert "Devis de la modification" in page_text
    quote_block = page_text[page_text.index("Devis de la modification"):]
    for line in quoted["monthly"]["lines"] + quoted["one_off"]["lines"]:
        clause = line["clause"]
        if clause.startswith("order / price list ("):
            # the price comes from the order's price list: its offer code marked as an identifier
            assert f'(<code>{clause[20:-1]}</code>)</td>' in quote_block
        else:
            assert f'<td class="clause">{clause}</td>' in quote_block
    assert quoted["recommit_clause"] and quoted["recommit_clause"] in quote_block
    bad = client.post(f"/portal/contracts/{ref}/changes", data={
        "on": "2026-12-01", "action": "add", "offer": offer, "quantity": "many",
        "csrf_token": csrf_of(page)})
    assert "quantity" in bad.text
