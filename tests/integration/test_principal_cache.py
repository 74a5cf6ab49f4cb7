"""Authenticated principals are cached per process and dropped at once when anything they hold
changes, in this process or another one (issue 21 item 5): the ``auth_version`` token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from fenghuo import bootstrap
from fenghuo.common.errors import Unauthorized
from fenghuo.org import accounts
from fenghuo.org.models import AUTH_VERSION_ID, ApiToken, AuthVersion, Body, BodySector, User
from fenghuo.org.schemas import TokenIn, UserPatch
from tests.conftest import PASSWORD


@contextmanager
def statements(rt: bootstrap.Runtime) -> Iterator[list[str]]:
    """The SQL statements the runtime's engine runs inside the block."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(rt.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(rt.engine, "before_cursor_execute", note)


def _login(rt: bootstrap.Runtime, username: str = "bj_ro", hours: int = 2) -> str:
    return accounts.login(rt.uow, rt.clock, username=username, password=PASSWORD,
                          session_hours=hours).access_token


def _version(rt: bootstrap.Runtime) -> str:
    with rt.uow() as s:
        return s.scalar(select(AuthVersion.token).where(AuthVersion.id == AUTH_VERSION_ID))


def test_a_known_token_costs_one_statement(rt):
    token = _login(rt)
    first = accounts.authenticate(rt.uow, rt.clock, token=token)
    with statements(rt) as seen:
        again = accounts.authenticate(rt.uow, rt.clock, token=token)
    assert again == first and again.username == "bj_ro"
    assert len(seen) == 1 and "auth_version" in seen[0]


def test_the_last_use_is_still_noted_coarsely_without_invalidating(rt, clock):
    token = _login(rt)
    accounts.authenticate(rt.uow, rt.clock, token=token)
    version = _version(rt)
    clock.advance(minutes=6)
    with statements(rt) as seen:
        accounts.authenticate(rt.uow, rt.clock, token=token)
    assert any(s.lstrip().upper().startswith("UPDATE API_TOKENS") for s in seen)
    with rt.uow() as s:
        stamp = s.scalar(select(ApiToken.last_used_at)
                         .where(ApiToken.token_hash == accounts.hash_token(token)))
    assert stamp == clock.now()
    assert _version(rt) == version  # noting the use changes no principal
    with statements(rt) as seen:
        accounts.authenticate(rt.uow, rt.clock, token=token)
    assert len(seen) == 1


def test_logging_in_and_orm_touches_keep_the_cache(rt, clock):
    # a login (new session, the user's last login) and an ORM change of last_used_at alone
    # change no principal
    version = _version(rt)
    token = _login(rt)
    with rt.uow() as s:
        t = s.scalar(select(ApiToken).where(ApiToken.token_hash == accounts.hash_token(token)))
        t.last_used_at = clock.now()
    assert _version(rt) == version
    with rt.uow() as s:
        s.scalar(select(User).where(User.username == "bj_ro")).display_name = "Read only"
    assert _version(rt) == version


def test_revocation_takes_effect_at_once(rt, principal):
    me = principal("bj_analyst")
    issued = accounts.issue_token(rt.uow, rt.clock, principal=me, data=TokenIn(name="feed"))
    accounts.authenticate(rt.uow, rt.clock, token=issued.token)
    accounts.authenticate(rt.uow, rt.clock, token=issued.token)  # now cached
    accounts.revoke_token(rt.uow, rt.clock, principal=me, token_id=issued.id)
    with pytest.raises(Unauthorized) as exc:
        accounts.authenticate(rt.uow, rt.clock, token=issued.token)
    assert exc.value.detail == "invalid, expired or revoked token"


def test_logout_takes_effect_at_once(rt):
    token = _login(rt)
    who = accounts.authenticate(rt.uow, rt.clock, token=token)
    accounts.logout(rt.uow, rt.clock, principal=who)
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=token)


def test_disabling_the_user_takes_effect_at_once(rt, principal):
    issued = accounts.issue_token(rt.uow, rt.clock, principal=principal("bj_ro"),
                                  data=TokenIn(name="feed"))
    who = accounts.authenticate(rt.uow, rt.clock, token=issued.token)
    accounts.update_user(rt.uow, rt.clock, principal=principal("bj_admin"), user_id=who.user_id,
                         patch=UserPatch(active=False))
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=issued.token)


