"""Issue 18 §1: the readings that settle a flag, a list or a fallback of the seeds (broken
references, truncated sentences, missing figures) are applied by a rule, and each (reading, rule)
pair is proved here or by a scenario row (``scenarios/*.yaml``). Expected values come from the
seed clauses named in each test."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from clausier.contracts import rules as contracts
from clausier.contracts.rules import Facts, Item
from clausier.core.clock import PARIS
from clausier.core.errors import RuleRefusal
from clausier.equipment import rules as equipment
from clausier.privacy import rules as privacy
from clausier.rating.fair_use.rules import breaches_of
from clausier.rating.fraud.rules import _caller_rules, interruption_without_notice, penalty_clause
from clausier.rating.month.rules import rate_month
from clausier.rating.plans.rules import Bundle, Plan, telephony_clauses_apply
from clausier.rating.price.rules import Tariff, offnet_line
from clausier.rating.sva.rules import payout_claim_standing, payout_grid_missing, supplier_penalty
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.readings import reading_index
from clausier.terms.schema import Threshold
from tests.rating.conftest import DEMO_TARIFFS, T0, records

OZONE = load_sheet(BUILT_IN_DIR / "ozone")
TECHNICOPHONE = load_sheet(BUILT_IN_DIR / "technicophone")

# Each reading a seed defect or silence left to the code, the rule that applies it and the tests
# (here, or the scenario rule of ``test_delays``) that prove the pair.
PAIRS = {
    ("ozone", "OZ-EARLY-TERMINATION"): ("contracts.rules.quote_termination", "scenario:termination_effective"),
    ("ozone", "OZ-WITHDRAWAL-START"): ("contracts.rules.withdrawal", "scenario:withdrawal_deadline"),
    ("ozone", "OZ-ADSL-INELIGIBILITY-AMOUNT"): ("equipment.rules.return_terms",
                                                 "test_adsl_box_not_returned_after_ineligibility_is_billed_at_the_grid"),
    ("ozone", "OZ-AXA-TERRITORY"): ("contracts.rules.territory_refusal",
                                     "test_axa_assistance_is_for_metropolitan_france_andorra_and_monaco"),
    ("technicophone", "T-NOTICE-CHANNEL"): ("contracts.rules.notice_channel_refusal",
                                            "test_termination_notice_by_registered_letter_except_a_usage_fee_exit"),
    ("technicophone", "T-PRESEL-90-DAYS"): ("contracts.rules.preselection_elsewhere", "scenario:routing_last_day"),
    ("technicophone", "T-CENTREX-40H"): ("rating.fair_use.rules.breaches_of", "test_centrex_users_have_no_hours_per_channel_threshold"),
    ("technicophone", "T-SIP-INTERRUPTION-XREF"): ("rating.fraud.rules.interruption_without_notice",
                                                   "test_trunk_traffic_is_cut_without_notice_only_for_the_named_breaches"),
    ("technicophone", "T-CENTREX-PENALTY-XREF"): ("rating.fraud.rules.penalty_clause",
                                                  "test_centrex_automated_caller_id_breach_carries_the_10_3_penalties"),
    ("technicophone", "T-MAIL-TELEPHONY-CLAUSES"): ("rating.plans.rules.telephony_clauses_apply",
                                                    "test_hosted_mail_takes_no_telephony_clause"),
    ("technicophone", "T-MOB-BROKEN-XREF"): ("rating.fraud.rules.interruption_without_notice",
                                             "test_mobile_routing_cut_for_articles_4_5_and_territoriality"),
    ("technicophone", "T-MOB-M2M-TRUNCATED"): ("contracts.rules.identifier_refusal",
                                               "test_mobile_line_cannot_go_live_on_an_m2m_number"),
    ("technicophone", "T-MOB-MISSING-FIGURES"): ("rating.price.rules.data_volume_missing",
                                                 "test_mobile_data_beyond_a_volume_the_order_does_not_state_is_not_billed"),
    ("technicophone", "T-HOST-VARIANTS"): ("contracts.rules.management_mode",
                                           "test_hosting_is_provider_managed_unless_the_order_says_otherwise"),
    ("technicophone", "T-SVA-PAYOUT-FINAL"): ("rating.sva.rules.payout_claim_standing", "scenario:claim_standing"),
    ("technicophone", "T-SVA-TARIFF-AFTER-15"): ("rating.sva.rules.tariff_change_effective",
                                                 "scenario:tariff_change_effective"),
    ("technicophone", "T-SVA-FOURNISSEUR"): ("rating.sva.rules.supplier_penalty",
                                             "test_supplier_penalty_passed_on_at_its_amount_for_the_clients_number"),
    ("technicophone", "T-GDPR-BREACH-DELAY"): ("privacy.rules.breach_notice_timing",
                                               "test_breach_notice_records_its_delay_without_an_hour_limit"),
    ("technicophone", "T-D-MISSING-FIGURES"): ("rating.sva.rules.payout_grid_missing",
                                               "test_premium_payouts_need_the_grid_of_the_order"),
}
SHEETS = {"ozone": OZONE, "technicophone": TECHNICOPHONE}
# The other rules their ``applied_by`` names (use cases, and the rules that call the pure one),
# each with the test that runs it: "module:function".
CALLERS = {
    "contracts.service.accept_order": "tests.contracts.test_readings_in_service:"
                                      "test_axa_assistance_is_not_ordered_for_a_site_in_corsica",
    "contracts.service.give_notice": "tests.contracts.test_readings_in_service:"
                                     "test_a_termination_notice_by_e_mail_is_refused",
    "contracts.service.activate": "tests.contracts.test_readings_in_service:"
                                  "test_a_mobile_line_does_not_go_live_on_an_m2m_number",
    "contracts.service.management_of": "tests.contracts.test_readings_in_service:"
                                       "test_a_hosting_contract_shows_who_manages_its_machines",
    "rating.fraud.rules.alerts_from": "tests.terms.test_readings_applied:"
                                "test_trunk_traffic_is_cut_without_notice_only_for_the_named_breaches",
    "rating.price.rules.offnet_line": "tests.terms.test_readings_applied:test_hosted_mail_takes_no_telephony_clause",
    "rating.fraud.rules._caller_rules": "tests.terms.test_readings_applied:test_hosted_mail_takes_no_telephony_clause",
    # rate_month: the data note (T-MOB-MISSING-FIGURES) and the payout-grid note (T-D-MISSING-FIGURES,
    # test_premium_payouts_need_the_grid_of_the_order)
    "rating.month.rules.rate_month": "tests.terms.test_readings_applied:"
                               "test_mobile_data_beyond_a_volume_the_order_does_not_state_is_not_billed",
    "rating.sva.service.claim_standing": "tests.rating.test_cli_payouts_proposals:"
                                     "test_premium_number_payouts_listed_and_shown",
    "rating.sva.service.tariff_change_effective": "tests.rating.test_readings_in_service:"
                                              "test_tariff_change_date_from_the_command_line",
    "rating.sva.service.pass_on_supplier_penalty": "tests.rating.test_readings_in_service:"
                                               "test_supplier_penalty_is_proposed_at_its_amount",
    "privacy.service.notify_breach": "tests.privacy.test_processor:test_breach_log_and_notifications",
}


@pytest.mark.parametrize(("sheet_id", "reading"), sorted(PAIRS))
def test_each_pair_names_a_rule_the_index_finds_and_a_test_that_exists(sheet_id, reading):
    rule, proof = PAIRS[(sheet_id, reading)]
    assert rule in reading_index(SHEETS[sheet_id])[reading]
    if proof.startswith("scenario:"):
        from tests.terms.test_delays import RULES, TABLES
        from tests.terms.test_reading_index import SCENARIO_RULES, _cited_readings
        import yaml
        scenario = proof.removeprefix("scenario:")
        assert scenario in RULES and SCENARIO_RULES[scenario] == rule
        rows = [row for path in TABLES for row in yaml.safe_load(path.read_text(encoding="utf-8"))["scenarios"]
                if row["rule"] == scenario and reading in _cited_readings(row["seed"])]
        assert rows, f"no scenario row of {scenario} cites {reading}"
    else:
        assert callable(globals().get(proof)), proof


@pytest.mark.parametrize(("sheet_id", "reading"), sorted(PAIRS))
def test_every_rule_a_reading_names_has_its_test(sheet_id, reading):
    import importlib
    for rule in SHEETS[sheet_id].reading(reading).applied_by:
        if rule == PAIRS[(sheet_id, reading)][0]:
            continue
        module, _, name = CALLERS[rule].partition(":")
        assert callable(getattr(importlib.import_module(module), name)), (reading, rule)


def _facts(family: str, **values) -> Facts:
    return Facts(family=family, signed_on=values.pop("signed_on", date(2026, 1, 5)), commitment_months=12,
                 items=(Item("Line", "line", 1, Decimal("20")),), **values)


# --------------------------------------------------------------------------- Ozone

def test_a_sheet_opening_termination_only_at_month_12_refuses_earlier_letters():
    """CGV art. 4.2 L167 read alone (« à compter de la fin du douzième mois »): the rule refuses a
    letter before it; the Ozone sheet's reading OZ-EARLY-TERMINATION opens it from month 0."""
    general = OZONE.general
    literal = general.model_copy(update={"commitment": general.commitment.model_copy(update={
        "termination_allowed_from_month": general.commitment.termination_allowed_from_month.model_copy(
            update={"value": 12})})})
    started = _facts("internet", go_live_on=date(2026, 1, 5))
    with pytest.raises(RuleRefusal, match=r"from 2027-01-05 .*CGV art\. 11\.1 \(L301\), reading OZ-EARLY") as refused:
        contracts.quote_termination(started, literal, date(2026, 3, 16))
    # The refusal's code and clause: the sheet's termination_allowed_from_month (CGV art. 11.1 L301).
    assert (refused.value.code, refused.value.field, refused.value.clause) == (
        "termination_not_open_yet", "received", "CGV art. 11.1 (L301), reading OZ-EARLY-TERMINATION")
    assert contracts.quote_termination(started, general, date(2026, 3, 16)).effective_date == date(2026, 3, 26)


