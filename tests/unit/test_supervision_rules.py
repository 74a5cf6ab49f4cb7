"""Pure rules of directives (Law art. 55) and interviews (约谈, Law art. 56): who may direct
whom along the organization tree and the sectors (Plan §2.3–§2.4), the states and which side
acts, the deadlines, overdue, and the reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenghuo.org.rules import BodyKind, JurisdictionLevel
from fenghuo.supervision import rules as r

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
BJ, BJ_CITY, SH = "/1/2/", "/1/2/40/", "/1/23/"
NATIONAL, PROVINCE, CITY = (JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCE,
                            JurisdictionLevel.CITY)


def body(id_: int, kind: BodyKind, path: str, level=PROVINCE, sectors=(), active=True):
    return r.Party(id=id_, kind=kind, jurisdiction_path=path, level=level,
                   sectors=frozenset(sectors), active=active)


OFFICE = body(1, BodyKind.OFFICE, BJ)
FINANCE = body(2, BodyKind.DEPARTMENT, BJ, sectors={"finance"})
BANK = body(3, BodyKind.OPERATOR, BJ, sectors={"finance"})
TELCO = body(4, BodyKind.OPERATOR, BJ, sectors={"telecom"})


def codes(decision) -> set[str]:
    return {x.code for x in decision.refusals}


class TestWhoMayDirectWhom:
    """Law arts. 55, 56; Plan §2.3 (departments: their sectors), §2.4 (provinces: their
    region); Law art. 30 (scope)."""

    @pytest.mark.parametrize("kind", list(r.Kind))
    def test_an_office_directs_and_interviews_the_units_of_its_subtree(self, kind):
        city_unit = body(5, BodyKind.SUPPORT_UNIT, BJ_CITY, level=CITY)
        for unit in (BANK, TELCO, city_unit):
            decision = r.may_direct(kind, OFFICE, unit)
            assert decision.allowed and decision.basis.code == "supervision.authority"

    def test_nobody_directs_a_unit_outside_its_jurisdiction(self):
        shanghai_bank = body(6, BodyKind.OPERATOR, SH, sectors={"finance"})  # /1/23/ vs /1/2/
        assert codes(r.may_direct(r.Kind.DIRECTIVE, OFFICE, shanghai_bank)) == {
            "supervision.out_of_jurisdiction"}
        assert codes(r.may_direct(r.Kind.DIRECTIVE, FINANCE, shanghai_bank)) == {
            "supervision.out_of_jurisdiction"}

    def test_a_department_directs_only_the_operator_units_of_its_sectors(self):
        assert r.may_direct(r.Kind.INTERVIEW, FINANCE, BANK).allowed
        assert codes(r.may_direct(r.Kind.DIRECTIVE, FINANCE, TELCO)) == {
            "supervision.out_of_sector"}
        support = body(9, BodyKind.SUPPORT_UNIT, BJ)
        assert codes(r.may_direct(r.Kind.DIRECTIVE, FINANCE, support)) == {
            "supervision.out_of_sector"}

    @pytest.mark.parametrize("kind", [BodyKind.OPERATOR, BodyKind.CERT, BodyKind.SUPPORT_UNIT,
                                      BodyKind.LEADING_GROUP])
    def test_a_unit_or_a_cert_cannot_direct(self, kind):
        assert codes(r.may_direct(r.Kind.DIRECTIVE, body(10, kind, BJ), TELCO)) == {
            "supervision.not_an_authority"}

    def test_only_units_are_directed_and_never_oneself(self):
        assert codes(r.may_direct(r.Kind.DIRECTIVE, OFFICE, FINANCE)) == {
            "supervision.not_a_unit"}
        assert codes(r.may_direct(r.Kind.DIRECTIVE, OFFICE, OFFICE)) == {"supervision.self"}
        inactive = body(11, BodyKind.OPERATOR, BJ, active=False)
        assert codes(r.may_direct(r.Kind.DIRECTIVE, OFFICE, inactive)) == {
            "supervision.inactive"}

    def test_interviews_are_held_at_the_provincial_level_or_above(self):
        """Law art. 56: 省级以上人民政府有关部门."""
        city_office = body(12, BodyKind.OFFICE, BJ_CITY, level=CITY)
        city_bank = body(13, BodyKind.OPERATOR, BJ_CITY + "77/", level=JurisdictionLevel.COUNTY)
        assert r.may_direct(r.Kind.DIRECTIVE, city_office, city_bank).allowed
        refused = r.may_direct(r.Kind.INTERVIEW, city_office, city_bank)
        assert codes(refused) == {"interview.provincial_or_above"}
        assert refused.refusals[0].source == "Law art. 56"
        nation = body(14, BodyKind.OFFICE, "/1/", level=NATIONAL)
        assert r.may_direct(r.Kind.INTERVIEW, nation, city_bank).allowed


class TestStates:
    def test_the_unit_reports_and_the_issuer_verifies_or_reopens(self):
        state = r.State.ISSUED
        for action in (r.Action.ACKNOWLEDGE, r.Action.REPORT, r.Action.REOPEN, r.Action.REPORT,
                       r.Action.VERIFY):
            assert r.action_conflict(state, action) is None, (state, action)
            state = r.AFTER[action]
        assert state is r.State.CLOSED and {r.State.CLOSED} == r.TERMINAL

    @pytest.mark.parametrize("action", list(r.Action))
    def test_nothing_more_on_a_closed_item(self, action):
        problem = r.action_conflict(r.State.CLOSED, action)
        assert problem and "already closed" in problem and "已核验办结" in problem

    def test_an_issuer_cannot_close_before_the_unit_reported(self):
        assert "it can only be: acknowledge, report" in r.action_conflict(
            r.State.ISSUED, r.Action.VERIFY)

    def test_each_side_sees_its_own_actions(self):
        assert r.actions_for(r.State.ISSUED, r.Side.UNIT) == ["acknowledge", "report"]
        assert r.actions_for(r.State.ISSUED, r.Side.ISSUER) == []
        assert r.actions_for(r.State.REPORTED, r.Side.ISSUER) == ["reopen", "verify"]
        assert r.actions_for(r.State.REPORTED, None) == []
        assert not r.may_act(r.Action.VERIFY, r.Side.UNIT).allowed
        assert r.may_act(r.Action.REPORT, r.Side.UNIT).allowed

    def test_every_label_is_bilingual(self):
        for labels, enum in ((r.KIND_LABELS, r.Kind), (r.STATE_LABELS, r.State),
                             (r.CLOCK_LABELS, r.ClockState),
                             (r.INTERVIEWEE_LABELS, r.IntervieweeRole)):
            assert set(labels) == set(enum)
            assert all(zh and en and zh != en for zh, en in labels.values())


class TestDeadlines:
    def test_a_directive_needs_its_time_limit_ahead(self):
        """Law art. 55, 责令限期: the time limit is required and lies in the future."""
        (missing,) = r.deadline_problems(r.Kind.DIRECTIVE, now=NOW, due_at=None)
        assert (missing.field, missing.source) == ("due_at", "Law art. 55")
        (past,) = r.deadline_problems(r.Kind.DIRECTIVE, now=NOW, due_at=NOW)
        assert "future" in past.message
        (far,) = r.deadline_problems(r.Kind.DIRECTIVE, now=NOW, due_at=NOW + timedelta(days=400))
        assert "project rule" in far.message
        assert r.deadline_problems(r.Kind.DIRECTIVE, now=NOW, due_at=NOW + timedelta(days=7)) == []

    def test_an_interview_is_recorded_once_held_with_a_rectification_deadline(self):
        """Law art. 56: the interview, then 整改 by a deadline."""
        problems = r.deadline_problems(r.Kind.INTERVIEW, now=NOW, due_at=None)
        assert {(p.field, p.source) for p in problems} == {("interviewed_at", "Law art. 56"),
                                                          ("due_at", "Law art. 56")}
        (future,) = r.deadline_problems(r.Kind.INTERVIEW, now=NOW,
                                        due_at=NOW + timedelta(days=10),
                                        interviewed_at=NOW + timedelta(hours=1))
        assert future.field == "interviewed_at"
        assert r.deadline_problems(r.Kind.INTERVIEW, now=NOW, due_at=NOW + timedelta(days=10),
                                   interviewed_at=NOW - timedelta(hours=1)) == []

    def test_overdue_is_still_owed_past_the_deadline_or_reported_after_it(self):
        due = NOW + timedelta(days=2)
        after = due + timedelta(hours=1)
        assert r.clock_state(r.State.ISSUED, due, None, NOW) is r.ClockState.DUE
        assert r.clock_state(r.State.ACKNOWLEDGED, due, None, after) is r.ClockState.OVERDUE
        assert r.clock_state(r.State.REPORTED, due, NOW, after) is r.ClockState.MET
        assert r.clock_state(r.State.CLOSED, due, after, after) is r.ClockState.LATE
        # reopened: owed again, whatever was reported before
        assert r.clock_state(r.State.REOPENED, due, NOW, after) is r.ClockState.OVERDUE
        assert {r.ClockState.LATE, r.ClockState.OVERDUE} == r.FAILED

    def test_reminders_once_before_and_once_after_the_deadline(self):
        due = NOW + timedelta(days=3)

        def remind(now, reminded=None, flagged=None, started=NOW, state=r.State.ISSUED):
            return r.reminder_due(state, due_at=due, clock_started_at=started, now=now,
                                  reminded_at=reminded, overdue_flagged_at=flagged)

        assert remind(NOW) is None
        soon = due - timedelta(hours=5)
        assert remind(soon) is r.Reminder.DUE_SOON
        assert remind(soon, reminded=soon) is None
        assert remind(soon, started=due - timedelta(hours=20)) is None  # given under 24 h
        late = due + timedelta(minutes=1)
        assert remind(late, reminded=soon) is r.Reminder.OVERDUE
        assert remind(late, reminded=soon, flagged=late) is None
        assert remind(late, state=r.State.REPORTED) is None
