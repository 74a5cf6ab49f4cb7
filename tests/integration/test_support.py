"""The support network through the services, on both databases: rounds and admission, the work
log and monthly obligations (Support obligations 4–7), work reports (8), evaluations (9), teams
and experts with standby and dispatch (Plan §3.4.1 (3), §7.2, §7.3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fenghuo.audit import service as audit
from fenghuo.common.errors import Conflict, Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange, registers
from fenghuo.org.schemas import ContactIn, ExpertIn
from fenghuo.preparedness.models import Commendation
from fenghuo.support import service as support
from fenghuo.support.models import SupportDecision, SupportMembership
from fenghuo.support.schemas import (
    AdmitIn,
    AnswerIn,
    AssignmentIn,
    AssignmentWorkIn,
    CheckIn,
    DecisionIn,
    EvaluationIn,
    ExpertProfileIn,
    ReleaseIn,
    RoundIn,
    TeamProfileIn,
    WorkIn,
    WorkReportIn,
)
from tests.integration.test_reporting_chain import file
from tests.integration.test_responses import level_one
from tests.integration.test_warnings import TEAMS, warning_in

# the FakeClock starts on 2026-11-01 08:00 UTC (16:00 in Beijing): October is complete
OCT = date(2026, 10, 1)
SECTIONS = {"bids_and_publicity": "无 none", "services": "3 次渗透测试 3 pentests",
            "center_cooperation": "10 月 2 次 two in October", "own_cases": "勒索 ransomware"}


def member(rt, principal, admitted_on=OCT, number=4):
    cncert = principal("cncert_duty")
    support.create_round(rt.uow, rt.clock, principal=cncert, data=RoundIn(
        number=number, name_zh=f"第{number}届", name_en=f"Round {number}",
        starts_on=date(2026, 1, 1)))
    return support.admit(rt.uow, rt.clock, principal=cncert, number=number,
                         data=AdmitIn(unit="bj-support", admitted_on=admitted_on))


def work(rt, principal, user="bj_support", unit="bj-support", **kw):
    base = dict(kind="technical_support", worked_on=OCT + timedelta(days=2), minutes=600,
                with_body="110000.cncert", task="漏洞分析 vulnerability analysis")
    return support.log_work(rt.uow, rt.clock, principal=principal(user), unit=unit,
                            data=WorkIn(**{**base, **kw}))


def october(rt, principal, user="bj_ro"):
    out = support.obligations(rt.uow, rt.clock, principal=principal(user), unit="bj-support",
                              month="2026-10")
    return {o.code: o for o in out.months[0].obligations}


def test_only_the_national_center_manages_rounds_and_admission(rt, principal):
    """Support obligation 9: 接受CNCERT对本单位的业务管理 — the national center, not a branch."""
    with pytest.raises(Refused) as refused:
        support.create_round(rt.uow, rt.clock, principal=principal("bj_cert"), data=RoundIn(
            number=4, name_zh="第四届", name_en="Round 4", starts_on=OCT))
    assert [r["code"] for r in refused.value.reasons] == ["manage.not_national_cert"]
    with pytest.raises(Forbidden):  # no support:manage at all
        support.create_round(rt.uow, rt.clock, principal=principal("bj_analyst"), data=RoundIn(
            number=4, name_zh="第四届", name_en="Round 4", starts_on=OCT))
    m = member(rt, principal)
    assert (m.unit, m.status, m.round) == ("bj-support", "active", 4)
    with pytest.raises(Refused) as refused:  # only support units are admitted
        support.admit(rt.uow, rt.clock, principal=principal("cncert_duty"), number=4,
                      data=AdmitIn(unit="bj-bank"))
    assert [r["code"] for r in refused.value.reasons] == ["admit.not_support_unit"]
    with pytest.raises(Conflict):
        support.admit(rt.uow, rt.clock, principal=principal("cncert_duty"), number=4,
                      data=AdmitIn(unit="bj-support"))


def test_a_short_month_is_progress_toward_the_halfs_average(rt, principal, clock):
    """Support obligations 4–5 (平均每月): admitted on 1 October, the unit owes October to
    December of 2026-H2, 3 responses and 120 h in all. 39 h in October is not "unmet" but
    progress with what the remaining months must bring; 120 h in October alone meets obligation
    5 for the half; once the half is over, 1 response of 3 is unmet, judged on the half."""
    member(rt, principal)
    for day in range(3):  # 3 × 13 h = 39 h
        work(rt, principal, minutes=13 * 60, worked_on=OCT + timedelta(days=day))
    o = october(rt, principal)
    assert o["hours"].status == "in_progress" and o["hours"].value == 39
    assert "needs another 81h of technical support in the remaining 2 month(s)" in \
        o["hours"].reasons[1].text_en
    assert o["responses"].status == "in_progress"
    assert o["contact"].status == "unmet"  # no 7×24 contact at all (obligation 6, by month)
    for day in range(3, 10):  # 7 × 11 h + 4 h = 81 h more: 120 h
        work(rt, principal, minutes=11 * 60 + (4 * 60 if day == 3 else 0),
             worked_on=OCT + timedelta(days=day))
    inc = file(rt, principal, clock)
    work(rt, principal, user="bj_cert", kind="incident_response", incident=inc.ref,
         minutes=30, with_body=None, worked_on=OCT + timedelta(days=30))
    o = october(rt, principal)
    assert o["hours"].status == "met" and o["hours"].value == 120.5
    assert o["responses"].status == "in_progress" and o["responses"].value == 1
    current = support.obligations(rt.uow, rt.clock, principal=principal("bj_support"),
                                  unit="bj-support")
    assert current.period == "2026-11"
    assert {o.code: o.status for o in current.months[0].obligations}["hours"] == "met"
    assert [(x.code, x.status) for x in current.averages.obligations] == [
        ("responses", "in_progress"), ("hours", "met")]
    clock.advance(days=62)  # 2027-01-02: the half is over
    o = october(rt, principal)
    assert o["responses"].status == "unmet" and o["hours"].status == "met"
    half = support.obligations(rt.uow, rt.clock, principal=principal("bj_ro"),
                               unit="bj-support", half="2026-H2")
    assert half.averages.owed_months == 3
    responses = half.averages.obligations[0]
    assert (responses.status, responses.value, responses.required) == ("unmet", 1, 3)


def _log_half(rt, principal, clock, responses, hours):
    """bj-support, admitted on 1 July, logs 2026-H2 month by month: ``responses[i]`` distinct
    incident responses and ``hours[i]`` hours in month i; the clock ends on 2 January 2027."""
    incidents = [file(rt, principal, clock).ref for _ in range(max(responses))]
    member(rt, principal, admitted_on=date(2026, 7, 1))
    for i, (n, h) in enumerate(zip(responses, hours, strict=True)):
        if i == 4:
            clock.advance(days=30)  # 1 December: November can be logged
        if i == 5:
            clock.advance(days=32)  # 2 January 2027: December too, and the half is over
        first = date(2026, 7 + i, 2)
        for k in range(n):
            work(rt, principal, user="bj_cert", kind="incident_response", with_body=None,
                 incident=incidents[k], minutes=60, worked_on=first + timedelta(days=k))
        for day, left in enumerate(range((h - n) * 60, 0, -8 * 60)):  # 8 h a day at most
            work(rt, principal, minutes=min(left, 8 * 60), worked_on=first + timedelta(
                days=5 + day))


def test_a_unit_that_makes_up_a_short_month_meets_the_average(rt, principal, clock):
    """Support obligations 4–5 (平均每月): nothing in July, made up by August to December
    (6 responses and 240 h over the six months), meets both on the half's average: no ground
    for loss of status, and a disqualification is refused with the rule (obligation 9). Judged
    month by month, July would have been unmet."""
    _log_half(rt, principal, clock, (0, 2, 1, 1, 1, 1), (0, 60, 50, 50, 40, 40))
    half = support.obligations(rt.uow, rt.clock, principal=principal("bj_ro"),
                               unit="bj-support", half="2026-H2")
    july = {o.code: o for o in half.months[0].obligations}
    assert (july["responses"].status, july["responses"].value) == ("met", 0)
    assert [(x.status, x.value, x.required) for x in half.averages.obligations] == [
        ("met", 6, 6), ("met", 240, 240)]
    preview = support.preview_evaluation(rt.uow, rt.clock, principal=principal("cncert_duty"),
                                         unit="bj-support", half="2026-H2")
    assert not {"grounds.responses", "grounds.hours"} & {g.code for g in preview.grounds}
    assert [(x.code, x.score, x.basis) for x in preview.scores[:2]] == [
        ("responses", 25, "6/6"), ("hours", 25, "240h/240h")]
    with rt.uow() as s:
        unmet = support.unmet_obligations(s, body_ids=None, since=date(2026, 7, 1),
                                          until=date(2027, 1, 1), today=date(2027, 1, 2))
    assert not [r for rs in unmet.values() for r in rs
                if r.source in ("Support obligation 4", "Support obligation 5")]
    support.submit_report(rt.uow, rt.clock, principal=principal("bj_support"),
                          data=WorkReportIn(unit="bj-support", half="2026-H2",
                                            sections=SECTIONS))
    with pytest.raises(Refused) as refused:
        support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"), data=EvaluationIn(
            unit="bj-support", half="2026-H2", cooperation=10, disqualify=True, confirm=True))
    assert [r["code"] for r in refused.value.reasons] == ["disqualify.no_grounds"]


def test_a_unit_below_the_average_loses_its_status(rt, principal, clock):
    """Support obligations 4, 9: 5 responses over six months are short of the average of 1 a
    month: unmet for the half, a ground, and the confirmed evaluation ends the status."""
    _log_half(rt, principal, clock, (0, 1, 1, 1, 1, 1), (0, 60, 50, 50, 40, 40))
    preview = support.preview_evaluation(rt.uow, rt.clock, principal=principal("cncert_duty"),
                                         unit="bj-support", half="2026-H2")
    grounds = {g.code: g for g in preview.grounds}
    assert "grounds.hours" not in grounds
    assert grounds["grounds.responses"].source == "Support obligation 4; Support obligation 9"
    assert "5 incident response(s) over 6 month(s)" in grounds["grounds.responses"].text_en
    out = support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"),
                           data=EvaluationIn(unit="bj-support", half="2026-H2", cooperation=0,
                                             disqualify=True, confirm=True))
    assert out.outcome == "disqualified"


def test_work_entries_are_checked_field_by_field(rt, principal, clock):
    member(rt, principal)
    with pytest.raises(ValidationFailed) as failed:
        work(rt, principal, minutes=0, worked_on=date(2026, 11, 2))
    assert {e.field for e in failed.value.errors} == {"minutes", "worked_on"}
    with pytest.raises(ValidationFailed) as failed:
        work(rt, principal, kind="incident_response")
    assert [e.field for e in failed.value.errors] == ["incident"]
    with pytest.raises(ValidationFailed) as failed:
        work(rt, principal, with_body="110000.office")
    assert [e.field for e in failed.value.errors] == ["with_body"]
    work(rt, principal, minutes=20 * 60)
    with pytest.raises(ValidationFailed) as failed:  # 20 h + 5 h > 24 h on one day
        work(rt, principal, minutes=5 * 60)
    assert "24 hours" in failed.value.errors[0].message
    with pytest.raises(ValidationFailed):
        work(rt, principal, kind="incident_response", incident="FH-20260101-00000000")


def test_scope_and_who_logs(rt, principal):
    """Law art. 30: Shanghai cannot see or log for a Beijing unit; a support member logs only
    for its own unit; an office is neither the unit nor CNCERT (Support obligations 4–5)."""
    member(rt, principal)
    with pytest.raises(NotFound):
        work(rt, principal, user="sh_admin")
    with pytest.raises(NotFound):
        support.obligations(rt.uow, rt.clock, principal=principal("sh_admin"), unit="bj-support")
    with pytest.raises(NotFound):
        work(rt, principal, unit="bj-bank")
    with pytest.raises(Refused) as refused:
        work(rt, principal, user="bj_analyst")
    assert [r["code"] for r in refused.value.reasons] == ["log.not_unit_or_cert"]
    entry = work(rt, principal)
    page = audit.list_entries(rt.uow, scope=principal("bj_admin").scope, page=PageParams(),
                              entity_type="support_work")
    assert [e.entity_key for e in page.items] == [str(entry.id)]


def test_contact_check_through_the_outbox_answered_in_time_or_late(rt, principal, clock):
    """Support obligation 6: a token to the 7×24 channel; within 30 minutes passes."""
    member(rt, principal)
    assert october(rt, principal)["contact"].status == "unmet"
    registers.add_contact(rt.uow, rt.clock, principal=principal("bj_admin"), body="bj-support",
                          data=ContactIn(name="值班 Duty", channel="email",
                                         value="duty@bj-support.example", is_24x7=True))
    assert october(rt, principal)["contact"].status == "untested"  # untested, not unmet
    check = support.start_check(rt.uow, rt.clock, principal=principal("bj_cert"),
                                data=CheckIn(unit="bj-support"))
    assert check.state == "pending"
    with rt.uow() as s:
        msg = s.scalar(select(OutboxMessage).where(OutboxMessage.address ==
                                                   "duty@bj-support.example"))
        token = [w for w in msg.text.split() if len(w) == 16][0]
    with pytest.raises(NotFound):  # another body cannot answer
        support.answer_check(rt.uow, rt.clock, principal=principal("bj_cert"), token=token,
                             data=AnswerIn())
    clock.advance(minutes=12)
    out = support.answer_check(rt.uow, rt.clock, principal=principal("bj_support"), token=token,
                               data=AnswerIn(note="收到"))
    assert (out.state, out.minutes_to_answer) == ("passed", 12.0)
    with pytest.raises(Conflict):
        support.answer_check(rt.uow, rt.clock, principal=principal("bj_support"), token=token,
                             data=AnswerIn())
    nov = support.obligations(rt.uow, rt.clock, principal=principal("bj_ro"), unit="bj-support")
    assert {o.code: o.status for o in nov.months[0].obligations}["contact"] == "met"
    with pytest.raises(Refused):  # an office does not start checks
        support.start_check(rt.uow, rt.clock, principal=principal("bj_duty"),
                            data=CheckIn(unit="bj-support"))


def test_missing_report_is_flagged_and_the_evaluation_disqualifies(rt, principal, clock):
    """Support obligations 8–9: no report after 15 January is unmet; with grounds and the
    evaluator's confirmation the unit loses its status and the next round."""
    member(rt, principal, admitted_on=date(2026, 7, 1))
    clock.advance(days=76)  # 2027-01-16 08:00 UTC
    with rt.uow() as s:
        bj_support = s.scalar(select(SupportMembership.body_id))
        found = support.unmet_obligations(s, body_ids=None, since=date(2026, 7, 1),
                                          until=date(2027, 1, 1), today=date(2027, 1, 16))
    codes = [r.code for r in found[bj_support]]
    # judged on the half's average, once each (Support obligations 4–5), not per month
    assert codes.count("responses.unmet") == 1 and codes.count("hours.unmet") == 1
    assert "report.missing" in codes
    preview = support.preview_evaluation(rt.uow, rt.clock, principal=principal("cncert_duty"),
                                         unit="bj-support", half="2026-H2", cooperation=5)
    assert preview.proposed == "disqualified" and preview.total < 60
    assert {g.code for g in preview.grounds} == {"grounds.no_report", "grounds.responses",
                                                 "grounds.hours"}
    with pytest.raises(Refused) as refused:  # 视情取消: the evaluator must confirm
        support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"), data=EvaluationIn(
            unit="bj-support", half="2026-H2", cooperation=5, disqualify=True))
    assert [r["code"] for r in refused.value.reasons] == ["disqualify.not_confirmed"]
    out = support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"), data=EvaluationIn(
        unit="bj-support", half="2026-H2", cooperation=5, disqualify=True, confirm=True))
    assert out.outcome == "disqualified"
    with rt.uow() as s:
        m = s.scalar(select(SupportMembership))
        assert (m.status, m.barred_from_next_round, m.ended_on) == (
            "disqualified", True, date(2027, 1, 16))
    with pytest.raises(Conflict):  # one evaluation per unit and half
        support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"),
                         data=EvaluationIn(unit="bj-support", half="2026-H2", cooperation=5))
    support.create_round(rt.uow, rt.clock, principal=principal("cncert_duty"), data=RoundIn(
        number=5, name_zh="第五届", name_en="Round 5", starts_on=date(2027, 1, 1)))
    with pytest.raises(Refused) as refused:  # 停止下一届申请资格
        support.admit(rt.uow, rt.clock, principal=principal("cncert_duty"), number=5,
                      data=AdmitIn(unit="bj-support"))
    assert [r["code"] for r in refused.value.reasons] == ["admit.barred"]


