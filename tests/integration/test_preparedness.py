"""Emergency plans, exercises, CII risk assessments, trainings, reserves and the compliance view
through the services, on both databases (Plan §6.2, §6.4, §7.8, §8.1; Law arts. 25, 30, 34,
38). The clock stands at 2026-11-01."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.common.errors import Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.periods import add_months
from fenghuo.org.models import Body
from fenghuo.preparedness import service as prep
from fenghuo.preparedness.rules import Duty, Status
from fenghuo.preparedness.schemas import (
    ActionIn,
    AssessmentIn,
    AssessmentReportIn,
    CancelIn,
    CheckedIn,
    EvaluationIn,
    ExerciseIn,
    HeldIn,
    PlanIn,
    ReserveIn,
    TrainingIn,
)

TODAY = date(2026, 11, 1)
PAGE = PageParams(limit=500)


def ids(rt, *keys: str) -> dict[str, int]:
    with rt.uow() as s:
        return dict(s.execute(select(Body.key, Body.id).where(Body.key.in_(keys))).all())


def plan_in(body: str, adopted: date, key: str = "main") -> PlanIn:
    return PlanIn(body=body, key=key, title="网络安全事件应急预案 Incident plan", version="1.0",
                  owner="王伟 Wang Wei", document="plans/main-v1.pdf", adopted_on=adopted)


def exercise_in(organizer: str, participants: list[str] | None = None) -> ExerciseIn:
    return ExerciseIn(organizer=organizer, title="勒索软件桌面推演 Ransomware tabletop",
                      scope="core banking", scenario="ransomware on core systems",
                      form="tabletop", participants=participants or [],
                      planned_for=date(2026, 10, 20))


def duty(row, name: Duty):
    return next(d for d in row.duties if d.duty == name.value)


def test_a_province_without_an_exercise_is_noncompliant_until_one_is_held_and_reported(
        rt, principal):
    """Plan §6.2 各省（区、市）每年至少组织一次预案演练，并将演练情况报中央网信办."""
    office = ids(rt, "110000.office")["110000.office"]
    me = principal("bj_duty")
    with rt.uow() as s:
        reasons = prep.noncompliance(s, body_ids=[office], today=TODAY)[office]
    assert {r.code for r in reasons} >= {"exercise.missing", "plan.missing"}
    assert duty(prep.body_compliance(rt.uow, rt.clock, principal=me, body="110000.office"),
                Duty.EXERCISE).status == "missing"

    x = prep.plan_exercise(rt.uow, rt.clock, principal=me,
                           data=exercise_in("110000.office", ["bj-bank", "cn.cncert"]))
    assert x.state == "planned" and x.participants == ["bj-bank", "cn.cncert"]
    x = prep.record_held(rt.uow, rt.clock, principal=me, ref=x.ref,
                         data=HeldIn(held_on=date(2026, 10, 20), findings="backups slow"))
    row = prep.body_compliance(rt.uow, rt.clock, principal=me, body="110000.office")
    assert duty(row, Duty.EXERCISE).status == "not_reported"  # held but not reported
    with rt.uow() as s:
        codes = {r.code for r in prep.noncompliance(s, body_ids=[office], today=TODAY)[office]}
    assert "exercise.not_reported" in codes and "exercise.missing" not in codes

    x = prep.report(rt.uow, rt.clock, principal=me, ref=x.ref)
    assert x.reported_by == "bj_duty"
    d = duty(prep.body_compliance(rt.uow, rt.clock, principal=me, body="110000.office"),
             Duty.EXERCISE)
    assert d.status == "ok" and d.last_on == date(2026, 10, 20)
    with rt.uow() as s:
        codes = {r.code for r in prep.noncompliance(s, body_ids=[office], today=TODAY)[office]}
        assert not codes & {"exercise.missing", "exercise.not_reported", "exercise.overdue"}
        # twelve months after the exercise it is missed again (Plan §6.2 每年)
        later = prep.noncompliance(s, body_ids=[office], today=date(2027, 10, 21))[office]
    assert "exercise.overdue" in {r.code for r in later}

    with pytest.raises(Refused) as refused:  # reported once
        prep.report(rt.uow, rt.clock, principal=me, ref=x.ref)
    assert refused.value.reasons[0]["code"] == "exercise.already_reported"
    with pytest.raises(Refused):  # held is final
        prep.record_held(rt.uow, rt.clock, principal=me, ref=x.ref,
                         data=HeldIn(held_on=date(2026, 10, 21)))


def test_a_plan_evaluated_thirteen_months_ago_is_overdue_and_eleven_is_not(rt, principal):
    """Plan §8.1 本预案原则上每年评估一次."""
    me = principal("bj_admin")
    old = prep.add_plan(rt.uow, rt.clock, principal=me,
                        data=plan_in("110000.office", date(2024, 1, 10)))
    old = prep.evaluate_plan(rt.uow, rt.clock, principal=me, plan_id=old.id, data=EvaluationIn(
        evaluated_on=add_months(TODAY, -13), outcome="adequate"))
    assert old.status == "overdue" and old.version == "1.0"
    recent = prep.add_plan(rt.uow, rt.clock, principal=me,
                           data=plan_in("bj-telco", add_months(TODAY, -11)))
    assert recent.status in ("ok", "due_soon")
    found_ids = ids(rt, "bj-telco", "110000.office")
    telco, office = found_ids["bj-telco"], found_ids["110000.office"]
    with rt.uow() as s:
        found = prep.noncompliance(s, body_ids=[telco, office], today=TODAY)
    assert "plan.evaluation_overdue" in {r.code for r in found[office]}
    assert telco not in found  # a plan adopted eleven months ago is compliant

    revised = prep.evaluate_plan(rt.uow, rt.clock, principal=me, plan_id=old.id,
                                 data=EvaluationIn(evaluated_on=TODAY, outcome="revised",
                                                   new_version="2.0", findings="roles renamed"))
    assert revised.status == "ok" and revised.version == "2.0"
    assert [(e.version_before, e.version_after) for e in revised.evaluations] == [
        ("1.0", "2.0"), ("1.0", "1.0")]
    with rt.uow() as s:
        codes = {r.code for r in prep.noncompliance(s, body_ids=[office], today=TODAY)[office]}
    assert codes == {"exercise.missing"}  # the plan is no longer one


def test_validation_errors_name_the_field(rt, principal):
    me = principal("bj_admin")
    p = prep.add_plan(rt.uow, rt.clock, principal=me, data=plan_in("bj-bank", date(2026, 1, 5)))
    with pytest.raises(ValidationFailed) as e:  # Plan §8.1: a revision has a new version
        prep.evaluate_plan(rt.uow, rt.clock, principal=me, plan_id=p.id,
                           data=EvaluationIn(evaluated_on=TODAY, outcome="revised"))
    assert e.value.errors[0].field == "new_version" and e.value.errors[0].source == "Plan §8.1"
    with pytest.raises(ValidationFailed) as e:
        prep.add_plan(rt.uow, rt.clock, principal=me, data=plan_in("bj-bank", date(2026, 1, 5)))
    assert e.value.errors[0].field == "key"
    with pytest.raises(ValidationFailed) as e:
        prep.add_plan(rt.uow, rt.clock, principal=me,
                      data=plan_in("bj-bank", date(2027, 1, 5), key="future"))
    assert e.value.errors[0].field == "adopted_on"
    with pytest.raises(ValidationFailed) as e:  # only CII operators (Law art. 38)
        prep.add_assessment(rt.uow, rt.clock, principal=me, data=AssessmentIn(
            body="bj-telco", assessed_on=TODAY, assessor="self", findings="f",
            improvements="i"))
    assert e.value.errors[0].field == "body"


def test_cii_assessment_is_reported_to_the_department_in_charge(rt, principal):
    """Law art. 38: yearly, reported with the improvements to a department regulating the
    operator's sector, in its jurisdiction or above."""
    me = principal("bj_reporter")
    bank = ids(rt, "bj-bank")["bj-bank"]
    with rt.uow() as s:
        codes = {r.code for r in prep.noncompliance(s, body_ids=[bank], today=TODAY)[bank]}
    assert "cii_assessment.missing" in codes
    a = prep.add_assessment(rt.uow, rt.clock, principal=me, data=AssessmentIn(
        body="bj-bank", assessed_on=date(2026, 9, 1), assessor="某测评机构 an assessor",
        findings="weak passwords", improvements="MFA everywhere"))
    with rt.uow() as s:
        codes = {r.code for r in prep.noncompliance(s, body_ids=[bank], today=TODAY)[bank]}
    assert "cii_assessment.not_reported" in codes
    for wrong, code in (("bj-telco", "cii_assessment.recipient_kind"),
                        ("cn.miit", "cii_assessment.recipient_sector")):
        with pytest.raises(ValidationFailed) as e:
            prep.report_assessment(rt.uow, rt.clock, principal=me, assessment_id=a.id,
                                   data=AssessmentReportIn(reported_to=wrong,
                                                           reported_on=date(2026, 9, 5)))
        assert e.value.errors[0].field == "reported_to", code
        assert e.value.errors[0].source == "Law art. 38"
    a = prep.report_assessment(rt.uow, rt.clock, principal=me, assessment_id=a.id,
                               data=AssessmentReportIn(reported_to="bj-finance-reg",
                                                       reported_on=date(2026, 9, 5)))
    assert a.reported_to == "bj-finance-reg"
    with rt.uow() as s:
        found = prep.noncompliance(s, body_ids=[bank], today=TODAY).get(bank, [])
    assert not {r.code for r in found} & {"cii_assessment.missing",
                                          "cii_assessment.not_reported"}
    # the national regulator of the sector is "above" and fits too
    prep.add_assessment(rt.uow, rt.clock, principal=me, data=AssessmentIn(
        body="bj-bank", assessed_on=TODAY, assessor="self", findings="f", improvements="i",
        reported_to="cn.pbc", reported_on=TODAY))


