"""Login protection (issue 18 item 1), on both databases: failed logins counted per account and
per address in the database (GB/T 22239-2019 8.1.4.1 b) 登录失败处理 "限制非法登录次数"; OWASP ASVS
V2.2.1), a lockout that refuses even the right password and costs no hash, its expiry, failed
and locked attempts in the audit trail (GB/T 22239-2019 8.1.4.3 审计), and the password policy
(GB/T 22239-2019 8.1.4.1 a) 复杂度要求; ASVS V2.1.1, V2.1.7; NIST SP 800-63B 5.1.1.2)."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from fenghuo import bootstrap
from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import Unauthorized, ValidationFailed
from fenghuo.org import accounts, password_rules, passwords, throttle
from fenghuo.org.models import LoginThrottle, User
from fenghuo.org.schemas import UserIn, UserPatch
from tests.conftest import PASSWORD

ADDRESS = "192.0.2.7"


def _login(rt, username="bj_duty", password=PASSWORD, address=ADDRESS):
    return accounts.login(rt.uow, rt.clock, username=username, password=password,
                          session_hours=1, address=address)


def _fail(rt, times, username="bj_duty", address=ADDRESS):
    for _ in range(times):
        with pytest.raises(Unauthorized):
            _login(rt, username, "wrong-password", address)


def _audit(rt, action):
    with rt.uow() as s:
        rows = s.scalars(select(AuditPending).where(AuditPending.action == action)
                         .order_by(AuditPending.id)).all()
        return [(r.actor, r.entity_key, json.loads(r.detail)) for r in rows]


@pytest.fixture
def hashes(monkeypatch):
    """How many argon2 verifications were computed."""
    count = [0]
    verify = PasswordHasher.verify

    def counting(self, hash, password):  # noqa: ANN001, ANN202, A002
        count[0] += 1
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return count


def test_the_defaults_lock_an_account_after_ten_failures_for_fifteen_minutes(rt):
    policy = throttle.Policy.of(rt.settings)
    assert (policy.max_failures, policy.max_failures_per_address, policy.window_seconds,
            policy.lockout_seconds) == (10, 30, 900, 900)
    assert rt.settings.password_min_length == 12


def test_ten_failures_lock_the_account_even_for_the_right_password(rt, clock, hashes):
    _fail(rt, 9)
    assert _login(rt).access_token  # nine do not lock; the success clears them
    _fail(rt, 10)
    hashes[0] = 0
    with pytest.raises(throttle.LoginLocked) as exc:
        _login(rt)  # the right password, refused
    assert exc.value.status == 429 and exc.value.retry_after == 900
    assert exc.value.headers == {"Retry-After": "900"}
    assert "wrong username or password" not in exc.value.detail
    assert hashes[0] == 0  # a locked account costs no argon2 hash
    clock.advance(minutes=10)
    with pytest.raises(throttle.LoginLocked) as exc:
        _login(rt, address="198.51.100.1")  # another address: the account is locked
    assert exc.value.retry_after == 300
    clock.advance(minutes=5)
    assert _login(rt).access_token  # the lockout is over
    with rt.uow() as s:
        assert s.scalar(select(User.last_login_at).where(User.username == "bj_duty"))


def test_a_success_resets_the_accounts_count_and_old_failures_leave_the_window(rt, clock):
    # several addresses, so that only the account's count matters
    _fail(rt, 9, address="198.51.100.1")
    _login(rt)
    _fail(rt, 9, address="198.51.100.2")  # 9 + 9, but the success started the count afresh
    _login(rt)
    _fail(rt, 9, address="198.51.100.3")
    clock.advance(minutes=16)  # the window (15 min, from the first failure) has passed
    _fail(rt, 9, address="198.51.100.4")
    assert _login(rt).access_token


def test_unknown_users_are_locked_like_known_ones(rt):
    _fail(rt, 10, username="ghost")
    with pytest.raises(throttle.LoginLocked) as exc:
        _login(rt, username="ghost")
    assert exc.value.retry_after == 900  # the same answer as for bj_duty: no user revealed
    failed = _audit(rt, "user.login_failed")
    assert len(failed) == 10
    assert {(actor, key) for actor, key, _ in failed} == {("anonymous", "anonymous")}
    assert failed[0][2] == {"address": ADDRESS, "reason": "unknown_user", "via": "api"}
    with rt.uow() as s:  # the throttle keeps a digest of the name, never the name
        keys = s.scalars(select(LoginThrottle.key)).all()
    assert keys and not any("ghost" in k for k in keys)
    assert "ghost" not in json.dumps(_audit(rt, "user.login_locked"))


def test_failed_and_locked_attempts_are_audited_without_the_password(rt):
    _fail(rt, 10)
    with pytest.raises(throttle.LoginLocked):
        _login(rt)
    failed = _audit(rt, "user.login_failed")
    assert [(a, k) for a, k, _ in failed] == [("bj_duty", "bj_duty")] * 10
    assert failed[0][2] == {"address": ADDRESS, "reason": "wrong_password", "via": "api"}
    assert failed[-1][2]["locks"] == ["account"]
    locked = _audit(rt, "user.login_locked")
    assert locked == [("bj_duty", "bj_duty", {
        "address": ADDRESS, "via": "api", "reason": "locked", "locked": ["account"],
        "retry_after": 900})]
    with rt.uow() as s:
        details = " ".join(s.scalars(select(AuditPending.detail)))
    assert "wrong-password" not in details and PASSWORD not in details


def test_a_disabled_user_is_a_failure_too(rt, principal):
    bj_ro = accounts.principal_for(rt.uow, username="bj_ro")
    accounts.update_user(rt.uow, rt.clock, principal=principal("bj_admin"),
                         user_id=bj_ro.user_id, patch=UserPatch(active=False))
    with pytest.raises(Unauthorized):
        _login(rt, username="bj_ro")
    assert _audit(rt, "user.login_failed")[0][2]["reason"] == "disabled"


def test_an_address_is_locked_across_accounts(rt, clock):
    low = bootstrap.build(rt.settings.model_copy(update={
        "login_max_failures_per_address": 5, "login_lockout_minutes": 2}), clock=clock)
    try:
        for name in ("bj_duty", "bj_ro", "ghost1", "ghost2", "bj_analyst"):
            _fail(low, 1, username=name)
        with pytest.raises(throttle.LoginLocked) as exc:
            _login(low, username="bj_admin")  # an account that never failed, same address
        assert exc.value.retry_after == 120
        assert _login(low, username="bj_admin", address="198.51.100.1")  # another address
        assert _audit(low, "user.login_locked")[0][2]["locked"] == ["address"]
        clock.advance(minutes=2)
        assert _login(low, username="bj_admin")
    finally:
        low.engine.dispose()


def test_the_counts_are_shared_by_processes(rt, db_url):
    """Two runtimes (two engines: two server processes) over one database count together."""
    other = bootstrap.build(rt.settings.model_copy(update={"database_url": db_url}),
                            clock=rt.clock)
    try:
        _fail(rt, 5)
        _fail(other, 5)
        for runtime in (rt, other):
            with pytest.raises(throttle.LoginLocked):
                _login(runtime)
    finally:
        other.engine.dispose()


def test_zero_turns_a_limit_off(rt, clock):
    off = bootstrap.build(rt.settings.model_copy(update={
        "login_max_failures": 0, "login_max_failures_per_address": 0}), clock=clock)
    try:
        _fail(off, 12)
        assert _login(off)
    finally:
        off.engine.dispose()


def test_http_basic_is_throttled_the_same(rt, hashes):
    def basic(password):  # noqa: ANN202
        return accounts.principal_by_password(rt.uow, rt.clock, username="bj_duty",
                                              password=password, address=ADDRESS, via="taxii")
    assert basic(PASSWORD).username == "bj_duty"
    for _ in range(10):
        with pytest.raises(Unauthorized):
            basic("wrong-password")
    hashes[0] = 0
    with pytest.raises(throttle.LoginLocked):
        basic(PASSWORD)
    assert hashes[0] == 0
    assert _audit(rt, "user.login_failed")[0][2]["via"] == "taxii"


def test_expired_rows_are_pruned(rt, clock):
    for i in range(40):
        _fail(rt, 1, username=f"junk{i}", address=f"203.0.113.{i}")
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(LoginThrottle)) == 80
    clock.advance(minutes=16)
    _fail(rt, 1, username="bj_duty", address="203.0.113.200")
    with rt.uow() as s:  # the 80 expired ones went; the new failure's two are left
        assert s.scalar(select(func.count()).select_from(LoginThrottle)) == 2


# --- the password policy ----------------------------------------------------------------------


@pytest.mark.parametrize(("password", "code"), [
    ("aaaaaaaaaa", "too_short"),                # the example: too short and trivial
    ("aaaaaaaaaaaa", "trivial"),                # one repeated character
    ("1234567890ab", "trivial"),                # a sequence
    ("abcabcabcabc", "trivial"),                # a short piece repeated
    ("qwertyuiop[]", "trivial"),                # a keyboard row
    ("cba987654321", "trivial"),                # backwards
    ("password1234", "common"),                 # a common password with digits
    ("Iloveyou2026!", "common"),
    ("p@ssw0rd2026", "common"),
    ("my-bj_duty-secret", "contains_username"),
])
def test_the_password_rules_refuse(password, code):
    found = password_rules.problems(password, username="bj_duty",
                                    common=passwords.common_passwords())
    assert code in {p.code for p in found}


@pytest.mark.parametrize("password", [PASSWORD, "Tr0ub4dor&3xyz", "lantern-river-7-kite",
                                      "春眠不觉晓处处闻啼鸟夜来"])
def test_the_password_rules_accept(password):
    assert password_rules.problems(password, username="bj_duty",
                                   common=passwords.common_passwords()) == []


def test_the_shipped_list_is_loaded():
    common = passwords.common_passwords()
    assert len(common) > 4000 and {"password", "123456", "qwerty", "iloveyou"} <= common
    assert all(w == w.casefold() and not w.startswith("#") for w in common)


def test_generated_passwords_pass_the_policy():
    for _ in range(200):
        assert passwords.field_errors(accounts.new_password("admin"), username="admin") == []


def _user(password, username="new_analyst"):  # noqa: ANN202
    return UserIn(username=username, display_name="x", body="110000.office", roles=["analyst"],
                  password=password)


def test_creating_a_user_applies_the_policy(rt, principal):
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(rt.uow, rt.clock, principal=principal("bj_admin"),
                             data=_user("aaaaaaaaaaaa"))
    assert exc.value.status == 422
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("password", "is one character repeated or a trivial sequence (like aaaaaaaaaaaa or "
                     "1234567890ab)")]
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(rt.uow, rt.clock, principal=principal("bj_admin"),
                             data=_user("new_analyst-2026"))
    assert exc.value.errors[0].message == "must not contain the username"
    out = accounts.create_user(rt.uow, rt.clock, principal=principal("bj_admin"),
                               data=_user(PASSWORD))
    assert out.username == "new_analyst"


def test_changing_a_password_applies_the_policy(rt, principal):
    bj_ro = accounts.principal_for(rt.uow, username="bj_ro")
    with pytest.raises(ValidationFailed) as exc:
        accounts.update_user(rt.uow, rt.clock, principal=principal("bj_admin"),
                             user_id=bj_ro.user_id, patch=UserPatch(password="password2026"))
    assert exc.value.errors[0].field == "password"
    with pytest.raises(ValidationFailed) as exc:
        accounts.set_password(rt.uow, rt.clock, username="bj_ro", password="1234567890")
    assert {e.message for e in exc.value.errors} >= {"at least 12 characters"}
    _login(rt, username="bj_ro")  # nothing was changed
    accounts.set_password(rt.uow, rt.clock, username="bj_ro", password="lantern-river-7-kite")
    _login(rt, username="bj_ro", password="lantern-river-7-kite")


def test_the_minimum_length_is_a_setting(rt, clock, principal):
    longer = bootstrap.build(rt.settings.model_copy(update={"password_min_length": 24}),
                             clock=clock)
    try:
        with pytest.raises(ValidationFailed) as exc:
            accounts.set_password(longer.uow, clock, username="bj_ro", password=PASSWORD)
        assert exc.value.errors[0].message == "at least 24 characters"
    finally:
        longer.engine.dispose()


def test_the_first_administrator_gets_a_password_the_policy_accepts(empty_db_url, clock):
    from fenghuo.config import Settings
    weak = bootstrap.build(Settings(database_url=empty_db_url, admin_password="admin12345678"),
                           clock=clock)
    try:
        bootstrap.upgrade_and_seed(weak)
        with pytest.raises(ValidationFailed):
            bootstrap.ensure_first_admin(weak)  # "admin" inside, and a common password
        generated = bootstrap.build(Settings(database_url=empty_db_url), clock=clock)
        try:
            first = bootstrap.ensure_first_admin(generated)
            assert first.generated and passwords.field_errors(
                first.password, username=first.username) == []
            assert _login(generated, username=first.username, password=first.password)
        finally:
            generated.engine.dispose()
    finally:
        weak.engine.dispose()
