"""Pure retention rules (issue 18 item 8): Law art. 21(3) — network logs kept not less than six
months — refuses any shorter period for the audit trail, the access log and monitoring events;
cutoffs keep every record at least its period in whole days (China Standard Time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.common.periods import day_of, start_of
from fenghuo.config import Settings
from fenghuo.retention import rules
from fenghuo.retention.rules import COVERED, Kind, Policy, PolicyRefused

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))


@given(kind=st.sampled_from(sorted(COVERED)), days=st.integers(1, rules.MIN_DAYS - 1))
def test_any_period_under_six_months_is_refused_for_network_logs(kind, days):
    """Law art. 21(3): 留存相关的网络日志不少于六个月."""
    reason = rules.refusal(kind, days)
    assert reason is not None and "art. 21(3)" in reason and "六个月" in reason
    with pytest.raises(PolicyRefused, match=r"art\. 21\(3\)"):
        Policy({kind: days})


@given(kind=st.sampled_from(list(Kind)), days=st.integers(rules.MIN_DAYS, 100_000))
def test_six_months_or_more_and_for_ever_are_accepted(kind, days):
    assert rules.refusal(kind, days) is None
    assert rules.refusal(kind, rules.FOREVER) is None
    assert Policy({kind: days}).of(kind) == days


def test_183_days_is_short_of_six_months_from_the_first_of_july():
    """July to December is 184 days: 183 would let a record of 1 July go a day early."""
    assert (date(2027, 1, 1) - date(2026, 7, 1)).days == rules.MIN_DAYS == 184
    assert rules.refusal(Kind.AUDIT, 183) is not None


@given(days=st.integers(1, 400))
def test_notifications_are_not_network_logs(days):
    assert rules.refusal(Kind.NOTIFICATIONS, days) is None


def test_negative_periods_are_refused():
    assert rules.refusal(Kind.NOTIFICATIONS, -1) is not None


@pytest.mark.parametrize(("name", "kind"), [
    ("retention_audit_days", "audit_log"), ("retention_access_log_days", "access_log"),
    ("retention_monitoring_events_days", "monitoring_events")])
def test_settings_refuse_a_short_period_with_the_clause(name, kind):
    with pytest.raises(ValueError, match=rf"{kind}.*Cybersecurity Law art\. 21\(3\)"):
        Settings(**{name: 90})


def test_default_settings_keep_network_logs_six_months_or_more():
    policy = Settings().retention_policy
    assert all(policy.of(k) == 0 or policy.of(k) >= rules.MIN_DAYS for k in COVERED)
    assert Settings(retention_audit_days=0).retention_policy.of(Kind.AUDIT) == rules.FOREVER


@given(now=moments, days=st.integers(1, 5000))
def test_the_cutoff_keeps_every_record_at_least_its_period(now, days):
    cut = rules.cutoff(now, days)
    assert cut == start_of(day_of(now) - timedelta(days=days))
    # a record written just at the cutoff is kept; it is at least ``days`` days old only later
    assert now - cut >= timedelta(days=days)
    assert now - cut < timedelta(days=days + 1)


def test_for_ever_has_no_cutoff():
    assert rules.cutoff(datetime(2026, 12, 2, tzinfo=UTC), rules.FOREVER) is None


def _rows(*spec):  # (age in days, held) from the oldest
    now = datetime(2026, 12, 2, tzinfo=UTC)
    return [rules.AuditRow(i + 1, now - timedelta(days=age), held)
            for i, (age, held) in enumerate(spec)], now


def test_only_an_unbroken_prefix_of_the_audit_chain_goes():
    rows, now = _rows((400, False), (300, False), (250, True), (240, False), (10, False))
    assert rules.audit_prefix(rows, now - timedelta(days=200)) == 2  # stops at the held row
    rows, now = _rows((400, False), (300, False), (100, False), (250, False))
    assert rules.audit_prefix(rows, now - timedelta(days=200)) == 2  # stops at a young row
    rows, now = _rows((400, True), (300, False))
    assert rules.audit_prefix(rows, now - timedelta(days=200)) == 0


@pytest.mark.parametrize(("responses", "investigations", "explicit", "held"), [
    ((), (), False, False), (("ended",), ("approved",), False, False),
    (("active",), (), False, True), (("end_proposed",), (), False, True),
    (("ended",), ("submitted",), False, True), (("ended",), ("draft",), False, True),
    ((), (), True, True)])
def test_incidents_under_response_or_investigation_are_held(responses, investigations,
                                                            explicit, held):
    """Plan §4.2–§4.3 (a response not ended), §5 (its investigation not approved), §4.1."""
    assert rules.is_held(response_states=responses, investigation_states=investigations,
                         explicit_hold=explicit) is held


def test_access_files_are_named_by_day_and_expire_once_wholly_past_the_cutoff():
    day = date(2026, 5, 1)
    name = rules.access_file_name("access", ".jsonl", day)
    assert name == "access-2026-05-01.jsonl"
    assert rules.access_file_day(name, "access", ".jsonl") == day
    assert rules.access_file_day("access.jsonl", "access", ".jsonl") is None
    assert rules.access_file_day("other-2026-05-01.jsonl", "access", ".jsonl") is None
    assert rules.access_file_day("access-2026-13-01.jsonl", "access", ".jsonl") is None
    cut = start_of(date(2026, 5, 2))
    days = [date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 2)]
    assert rules.expired_access_days(days, cut) == [date(2026, 4, 30), date(2026, 5, 1)]
    assert rules.expired_access_days(days, None) == []


@pytest.mark.parametrize(("param", "secret"), [
    ("token", True), ("access_token", True), ("Password", True), ("api_key", True),
    ("q", False), ("limit", False), ("state", False)])
def test_secret_query_parameters(param, secret):
    assert rules.is_secret_param(param) is secret
