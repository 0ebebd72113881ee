"""The one policy routes are scoped by (``accounts.rules``): whose data each kind of user reaches.
Issue 17 §2: a site user's account carries its pack's customer, which made it act as that
customer on the support and equipment routes."""

from __future__ import annotations

import pytest

from clausier.accounts import rules


def test_a_site_user_acts_for_no_customer_although_its_account_carries_one():
    assert not rules.acts_for("site_delegate", 7, 7)
    assert not rules.acts_for("site_admin", 7, 7)
    assert not rules.acts_for("site_admin", None, None)     # an item in stock has no customer
    assert rules.acts_for("customer", 7, 7) and not rules.acts_for("customer", 7, 8)
    assert not rules.acts_for("customer", 7, None)
    assert rules.acts_for("support", None, 8)


@pytest.mark.parametrize("role, kind, areas", [
    ("admin", "staff", {"account", "back_office", "customer_service", "sites"}),
    ("sales", "staff", {"account", "back_office", "customer_service", "sites"}),
    ("customer", "customer", {"account", "customer_portal", "customer_service"}),
    ("site_admin", "site", {"account", "sites"}),
    ("site_delegate", "site", {"account", "sites"}),
    ("admin", "customer", set()),          # a role its kind does not have: no reach at all
    ("device", "site", set()),
])
def test_each_kind_of_user_enters_its_own_areas_only(role, kind, areas):
    assert {area for area in rules.AUDIENCES if rules.may_enter(role, kind, area)} == areas


def test_a_delegate_does_what_its_scopes_name_and_reads_the_rest():
    assert rules.site_member_may("delegate", ["manage_credentials"], "manage_credentials")
    assert rules.site_member_may("delegate", ["manage_credentials"], "read")
    assert not rules.site_member_may("delegate", ["manage_credentials"], "manage_records")
    assert not rules.site_member_may("delegate", list(rules.AUDIENCES), "admin")
    assert rules.site_member_may("admin", [], "admin")
