"""Important-event protection periods, the pure rules (Plan §6.5): who declares and requires the
red-warning response, a usable span and scope, who gets which red task, the reminders at the
start and the end, and who sees a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenghuo.org.rules import BodyFunction, BodyKind
from fenghuo.warning import protection_rules as r
from fenghuo.warning.authority import Issuer, may_require_red_response
from fenghuo.warning.checklists import checklist
from fenghuo.warning.distribution import Body
from fenghuo.warning.rules import WarningLevel, WarningScope

NATION, BJ, BJ_CITY, SH = "/1/", "/1/2/", "/1/2/5/", "/1/3/"
EO = Body(1, BodyKind.OFFICE, NATION, function=BodyFunction.NATIONAL_EMERGENCY_OFFICE)
MIIT = Body(2, BodyKind.DEPARTMENT, NATION, frozenset({"telecom"}))
BJ_OFFICE = Body(10, BodyKind.OFFICE, BJ)
BJ_FIN = Body(11, BodyKind.DEPARTMENT, BJ, frozenset({"finance"}))
BJ_TEL = Body(12, BodyKind.DEPARTMENT, BJ, frozenset({"telecom"}))
SH_OFFICE = Body(20, BodyKind.OFFICE, SH)
TEAM = Body(30, BodyKind.SUPPORT_TEAM, NATION)
BJ_BANK = Body(40, BodyKind.OPERATOR, BJ, frozenset({"finance"}))
ALL = [EO, MIIT, BJ_OFFICE, BJ_FIN, BJ_TEL, SH_OFFICE, TEAM, BJ_BANK]

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
HOUR = timedelta(hours=1)


def scope(*paths: str, sectors: tuple[str, ...] = ()) -> WarningScope:
    return WarningScope(frozenset(paths), frozenset(sectors))


def issuer(body: Body) -> Issuer:
    return Issuer(body.id, body.kind, body.jurisdiction_path, body.sectors, body.function)


def test_only_the_emergency_office_declares_and_requires_the_red_response():
    """Plan §6.5: 应急办统筹协调网络安全保障工作，根据需要要求有关省（区、市）、部门启动红色预警
    响应 — one rule for both; a province office, even Beijing's, is refused with the clause."""
    assert r.may_declare(issuer(EO)).allowed
    assert r.may_declare(issuer(EO)).basis.source == "Plan §6.5"
    for body in (BJ_OFFICE, MIIT, BJ_FIN):
        refused = r.may_declare(issuer(body))
        assert [x.code for x in refused.refusals] == ["protection.not_emergency_office"]
        assert refused.refusals[0].source == "Plan §6.5"
        assert refused == may_require_red_response(issuer(body))


def test_a_usable_span_and_scope_are_named_field_by_field():
    """Project rules on Plan §6.5: the end after the start and not already past; a jurisdiction
    or a sector named."""
    ok = r.PeriodDraft(T0 + HOUR, T0 + 48 * HOUR, scope(BJ))
    assert r.period_problems(ok, T0) == []
    sectors_only = r.PeriodDraft(T0, T0 + HOUR, scope(sectors=("finance",)))
    assert r.period_problems(sectors_only, T0) == []  # the finance sector, nationwide
    backwards = r.PeriodDraft(T0 + 2 * HOUR, T0 + HOUR, scope())
    problems = r.period_problems(backwards, T0)
    assert [(p.field, p.code) for p in problems] == [("ends_at", "invalid"),
                                                     ("jurisdictions", "missing")]
    assert all(p.source == "Plan §6.5" and p.text_zh and p.text_en for p in problems)
    over = r.PeriodDraft(T0 - 48 * HOUR, T0 - HOUR, scope(BJ))
    assert [p.field for p in r.period_problems(over, T0)] == ["ends_at"]
    assert "past" in r.period_problems(over, T0)[0].text_en


@pytest.mark.parametrize(("now", "ended", "want"), [
    (T0 - HOUR, None, r.Phase.SCHEDULED),
    (T0, None, r.Phase.ACTIVE),
    (T0 + 23 * HOUR, None, r.Phase.ACTIVE),
    (T0 + 24 * HOUR, None, r.Phase.ENDED),
    (T0 + 2 * HOUR, T0 + HOUR, r.Phase.ENDED),  # ended early
    (T0 - HOUR, T0 - 2 * HOUR, r.Phase.ENDED),  # called off before it began
])
def test_phase(now, ended, want):
    """A period runs from its start to its end, or until the Emergency Office ends it."""
    assert r.phase(starts_at=T0, ends_at=T0 + 24 * HOUR, ended_at=ended, now=now) == want


