"""A rule's refusal that reaches an adapter is shown as invalid input naming its field."""

from __future__ import annotations

from datetime import date

from clausier.billing.invoices.rules import vat_rate

from clausier.billing.periods import BillingError
from clausier.core.errors import InvalidInput, Problem


def test_a_rule_refusal_names_its_field_as_invalid_input():
    try:
        vat_rate("x", date(2026, 1, 1))
    except BillingError as refusal:
        error = refusal.as_invalid_input()
    assert isinstance(error, InvalidInput) and error.status == 422
    assert error.problems == [Problem(
        "vat_rate", "'x' is not one of normal, intermediate, reduced, super_reduced, exempt")]


def test_a_refusal_without_a_field_keeps_its_whole_message():
    error = BillingError("the term sheet says nothing about price changes").as_invalid_input()
    assert (error.message, error.problems) == (
        "the term sheet says nothing about price changes", [])
