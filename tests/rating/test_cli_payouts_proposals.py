"""``clausier usage payouts`` and ``clausier usage proposals`` (issue 18 §7): what only the API
showed, from the command line, with --json and a JSON refusal (exit code 2)."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.db.session import transaction
from clausier.rating.cdr import service as cdr_service
from clausier.rating.month import service as month_service
from clausier.rating.price import service as price_service
from clausier.rating.sva import service as sva_service
from tests.rating.conftest import csv_row, write_csv

runner = CliRunner()


def usage(*args: str):
    return runner.invoke(app, ["usage", *args, "--json"])


def test_premium_number_payouts_listed_and_shown(session, clock, actor, subscribe, store, tmp_path,
                                                 engine, db_url, monkeypatch):
    """CP XII §12 L10090-10094: a payout is claimable 60 business days after the call; two calls
    of 5 minutes at 0.60 €/min pay 3.00 € each."""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    number = subscribe("sva", "0891000000")
    number_id, ref = number.id, number.ref
    prices = tmp_path / "number.yaml"
    prices.write_text(f"scope: subscription:{ref}\nsource: number tariff\nprice_basis: HT\n"
                      "valid_from: 2026-01-01\ntariffs:\n"
                      "  - {destination: sva_payout, kind: voice, price: '0.60'}\n"
                      "  - {destination: sva_caller, kind: voice, price: '0.80', price_basis: TTC}\n",
                      encoding="utf-8")
    price_service.load_price_list(session, clock, actor, prices)
    rows = [csv_row(f"S{i}", "0891000000", direction="in", calling=f"014500000{i}",
                    called="0891000000", duration="300", start=f"2026-09-{day}T10:00:00+02:00")
            for i, day in ((1, "08"), (2, "10"))]
    cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", rows), store)
    month_service.rate(session, clock, actor, "2026-09", store)
    number_id, ref = number.id, ref
    session.commit()          # the command reads through its own connection

    listed = usage("payouts")
    assert listed.exit_code == 0, listed.output
    [unclaimed] = json.loads(listed.output)["unclaimed"]
    assert (unclaimed["subscription"], unclaimed["days"], unclaimed["calls"], unclaimed["amount"]) == (
        ref, 2, 2, "6.00")
    # 3 December 2026: 8 September is 61 business days back, 10 September 59
    shown = json.loads(usage("payouts", ref, "--today", "2026-12-03").output)
    assert shown["days"] == ["2026-09-08"] and shown["claimable"]["total"] == "3.00"
    assert shown["claims"] == []

    with transaction(engine) as s:
        sva_service.claim_payouts(s, clock, actor, number_id, date(2026, 12, 3))
    [claim] = json.loads(usage("payouts", ref, "--today", "2026-12-03").output)["claims"]
    assert (claim["amount"], claim["requested_on"]) == ("3.00", "2026-12-03")
    assert (claim["standing"]["payable"], claim["standing"]["amount_final"]) == (True, False)
    # CP XII §12 L10110-10112: a year to invoice, then the amount is final, still payable
    # (reading T-SVA-PAYOUT-FINAL)
    [late] = json.loads(usage("payouts", ref, "--today", "2027-12-04").output)["claims"]
    assert (late["standing"]["payable"], late["standing"]["amount_final"]) == (True, True)
    table = runner.invoke(app, ["usage", "payouts"])
    assert table.exit_code == 0 and "Payout claims" in table.output

    refused = usage("payouts", "NO-SUCH-NUMBER")
    assert refused.exit_code == 2
    assert json.loads(refused.output)["refused"] is True and "NO-SUCH-NUMBER" in refused.output


def test_penalty_proposals_listed_and_shown(session, clock, actor, subscribe, store, tmp_path,
                                            db_url, monkeypatch):
    """SIP trunk CP IV §10.3 L3617-3621: a robot calling from the trunk is proposed the 2 000 €
    penalty plus the calls (50 × 0.02 € at the test price list)."""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    subscribe("sip_trunk", "0247000002", unit="channel", quantity=2)
    rows = [csv_row(f"R{i}", "0247000002", calling="0612345678", traffic="automated",
                    start=f"2026-10-06T10:{i // 60:02d}:{i % 60:02d}+02:00") for i in range(50)]
    cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", rows), store)
    month_service.rate(session, clock, actor, "2026-10", store)
    session.commit()

    listed = usage("proposals", "--status", "proposed")
    assert listed.exit_code == 0, listed.output
    [proposal] = json.loads(listed.output)
    assert (proposal["amount"], proposal["status"]) == ("2001.00", "proposed")
    shown = json.loads(usage("proposals", str(proposal["id"])).output)
    assert shown["explanation"]["lines"][0]["clause"] == "CP IV §10.3 (L3617-3618)"
    assert json.loads(usage("proposals", "--status", "confirmed").output) == []
    table = runner.invoke(app, ["usage", "proposals", str(proposal["id"])])
    assert table.exit_code == 0 and "CP IV §10.3" in table.output

    refused = usage("proposals", "999999")
    assert refused.exit_code == 2
    assert json.loads(refused.output) == {"refused": True, "type": "about:blank", "title": "Not found",
                                          "status": 404, "detail": "proposal: no penalty proposal 999999",
                                          "code": "penalty_proposal_not_found"}
