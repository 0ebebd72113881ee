"""Service-level blocks built in the tests, with the seeds' figures and clauses, until the built-in
Technicophone sheet lands (then the same figures come from it: see ``test_builtin_sheets``).

Readings applied here (the default of the design note: the one more favourable to the client):
- availability exactly 99.5 % falls in the 5 % band ("De 99,5 à 97 %", CP III §4.1.3);
- the "30 Jours" claim window counts *jours ouvrés* (CGV definitions: "jour" = jour ouvré).
"""

from __future__ import annotations

from clausier.terms.schema import ServiceLevels, Terms

SUPPORT_HOURS = {"value": {day: ["08:30-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")},
                 "src": "CGV art. 16 L685-689"}

GTR_BANDS = [
    {"lower": "6", "upper": "8", "percent": "2", "src": "CP I §5.2 L1453-1457"},
    {"lower": "8", "upper": "12", "percent": "5", "src": "CP I §5.2 L1453-1457"},
    {"lower": "12", "percent": "10", "src": "CP I §5.2 L1453-1457"},
]

EXCUSABLE = {"value": ["force_majeure", "customer_or_third_party", "equipment_not_supplied",
                       "planned_maintenance", "traffic_over_capacity", "other_operator",
                       "customer_not_cooperating", "power_cut"],
             "src": "CP I §5.6 L1512-1536"}


def vga() -> ServiceLevels:
    """Technicophone CP I (VGA) §5: GTR per access and option, penalties, cap, GTD objective."""
    return ServiceLevels.model_validate({
        "support_hours": SUPPORT_HOURS,
        "restoration": {
            "targets": [
                {"access": "analogue", "option": "standard", "hours": "72",
                 "counted_in": "business_hours", "penalised": False, "src": "CP I §5.2 L1428-1431"},
                {"access": "analogue", "option": "gtr_6h_business", "hours": "6",
                 "counted_in": "business_hours", "src": "CP I §5.2 L1433-1435"},
                {"access": "analogue", "option": "gtr_6h_24x7", "hours": "6",
                 "counted_in": "around_the_clock", "src": "CP I §5.2 L1437-1439"},
                {"access": "isdn", "option": "standard", "hours": "6",
                 "counted_in": "business_hours", "src": "CP I §5.2 L1459-1461"},
                {"access": "isdn", "option": "gtr_6h_24x7", "hours": "6",
                 "counted_in": "around_the_clock", "src": "CP I §5.2 L1462-1464"},
            ],
            "penalty_bands": GTR_BANDS,
            "cap_percent": {"value": "10", "src": "CP I §5.4 L1499-1502"},
            "claims_per_year": {"value": 1, "src": "CP I §5.6 L1537-1541"},
            "confirmation_window_minutes": {"value": 30, "src": "CP I §5.7 L1562-1567"},
        },
        "availability": {
            "objective_percent": {"value": "99.8", "src": "CP I §5.3 L1486-1488"},
            "objective_months": {"value": 6, "src": "CP I §5.3 L1494-1495"},
            "objective_only": {"value": True, "src": "CP I §5.3 L1496-1497"},
            "measured_in": {"value": "business_hours", "src": "CP I §5.3 L1489-1494"},
        },
        "excusable_events": EXCUSABLE,
        "wrongly_opened_ticket_billable": {"value": True, "src": "CP I §5.8 L1572-1575"},
    })


def internet(probation_months: int | None = None) -> ServiceLevels:
    """Technicophone CP III (internet access) §4: availability SLA with credit bands."""
    availability = {
        "objective_percent": {"value": "99.85", "src": "CP III §4.1.1 L2587-2589"},
        "bands": [
            {"upper": "97", "upper_inclusive": False, "percent": "10", "src": "CP III §4.1.3 L2621-2625"},
            {"lower": "97", "lower_inclusive": True, "upper": "99.5", "upper_inclusive": True,
             "percent": "5", "src": "CP III §4.1.3 L2621-2625"},
            {"lower": "99.5", "upper": "99.85", "upper_inclusive": False, "percent": "3",
             "src": "CP III §4.1.3 L2621-2625"},
        ],
        "cap_percent": {"value": "10", "src": "CP III §4.1 L2581-2584"},
        "claim_window_days": {"value": 30, "src": "CP III §4.1 L2576-2579"},
        "claim_window_counted_in": {"value": "ouvres", "src": "CGV art. 1 L66-67"},
        "sole_remedy": {"value": True, "src": "CP III §4.1 L2579-2581"},
    }
    if probation_months is not None:
        availability["probation_months"] = {"value": probation_months, "src": "CP XI §3.2 L8663-8670"}
    return ServiceLevels.model_validate({
        "support_hours": SUPPORT_HOURS,
        "restoration": {"targets": [
            {"access": "internet", "option": "standard", "hours": "6", "counted_in": "business_hours",
             "penalised": False, "src": "CP III §4 L2555-2562"}]},
        "availability": availability,
        "excusable_events": EXCUSABLE,
    })


def preselection() -> ServiceLevels:
    return ServiceLevels.model_validate({
        "support_hours": SUPPORT_HOURS,
        "no_service_level": {"value": True, "src": "CP II §3.2 L1981-1983"}})


def ozone() -> ServiceLevels:
    return ServiceLevels.model_validate({
        "support_hours": {"value": {"mon": ["09:00-20:00"], "tue": ["09:00-20:00"],
                                    "wed": ["09:00-20:00"], "thu": ["09:00-20:00"],
                                    "fri": ["09:00-20:00"], "sat": ["09:00-18:00"]},
                          "src": "CGV art. 7.5 L209"},
        "restoration": {"restoration_days": {"value": 15, "src": "CGV art. 7.7 L219"}},
        "excusable_events": {"value": ["force_majeure", "maintenance"], "src": "CGV art. 2.2 L123"}})


def terms(levels: ServiceLevels) -> Terms:
    return Terms(service_levels=levels)