def test_ozone_mobile_withdrawal_runs_from_the_signature_of_the_mobile_schedule():
    """CPV Téléphonie mobile art. 2.2 L798 (« dès la date de commande ») defers to the CGV: the
    period runs from the signature (reading OZ-WITHDRAWAL-START), 14 calendar days."""
    mobile = OZONE.terms_for("mobile")
    decision = contracts.withdrawal(_facts("mobile", signed_on=date(2026, 7, 1), ordered_on=date(2026, 6, 20),
                                           customer_kind="household", status="ordered"),
                                    mobile, date(2026, 7, 15))
    assert decision.allowed and decision.deadline == date(2026, 7, 15)
    assert "CPV Téléphonie mobile art. 2.2 (L798), reading OZ-WITHDRAWAL-START" in decision.clause


def test_adsl_box_not_returned_after_ineligibility_is_billed_at_the_grid():
    """CPV ADSL art. 6 L547: 15 days to return the equipment after field ineligibility, « A défaut,
    le matériel sera facturé »; the amount is Annexe 2's 80 € TTC for a non-fibre box (L1231,
    reading OZ-ADSL-INELIGIBILITY-AMOUNT), even though the client owns the box (L549)."""
    box = equipment.ItemFacts("box_non_fibre", "ADSL-1", "sold", "customer", Decimal("149.00"))
    owed = equipment.return_terms(box, OZONE.terms_for("internet_adsl"), reason="ineligibility",
                                  effective_on=date(2026, 7, 1))
    assert owed.due_on == date(2026, 7, 16)
    assert owed.penalty.total == Decimal("80.00") and owed.basis == "TTC"
    assert owed.clause == ("CPV ADSL art. 6 (L547), reading OZ-ADSL-INELIGIBILITY-AMOUNT; Annexe 2 (L1231)")
    # CPV Fibre art. 7 L606 states its own amount: « la valeur mentionnée par le bulletin », in 10 days
    fibre = equipment.ItemFacts("box_fibre", "FIB-1", "loaned", "operator", Decimal("149.00"))
    owed = equipment.return_terms(fibre, OZONE.terms_for("internet_fibre"), reason="ineligibility",
                                  effective_on=date(2026, 7, 1))
    assert (owed.due_on, owed.penalty.total) == (date(2026, 7, 11), Decimal("149.00"))
    with pytest.raises(RuleRefusal, match="ineligibility"):
        equipment.return_terms(box, OZONE.terms_for("tv"), reason="ineligibility",
                               effective_on=date(2026, 7, 1))