def test_a_disabled_user_is_refused_even_with_a_live_token(rt):
    # a change of ``active`` alone, no token revoked (update_user would revoke them)
    token = _login(rt)
    accounts.authenticate(rt.uow, rt.clock, token=token)
    with rt.uow() as s:
        s.scalar(select(User).where(User.username == "bj_ro")).active = False
    with pytest.raises(Unauthorized) as exc:
        accounts.authenticate(rt.uow, rt.clock, token=token)
    assert exc.value.detail == "the token's user is disabled"


def test_new_roles_reach_the_next_request(rt, principal):
    token = _login(rt)
    who = accounts.authenticate(rt.uow, rt.clock, token=token)
    assert who.roles == {"read_only"}
    accounts.update_user(rt.uow, rt.clock, principal=principal("bj_admin"), user_id=who.user_id,
                         patch=UserPatch(roles=["analyst", "read_only"]))
    assert accounts.authenticate(rt.uow, rt.clock, token=token).roles == {"analyst", "read_only"}


def test_a_body_s_sectors_reach_the_next_request(rt):
    token = _login(rt, "bj_fin")
    before = accounts.authenticate(rt.uow, rt.clock, token=token).scope.sectors
    assert before  # a department sees its sectors
    with rt.uow() as s:
        body = s.scalar(select(Body).where(Body.key == "bj-finance-reg"))
        body.sector_links.append(BodySector(sector_code="energy"))
    after = accounts.authenticate(rt.uow, rt.clock, token=token).scope.sectors
    assert after == before | {"energy"}


def test_a_change_made_by_another_process_takes_effect_at_once(rt):
    token = _login(rt)
    accounts.authenticate(rt.uow, rt.clock, token=token)  # cached in this "process"
    other = bootstrap.build(rt.settings, clock=rt.clock)  # another server on the database
    try:
        who = accounts.authenticate(other.uow, other.clock, token=token)
        accounts.logout(other.uow, other.clock, principal=who)
    finally:
        other.engine.dispose()
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=token)


def test_an_expired_token_is_refused_even_when_cached(rt, clock):
    token = _login(rt, hours=1)
    accounts.authenticate(rt.uow, rt.clock, token=token)
    clock.advance(minutes=59)
    accounts.authenticate(rt.uow, rt.clock, token=token)
    clock.advance(minutes=1)
    with statements(rt) as seen, pytest.raises(Unauthorized) as exc:
        accounts.authenticate(rt.uow, rt.clock, token=token)
    assert exc.value.detail == "invalid, expired or revoked token"
    assert len(seen) == 1  # refused from the cache
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=token)


def test_unknown_tokens_are_not_cached(rt):
    for _ in range(2):
        with pytest.raises(Unauthorized):
            accounts.authenticate(rt.uow, rt.clock, token="fh_nothing")
    assert len(accounts.principal_cache(rt.uow)) == 0


def test_the_cache_keeps_the_most_recently_used(rt):
    cache = accounts.PrincipalCache(rt.engine, size=2)
    entries = {}
    for key in ("a", "b", "c"):
        entries[key] = accounts.CachedPrincipal("v", object(), None, None)  # type: ignore[arg-type]
        cache.put(key, entries[key])
        if key == "b":
            cache.get("a")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (entries["a"], None, entries["c"])


def test_a_batch_of_known_tokens_costs_one_statement_and_refuses_each_bad_one(rt, principal):
    # the intake writer authenticates its batch's tokens together (issue 21 item 5)
    tokens = [_login(rt, "bj_ro"), _login(rt, "bj_reporter")]
    accounts.authenticate_many(rt.uow, rt.clock, tokens)  # now cached
    with statements(rt) as seen:
        answers = accounts.authenticate_many(rt.uow, rt.clock,
                                             [tokens[0], "no-such-token", tokens[1]])
    assert [type(a).__name__ for a in answers] == ["Principal", "Unauthorized", "Principal"]
    assert [a.username for a in answers[::2]] == ["bj_ro", "bj_reporter"]
    # one read of auth_version for the three, and the unknown token's lookup
    assert sum("auth_version" in s for s in seen) == 2 and len(seen) <= 3
    me = principal("bj_reporter")
    issued = accounts.issue_token(rt.uow, rt.clock, principal=me, data=TokenIn(name="batch"))
    accounts.authenticate_many(rt.uow, rt.clock, [issued.token])
    accounts.revoke_token(rt.uow, rt.clock, principal=me, token_id=issued.id)
    revoked, still = accounts.authenticate_many(rt.uow, rt.clock, [issued.token, tokens[1]])
    assert isinstance(revoked, Unauthorized) and still.username == "bj_reporter"
