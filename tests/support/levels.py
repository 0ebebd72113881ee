"""The service levels of the built-in term sheets, read from their YAML files (pure: no database).

Readings the sheets record and these tests rely on: availability exactly 99.5 % falls in the 5 %
band (T-AVAILABILITY-BAND-BOUNDARY); the "30 Jours" claim window counts *jours ouvrés*
(T-SLA-CLAIM-WINDOW-DAYS); a missed 72-hour analogue standard target is penalised
(T-VGA-GTR-STANDARD-PENALTY); the VGA availability rate counts *heures ouvrées* only
(T-VGA-GTD-DENOMINATOR).
"""

from __future__ import annotations

from functools import cache

from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.schema import ServiceLevels


@cache
def _sheet(name: str):
    return load_sheet(BUILT_IN_DIR / name)


def levels(operator: str, family: str) -> ServiceLevels:
    return _sheet(operator).terms_for(family).service_levels


def vga() -> ServiceLevels:
    return levels("technicophone", "vga")


def internet() -> ServiceLevels:
    return levels("technicophone", "internet")


def hosting() -> ServiceLevels:
    return levels("technicophone", "hosting")


def preselection() -> ServiceLevels:
    return levels("technicophone", "preselection")


def ozone() -> ServiceLevels:
    return levels("ozone", "internet_fibre")
