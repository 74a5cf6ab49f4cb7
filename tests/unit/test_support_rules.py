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


H2 = Half(2026, 2)
AFTER_H2 = datetime(2027, 1, 2, 4, 0, tzinfo=UTC)  # every month of 2026-H2 is over


def half(responses=(1,) * 6, hours=(40,) * 6, months=None) -> list[MonthFacts]:
    """The facts of 2026-H2's owed months (all six unless ``months`` names fewer)."""
    owed = months or H2.months()
    return [facts(month=m, responses=r, support_minutes=h * 60)
            for m, r, h in zip(owed, responses, hours, strict=False)]


def average(code: Code, f: list[MonthFacts], now: datetime = AFTER_H2) -> rules.Progress:
    return rules.assess_period(H2, f, now).averages[code]


# --- obligations 4–5: the average over the half (平均每月) ----------------------------------------


def test_a_short_first_month_made_up_later_meets_obligation_4_and_5():
    """Support obligations 4–5 say 平均每月 (on average per month): 0 responses and 0 hours in
    July, made up in the months after, meet both over 2026-H2 — no month is unmet on its own,
    and the rubric finds no ground for loss of status (obligation 9). Judged month by month,
    five months would have been unmet."""
    for responses, hours in (((0, 7, 0, 0, 0, 0), (0, 240, 0, 0, 0, 0)),
                             ((0, 2, 2, 1, 1, 1), (0, 60, 50, 50, 40, 40))):
        f = half(responses, hours)
        p = rules.assess_period(H2, f, AFTER_H2)
        assert {c: x.status for c, x in p.averages.items()} == {
            Code.RESPONSES: Status.MET, Code.HOURS: Status.MET}
        assert p.unmet() == []
        july = p.months[0]
        assert july.result(Code.RESPONSES).status == Status.MET  # the half's verdict
        assert july.result(Code.RESPONSES).value == 0
        assert rules.disqualification_grounds(half_facts_of(f)) == []


def test_below_the_average_is_unmet_when_the_half_is_over_and_a_ground():
    """Support obligations 4–5, 9: 5 responses and 239 hours over six months are short of
    6 and 240; unmet once the half is over, a ground for loss of status."""
    f = half((1, 1, 1, 1, 1, 0), (40, 40, 40, 40, 40, 39))
    responses, hours = average(Code.RESPONSES, f), average(Code.HOURS, f)
    assert (responses.status, responses.total, responses.required) == (Status.UNMET, 5, 6)
    assert hours.status == Status.UNMET and hours.need == 60
    assert "1h of technical support short" in hours.reason().text_en
    grounds = rules.disqualification_grounds(half_facts_of(f))
    assert {g.code for g in grounds} == {"grounds.responses", "grounds.hours"}
    assert {g.source for g in grounds} == {"Support obligation 4; Support obligation 9",
                                           "Support obligation 5; Support obligation 9"}
    assert all(r.source in ("Support obligation 4", "Support obligation 5")
               for r in rules.assess_period(H2, f, AFTER_H2).unmet())


@given(st.lists(st.integers(min_value=0, max_value=200 * 60), min_size=1, max_size=6))
def test_obligation_5_met_exactly_from_40_hours_a_month_on_average(minutes):
    """Support obligation 5 (平均每月不少于5×8工时): over the owed months, met exactly when the
    total reaches months × 2400 minutes, whatever the spread."""
    f = [facts(month=m, support_minutes=x) for m, x in zip(H2.months(), minutes, strict=False)]
    met = average(Code.HOURS, f).status == Status.MET
    assert met == (sum(minutes) >= len(minutes) * rules.MIN_SUPPORT_MINUTES_PER_MONTH == \
                   len(minutes) * 2400)


def test_the_half_in_progress_says_what_the_remaining_months_must_bring():
    """Support obligations 4–5: on 2 November, July to October bring 3 responses and 228 h of
    the 6 and 240 h the half needs: in progress, "needs 3 more … in the remaining 2 months";
    each month shows its own amount with that progress, never "unmet"."""
    f = half((1, 0, 2, 0, 0, 0), (100, 28, 50, 50, 0, 0))
    p = rules.assess_period(H2, f, NOV_2)
    responses, hours = p.averages[Code.RESPONSES], p.averages[Code.HOURS]
    assert (responses.status, responses.need, responses.remaining) == (Status.IN_PROGRESS, 3, 2)
    assert "needs another 3 incident response(s) in the remaining 2 month(s)" in \
        responses.reason().text_en
    assert "余下2个月还需事件应急服务3次" in responses.reason().text_zh
    assert "needs another 12h of technical support in the remaining 2 month(s)" in \
        hours.reason().text_en
    august = p.month(Month(2026, 8)).result(Code.RESPONSES)
    assert august.status == Status.IN_PROGRESS and august.value == 0
    assert [r.code for r in august.reasons] == ["responses.month", "responses.short"]
    assert p.unmet() == []
    december = p.month(Month(2026, 12)).result(Code.HOURS)
    assert december.status == Status.NOT_DUE
    assert responses.behind  # 3 < 5 months begun × 1


def test_the_average_is_met_as_soon_as_the_total_is_reached():
    """Support obligation 4: 6 responses in July meet the half's 6 in July already."""
    f = half((6, 0, 0, 0, 0, 0))
    july_20 = datetime(2026, 7, 20, 4, 0, tzinfo=UTC)
    assert average(Code.RESPONSES, f, july_20).status == Status.MET
    assert not average(Code.RESPONSES, f, july_20).behind


