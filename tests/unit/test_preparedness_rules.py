"""Pure preparedness rules, each with its clause (Plan §6.2, §6.4, §7.8, §8.1; Law arts. 25, 34,
38)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fenghuo.common.periods import add_months
from fenghuo.org.rules import BodyKind, JurisdictionLevel
from fenghuo.preparedness import rules
from fenghuo.preparedness.rules import Duty, ExerciseState, Holder, Status

TODAY = date(2026, 11, 1)
PROVINCE_OFFICE = Holder(BodyKind.OFFICE, JurisdictionLevel.PROVINCE)
NATIONAL_OFFICE = Holder(BodyKind.OFFICE, JurisdictionLevel.NATIONAL)
CITY_OFFICE = Holder(BodyKind.OFFICE, JurisdictionLevel.CITY)
NATIONAL_DEPT = Holder(BodyKind.DEPARTMENT, JurisdictionLevel.NATIONAL)
PROVINCE_DEPT = Holder(BodyKind.DEPARTMENT, JurisdictionLevel.PROVINCE)
CITY_DEPT = Holder(BodyKind.DEPARTMENT, JurisdictionLevel.CITY)
OPERATOR = Holder(BodyKind.OPERATOR, JurisdictionLevel.PROVINCE)
CII = Holder(BodyKind.OPERATOR, JurisdictionLevel.PROVINCE, cii=True)
SUPPORT = Holder(BodyKind.SUPPORT_UNIT, JurisdictionLevel.PROVINCE)
CERT = Holder(BodyKind.CERT, JurisdictionLevel.PROVINCE)


def test_plan_8_1_and_law_25_who_keeps_a_plan():
    """Plan §8.1 各省（区、市）、各部门、各单位; Law art. 25 网络运营者."""
    for h in (PROVINCE_OFFICE, NATIONAL_OFFICE, CITY_OFFICE, NATIONAL_DEPT, CITY_DEPT):
        assert rules.plan_duty(h).source == "Plan §8.1"
    assert rules.plan_duty(OPERATOR).source.startswith("Law art. 25")
    assert rules.plan_duty(SUPPORT) is None and rules.plan_duty(CERT) is None
    missing = rules.plans_check(OPERATOR, [], TODAY)
    assert missing.status == Status.MISSING and not missing.compliant
    assert rules.plans_check(SUPPORT, [], TODAY) is None


def test_plan_8_1_thirteen_months_overdue_eleven_months_compliant():
    """Plan §8.1 原则上每年评估一次."""
    adopted = date(2020, 1, 1)
    status, due = rules.plan_check(adopted, add_months(TODAY, -13), TODAY)
    assert status == Status.OVERDUE and due == add_months(TODAY, -1)
    status, _ = rules.plan_check(adopted, add_months(TODAY, -11), TODAY)
    assert status in (Status.OK, Status.DUE_SOON) and status not in rules.NONCOMPLIANT
    assert rules.plan_check(adopted, add_months(TODAY, -10), TODAY)[0] == Status.OK
    # exactly twelve months is the due day itself: met, overdue the day after
    assert rules.plan_check(adopted, add_months(TODAY, -12), TODAY)[0] == Status.DUE_SOON
    assert rules.plan_check(adopted, add_months(TODAY, -12) - timedelta(days=1),
                            TODAY)[0] == Status.OVERDUE
    # never evaluated: counts from adoption
    assert rules.plan_check(add_months(TODAY, -13), None, TODAY)[0] == Status.OVERDUE


def test_plan_8_1_the_worst_plan_decides_and_each_is_named():
    check = rules.plans_check(PROVINCE_OFFICE, [("a", date(2026, 6, 1), None),
                                                ("b", date(2025, 1, 1), None)], TODAY)
    assert check.status == Status.OVERDUE
    assert check.reasons[0].code == "plan.evaluation_overdue" and "b" in check.reasons[0].text_en


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(min_value=0, max_value=800))
def test_plan_8_1_overdue_exactly_after_twelve_months(last, days_later):
    today = last + timedelta(days=days_later)
    status, due = rules.plan_check(last, None, today)
    assert (status == Status.OVERDUE) == (today > add_months(last, 12))


def test_plan_6_2_who_must_exercise_and_report():
    """Plan §6.2 各省（区、市）、各部门每年至少组织一次预案演练，并将演练情况报中央网信办;
    Law 34(4) CII operators, regularly (twelve months, the project's)."""
    assert rules.exercise_duty(PROVINCE_OFFICE) == (rules.EXERCISE_BASIS, 12, True)
    assert rules.exercise_duty(NATIONAL_DEPT)[2] is True
    assert rules.exercise_duty(PROVINCE_DEPT)[2] is True
    assert rules.exercise_duty(CII)[0].source == "Law arts. 34(4), 39(2)"
    assert rules.exercise_duty(CII)[2] is False  # no report to the Central Cyberspace Office
    for h in (NATIONAL_OFFICE, CITY_OFFICE, CITY_DEPT, OPERATOR, SUPPORT, CERT):
        assert rules.exercise_duty(h) is None


def test_plan_6_2_twelve_month_window():
    """Plan §6.2 每年至少组织一次: none → missing; more than twelve months ago → overdue."""
    assert rules.exercise_check(PROVINCE_OFFICE, None, None, TODAY).status == Status.MISSING
    last = add_months(TODAY, -12)
    assert rules.exercise_check(PROVINCE_OFFICE, last, last, TODAY).compliant
    before = last - timedelta(days=1)
    check = rules.exercise_check(PROVINCE_OFFICE, before, before, TODAY)
    assert check.status == Status.OVERDUE and check.reasons[-1].source == "Plan §6.2"
    recent = date(2026, 10, 1)
    assert rules.exercise_check(PROVINCE_OFFICE, recent, recent, TODAY).status == Status.OK


def test_plan_6_2_held_but_not_reported_is_noncompliant():
    """Plan §6.2 并将演练情况报中央网信办."""
    recent = date(2026, 10, 1)
    check = rules.exercise_check(PROVINCE_OFFICE, recent, None, TODAY)
    assert check.status == Status.NOT_REPORTED and not check.compliant
    # an older exercise reported within the window still meets the duty
    assert rules.exercise_check(PROVINCE_OFFICE, recent, date(2026, 2, 1), TODAY).compliant
    # a reported one older than twelve months does not
    assert rules.exercise_check(PROVINCE_OFFICE, recent, date(2025, 10, 1),
                                TODAY).status == Status.NOT_REPORTED
    # CII operators have nothing to report to the Central Cyberspace Office (Law 34(4))
    assert rules.exercise_check(CII, recent, None, TODAY).status == Status.OK


def test_law_38_cii_assessment_yearly_and_reported():
    """Law art. 38 每年至少进行一次检测评估，并将…报送相关负责关键信息基础设施安全保护工作的部门."""
    assert rules.assessment_check(OPERATOR, None, None, TODAY) is None
    assert rules.assessment_check(CII, None, None, TODAY).status == Status.MISSING
    assert rules.assessment_check(CII, date(2025, 10, 31), date(2025, 10, 31),
                                  TODAY).status == Status.OVERDUE
    assert rules.assessment_check(CII, date(2026, 5, 1), None,
                                  TODAY).status == Status.NOT_REPORTED
    ok = rules.assessment_check(CII, date(2026, 5, 1), date(2026, 5, 1), TODAY)
    assert ok.status == Status.OK and ok.due_on == date(2027, 5, 1)
    soon = rules.assessment_check(CII, date(2025, 11, 20), date(2025, 11, 20), TODAY)
    assert soon.status == Status.DUE_SOON and soon.compliant


def test_law_38_recipient_is_the_sector_department_in_or_above_the_jurisdiction():
    op_path, sectors = "/1/2/", frozenset({"finance"})
    ok = rules.Department(BodyKind.DEPARTMENT, "/1/", frozenset({"finance", "other"}))
    assert rules.assessment_recipient(op_path, sectors, ok).allowed
    assert rules.assessment_recipient(op_path, sectors, rules.Department(
        BodyKind.DEPARTMENT, "/1/2/", frozenset({"finance"}))).allowed
    codes = {r.code for r in rules.assessment_recipient(op_path, sectors, rules.Department(
        BodyKind.DEPARTMENT, "/1/3/", frozenset({"telecom"}))).refusals}
    assert codes == {"cii_assessment.recipient_sector", "cii_assessment.recipient_jurisdiction"}
    refused = rules.assessment_recipient(op_path, sectors, rules.Department(
        BodyKind.OFFICE, "/1/2/", frozenset()))
    assert [r.code for r in refused.refusals] == ["cii_assessment.recipient_kind"]
    assert refused.refusals[0].source == "Law art. 38"


def test_law_34_2_training_is_advisory_for_cii_operators():
    """Law art. 34(2) 定期…培训 (twelve months, the project's reading); Plan §6.4."""
    assert rules.training_check(OPERATOR, None, TODAY) is None
    check = rules.training_check(CII, None, TODAY)
    assert check.status == Status.ADVISORY and check.compliant
    assert rules.training_check(CII, date(2025, 10, 1), TODAY).status == Status.ADVISORY
    assert rules.training_check(CII, date(2026, 3, 1), TODAY).status == Status.OK


def test_plan_7_8_reserve_intervals():
    """Plan §7.8; 180 days by default (the project's), from the last check or the recording."""
    assert rules.RESERVE_CHECK_DEFAULT_DAYS == 180
    status, due = rules.reserve_status(date(2026, 5, 5), date(2026, 1, 1), 180, TODAY)
    assert due == date(2026, 11, 1) and status == Status.DUE_SOON
    assert rules.reserve_status(date(2026, 5, 4), date(2026, 1, 1), 180, TODAY)[0] == \
        Status.OVERDUE
    assert rules.reserve_status(None, date(2026, 10, 1), 180, TODAY)[0] == Status.OK
    assert rules.reserve_status(date(2026, 10, 31), date(2026, 1, 1), 1, TODAY)[0] == \
        Status.DUE_SOON  # due today: met
    check = rules.reserves_check([("kit", date(2026, 1, 1), date(2026, 1, 1), 180),
                                  ("fw", date(2026, 10, 1), date(2026, 1, 1), 180)], TODAY)
    assert check.status == Status.OVERDUE and not check.compliant
    assert check.reasons[0].code == "reserve.check_overdue" and "kit" in check.reasons[0].text_en
    assert rules.reserves_check([], TODAY) is None


def test_plan_8_1_revision_changes_the_version():
    """Plan §8.1 根据实际情况适时修订."""
    o = rules.EvaluationOutcome
    assert rules.evaluation_versions(o.ADEQUATE, "1.0", None).allowed
    assert rules.evaluation_versions(o.REVISED, "1.0", "2.0").allowed
    assert not rules.evaluation_versions(o.REVISED, "1.0", None).allowed
    assert not rules.evaluation_versions(o.REVISED, "1.0", "1.0").allowed
    assert not rules.evaluation_versions(o.ADEQUATE, "1.0", "2.0").allowed


def test_plan_6_2_exercise_states_and_reporting():
    assert rules.exercise_move(ExerciseState.PLANNED, ExerciseState.HELD).allowed
    assert rules.exercise_move(ExerciseState.PLANNED, ExerciseState.CANCELLED).allowed
    assert not rules.exercise_move(ExerciseState.CANCELLED, ExerciseState.HELD).allowed
    assert not rules.exercise_move(ExerciseState.HELD, ExerciseState.CANCELLED).allowed
    assert rules.exercise_report(ExerciseState.HELD, False).allowed
    assert [r.code for r in rules.exercise_report(ExerciseState.PLANNED, True).refusals] == [
        "exercise.report_not_held", "exercise.already_reported"]


def test_follow_up_actions_overdue():
    assert rules.action_overdue(date(2026, 10, 1), None, TODAY)
    assert not rules.action_overdue(date(2026, 10, 1), date(2026, 10, 2), TODAY)
    assert not rules.action_overdue(TODAY, None, TODAY)
    assert not rules.action_overdue(None, None, TODAY)


def test_worst_status_summarizes_a_row():
    checks = [rules.Check(Duty.TRAINING, Status.ADVISORY), rules.Check(Duty.PLAN, Status.OK)]
    assert rules.worst(checks) == Status.ADVISORY
    checks.append(rules.Check(Duty.EXERCISE, Status.NOT_REPORTED))
    assert rules.worst(checks) == Status.NOT_REPORTED
    assert rules.worst([]) == Status.OK