def test_scope_limits_reads_and_writes(rt, principal):
    """Law art. 30: a province sees its subtree, an operator only itself."""
    p = prep.add_plan(rt.uow, rt.clock, principal=principal("bj_admin"),
                      data=plan_in("bj-telco", date(2026, 3, 1)))
    with pytest.raises(NotFound):
        prep.get_plan(rt.uow, rt.clock, principal=principal("sh_admin"), plan_id=p.id)
    with pytest.raises(NotFound):
        prep.get_plan(rt.uow, rt.clock, principal=principal("bj_reporter"), plan_id=p.id)
    with pytest.raises(ValidationFailed) as e:  # an operator's reporters: their own unit only
        prep.add_plan(rt.uow, rt.clock, principal=principal("bj_reporter"),
                      data=plan_in("bj-telco", date(2026, 3, 1), key="other"))
    assert e.value.errors[0].field == "body"
    with pytest.raises(Forbidden):
        prep.add_plan(rt.uow, rt.clock, principal=principal("bj_ro"),
                      data=plan_in("110000.office", date(2026, 3, 1)))
    rows = prep.compliance(rt.uow, rt.clock, principal=principal("bj_reporter"), page=PAGE)
    assert [r.body for r in rows.items] == ["bj-bank"]
    assert {d.duty for d in rows.items[0].duties} == {"plan", "exercise", "cii_assessment",
                                                      "training"}
    assert duty(rows.items[0], Duty.TRAINING).status == "advisory"
    bj = {r.body for r in prep.compliance(rt.uow, rt.clock, principal=principal("bj_admin"),
                                          page=PAGE).items}
    assert {"110000.office", "bj-bank", "bj-telco", "bj-finance-reg"} <= bj
    assert "sh-bank" not in bj and "310000.office" not in bj
    national = prep.compliance(rt.uow, rt.clock, principal=principal("nat_admin"), page=PAGE,
                               duty=Duty.EXERCISE, status=Status.MISSING)
    keys = {r.body for r in national.items}
    assert {"110000.office", "310000.office", "cn.miit", "bj-finance-reg", "bj-bank"} <= keys
    assert "cn.emergency-office" not in keys  # national offices coordinate (Plan §6.2)
    assert all(len(r.duties) == 1 for r in national.items)