@pytest.mark.parametrize(("country", "postcode", "refused"), [
    ("FR", "75011", None),
    ("FR", "29242", None),           # Ouessant: an island, but not Corsica
    ("MC", "98000", None),
    ("AD", "AD500", None),
    ("FR", "20000", "Corse"),
    ("FR", "97400", "DOM"),
    ("BE", "1000", "only in"),
])
def test_axa_assistance_is_for_metropolitan_france_andorra_and_monaco(country, postcode, refused):
    """CPV VIGILIANS art. 9 L1197 and Annexe 3 L1237: metropolitan France, Andorra and Monaco,
    « hors DOM et Corse »; the insurer's « hors îles » narrowed to Corsica (reading OZ-AXA-TERRITORY)."""
    reason = contracts.territory_refusal(OZONE.terms_for("home_assistance"), country, postcode)
    if refused is None:
        assert reason is None
    else:
        assert refused in reason and "CPV VIGILIANS art. 9 (L1197), reading OZ-AXA-TERRITORY" in reason
    assert contracts.territory_refusal(OZONE.terms_for("internet_fibre"), "FR", "20000") is None


# --------------------------------------------------------------------------- Technicophone

def test_termination_notice_by_registered_letter_except_a_usage_fee_exit():
    """CGV art. 4.2 L116-118: terminations « par courrier postal avec accusé de réception »; CP I
    §7.5 L1695-1697 lets the client leave on a refused usage-fee increase by a Notification of art.
    4.1, e-mail with acknowledgement included (reading T-NOTICE-CHANNEL)."""
    general, vga = TECHNICOPHONE.general, TECHNICOPHONE.terms_for("vga")
    assert contracts.notice_channel_refusal(general, "registered_letter") is None
    refused = contracts.notice_channel_refusal(general, "email")
    assert "CGV art. 4.2 (L116-118), reading T-NOTICE-CHANNEL" in refused
    assert "CP I §6.3 (L1636-1637), reading T-NOTICE-CHANNEL" in contracts.notice_channel_refusal(vga, "email")
    assert contracts.notice_channel_refusal(vga, "email", "usage_price_increase_refused") is None
    assert "CP I §7.5" in contracts.notice_channel_refusal(vga, "phone", "usage_price_increase_refused")


