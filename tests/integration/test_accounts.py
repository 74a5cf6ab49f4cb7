"""Passwords are argon2 hashes; tokens are stored hashed, expire and can be revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fenghuo import bootstrap
from fenghuo.common.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.org import accounts
from fenghuo.org.models import ApiToken, User
from fenghuo.org.schemas import TokenIn, UserIn, UserPatch
from tests.conftest import PASSWORD, TEST_HASH_COSTS


def test_passwords_are_argon2_hashes(rt):
    with rt.uow() as s:
        user = s.scalar(select(User).where(User.username == "bj_duty"))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_a_login_rehashes_to_the_configured_costs(rt):
    # the suite hashes at a low cost (tests/conftest.py); a deployment with other costs
    # (FENGHUO_PASSWORD_HASH_*) upgrades each stored hash at its user's next login
    with rt.uow() as s:
        before = s.scalar(select(User.password_hash).where(User.username == "bj_duty"))
    assert before.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    stronger = bootstrap.build(rt.settings.model_copy(update={
        "password_hash_memory_kib": 19_456, "password_hash_time_cost": 2,
        "password_hash_parallelism": 1}), clock=rt.clock)
    try:
        accounts.login(stronger.uow, stronger.clock, username="bj_duty", password=PASSWORD,
                       session_hours=1)
        with stronger.uow() as s:
            after = s.scalar(select(User.password_hash).where(User.username == "bj_duty"))
    finally:
        stronger.engine.dispose()
    assert after.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    # still the same password, under either runtime
    accounts.login(rt.uow, rt.clock, username="bj_duty", password=PASSWORD, session_hours=1)


def test_the_default_costs_are_argon2_cffis(monkeypatch):
    for name in TEST_HASH_COSTS:
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert (s.password_hash_memory_kib, s.password_hash_time_cost,
            s.password_hash_parallelism) == (65_536, 3, 4)
    with pytest.raises(ValueError, match="8 KiB per lane"):
        Settings(password_hash_memory_kib=16, password_hash_parallelism=4)


def test_login_and_tokens_are_stored_hashed(rt):
    result = accounts.login(rt.uow, rt.clock, username="bj_duty", password=PASSWORD,
                            session_hours=12)
    with rt.uow() as s:
        stored = [t.token_hash for t in s.scalars(select(ApiToken))]
    assert result.access_token not in stored
    assert accounts.hash_token(result.access_token) in stored
    who = accounts.authenticate(rt.uow, rt.clock, token=result.access_token)
    assert who.username == "bj_duty"


def test_wrong_password_and_unknown_user_look_the_same(rt):
    for username, password in (("bj_duty", "wrong-password"), ("ghost", PASSWORD)):
        with pytest.raises(Unauthorized) as exc:
            accounts.login(rt.uow, rt.clock, username=username, password=password,
                           session_hours=1)
        assert exc.value.detail == "wrong username or password"


def test_sessions_expire(rt, clock):
    token = accounts.login(rt.uow, rt.clock, username="bj_duty", password=PASSWORD,
                           session_hours=2).access_token
    clock.advance(hours=1, minutes=59)
    accounts.authenticate(rt.uow, rt.clock, token=token)
    clock.advance(minutes=2)
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=token)


def test_api_tokens_can_be_revoked(rt, principal):
    me = principal("bj_analyst")
    issued = accounts.issue_token(rt.uow, rt.clock, principal=me, data=TokenIn(name="feed"))
    assert accounts.authenticate(rt.uow, rt.clock, token=issued.token).username == "bj_analyst"
    assert [t.name for t in accounts.list_tokens(rt.uow, principal=me)] == ["feed"]
    accounts.revoke_token(rt.uow, rt.clock, principal=me, token_id=issued.id)
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=issued.token)


def test_others_tokens_are_invisible_outside_scope(rt, principal):
    issued = accounts.issue_token(rt.uow, rt.clock, principal=principal("bj_analyst"),
                                  data=TokenIn(name="feed"))
    with pytest.raises(NotFound):
        accounts.revoke_token(rt.uow, rt.clock, principal=principal("sh_admin"),
                              token_id=issued.id)
    with pytest.raises(NotFound):
        accounts.revoke_token(rt.uow, rt.clock, principal=principal("bj_ro"), token_id=issued.id)
    accounts.revoke_token(rt.uow, rt.clock, principal=principal("bj_admin"), token_id=issued.id)


def test_disabling_a_user_ends_their_tokens(rt, principal):
    token = accounts.login(rt.uow, rt.clock, username="bj_ro", password=PASSWORD,
                           session_hours=2).access_token
    bj_ro = accounts.principal_for(rt.uow, username="bj_ro")
    accounts.update_user(rt.uow, rt.clock, principal=principal("bj_admin"), user_id=bj_ro.user_id,
                         patch=UserPatch(active=False))
    with pytest.raises(Unauthorized):
        accounts.authenticate(rt.uow, rt.clock, token=token)
    with pytest.raises(Unauthorized):
        accounts.login(rt.uow, rt.clock, username="bj_ro", password=PASSWORD, session_hours=1)


def test_user_management_is_scoped(rt, principal):
    data = UserIn(username="sh_new", display_name="x", body="sh-bank",
                  roles=["operator_reporter"], password="long-enough-pw")
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(rt.uow, rt.clock, principal=principal("bj_admin"), data=data)
    assert exc.value.errors[0].field == "body"
    accounts.create_user(rt.uow, rt.clock, principal=principal("sh_admin"), data=data)
    names = {u.username for u in accounts.list_users(
        rt.uow, principal=principal("bj_admin"), page=PageParams(limit=500)).items}
    assert "sh_new" not in names and "sh_admin" not in names and "bj_reporter" in names
    with pytest.raises(Forbidden):
        accounts.create_user(rt.uow, rt.clock, principal=principal("bj_duty"), data=data)


def test_duplicate_usernames_are_refused_case_insensitively(rt, principal):
    data = UserIn(username="BJ_Duty", display_name="x", body="110000.office",
                  roles=["analyst"])
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(rt.uow, rt.clock, principal=principal("bj_admin"), data=data)
    assert exc.value.errors[0].field == "username"


def test_admins_cannot_lock_themselves_out(rt, principal):
    me = principal("bj_admin")
    with pytest.raises(Forbidden):
        accounts.update_user(rt.uow, rt.clock, principal=me, user_id=me.user_id,
                             patch=UserPatch(roles=["analyst"]))
