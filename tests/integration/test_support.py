"""The support network through the services, on both databases: rounds and admission, the work
log and monthly obligations (Support obligations 4–7), work reports (8), evaluations (9), teams
and experts with standby and dispatch (Plan §3.4.1 (3), §7.2, §7.3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.common.errors import Conflict, Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange, registers
from fenghuo.org.schemas import ContactIn, ExpertIn
from fenghuo.preparedness.models import Commendation
from fenghuo.support import service as support
from fenghuo.support.models import SupportMembership
from fenghuo.support.schemas import (
    AdmitIn,
    AnswerIn,
    AssignmentIn,
    AssignmentWorkIn,
    CheckIn,
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


def test_39_hours_is_unmet_40_met_and_no_response_unmet(rt, principal, clock):
    """Support obligations 4–5 in a complete month, through the work log."""
    member(rt, principal)
    for day in range(3):  # 3 × 13 h = 39 h
        work(rt, principal, minutes=13 * 60, worked_on=OCT + timedelta(days=day))
    o = october(rt, principal)
    assert o["hours"].status == "unmet" and o["hours"].value == 39
    assert o["responses"].status == "unmet"
    assert o["contact"].status == "unmet"  # no 7×24 contact at all (obligation 6)
    work(rt, principal, minutes=60, worked_on=OCT + timedelta(days=4))  # 40 h
    inc = file(rt, principal, clock)
    work(rt, principal, user="bj_cert", kind="incident_response", incident=inc.ref,
         minutes=30, with_body=None, worked_on=OCT + timedelta(days=30))
    o = october(rt, principal)
    assert o["hours"].status == "met" and o["hours"].value == 40.5
    assert o["responses"].status == "met" and o["responses"].value == 1
    current = support.obligations(rt.uow, rt.clock, principal=principal("bj_support"),
                                  unit="bj-support")
    assert current.period == "2026-11"
    assert {o.code: o.status for o in current.months[0].obligations}["hours"] == "in_progress"


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
    assert codes.count("responses.unmet") == 6 and codes.count("hours.unmet") == 6
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
    member(rt, principal)
    with rt.uow() as s:
        assert support.reminders_due(s, date(2026, 11, 19)) == []
        due = support.reminders_due(s, date(2026, 11, 20))
        body_id = due[0].body_id
        assert [r.key for r in due] == [f"support_month:{body_id}:2026-11"]
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
    assert "4 month(s) unmet" in grounds and "6 month(s)" not in grounds