def test_the_red_response_is_required_once_while_the_period_runs():
    """Plan §6.5 (在……期间): while active, once."""
    assert r.red_conflict(r.Phase.ACTIVE, required=False) is None
    assert r.red_conflict(r.Phase.ACTIVE, required=True) == r.ALREADY_REQUIRED
    assert r.red_conflict(r.Phase.SCHEDULED, required=False) == r.NOT_RUNNING
    assert r.red_conflict(r.Phase.ENDED, required=False) == r.NOT_RUNNING
    assert r.end_conflict(r.Phase.ENDED) == r.ALREADY_ENDED
    assert r.end_conflict(r.Phase.SCHEDULED) is None and r.end_conflict(r.Phase.ACTIVE) is None


def test_red_tasks_go_to_the_office_the_bodies_in_scope_and_the_teams_not_units():
    """Plan §6.5 → the red checklist of §3.4.1: the Emergency Office organizes (1), the
    provinces and departments in scope keep 24-hour duty (2), the national support teams
    stand by (3); a Beijing finance period leaves out telecom, Shanghai and the bank."""
    bj_finance = scope(BJ, sectors=("finance",))
    assert r.in_scope(bj_finance, ALL) == [10, 11]
    tasks = checklist(WarningLevel.RED, r.red_response_scope(bj_finance, ALL, office_id=1))
    by_body: dict[int, set[str]] = {}
    for t in tasks:
        by_body.setdefault(t.body_id, set()).add(t.code)
    assert set(by_body) == {1, 10, 11, 30}
    assert {"red.duty_24h", "red.prepare", "red.report"} == by_body[10] == by_body[11]
    assert by_body[30] == {"red.standby", "red.check_equipment"}
    assert by_body[1] == {"red.contact_experts", "red.study_measures"}
    assert {t.source for t in tasks} <= {"Plan §3.4.1 (1)", "Plan §3.4.1 (2)",
                                         "Plan §3.4.1 (3)"}
    national = r.in_scope(scope(NATION), ALL)
    assert national == [2, 10, 20]  # the national department and the provinces' offices


@pytest.mark.parametrize(("now", "start_sent", "end_sent", "ended", "want"), [
    (T0 - HOUR, False, False, None, []),
    (T0, False, False, None, [r.Reminder.START]),
    (T0 + HOUR, True, False, None, []),
    (T0 + 24 * HOUR, True, False, None, [r.Reminder.END]),
    (T0 + 25 * HOUR, True, True, None, []),
    (T0 + 30 * HOUR, False, False, None, [r.Reminder.END]),  # no start notice after the end
    (T0 + HOUR, True, False, T0 + HOUR, [r.Reminder.END]),  # ended early
])
def test_reminders_once_at_the_start_and_once_at_the_end(now, start_sent, end_sent, ended,
                                                          want):
    """Plan §6.5 (project rule): the bodies in scope are told when the period starts and ends."""
    assert r.notices_due(starts_at=T0, ends_at=T0 + 24 * HOUR, ended_at=ended,
                         start_sent=start_sent, end_sent=end_sent, now=now) == want


def test_who_a_period_concerns():
    """Law art. 30: a period concerns the places it names, those above (a city's period
    concerns its province) and below, and callers of a sector it names or of every sector."""
    bj_finance = scope(BJ, sectors=("finance",))
    assert r.concerns(bj_finance, BJ, None)
    assert r.concerns(bj_finance, BJ_CITY, None)  # a Beijing district office
    assert r.concerns(bj_finance, NATION, None)  # the Emergency Office
    assert not r.concerns(bj_finance, SH, None)
    assert r.concerns(bj_finance, BJ, frozenset({"finance"}))
    assert not r.concerns(bj_finance, BJ, frozenset({"telecom"}))
    assert r.concerns(scope(NATION), SH, frozenset({"telecom"}))
