"""Pure rules of the support network (no database): Support obligations 4–9 (CNCERT cooperation
plan with support units), Plan §3.4.1 (3), §7.2, §7.3."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fenghuo.common.periods import Half, Month
from fenghuo.org.rules import BodyKind
from fenghuo.support import rules
from fenghuo.support.rules import (
    Check,
    Code,
    MonthFacts,
    Outcome,
    Status,
    WorkFacts,
    WorkKind,
)
from fenghuo.warning.rules import WarningScope

OCT = Month(2026, 10)
NOV_2 = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)  # October is over, November in progress
OCT_15 = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)


def facts(**kw) -> MonthFacts:
    return MonthFacts(**{"month": OCT, "responses": 1, "support_minutes": 40 * 60,
                         "has_24x7_contact": True, **kw})


def status(f: MonthFacts, code: Code, now: datetime = NOV_2) -> Status:
    return rules.assess_month(f, now).result(code).status


# --- obligation 5: 5×8 hours ------------------------------------------------------------------


def test_obligation_5_39_hours_is_unmet_40_is_met():
    """Support obligation 5: 平均每月提供不少于5×8工时的网络安全技术支持."""
    assert status(facts(support_minutes=39 * 60), Code.HOURS) == Status.UNMET
    assert status(facts(support_minutes=40 * 60 - 1), Code.HOURS) == Status.UNMET
    assert status(facts(support_minutes=40 * 60), Code.HOURS) == Status.MET
    reason = rules.assess_month(facts(support_minutes=39 * 60), NOV_2).unmet()[0]
    assert reason.source == "Support obligation 5" and "1h short" in reason.text_en


@given(st.integers(min_value=0, max_value=200 * 60))
def test_obligation_5_met_exactly_from_2400_minutes(minutes):
    met = status(facts(support_minutes=minutes), Code.HOURS) == Status.MET
    assert met == (minutes >= rules.MIN_SUPPORT_MINUTES_PER_MONTH == 2400)


# --- obligation 4: one incident response a month ----------------------------------------------


def test_obligation_4_no_response_is_unmet_one_is_met():
    """Support obligation 4: 平均每月参与不少于1次的网络安全事件应急服务."""
    assert status(facts(responses=0), Code.RESPONSES) == Status.UNMET
    assert status(facts(responses=1), Code.RESPONSES) == Status.MET


def test_the_current_month_is_in_progress_not_unmet():
    """A month not over shows its shortfall so far, never "unmet" (issue 7)."""
    a = rules.assess_month(facts(responses=0, support_minutes=600), OCT_15)
    assert a.result(Code.RESPONSES).status == Status.IN_PROGRESS
    hours = a.result(Code.HOURS)
    assert hours.status == Status.IN_PROGRESS and "30h short" in hours.reasons[0].text_en
    assert a.unmet() == []
    future = rules.assess_month(facts(month=Month(2026, 12), responses=0), OCT_15)
    assert future.result(Code.RESPONSES).status == Status.NOT_DUE


def test_days_are_china_standard_time():
    """Project's reading: 31 Oct 17:00 UTC is 1 Nov in Beijing."""
    assert rules.day_of(datetime(2026, 10, 31, 17, 0, tzinfo=UTC)) == date(2026, 11, 1)
    assert rules.start_of(date(2026, 11, 1)) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


# --- obligation 6: 7×24 contact ---------------------------------------------------------------


def test_obligation_6_untested_month_is_not_unmet():
    """Support obligation 6 (7×24小时联系机制): no check that month is "untested"."""
    assert status(facts(), Code.CONTACT) == Status.UNTESTED
    assert status(facts(has_24x7_contact=False), Code.CONTACT) == Status.UNMET


def test_obligation_6_answered_within_30_minutes_passes_later_fails():
    """Support obligation 6 with the project's 30-minute threshold."""
    sent = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)
    in_time = Check(sent, sent + timedelta(minutes=30))
    late = Check(sent, sent + timedelta(minutes=31))
    assert rules.check_state(in_time, NOV_2) == rules.CheckState.PASSED
    assert rules.check_state(late, NOV_2) == rules.CheckState.LATE
    assert rules.check_state(Check(sent, None), sent + timedelta(minutes=29)) == \
        rules.CheckState.PENDING
    assert rules.check_state(Check(sent, None), sent + timedelta(minutes=30)) == \
        rules.CheckState.UNANSWERED
    assert status(facts(checks=(in_time,)), Code.CONTACT) == Status.MET
    assert status(facts(checks=(in_time, late)), Code.CONTACT) == Status.UNMET


def test_obligation_7_discovered_incidents_are_counted_without_minimum():
    """Support obligation 7: counted, never unmet."""
    r = rules.assess_month(facts(discovered=0), NOV_2).result(Code.DISCOVERED)
    assert r.status == Status.COUNTED and r.value == 0 and r.required is None


