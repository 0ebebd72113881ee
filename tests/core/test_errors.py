"""A rule's refusal keeps its code and its clause wherever it goes: as invalid input naming its
field when it reaches an adapter, as the error a service means (``NotAllowed``) otherwise."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from clausier.billing.invoices.rules import vat_rate
from clausier.core.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    Problem,
    RuleRefusal,
)


def test_a_rule_refusal_names_its_field_as_invalid_input():
    with pytest.raises(RuleRefusal) as refused:
        vat_rate("x", date(2026, 1, 1))
    error = refused.value.as_invalid_input()
    assert isinstance(error, InvalidInput) and error.status == 422
    assert error.code == "unknown_vat_category"
    assert error.problems == [Problem(
        "vat_rate", "'x' is not one of normal, intermediate, reduced, super_reduced, exempt")]


def test_a_refusal_is_worded_field_colon_reason_and_keeps_code_and_clause():
    refusal = RuleRefusal("termination_not_open_yet", "received", "too early (CGV art. 11.1)",
                          "CGV art. 11.1")
    assert str(refusal) == "received: too early (CGV art. 11.1)"
    error = refusal.as_error(NotAllowed, of="SUB-1")
    assert (error.message, error.code, error.clause, error.problems) == (
        "SUB-1: received: too early (CGV art. 11.1)", "termination_not_open_yet",
        "CGV art. 11.1", [])
    assert error.to_problem() == {
        "type": "about:blank", "title": "Not allowed by the terms", "status": 409,
        "detail": "SUB-1: received: too early (CGV art. 11.1)",
        "code": "termination_not_open_yet", "clause": "CGV art. 11.1"}


def test_errors_carry_their_class_code_unless_given_one():
    errors = [InvalidInput("x"), NotFound("x"), Conflict("x"), NotAllowed("x")]
    assert [error.code for error in errors] == ["invalid_input", "not_found", "conflict",
                                                 "not_allowed"]
    assert NotFound("customer: no customer C-9", resource="customer").code == "customer_not_found"
    assert InvalidInput.on("ref", "taken", code="ref_taken").to_problem()["code"] == "ref_taken"
    assert "clause" not in NotFound("x").to_problem()


def test_a_refusal_raised_on_a_worker_comes_back_whole():
    """Bill runs and PDFs run on worker processes: a refusal crosses back pickled."""
    refusal = RuleRefusal("period_not_a_month", "period", "'2026-13' is not a month written YYYY-MM")
    back = pickle.loads(pickle.dumps(refusal))
    assert (str(back), back.code, back.field, back.clause) == (
        "period: '2026-13' is not a month written YYYY-MM", "period_not_a_month", "period", None)
