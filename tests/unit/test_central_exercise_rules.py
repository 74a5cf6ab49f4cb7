"""Pure rules of the Central Cyberspace Office's exercises (issue 17 item 13; Plan §6.2 ¶1
中央网信办协调有关部门定期组织演练): a duty of its own, at the interval the deployment sets, beside
the provinces' and departments' yearly one (¶2)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fenghuo.common.periods import add_months
from fenghuo.org.rules import BodyKind, JurisdictionLevel
from fenghuo.preparedness import rules
from fenghuo.preparedness.rules import Holder, Status

TODAY = date(2026, 11, 1)
CENTRAL = Holder(BodyKind.OFFICE, JurisdictionLevel.NATIONAL, central=True)
NATIONAL_OFFICE = Holder(BodyKind.OFFICE, JurisdictionLevel.NATIONAL)
PROVINCE_OFFICE = Holder(BodyKind.OFFICE, JurisdictionLevel.PROVINCE)


def test_plan_6_2_1_the_central_office_exercises_at_its_own_interval():
    """¶1: the Central Cyberspace Office, at the setting's interval, reporting to nobody;
    another national office (the Emergency Office) carries no exercise duty."""
    assert rules.exercise_duty(CENTRAL) == (rules.CENTRAL_EXERCISE_BASIS,
                                            rules.CENTRAL_EXERCISE_MONTHS, False)
    assert rules.exercise_duty(CENTRAL, 6)[1] == 6
    assert rules.CENTRAL_EXERCISE_BASIS.source == "Plan §6.2 ¶1"
    assert rules.exercise_duty(NATIONAL_OFFICE) is None
    assert rules.exercise_duty(PROVINCE_OFFICE, 6) == (rules.EXERCISE_BASIS, 12, True)


def test_plan_6_2_1_missing_overdue_and_never_unreported():
    assert rules.exercise_check(CENTRAL, None, None, TODAY).status == Status.MISSING
    seven = add_months(TODAY, -7)
    late = rules.exercise_check(CENTRAL, seven, None, TODAY, 6)
    assert late.status == Status.OVERDUE and late.reasons[-1].source == "Plan §6.2 ¶1"
    assert late.findings[0].code == "exercise.overdue" and "6个月" in late.findings[0].text_zh
    held = rules.exercise_check(CENTRAL, seven, None, TODAY)  # twelve months by default
    assert held.compliant and held.status != Status.NOT_REPORTED
    assert held.due_on == add_months(seven, 12)
    last = add_months(TODAY, -6)
    assert rules.exercise_check(CENTRAL, last, None, TODAY, 6).compliant
    assert rules.exercise_check(CENTRAL, last - timedelta(days=1), None, TODAY,
                                6).status == Status.OVERDUE


@pytest.mark.parametrize(("months", "ago", "due"), [
    (12, 11, True), (12, 10, False),  # a yearly duty: eleven months in (the project's choice)
    (6, 5, True), (6, 4, False),
    (1, 0, True),
])
def test_a_reminder_a_month_before_the_interval_runs_out(months, ago, due):
    assert rules.exercise_reminder_due(add_months(TODAY, -ago), months, TODAY) is due
    assert rules.exercise_reminder_due(None, months, TODAY)