def test_participants_see_an_exercise_but_only_the_organizer_changes_it(rt, principal):
    x = prep.plan_exercise(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=exercise_in("110000.office", ["bj-bank"]))
    seen = prep.get_exercise(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=x.ref)
    assert seen.organizer == "110000.office"
    with pytest.raises(Forbidden):
        prep.cancel(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=x.ref,
                    data=CancelIn(reason="not ours"))
    with pytest.raises(NotFound):
        prep.get_exercise(rt.uow, rt.clock, principal=principal("sh_admin"), ref=x.ref)
    with pytest.raises(ValidationFailed):  # a body of another province is not invited
        prep.plan_exercise(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=exercise_in("110000.office", ["sh-bank"]))
    with pytest.raises(ValidationFailed):  # actions follow a held exercise's findings
        prep.add_action(rt.uow, rt.clock, principal=principal("bj_duty"), ref=x.ref,
                        data=ActionIn(action="patch", owner="ops"))
    prep.record_held(rt.uow, rt.clock, principal=principal("bj_duty"), ref=x.ref,
                     data=HeldIn(held_on=date(2026, 10, 1)))
    x = prep.add_action(rt.uow, rt.clock, principal=principal("bj_duty"), ref=x.ref,
                        data=ActionIn(action="patch VPN", owner="ops",
                                      due_on=date(2026, 10, 15)))
    assert x.actions[0].overdue is True
    # the participant's taking part counts for its own exercise duty (Law 34(4))
    d = duty(prep.body_compliance(rt.uow, rt.clock, principal=principal("bj_reporter"),
                                  body="bj-bank"), Duty.EXERCISE)
    assert d.status == "ok" and d.last_on == date(2026, 10, 1)