def test_preselection_elsewhere_is_a_notice_priced_by_the_schedule():
    """CP II §2.3 L1944-1952: the preselection counts as a termination notice received that day;
    §4.2 L2016-2019: three months' notice during which every fee is due, and the remaining months
    of the renewal period (§4.2 b) L2010-2013) at 100 %."""
    line = _facts("preselection", signed_on=date(2025, 1, 6), go_live_on=date(2025, 1, 6))
    last_routed, quote = contracts.preselection_elsewhere(line, TECHNICOPHONE.terms_for("preselection"),
                                                          date(2026, 3, 2))
    assert last_routed == date(2026, 5, 31)
    assert quote.received == date(2026, 3, 2) and quote.effective_date == date(2026, 6, 2)
    # 3 months of notice × 20 €, then 8 of the 11 months left to 5 January 2027 × 20 €
    assert [line.amount for line in quote.explained.lines] == [Decimal("60.00"), Decimal("160.00")]
    with pytest.raises(RuleRefusal, match="preselection"):
        contracts.preselection_elsewhere(_facts("vga", go_live_on=date(2025, 1, 6)),
                                         TECHNICOPHONE.terms_for("vga"), date(2026, 3, 2))


def _plan(family: str, *, units=None, bundle=None, identifier="0247000001", usage=None) -> Plan:
    return Plan(1, 1, family, identifier, usage or TECHNICOPHONE.terms_for(family).usage,
                bundle or Bundle(unlimited=True), units or {}, "demo")


FORTY_HOURS_PER_CHANNEL = Threshold.model_validate(
    {"metric": "call_hours", "limit": "40", "per": "channel", "window": "month",
     "consequence": "rerate_per_minute", "src": "CP V §8 L4235"})


