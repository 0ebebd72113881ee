"""The accounts room's refusals carry stable machine codes (issue "Room boundaries")."""

from __future__ import annotations

import pytest

from clausier.accounts import service as accounts
from clausier.core.errors import InvalidInput, NotFound


def test_a_malformed_e_mail_is_refused_with_its_code(session, clock, actor):
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(session, clock, actor, email="no-at-sign", name="Anne",
                             role="admin", password="a long enough password")
    assert refused.value.code == "user_email_malformed"


def test_a_token_for_an_unknown_user_says_user_not_found(session, clock, actor):
    with pytest.raises(NotFound) as missing:
        accounts.issue_token(session, clock, actor, 999_999, "tests")
    assert (missing.value.code, missing.value.message) == ("user_not_found", "user 999999 not found")
