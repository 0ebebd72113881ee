"""API tokens checked once per process for ``accounts.service.TOKEN_CHECK_TTL``: a bearer read
then needs no query for its token; revoking it is refused at once in the process that revoked
it, within the TTL in the others."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update
from tests.conftest import STAFF_EMAIL, create_user

from clausier.accounts import service as accounts
from clausier.accounts.models import ApiToken
from clausier.audit.service import Actor
from clausier.core.errors import Unauthenticated
from clausier.db.session import transaction


def _issue(engine, clock, actor) -> tuple[str, int]:
    user_id = create_user(engine, clock, actor)
    with transaction(engine) as s:
        token, secret = accounts.issue_token(s, clock, actor, user_id, "checks")
        s.flush()
        return secret, token.id


def _check(engine, clock, secret: str) -> tuple[str, int | None]:
    with transaction(engine) as s:
        bearer = accounts.user_for_token(s, clock, secret)
        assert bearer.user in s
        return bearer.user.email, bearer.token_id


def test_a_checked_token_is_not_read_again_and_its_use_is_stamped_once(clean_engine, clock,
                                                                         actor):
    secret, token_id = _issue(clean_engine, clock, actor)
    assert _check(clean_engine, clock, secret) == (STAFF_EMAIL, token_id)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(clean_engine, "before_cursor_execute", seen)
    try:
        # The last use was asked to be stamped by the first check: not again within the minute.
        assert _check(clean_engine, clock, secret) == (STAFF_EMAIL, None)
    finally:
        event.remove(clean_engine, "before_cursor_execute", seen)
    assert [s for s in statements if "api_tokens" in s or "users" in s] == []


def test_the_cached_user_is_of_the_requests_session_and_loads_what_it_lacks(
        clean_engine, clock, actor):
    secret, token_id = _issue(clean_engine, clock, actor)
    _check(clean_engine, clock, secret)
    with transaction(clean_engine) as s:
        user = accounts.user_for_token(s, clock, secret).user
        assert [t.id for t in user.tokens] == [token_id]


def test_a_token_revoked_by_this_process_is_refused_at_once(clean_engine, clock, actor):
    secret, token_id = _issue(clean_engine, clock, actor)
    _check(clean_engine, clock, secret)
    with transaction(clean_engine) as s:
        accounts.revoke_token(s, clock, Actor.system("test"), token_id)
    with pytest.raises(Unauthenticated):
        _check(clean_engine, clock, secret)


def test_a_token_revoked_by_another_process_is_refused_within_the_ttl(clean_engine, clock,
                                                                       actor):
    secret, token_id = _issue(clean_engine, clock, actor)
    _check(clean_engine, clock, secret)
    with transaction(clean_engine) as s:       # as another worker would: not through this cache
        s.execute(update(ApiToken).where(ApiToken.id == token_id)
                  .values(revoked_at=clock.now()))
    assert _check(clean_engine, clock, secret)[0] == STAFF_EMAIL
    clock.advance(accounts.TOKEN_CHECK_TTL)
    with pytest.raises(Unauthenticated):
        _check(clean_engine, clock, secret)
