"""Pure rules of incidents with many owners (issue 16 item 5) and of personal information in an
incident (item 6, Law art. 42 ¶2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenghuo.incident import owner_rules as o
from fenghuo.incident import pi_rules as pi
from fenghuo.incident.rules import DutyKind, State
from fenghuo.org.rules import BodyKind

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("reporter", "unit", "in_scope", "allowed", "code"), [
    (BodyKind.OFFICE, BodyKind.OPERATOR, True, True, "report_about.in_scope"),
    (BodyKind.OFFICE, BodyKind.OPERATOR, False, False, "report_about.out_of_scope"),
    # Support obligation 7: a support unit reports what it discovers at any operator unit
    (BodyKind.SUPPORT_UNIT, BodyKind.OPERATOR, False, True, "report_about.discovered"),
    (BodyKind.SUPPORT_TEAM, BodyKind.OPERATOR, False, True, "report_about.discovered"),
    (BodyKind.SUPPORT_UNIT, BodyKind.OFFICE, False, False, "report_about.out_of_scope"),
    (BodyKind.OPERATOR, BodyKind.OPERATOR, False, False, "report_about.out_of_scope"),
    (BodyKind.CERT, None, True, False, "report_about.out_of_scope"),  # no such unit
])
def test_who_may_report_about_a_unit_law_art_30(reporter, unit, in_scope, allowed, code):
    d = o.may_report_about(reporter_kind=reporter, key="u-1", unit_kind=unit, in_scope=in_scope)
    assert d.allowed is allowed
    reason = d.basis if allowed else d.refusals[0]
    assert reason.code == code
    if not allowed:
        assert "u-1" in reason.text_zh and "'u-1'" in reason.text_en


def test_duplicates_are_named_once():
    assert o.duplicates(["a", "b", "a", "c", "a", "b"]) == ["a", "b"]


def test_common_path_is_the_lowest_jurisdiction_over_all():
    assert o.common_path(["/1/2/7/", "/1/2/9/"]) == "/1/2/"
    assert o.common_path(["/1/2/", "/1/3/"]) == "/1/"
    assert o.common_path(["/1/2/7/"]) == "/1/2/7/"
    assert o.common_path([]) is None


def test_rollup_counts_states_and_takes_the_worst_grade_plan_1_4():
    r = o.rollup([("reported", "general"), ("closed", "major"), ("handling", "relatively_major")])
    assert (r.total, r.open, r.worst_grade.value) == (3, 2, "major")
    assert r.by_state == {"reported": 1, "closed": 1, "handling": 1}
    assert not r.all_closed and not r.all_resolved
    done = o.rollup([("closed", "general"), ("closed", "general")])
    assert done.all_closed and done.all_resolved
    assert not o.rollup([]).all_closed  # no units: nothing to close on


def test_the_parent_resolves_and_closes_only_after_its_units():
    some_open = o.rollup([("resolved", "general"), ("handling", "general")])
    assert o.parent_may_become(State.RESOLVED, some_open).refusals[0].code == \
        "parent.children_open"
    assert o.parent_may_become(State.CLOSED, some_open).refusals[0].code == \
        "parent.children_not_closed"
    assert o.parent_may_become(State.HANDLING, some_open).allowed
    resolved = o.rollup([("resolved", "general"), ("closed", "general")])
    assert o.parent_may_become(State.RESOLVED, resolved).allowed
    assert not o.parent_may_become(State.CLOSED, resolved).allowed
    assert o.parent_may_become(State.CLOSED, o.rollup([("closed", "major")])).allowed


def test_the_clock_to_tell_users_law_art_42():
    assert pi.PersonalInfo(100).clock_needed
    assert not pi.PersonalInfo(100, inform_users=False).clock_needed
    assert not pi.PersonalInfo(None).clock_needed and not pi.PersonalInfo(0).involved
    d = pi.inform_duty(7, T0, pi.DEFAULT_INFORM_HOURS)
    assert (d.kind, d.body_id, d.due_at) == (DutyKind.INFORM_USERS, 7, T0 + timedelta(hours=72))
    assert "Law art. 42" in d.source and "pi_inform_hours" in d.source


def test_records_stated_win_over_the_grading_fact():
    assert pi.records_of(10, 5000) == 10
    assert pi.records_of(None, 5000) == 5000
    assert pi.records_of(None, None) is None


@pytest.mark.parametrize(("informed", "now", "want"), [
    (None, T0 + timedelta(hours=1), pi.InformState.DUE),
    (None, T0 + timedelta(hours=73), pi.InformState.OVERDUE),
    (T0 + timedelta(hours=2), T0 + timedelta(hours=90), pi.InformState.INFORMED),
    (T0 + timedelta(hours=80), T0 + timedelta(hours=90), pi.InformState.INFORMED_LATE),
])
def test_where_telling_the_users_stands(informed, now, want):
    due = T0 + timedelta(hours=72)
    assert pi.inform_state(pi.PersonalInfo(5), due, informed, now) == want


def test_no_records_no_state_and_an_exemption_has_no_clock():
    assert pi.inform_state(pi.PersonalInfo(None), None, None, T0) is None
    assert pi.inform_state(pi.PersonalInfo(5, False), None, None, T0) == \
        pi.InformState.NOT_REQUIRED


def test_recording_users_informed_is_checked():
    ok = dict(found_at=T0, now=T0 + timedelta(hours=5), pi=pi.PersonalInfo(5))
    assert pi.informed_problems(at=T0 + timedelta(hours=1), **ok) == []
    assert pi.informed_problems(at=T0 + timedelta(days=1), **ok) == [("at", "lies in the future")]
    assert pi.informed_problems(at=T0 - timedelta(hours=1), **ok)[0][0] == "at"
    assert pi.informed_problems(at=T0, found_at=T0, now=T0, pi=pi.PersonalInfo(5, False))[0][0] \
        == "personal_information"