def test_centrex_users_have_no_hours_per_channel_threshold():
    """CP V §8 L4235 says « n'appelle pas … plus de 40h par canal », the trunk's CP IV §8 L3418 rule
    upside down, in a per-user service without channels: no hours threshold for Centrex, even
    written in a sheet (reading T-CENTREX-40H); the trunk's 40 h per channel still applies."""
    centrex = TECHNICOPHONE.terms_for("centrex").usage
    with_hours = centrex.model_copy(update={"fair_use": [*centrex.fair_use, FORTY_HOURS_PER_CHANNEL]})
    measures = {"call_seconds": 45 * 3600, "call_hours": 45, "distinct_numbers": 10}
    assert breaches_of(_plan("centrex", units={"user": 1, "channel": 1}, usage=with_hours),
                       measures, []) == []
    trunk = breaches_of(_plan("sip_trunk", units={"channel": 1}), measures, [])
    assert [(b.metric, b.limit) for b in trunk] == [("call_hours", Decimal("40"))]


def test_trunk_traffic_is_cut_without_notice_only_for_the_named_breaches():
    """CP IV §10.2 L3599-3600 names 3.4.4, 8.1.4 and a broken reference: no cut without notice
    for unsolicited prospecting (8.1.5) on a trunk (reading T-SIP-INTERRUPTION-XREF), while
    Centrex §10.2 L4412-4420 names 8.1.5 itself."""
    trunk, centrex = TECHNICOPHONE.terms_for("sip_trunk").usage, TECHNICOPHONE.terms_for("centrex").usage
    assert interruption_without_notice(trunk, "unsolicited_prospecting") is None
    assert interruption_without_notice(trunk, "prohibited_caller_ids") == (
        "CP IV §10.2 (L3599-3600), reading T-SIP-INTERRUPTION-XREF")
    assert interruption_without_notice(centrex, "unsolicited_prospecting") == "CP V §10.2 (L4412-4420)"
    rows = [{"traffic": "platform", "calling": "0939512345"}]
    found = {a.kind: a for a in rate_month(records(rows), [_plan("sip_trunk", units={"channel": 2})],
                                                   DEMO_TARIFFS).alerts}["platform_caller_id"]
    assert found.evidence["interruption_without_notice"] == "CP IV §10.2 (L3599-3600), reading T-SIP-INTERRUPTION-XREF"


def test_centrex_automated_caller_id_breach_carries_the_10_3_penalties():
    """CP V §8.1.4.1 L4297-4304: an automated system may not present a mobile number, « pénalités
    prévues à l'article [broken] »; §10.3 L4423-4425 names 8.1.4, so its 2 000 € per calling number
    and 0,02 € per call apply (reading T-CENTREX-PENALTY-XREF)."""
    rows = [{"traffic": "automated", "calling": "0612345678", "called": f"0145{i:06d}",
             "start": T0 + timedelta(seconds=i)} for i in range(50)]
    found = {a.kind: a for a in rate_month(records(rows), [_plan("centrex", units={"user": 5})],
                                                   DEMO_TARIFFS).alerts}["automated_caller_id"]
    assert found.penalty.total == Decimal("2001.00")
    assert all("CP V §10.3 (L4423-4425), reading T-CENTREX-PENALTY-XREF" in line.clause
               for line in found.penalty.lines)
    centrex = TECHNICOPHONE.terms_for("centrex").usage
    triggers = centrex.lists.penalty_triggers.model_copy(update={"value": ["fraud_or_abuse"]})
    narrowed = centrex.model_copy(update={"lists": centrex.lists.model_copy(update={"penalty_triggers": triggers})})
    assert penalty_clause(narrowed, "prohibited_caller_ids") is None


def test_hosted_mail_takes_no_telephony_clause():
    """CP VI §6.4 L4881-4885 copies the +10 % surcharge beyond 5 % of off-net traffic and §8
    L4938-4950 the call filtering into the mail schedule: not applied to a service that carries
    no calls (reading T-MAIL-TELEPHONY-CLAUSES), even if a sheet wrote the figures; the trunk's
    §7.4 surcharge still applies."""
    mail = TECHNICOPHONE.terms_for("mail").usage
    trunk = TECHNICOPHONE.terms_for("sip_trunk").usage
    copied = mail.model_copy(update={
        "figures": mail.figures.model_copy(update={
            "offnet_share_threshold_percent": trunk.figures.offnet_share_threshold_percent,
            "offnet_surcharge_percent": trunk.figures.offnet_surcharge_percent}),
        "lists": mail.lists.model_copy(update={"caller_id_rewritten_forms": trunk.lists.caller_id_rewritten_forms})})
    assert not telephony_clauses_apply(mail)
    # 600 s of fixed calls, 60 s off-net (10 % > 5 %), 1.20 € of which 0.12 € off-net
    assert offnet_line(_plan("mail", usage=copied), 600, 60, 1_200_000, 120_000) is None
    assert offnet_line(_plan("sip_trunk"), 600, 60, 1_200_000, 120_000).amount == Decimal("0.01")
    assert _caller_rules(copied) == []