def test_a_good_half_is_commended(rt, principal, clock):
    """Support obligation 9: 对于表现优秀的应急服务支撑单位给予通报表扬."""
    member(rt, principal, admitted_on=date(2026, 7, 1))
    registers.add_contact(rt.uow, rt.clock, principal=principal("bj_admin"), body="bj-support",
                          data=ContactIn(name="Duty", channel="email", value="d@bj-s.example",
                                         is_24x7=True))
    inc = file(rt, principal, clock)
    for i in range(4):  # July–October, each with a response and 40 h
        day = date(2026, 7 + i, 2)
        work(rt, principal, user="bj_cert", kind="incident_response", incident=inc.ref,
             minutes=40 * 60 // 2, worked_on=day, with_body=None)
        work(rt, principal, minutes=40 * 60 // 2, worked_on=day + timedelta(days=1))
    clock.advance(days=30)  # December 1: November's log
    inc2 = file(rt, principal, clock)
    work(rt, principal, user="bj_cert", kind="incident_response", incident=inc2.ref,
         minutes=40 * 60 // 2, worked_on=date(2026, 11, 2), with_body=None)
    work(rt, principal, minutes=40 * 60 // 2, worked_on=date(2026, 11, 3))
    clock.advance(days=30)
    work(rt, principal, user="bj_cert", kind="incident_response", incident=inc2.ref,
         minutes=40 * 60 // 2, worked_on=date(2026, 12, 2), with_body=None)
    work(rt, principal, minutes=40 * 60 // 2, worked_on=date(2026, 12, 3))
    support.submit_report(rt.uow, rt.clock, principal=principal("bj_support"),
                          data=WorkReportIn(unit="bj-support", half="2026-H2",
                                            sections=SECTIONS))
    with pytest.raises(Refused):  # the half is not over
        support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"),
                         data=EvaluationIn(unit="bj-support", half="2026-H2", cooperation=15))
    clock.advance(days=5)  # 2027-01-05
    half = support.obligations(rt.uow, rt.clock, principal=principal("bj_ro"),
                               unit="bj-support", half="2026-H2")
    assert half.averages.responses_per_month == 1 and half.averages.hours_per_month == 40
    assert half.work_report.status == "met"
    out = support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"),
                           data=EvaluationIn(unit="bj-support", half="2026-H2", cooperation=15))
    assert out.outcome == "commended" and out.total == 90  # no discovered incidents: 0/10
    with rt.uow() as s:
        c = s.scalar(select(Commendation))
        assert c.source == "support_evaluation" and c.given_on == date(2027, 1, 5)


def test_reminders_from_the_20th_and_before_the_report(rt, principal, clock):
    """Support obligations 4–5 (平均每月): from the 20th, a unit behind the half's average is
    reminded of what the rest of the half must bring; one on pace is not. Obligation 8: the
    work report from 15 days before it is due."""
    member(rt, principal)
    with rt.uow() as s:
        assert support.reminders_due(s, date(2026, 11, 19)) == []
        due = support.reminders_due(s, date(2026, 11, 20))
        body_id = due[0].body_id
        assert [r.key for r in due] == [f"support_month:{body_id}:2026-11"]
        assert "needs another 3 incident response(s) in the remaining 2 month(s)" in due[0].text
        assert "needs another 120h of technical support" in due[0].text
        assert "平均" in due[0].subject and "unmet" not in due[0].text
    for day in range(10):  # 80 h in October: on pace for October and November
        work(rt, principal, minutes=8 * 60, worked_on=OCT + timedelta(days=day))
    with rt.uow() as s:
        due = support.reminders_due(s, date(2026, 11, 20))
        assert "incident response" in due[0].text and "technical support" not in due[0].text
        keys = {r.key for r in support.reminders_due(s, date(2026, 12, 31))}
        assert f"support_report:{body_id}:2026-H2" in keys


def test_standby_search_dispatch_and_time_on_a_response(rt, principal, clock):
    """Plan §3.4.1 (3) standby under a red warning; §7.2–7.3 dispatch; time shows on the
    response."""
    doc = interchange.parse_yaml(TEAMS.read_text(), TEAMS.name)
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    nat = principal("nat_admin")
    team = support.put_team(rt.uow, rt.clock, principal=nat, key="cn.team-incident",
                            data=TeamProfileIn(skills=["取证 forensics", "勒索 ransomware"],
                                               regions=["CN"], members=12))
    assert team.availability == "available" and team.standby == []
    # a red warning from the Emergency Office (published by a second Office member)
    from fenghuo.warning import service as warnings
    from tests.integration.test_responses import user
    user(rt, "nat_duty", "cn.emergency-office")
    w = warnings.draft(rt.uow, rt.clock, principal=nat, data=warning_in(
        clock, level="red", jurisdictions=["110000"], sectors=[]))
    warnings.approve(rt.uow, rt.clock, principal=principal("nat_duty"), ref=w.ref)
    warnings.publish(rt.uow, rt.clock, principal=principal("nat_duty"), ref=w.ref)
    page = support.search_teams(rt.uow, principal=nat, page=PageParams(), skill="forensics",
                                availability="standby")
    assert [t.body for t in page.items] == ["cn.team-incident"]
    assert page.items[0].standby == [w.ref]
    assert page.items[0].reasons[0].source == "Plan §3.4.1 (3)"
    # experts: one unavailable is refused, one available is dispatched to a Level I response
    r = level_one(rt, principal, clock)
    for key, name in (("e-wang", "王工"), ("e-li", "李工")):
        registers.create_expert(rt.uow, rt.clock, principal=nat, data=ExpertIn(
            key=key, body="cn.emergency-office", name=name, specialties=["ransomware"]))
    support.put_expert(rt.uow, rt.clock, principal=nat, key="e-li",
                       data=ExpertProfileIn(availability="unavailable"))
    experts = support.search_experts(rt.uow, principal=nat, page=PageParams(),
                                     skill="ransom", region="110000")
    assert {(x.expert, x.availability) for x in experts.items} == {
        ("e-wang", "standby"), ("e-li", "unavailable")}
    with pytest.raises(Refused) as refused:
        support.dispatch(rt.uow, rt.clock, principal=nat, data=AssignmentIn(
            expert="e-li", response=r.ref, task="研判 analysis"))
    assert [x["code"] for x in refused.value.reasons] == ["dispatch.unavailable"]
    with pytest.raises(ValidationFailed):
        support.dispatch(rt.uow, rt.clock, principal=nat, data=AssignmentIn(
            expert="e-wang", response=r.ref, incident=r.incident, task="two targets"))
    a = support.dispatch(rt.uow, rt.clock, principal=nat, data=AssignmentIn(
        expert="e-wang", response=r.ref, task="研判 analysis"))
    support.log_assignment_work(rt.uow, rt.clock, principal=nat, ref=a.ref,
                                data=AssignmentWorkIn(worked_on=date(2026, 11, 1),
                                                      minutes=90))
    shown = support.assignments_for_response(rt.uow, principal=principal("bj_admin"), ref=r.ref)
    assert [(x.expert, x.hours, x.state) for x in shown] == [("e-wang", 1.5, "dispatched")]
    with pytest.raises(Forbidden):  # bj_support has no support:manage
        support.release(rt.uow, rt.clock, principal=principal("bj_support"), ref=a.ref,
                        data=ReleaseIn(outcome="x"))
    out = support.release(rt.uow, rt.clock, principal=nat, ref=a.ref,
                          data=ReleaseIn(outcome="方案已落实 plan carried out"))
    assert out.state == "released" and out.hours == 1.5
    with pytest.raises(Conflict):
        support.release(rt.uow, rt.clock, principal=nat, ref=a.ref, data=ReleaseIn(outcome="x"))
    listed = support.list_assignments(rt.uow, principal=nat, page=PageParams(), response=r.ref)
    assert listed.total == 1
    with pytest.raises(NotFound):  # Shanghai does not see the Beijing response's assignment
        support.release(rt.uow, rt.clock, principal=principal("sh_admin"), ref=a.ref,
                        data=ReleaseIn(outcome="x"))


def test_months_before_admission_are_not_owed(rt, principal, clock):
    """A unit admitted on 1 March owes March to June of 2026-H1, not January and February:
    the half view and the evaluation count only those months (Support obligations 4–5, 9)."""
    member(rt, principal, admitted_on=date(2026, 3, 1))
    out = support.obligations(rt.uow, rt.clock, principal=principal("bj_ro"), unit="bj-support",
                              half="2026-H1")
    assert [m.month for m in out.months] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    preview = support.preview_evaluation(rt.uow, rt.clock, principal=principal("cncert_duty"),
                                         unit="bj-support", half="2026-H1")
    grounds = " ".join(g.text_en for g in preview.grounds)
    assert "over 4 month(s)" in grounds and "6 month(s)" not in grounds


# --- CNCERT's decision ending a status (Support 五 授权约定; obligation 9) ----------------------


def decide(rt, principal, user="cncert_duty", unit="bj-support", ground="obligation_2",
           reason="泄露用户单位的漏洞信息 disclosed a client's vulnerability data"):
    return support.decide(rt.uow, rt.clock, principal=principal(user),
                          data=DecisionIn(unit=unit, ground=ground, reason=reason))


def test_only_cncert_ends_a_status_with_a_ground_and_a_reason(rt, principal):
    """Support 五: CNCERT有权随时终止授权 — the national center only, refused with the rule for a
    branch, an office or the unit itself (Support obligation 9); a ground the evaluation
    computes, an empty reason or a unit never admitted is a 422; nothing is written."""
    member(rt, principal)
    for user, codes in (("bj_cert", ["manage.not_national_cert"]),
                        ("nat_admin", ["manage.not_national_cert"]),
                        ("bj_support", ["manage.permission", "manage.not_national_cert"])):
        with pytest.raises(Refused) as refused:
            decide(rt, principal, user=user)
        assert [r["code"] for r in refused.value.reasons] == codes, user
        assert refused.value.reasons[0]["source"] == "Support obligation 9"
    with pytest.raises(ValidationFailed) as failed:
        decide(rt, principal, ground="obligation_4", reason=" ")
    assert [e.field for e in failed.value.errors] == ["ground", "reason"]
    with pytest.raises(NotFound):  # only a support unit
        decide(rt, principal, unit="bj-bank")
    with rt.uow() as s:
        assert s.scalar(select(SupportMembership.status)) == "active"
        assert s.scalar(select(func.count()).select_from(SupportDecision)) == 0


def test_a_decision_ends_the_status_notifies_the_unit_and_is_visible(rt, principal, clock):
    """Support 五 and obligation 9: the decision is recorded with its ground and reason and
    audited; the status ends as an evaluation's disqualification ends it (no support-unit right
    to the bulletins, no dispatch, barred from the next round, no months owed after it); the
    unit is told through the outbox, Chinese first; a second decision is a conflict (409)."""
    member(rt, principal)
    registers.add_contact(rt.uow, rt.clock, principal=principal("bj_admin"), body="bj-support",
                          data=ContactIn(name="值班 Duty", channel="email",
                                         value="duty@bj-support.example", is_24x7=True))
    clock.advance(days=14)  # 15 November
    out = decide(rt, principal)
    assert (out.unit, out.round, out.ground, out.source, out.decided_on) == (
        "bj-support", 4, "obligation_2", "Support obligation 2", date(2026, 11, 15))
    assert out.ground_label.zh.startswith("违反保密规定") and out.decided_by == "cncert_duty"
    with rt.uow() as s:
        m = s.scalar(select(SupportMembership))
        assert (m.status, m.ended_on, m.barred_from_next_round) == (
            "disqualified", date(2026, 11, 15), True)
        assert "Support obligation 2" in m.ended_reason
        assert support.active_memberships(s) == []  # the bulletins' support-unit right
        msg = s.scalar(select(OutboxMessage).where(OutboxMessage.address ==
                                                   "duty@bj-support.example"))
        assert msg.subject.startswith("[取消资格 STATUS ENDED]")
        assert "理由 Reason: 泄露用户单位的漏洞信息" in msg.text
        assert msg.text.index("保密") < msg.text.index("confidentiality")
    audited = audit.list_entries(rt.uow, scope=principal("nat_admin").scope, page=PageParams(),
                                 entity_type="support_decision")
    assert [e.entity_key for e in audited.items] == ["4/bj-support"]
    with pytest.raises(Conflict):
        decide(rt, principal, ground="obligation_1")
    listed = support.list_memberships(rt.uow, principal=principal("bj_ro"), page=PageParams(),
                                      unit="bj-support")
    assert listed.items[0].decision.reason == out.reason
    assert support.list_decisions(rt.uow, principal=principal("bj_ro"),
                                  page=PageParams()).total == 1
    assert support.list_decisions(rt.uow, principal=principal("sh_admin"),
                                  page=PageParams()).total == 0  # Law art. 30
    inc = file(rt, principal, clock)
    with pytest.raises(Refused) as refused:  # no longer a support unit for dispatch
        support.dispatch(rt.uow, rt.clock, principal=principal("cncert_duty"),
                         data=AssignmentIn(body="bj-support", incident=inc.ref, task="研判"))
    assert [r["code"] for r in refused.value.reasons] == ["dispatch.status_ended"]
    half = support.obligations(rt.uow, rt.clock, principal=principal("bj_ro"),
                               unit="bj-support", half="2026-H2")
    assert [m.month for m in half.months] == ["2026-10"]  # owed until the status ended
    support.create_round(rt.uow, rt.clock, principal=principal("cncert_duty"), data=RoundIn(
        number=5, name_zh="第五届", name_en="Round 5", starts_on=date(2027, 1, 1)))
    with pytest.raises(Refused) as refused:  # 停止下一届申请资格
        support.admit(rt.uow, rt.clock, principal=principal("cncert_duty"), number=5,
                      data=AdmitIn(unit="bj-support"))
    assert [r["code"] for r in refused.value.reasons] == ["admit.barred"]
