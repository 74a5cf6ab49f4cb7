"""Responsible persons in accountability and commendation (Plan §7.10 对有关责任人给予处分;
对…作出突出贡献的先进集体和个人给予表彰和奖励), through the services, on both databases: a decision
about a person recorded by the body that made it, only over bodies under its authority,
audited, scoped, and shown in the accountability view; a commendation naming persons."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.preparedness import accountability, persons
from fenghuo.preparedness.models import AccountabilityDecision, Commendation
from fenghuo.preparedness.schemas import DecisionIn, PersonIn
from tests.integration.test_reporting_chain import file

PAGE = PageParams(limit=50)


def decision(**kw) -> DecisionIn:
    base = dict(name="张三", position="信息科技部总经理 head of IT", body="bj-bank",
                conduct="late_report", sanction="demerit", reason="迟报两小时 two hours late")
    return DecisionIn(**{**base, **kw})


def row(rt, principal, clock, body: str, user: str = "bj_admin"):
    view = accountability.accountability(
        rt.uow, rt.clock, principal=principal(user), since=clock.now() - timedelta(days=1),
        until=clock.now() + timedelta(days=1))
    return next((r for r in view.rows if r.body == body), None)


def audited(rt, action: str) -> list[dict]:
    with rt.uow() as s:
        return [json.loads(d) for d in s.scalars(
            select(AuditPending.detail).where(AuditPending.action == action))]


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_decision_about_a_person_is_recorded_by_the_deciding_body(rt, principal, clock):
    """The Beijing office decides on the head of IT of bj-bank for a late report; the decision
    names the incident, shows in bj-bank's row of the view and is audited."""
    incident = file(rt, principal, clock, found_at=clock.now() - timedelta(hours=3))
    d = persons.record_decision(rt.uow, rt.clock, principal=principal("bj_duty"),
                                data=decision(incident=incident.ref))
    assert (d.decided_by_body, d.recorded_by, d.incident, d.body) == (
        "110000.office", "bj_duty", incident.ref, "bj-bank")
    assert (d.sanction_label.zh, d.conduct_label.zh) == ("记过", "迟报")
    assert d.decided_on == date(2026, 11, 1)
    bank = row(rt, principal, clock, "bj-bank")
    assert [(x.name, x.sanction) for x in bank.decisions] == [("张三", "demerit")]
    assert bank.late == 1
    [trail] = audited(rt, "accountability_decision.create")
    assert trail["name"] == "张三" and trail["decided_by_body"] == "110000.office"
    assert "张三" in accountability.as_csv(accountability.accountability(
        rt.uow, rt.clock, principal=principal("bj_admin"), since=clock.now() - timedelta(days=1),
        until=clock.now() + timedelta(days=1)))
    # scoped reads (Law art. 30)
    assert persons.list_decisions(rt.uow, principal=principal("bj_ro"), page=PAGE).total == 1
    assert persons.list_decisions(rt.uow, principal=principal("sh_admin"), page=PAGE).total == 0
    assert row(rt, principal, clock, "bj-bank", "sh_admin") is None


def test_the_deciding_body_must_have_authority_over_the_persons_body(rt, principal, clock):
    """Plan §7.10: regions and departments decide; over bodies in their part of the tree. The
    finance regulator decides on a bank's staff, not a telco's; Shanghai not on Beijing's; an
    operator unit decides on nobody. Nothing is written when refused."""
    for user, body, code in (("sh_admin", "bj-bank", "accountability.outside_authority"),
                             ("bj_fin", "bj-telco", "accountability.outside_authority"),
                             ("bj_duty", "no-such-body", "accountability.outside_authority"),
                             ("bj_reporter", "bj-bank", "accountability.not_authority")):
        with pytest.raises(Refused) as info:
            persons.record_decision(rt.uow, rt.clock, principal=principal(user),
                                    data=decision(body=body, matter="未制定预案 no plan",
                                                  conduct="no_plan"))
        assert code in [r["code"] for r in info.value.reasons], (user, body)
    assert count(rt, AccountabilityDecision) == 0
    d = persons.record_decision(rt.uow, rt.clock, principal=principal("bj_fin"),
                                data=decision(matter="演练未开展 no exercise",
                                              conduct="no_exercise", sanction="warning"))
    assert d.decided_by_body == "bj-finance-reg"


def test_what_a_decision_must_say(rt, principal, clock):
    """An incident or a matter; another sanction in words; not in the future; an incident the
    decider sees."""
    with pytest.raises(ValidationError):
        decision()  # neither incident nor matter
    with pytest.raises(ValidationError):
        decision(matter="x", sanction="other")
    other = decision(matter="值班脱岗 left the duty post", sanction="other",
                     sanction_text="诫勉谈话 admonition talk", conduct="dereliction")
    assert persons.record_decision(rt.uow, rt.clock, principal=principal("bj_admin"),
                                   data=other).sanction_text == "诫勉谈话 admonition talk"
    with pytest.raises(ValidationFailed):
        persons.record_decision(rt.uow, rt.clock, principal=principal("bj_admin"),
                                data=decision(matter="x y z", decided_on=date(2030, 1, 1)))
    sh = file(rt, principal, clock, user="sh_admin", unit="sh-bank")
    with pytest.raises(NotFound):  # an incident out of the decider's scope reads as missing
        persons.record_decision(rt.uow, rt.clock, principal=principal("bj_admin"),
                                data=decision(incident=sh.ref))


def test_a_commendation_names_persons_under_the_givers_authority(rt, principal, clock):
    """先进集体和个人 (Plan §7.10): the office commends bj-support and two persons, one of them of
    bj-bank; a person of a Shanghai body is refused and nothing is written."""
    office = principal("bj_duty")
    with pytest.raises(Refused) as info:
        accountability.commend(rt.uow, rt.clock, principal=office,
                               data=accountability.CommendationIn(
                                   body="bj-support", reason="协助处置 helped",
                                   persons=[PersonIn(name="王五", position="工程师",
                                                     body="sh-bank")]))
    assert [r["code"] for r in info.value.reasons] == ["accountability.outside_authority"]
    assert count(rt, Commendation) == 0
    c = accountability.commend(rt.uow, rt.clock, principal=office,
                               data=accountability.CommendationIn(
                                   body="bj-support", reason="协助处置勒索事件 ransomware case",
                                   persons=[PersonIn(name="李四", position="安全工程师"),
                                            PersonIn(name="赵六", position="运维主管",
                                                     body="bj-bank")]))
    assert [(p.name, p.body) for p in c.persons] == [("李四", "bj-support"),
                                                     ("赵六", "bj-bank")]
    shown = row(rt, principal, clock, "bj-support").commendations
    assert [[p.name for p in x.persons] for x in shown] == [["李四", "赵六"]]
    listed = accountability.list_commendations(rt.uow, principal=principal("bj_ro"), page=PAGE)
    assert [p.position for p in listed.items[0].persons] == ["安全工程师", "运维主管"]
    [trail] = audited(rt, "commendation.create")
    assert [p["name"] for p in trail["persons"]] == ["李四", "赵六"]