def test_six_month_average():
    """Support obligations 4–5 say 平均每月: the half-year view gives the average too."""
    avg = rules.averages([facts(responses=0, support_minutes=0), facts(responses=2,
                                                                       support_minutes=80 * 60)])
    assert (avg.months, avg.responses_per_month, avg.hours_per_month) == (2, 1.0, 40.0)


# --- obligation 8: work report ----------------------------------------------------------------


def test_obligation_8_report_missing_after_the_due_day():
    """Support obligation 8 (每半年向CNCERT提交工作报告), due 15 days after the half (project's)."""
    h2 = Half(2026, 2)
    assert rules.report_due(h2) == date(2027, 1, 15)
    assert rules.assess_report(h2, None, date(2027, 1, 15)).status == Status.IN_PROGRESS
    missing = rules.assess_report(h2, None, date(2027, 1, 16))
    assert missing.status == Status.UNMET and missing.reasons[0].code == "report.missing"
    assert rules.assess_report(h2, None, date(2026, 12, 1)).status == Status.NOT_DUE
    late = rules.assess_report(h2, date(2027, 1, 20), date(2027, 2, 1))
    assert late.status == Status.MET and late.reasons[0].code == "report.late"


# --- obligation 9: rubric, outcomes, disqualification, rounds -----------------------------------


def half_facts(months_met: int = 6, report_on=date(2027, 1, 10), discovered: int = 5,
               passed: int = 2, failed: int = 0) -> rules.HalfFacts:
    h = Half(2026, 2)
    now = datetime(2027, 2, 1, tzinfo=UTC)
    months = tuple(rules.assess_month(MonthFacts(
        m, 1 if i < months_met else 0, 2400 if i < months_met else 0, True), now)
        for i, m in enumerate(h.months()))
    return rules.HalfFacts(h, months, discovered, passed, failed, True,
                           rules.assess_report(h, report_on, date(2027, 2, 1)))


def test_rubric_totals_100_and_the_best_are_commended():
    """Support obligation 9: 对于表现优秀的支撑单位给予通报表扬 (the rubric is the project's)."""
    assert rules.RUBRIC_MAX == 100
    r = rules.score(half_facts(), cooperation=15)
    assert r.total == 100 and r.proposed == Outcome.COMMENDED and r.grounds == ()
    assert rules.score(half_facts(), cooperation=4).proposed == Outcome.SATISFACTORY  # 89
    assert rules.score(half_facts(months_met=4, discovered=0), cooperation=0).total == \
        round(25 * 4 / 6) * 2 + 15 + 10


def test_grounds_and_proposed_disqualification():
    """Support obligation 9: 未按要求履行义务…视情取消: grounds are named by the rule."""
    r = rules.score(half_facts(months_met=2, report_on=None, discovered=0), cooperation=0)
    assert {g.code for g in r.grounds} == {"grounds.no_report", "grounds.responses",
                                           "grounds.hours"}
    assert r.total < 60 and r.proposed == Outcome.DISQUALIFIED
    # grounds but a fair score: never commended
    assert rules.proposed_outcome(95, r.grounds) == Outcome.SATISFACTORY
    assert rules.proposed_outcome(55, ()) == Outcome.WARNED


def test_disqualification_needs_grounds_and_confirmation():
    """Support obligation 9 (视情取消)."""
    grounds = rules.disqualification_grounds(half_facts(report_on=None))
    assert rules.may_disqualify(grounds, confirmed=True).allowed
    assert [r.code for r in rules.may_disqualify(grounds, False).refusals] == [
        "disqualify.not_confirmed"]
    assert [r.code for r in rules.may_disqualify([], True).refusals] == [
        "disqualify.no_grounds"]


def test_evaluation_after_the_half_once():
    """Support obligation 9: 每半年…综合评价."""
    h = Half(2026, 2)
    assert [r.code for r in rules.may_evaluate(h, date(2026, 12, 31), False).refusals] == [
        "evaluate.half_not_over"]
    assert rules.may_evaluate(h, date(2027, 1, 1), False).allowed
    assert not rules.may_evaluate(h, date(2027, 1, 1), True).allowed


def test_barred_unit_is_refused_the_next_round():
    """Support obligation 9: 取消其作为应急服务支撑单位的权利，并停止下一届申请资格."""
    past = [rules.PastMembership(4, barred_from_next_round=True)]
    d = rules.may_admit(BodyKind.SUPPORT_UNIT, 5, past)
    assert [r.code for r in d.refusals] == ["admit.barred"]
    assert d.refusals[0].source == "Support obligation 9"
    assert rules.may_admit(BodyKind.SUPPORT_UNIT, 5, [rules.PastMembership(4, False)]).allowed
    assert [r.code for r in rules.may_admit(BodyKind.OPERATOR, 5, []).refusals] == [
        "admit.not_support_unit"]