def test_mobile_routing_cut_for_articles_4_5_and_territoriality():
    """CP IX §11.2 L6809-6816: cut without notice for articles 4 and 5 and the numbering plan's
    territoriality « visés par l'article [broken] », read as article 9 (reading T-MOB-BROKEN-XREF);
    fraud in general (§11.3) carries penalties, not a cut without notice."""
    mobile = TECHNICOPHONE.terms_for("mobile").usage
    assert interruption_without_notice(mobile, "arcep_numbering_plan_breach") == (
        "CP IX §11.2 (L6809-6816), reading T-MOB-BROKEN-XREF")
    assert interruption_without_notice(mobile, "roaming_abuse") == "CP IX §11.2 (L6809-6812)"
    assert interruption_without_notice(mobile, "fraud_or_abuse") is None
    rows = [{"calling": "0145000001", "origin_country": "MA", "called": "0612345678"}]
    found = {a.kind: a for a in rate_month(records(rows), [_plan("mobile", identifier="0650000001")],
                                                   DEMO_TARIFFS).alerts}["origin_mismatch"]
    assert found.evidence["interruption_without_notice"] == "CP IX §11.2 (L6809-6816), reading T-MOB-BROKEN-XREF"


@pytest.mark.parametrize(("identifier", "refused"), [
    ("07 00 12 34 56 78 90", True),
    ("+33 7 00 12 34 56 78 90", True),
    ("07 12 34 56 78", False),
])
def test_mobile_line_cannot_go_live_on_an_m2m_number(identifier, refused):
    """CP IX §22 L7309-7311: the data service « n'est pas compatible avec les usages de type M2M …
    qui nécessitent l'attribution de numéros mobiles spécifiques » (ARCEP: 07 00 + 10 digits); the
    cut-off sentence adds nothing (reading T-MOB-M2M-TRUNCATED)."""
    reason = contracts.identifier_refusal(TECHNICOPHONE.terms_for("mobile"), identifier)
    assert (reason is not None) == refused
    if refused:
        assert "CP IX §22 (L7309-7311), reading T-MOB-M2M-TRUNCATED" in reason
    assert contracts.identifier_refusal(TECHNICOPHONE.terms_for("vga"), "07 00 12 34 56 78 90") is None


def test_mobile_data_beyond_a_volume_the_order_does_not_state_is_not_billed():
    """CP IX §1 L6058 defines fair use as a monthly volume with no figure: it comes from the order
    (reading T-MOB-MISSING-FIGURES). A metered plan whose offer states none bills no excess and says
    why; with 1 GB stated, the 500 MB beyond it are billed (§15 L7105-7107)."""
    data = [{"type": "data", "duration": 0, "bytes": 1_500_000_000, "called": ""}]
    unknown = rate_month(records(data), [_plan("mobile", bundle=Bundle(data_plan="metered"))],
                         DEMO_TARIFFS).explained[1]
    assert not any(line.label == "Data beyond the allowance" for line in unknown.lines)
    assert any("CP IX §1 (L6058), reading T-MOB-MISSING-FIGURES" in note for note in unknown.notes)
    stated = rate_month(records(data), [_plan("mobile", bundle=Bundle(data_mb=1000, data_plan="metered"))],
                        DEMO_TARIFFS).explained[1]
    assert [line.amount for line in stated.lines if line.label == "Data beyond the allowance"] == [Decimal("5.00")]
    assert not any("T-MOB-MISSING-FIGURES" in note for note in stated.notes)


def test_hosting_is_provider_managed_unless_the_order_says_otherwise():
    """CP XI §2.2 L8226-8230: OPTION 1 (« par défaut »), the operator manages and supervises the
    VMs, unless the order states OPTION 2 (reading T-HOST-VARIANTS)."""
    hosting = TECHNICOPHONE.terms_for("hosting")
    assert contracts.management_mode(hosting, None) == ("provider_managed",
                                                        "CP XI §2.2 (L8226-8230), reading T-HOST-VARIANTS")
    assert contracts.management_mode(hosting, "client_managed") == ("client_managed", "CP XI §2.2 (L8225-8240)")
    with pytest.raises(RuleRefusal, match="management: 'self'"):
        contracts.management_mode(hosting, "self")
    assert contracts.management_mode(TECHNICOPHONE.terms_for("vga"), None) is None