def test_reserves_and_trainings(rt, principal, clock):
    """Plan §7.8 reserves checked at their interval; Law 34(2) / Plan §6.4 trainings."""
    me = principal("bj_reporter")
    r = prep.add_reserve(rt.uow, rt.clock, principal=me, data=ReserveIn(
        body="bj-bank", key="forensics-kit", name="取证工具箱 forensics kit", kind="tool",
        quantity=2, location="机房 server room", last_checked_on=date(2026, 4, 1)))
    assert r.status == "overdue" and r.due_on == date(2026, 9, 28)  # 180 days
    bank = ids(rt, "bj-bank")["bj-bank"]
    with rt.uow() as s:
        codes = {x.code for x in prep.noncompliance(s, body_ids=[bank], today=TODAY)[bank]}
    assert "reserve.check_overdue" in codes
    r = prep.check_reserve(rt.uow, rt.clock, principal=me, reserve_id=r.id,
                           data=CheckedIn(checked_on=TODAY, note="firmware upgraded"))
    assert r.status == "ok" and r.due_on == date(2027, 4, 30)
    t = prep.add_training(rt.uow, rt.clock, principal=me, data=TrainingIn(
        body="bj-bank", title="应急预案培训 plan training", held_on=date(2026, 6, 1), hours=4,
        participants=30, topics="roles, reporting"))
    assert t.recorded_by == "bj_reporter"
    d = duty(prep.body_compliance(rt.uow, rt.clock, principal=me, body="bj-bank"),
             Duty.TRAINING)
    assert d.status == "ok"
    assert prep.list_trainings(rt.uow, principal=me, page=PAGE).total == 1
    assert prep.list_reserves(rt.uow, rt.clock, principal=principal("sh_admin"),
                              page=PAGE).total == 0