def test_management_is_the_national_center():
    """Support obligation 9: 接受CNCERT对本单位的业务管理."""
    assert rules.may_manage(rules.ManagerFacts(BodyKind.CERT, True, True)).allowed
    branch = rules.may_manage(rules.ManagerFacts(BodyKind.CERT, False, True))
    assert [r.code for r in branch.refusals] == ["manage.not_national_cert"]
    office = rules.may_manage(rules.ManagerFacts(BodyKind.OFFICE, True, False))
    assert {r.code for r in office.refusals} == {"manage.not_national_cert", "manage.permission"}


def test_obligations_start_with_the_first_whole_month():
    """Project's choice: admitted on the 1st owes that month, otherwise the next."""
    assert rules.first_obligated_month(date(2026, 10, 1)) == Month(2026, 10)
    assert rules.first_obligated_month(date(2026, 10, 2)) == Month(2026, 11)


# --- the work log -----------------------------------------------------------------------------


def entry(**kw) -> WorkFacts:
    return WorkFacts(**{"kind": WorkKind.TECHNICAL_SUPPORT, "minutes": 60,
                        "worked_on": date(2026, 10, 2), "today": date(2026, 11, 1),
                        "day_minutes": 0, "links_incident_or_response": False,
                        "links_warning": False, "with_body_kind": BodyKind.CERT, **kw})


def test_work_entries():
    """Minutes > 0, no future day, ≤ 24 h a day; an incident response links an incident or
    response (Support obligation 4); the work is with a CERT (obligations 4–5)."""
    assert rules.work_problems(entry()) == []
    assert [e.field for e in rules.work_problems(entry(minutes=0))] == ["minutes"]
    assert [e.field for e in rules.work_problems(entry(worked_on=date(2026, 11, 2)))] == [
        "worked_on"]
    assert rules.work_problems(entry(minutes=60, day_minutes=23 * 60)) == []
    assert [e.field for e in rules.work_problems(entry(minutes=61, day_minutes=23 * 60))] == [
        "minutes"]
    bad = rules.work_problems(entry(kind=WorkKind.INCIDENT_RESPONSE))
    assert [(e.field, e.source) for e in bad] == [("incident", "Support obligation 4")]
    assert [e.field for e in rules.work_problems(entry(with_body_kind=BodyKind.OFFICE))] == [
        "with_body"]


def test_who_logs_and_checks():
    """Support obligations 4–6: the unit itself or CNCERT."""
    assert rules.may_log(7, BodyKind.SUPPORT_UNIT, 7).allowed
    assert rules.may_log(3, BodyKind.CERT, 7).allowed
    assert not rules.may_log(2, BodyKind.OFFICE, 7).allowed
    assert rules.may_check(BodyKind.CERT).allowed
    assert [r.code for r in rules.may_check(BodyKind.OFFICE).refusals] == ["check.not_cert"]


# --- standby and dispatch (Plan §3.4.1 (3), §7.2, §7.3) ---------------------------------------

NATION, BJ, SH = "/1/", "/1/2/", "/1/3/"


def test_standby_under_a_red_warning_covering_the_region():
    """Plan §3.4.1 (3): 国家网络安全应急技术支撑队伍进入待命状态."""
    red = [rules.RedWarning("WN-1", WarningScope(frozenset({BJ})))]
    assert rules.standby([BJ], red) == ["WN-1"]
    assert rules.standby([SH], red) == []
    assert rules.standby([NATION], red) == ["WN-1"]  # a national team covers every region
    national = [rules.RedWarning("WN-2", WarningScope(frozenset({NATION})))]
    assert rules.standby([SH], national) == ["WN-2"]
    assert rules.availability("available", ["WN-1"]) == rules.Availability.STANDBY
    assert rules.availability("unavailable", ["WN-1"]) == rules.Availability.UNAVAILABLE
    assert rules.availability("available", []) == rules.Availability.AVAILABLE
    assert rules.STANDBY_REASON.source == "Plan §3.4.1 (3)"


def test_unavailable_is_refused_dispatch():
    """Plan §7.2, §7.3: dispatched by a CERT or an office; unavailable refused."""
    ok = rules.DispatchFacts(BodyKind.CERT, BodyKind.SUPPORT_TEAM, True)
    assert rules.may_dispatch(ok).allowed
    refused = rules.may_dispatch(rules.DispatchFacts(BodyKind.OFFICE, None, False))
    assert [r.code for r in refused.refusals] == ["dispatch.unavailable"]
    bad = rules.may_dispatch(rules.DispatchFacts(BodyKind.OPERATOR, BodyKind.OPERATOR, True))
    assert {r.code for r in bad.refusals} == {"dispatch.not_coordinator", "dispatch.not_support"}