def test_supplier_penalty_passed_on_at_its_amount_for_the_clients_number():
    """CP XII §13.1 L10132-10134: « la pénalité que le Prestataire supporte … vis-à-vis du
    Fournisseur », an undefined word read narrowly: a penalty actually charged for one of the
    client's numbers, at its amount (reading T-SVA-FOURNISSEUR)."""
    sva = TECHNICOPHONE.terms_for("sva").usage
    passed = supplier_penalty(sva, "Collecting operator", "08 99 12 34 56", Decimal("350.00"),
                              ["0899123456"])
    assert passed.total == Decimal("350.00")
    assert passed.lines[0].clause == "CP XII §13.1 (L10132-10134), reading T-SVA-FOURNISSEUR"
    with pytest.raises(RuleRefusal, match="^amount: only a penalty actually charged"):
        supplier_penalty(sva, "Collecting operator", "0899123456", Decimal("0"), ["0899123456"])
    with pytest.raises(RuleRefusal, match="^number: 0899000000 is not a number of this client") as refused:
        supplier_penalty(sva, "Collecting operator", "0899000000", Decimal("350.00"), ["0899123456"])
    assert (refused.value.code, refused.value.clause) == (
        "number_of_another_client", "CP XII §13.1 (L10132-10134), reading T-SVA-FOURNISSEUR")


def test_payout_request_past_its_year_is_final_and_payable():
    """CP XII §12 L10110-10112 (reading T-SVA-PAYOUT-FINAL): the reason and clause say so."""
    standing = payout_claim_standing(date(2027, 3, 10), date(2027, 3, 11),
                                     TECHNICOPHONE.terms_for("sva").usage)
    assert standing.reason == "not invoiced by 2027-03-10: the amount is final and still payable"
    assert standing.clause == "CP XII §12 (L10110-10112), reading T-SVA-PAYOUT-FINAL"


def test_breach_notice_records_its_delay_without_an_hour_limit():
    """Annexe 1 A.2.a L10349-10353: the breach is notified « dans les meilleurs délais », no hour
    figure; a notice 83 h 15 min after detection is recorded so, never as late against the
    controller's 72 h (reading T-GDPR-BREACH-DELAY)."""
    terms = TECHNICOPHONE.general.privacy
    detected = datetime(2026, 5, 7, 22, 15, tzinfo=PARIS)
    timing = privacy.breach_notice_timing(detected, datetime(2026, 5, 11, 9, 30, tzinfo=PARIS), terms)
    assert timing.text == "notified 83 h 15 min after detection (as soon as possible)"
    assert timing.clause == "Annexe 1 A.2.a (L10349-10353), reading T-GDPR-BREACH-DELAY"
    with pytest.raises(RuleRefusal, match="detected_at"):
        privacy.breach_notice_timing(detected, detected - timedelta(minutes=1), terms)


def test_premium_payouts_need_the_grid_of_the_order():
    """CP XII §1 L9419-9422: the payout varies with the tier and the caller's operator, and the
    schedule gives no grid: it comes from the order's price list (reading T-D-MISSING-FIGURES)."""
    number = _plan("sva", identifier="0899123456")
    missing = payout_grid_missing(number, DEMO_TARIFFS["demo"])
    assert "CP XII §1 (L9419-9422), reading T-D-MISSING-FIGURES" in missing
    grid = [*DEMO_TARIFFS["demo"], Tariff("sva_payout", "voice", Decimal("0.15"), source="order grid")]
    assert payout_grid_missing(number, grid) is None
    assert payout_grid_missing(_plan("sip_trunk"), DEMO_TARIFFS["demo"]) is None
    call = [{"direction": "in", "calling": "0145000001", "called": "0899123456", "duration": 300}]
    rated = rate_month(records(call, service_id="0899123456"), [number], DEMO_TARIFFS)
    assert any("reading T-D-MISSING-FIGURES" in note for note in rated.explained[1].notes)
    assert rated.payouts["amount_micro"].sum() == 0