def test_every_change_is_audited(rt, principal):
    me = principal("bj_admin")
    p = prep.add_plan(rt.uow, rt.clock, principal=me, data=plan_in("bj-bank", date(2026, 1, 5)))
    prep.evaluate_plan(rt.uow, rt.clock, principal=me, plan_id=p.id,
                       data=EvaluationIn(evaluated_on=TODAY, outcome="adequate"))
    x = prep.plan_exercise(rt.uow, rt.clock, principal=me, data=exercise_in("110000.office"))
    prep.record_held(rt.uow, rt.clock, principal=me, ref=x.ref,
                     data=HeldIn(held_on=date(2026, 10, 1)))
    prep.report(rt.uow, rt.clock, principal=me, ref=x.ref)
    r = prep.add_reserve(rt.uow, rt.clock, principal=me, data=ReserveIn(
        body="bj-bank", key="spare-fw", name="备用防火墙 spare firewall", kind="equipment"))
    prep.check_reserve(rt.uow, rt.clock, principal=me, reserve_id=r.id,
                       data=CheckedIn(checked_on=TODAY))
    scope = principal("nat_admin").scope
    actions = {t: [e.action for e in reversed(audit.list_entries(
        rt.uow, scope=scope, page=PAGE, entity_type=t).items)]
        for t in ("emergency_plan", "exercise", "reserve")}
    assert actions == {"emergency_plan": ["plan.create", "plan.evaluate"],
                       "exercise": ["exercise.plan", "exercise.held", "exercise.report"],
                       "reserve": ["reserve.create", "reserve.checked"]}
    assert audit.verify(rt.uow).ok


def test_reminders_due(rt, principal):
    """Issue 7 item 7: plan evaluations due within 30 days or overdue, no exercise in eleven
    months, CII assessments due, reserve checks due — each keyed by duty and period."""
    me = principal("bj_admin")
    p = prep.add_plan(rt.uow, rt.clock, principal=me,
                      data=plan_in("bj-bank", date(2025, 11, 20)))
    fresh = prep.add_plan(rt.uow, rt.clock, principal=me,
                          data=plan_in("bj-telco", date(2026, 6, 1)))
    r = prep.add_reserve(rt.uow, rt.clock, principal=me, data=ReserveIn(
        body="bj-bank", key="kit", name="kit", kind="tool", check_every_days=30,
        last_checked_on=date(2026, 9, 1)))
    found_ids = ids(rt, "110000.office", "bj-bank")
    office, bank = found_ids["110000.office"], found_ids["bj-bank"]
    with rt.uow() as s:
        keys = {x.key: x for x in prep.reminders_due(s, TODAY)}
    assert f"plan_evaluation:{p.id}:2026-11" in keys
    assert not any(k.startswith(f"plan_evaluation:{fresh.id}:") for k in keys)
    assert f"exercise:{office}:2026" in keys and f"exercise:{bank}:2026" in keys
    assert f"cii_assessment:{bank}:2026-11" in keys
    assert f"reserve_check:{r.id}:2026-10-01" in keys
    assert keys[f"plan_evaluation:{p.id}:2026-11"].body_id == bank
    assert "Plan §8.1" in keys[f"plan_evaluation:{p.id}:2026-11"].text
    # an exercise held ten months ago: no reminder yet
    x = prep.plan_exercise(rt.uow, rt.clock, principal=me, data=exercise_in("110000.office"))
    prep.record_held(rt.uow, rt.clock, principal=me, ref=x.ref,
                     data=HeldIn(held_on=date(2026, 1, 2)))
    with rt.uow() as s:
        keys = {x.key for x in prep.reminders_due(s, TODAY)}
    assert not any(k.startswith(f"exercise:{office}:") for k in keys)