def test_only_the_months_of_membership_count():
    """Support obligations 4–5 over the months owed (project's choice: from the first whole
    month of membership to the last whole month before the status ended)."""
    months = rules.owed(H2.months(), date(2026, 9, 2), date(2026, 12, 15))
    assert months == [Month(2026, 10), Month(2026, 11)]
    f = half((1, 1), (40, 40), months=months)
    assert average(Code.RESPONSES, f).required == 2
    assert average(Code.RESPONSES, f).status == Status.MET
    assert rules.assess_month(facts(month=Month(2026, 7), responses=0), AFTER_H2,
                              None).result(Code.RESPONSES).status == Status.NOT_DUE


def test_the_six_month_average_so_far():
    """Support obligations 4–5 say 平均每月: the half view gives the average of the months
    begun."""
    f = half((0, 2, 0, 0, 0, 0), (0, 80, 0, 0, 0, 0))
    sep_2 = datetime(2026, 8, 2, 4, 0, tzinfo=UTC)
    p = rules.assess_period(H2, f, sep_2)
    assert (p.averages[Code.RESPONSES].begun, p.averages[Code.RESPONSES].average,
            p.averages[Code.HOURS].average) == (2, 1.0, 40.0)


def test_days_are_china_standard_time():
    """Project's reading: 31 Oct 17:00 UTC is 1 Nov in Beijing."""
    assert rules.day_of(datetime(2026, 10, 31, 17, 0, tzinfo=UTC)) == date(2026, 11, 1)
    assert rules.start_of(date(2026, 11, 1)) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


# --- obligation 6: 7×24 contact ---------------------------------------------------------------


def status(f: MonthFacts, code: Code, now: datetime = NOV_2) -> Status:
    return rules.assess_month(f, now, None).result(code).status


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
    r = rules.assess_month(facts(discovered=0), NOV_2, None).result(Code.DISCOVERED)
    assert r.status == Status.COUNTED and r.value == 0 and r.required is None


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


def half_facts_of(f: list[MonthFacts], report_on=date(2027, 1, 10), discovered: int = 5,
                  passed: int = 2, failed: int = 0) -> rules.HalfFacts:
    return rules.HalfFacts(H2, rules.assess_period(H2, f, AFTER_H2).averages, discovered,
                           passed, failed, True,
                           rules.assess_report(H2, report_on, date(2027, 2, 1)))


def half_facts(share: int = 6, **kw) -> rules.HalfFacts:
    """A half whose total is ``share`` sixths of what obligations 4–5 need."""
    return half_facts_of(half((share, 0, 0, 0, 0, 0), (40 * share, 0, 0, 0, 0, 0)), **kw)


def test_rubric_totals_100_and_the_best_are_commended():
    """Support obligation 9: 对于表现优秀的支撑单位给予通报表扬 (the rubric is the project's);
    obligations 4–5 score the share of the half's total reached (平均每月)."""
    assert rules.RUBRIC_MAX == 100
    r = rules.score(half_facts(), cooperation=15)
    assert r.total == 100 and r.proposed == Outcome.COMMENDED and r.grounds == ()
    assert rules.score(half_facts(), cooperation=4).proposed == Outcome.SATISFACTORY  # 89
    short = rules.score(half_facts(share=4, discovered=0), cooperation=0)
    assert short.total == round(25 * 4 / 6) * 2 + 15 + 10
    assert [x.basis for x in short.scores[:2]] == ["4/6", "160h/240h"]
    assert rules.score(half_facts(share=9), cooperation=15).total == 100  # capped


def test_grounds_and_proposed_disqualification():
    """Support obligation 9: 未按要求履行义务…视情取消: grounds are named by the rule."""
    r = rules.score(half_facts(share=2, report_on=None, discovered=0), cooperation=0)
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


def test_a_unit_whose_status_ended_is_not_dispatched():
    """Support obligation 9, 五: a unit that lost its status is no longer a support unit."""
    ended = rules.may_dispatch(rules.DispatchFacts(BodyKind.CERT, BodyKind.SUPPORT_UNIT, True,
                                                   status_ended=True))
    assert [r.code for r in ended.refusals] == ["dispatch.status_ended"]
    assert "Support obligation 9" in ended.refusals[0].source


# --- CNCERT's decision ending a status (Support 五 授权约定; obligation 9) --------------------


def test_a_decision_cites_a_ground_the_rubric_does_not_compute_and_a_reason():
    """Support 五: CNCERT有权随时终止授权，并取消其资格 — on a ground such as confidentiality
    (obligation 2); obligations 4–6 and 8 are the evaluation's."""
    assert rules.decision_problems("obligation_2", "泄露用户数据 leaked a user's data") == []
    assert rules.DECISION_GROUNDS["obligation_2"][0] == "Support obligation 2"
    assert rules.DECISION_GROUNDS["authorization"][0] == rules.AUTHORIZATION
    bad = rules.decision_problems("obligation_4", "  ")
    assert [(e.field, e.source) for e in bad] == [("ground", rules.AUTHORIZATION),
                                                  ("reason", rules.AUTHORIZATION)]
    assert "evaluation" in bad[0].message
    assert rules.ended_reason("obligation_2", " leaked ") == (
        "confidentiality breached: secret information met in the cooperation or service "
        "disclosed (Support obligation 2): leaked")
