"""The contract page: a change quoted (what-if) then confirmed (issue 19)."""

from __future__ import annotations

import html

from tests.contracts.changes import centrex_with_ten_seats
from tests.conftest import csrf_of


def test_seats_quoted_then_confirmed_from_the_contract_page(staff_client, clean_engine, clock,
                                                           actor):
    """CGV art. 7.4 L206-212: two hosted-telephony users added on 2026-10-15 re-commit the
    service to 2029-10-14; 2 × 20,00 € of access fees."""
    ref = centrex_with_ten_seats(clean_engine, clock)
    page = staff_client.get(f"/contracts/{ref}").text
    form = {"on": "2026-10-15", "action": "add", "offer": "centrex_user", "quantity": "2",
            "csrf_token": csrf_of(page)}
    french = html.unescape(staff_client.post(f"/contracts/{ref}/change-quote", data=form).text)
    assert "Frais d'accès : Centrex_User" in french and "Access fees" not in french
    staff_client.get("/lang/en")
    quote = html.unescape(staff_client.post(f"/contracts/{ref}/change-quote", data=form).text)
    assert "New commitment end: <strong>14 Oct 2029</strong> (36 months, CGV art. 7.4 (L206-212))" \
        in quote
    assert "Access fees: Centrex_User" in quote and "Confirm the change" in quote
    confirmed = staff_client.post(f"/contracts/{ref}/changes", data=form, follow_redirects=False)
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/contracts/{ref}?changed={ref}-C001&on=2026-10-15"
    after = staff_client.get(confirmed.headers["location"]).text
    assert f"{ref}-C001" in after and "<td>12</td>" in after
    refused = staff_client.post(f"/contracts/{ref}/changes", data={**form, "quantity": "x"},
                                follow_redirects=False)
    assert "change_error=quantity" in refused.headers["location"]
