"""The Central Cyberspace Office's exercise duty (issue 17 item 13; Plan §6.2 ¶1 中央网信办协调
有关部门定期组织演练) through the services on SQLite and PostgreSQL: it shows as missing, then met,
then overdue at the interval FENGHUO_CENTRAL_EXERCISE_INTERVAL_MONTHS sets, in the compliance
view and the accountability's non-compliance, with a reminder. The clock stands at 2026-11-01."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from fenghuo import bootstrap
from fenghuo.common.periods import add_months
from fenghuo.config import Settings
from fenghuo.org.accounts import principal_for
from fenghuo.preparedness import service as prep
from fenghuo.preparedness.rules import Duty
from fenghuo.preparedness.schemas import HeldIn
from tests.integration.test_preparedness import PAGE, TODAY, duty, exercise_in, ids


@pytest.fixture
def six_monthly(db_url, clock) -> Iterator[bootstrap.Runtime]:
    """The same database, run with FENGHUO_CENTRAL_EXERCISE_INTERVAL_MONTHS=6."""
    runtime = bootstrap.build(Settings(database_url=db_url, central_exercise_interval_months=6),
                              clock=clock)
    yield runtime
    runtime.engine.dispose()


def _held(rt, principal, held_on: date) -> None:
    me = principal("nat_admin")
    x = prep.plan_exercise(rt.uow, rt.clock, principal=me, data=exercise_in("cn.cac"))
    prep.record_held(rt.uow, rt.clock, principal=me, ref=x.ref, data=HeldIn(held_on=held_on))


def _exercise(rt, username: str = "nat_admin"):
    row = prep.body_compliance(rt.uow, rt.clock, principal=principal_for(
        rt.uow, username=username), body="cn.cac")
    return duty(row, Duty.EXERCISE)


def _reminders(rt) -> dict[str, object]:
    with rt.uow() as s:
        return {r.key: r for r in prep.reminders_due(s, TODAY)}


def test_the_central_office_must_exercise_and_is_reminded(rt, principal):
    """Plan §6.2 ¶1: none on record → missing, non-compliant, reminded (the Central
    Cyberspace Office is the body with that function in the reference data); the Emergency
    Office inside it carries no exercise duty of its own."""
    cac = ids(rt, "cn.cac")["cn.cac"]
    d = _exercise(rt)
    assert d.status == "missing" and not d.compliant
    assert d.reasons[-1].source == "Plan §6.2 ¶1" and "中央网信办" in d.reasons[-1].text_zh
    with rt.uow() as s:
        codes = {r.code for r in prep.noncompliance(s, body_ids=[cac], today=TODAY)[cac]}
    assert "exercise.missing" in codes
    rows = prep.compliance(rt.uow, rt.clock, principal=principal("nat_admin"), page=PAGE,
                           duty=Duty.EXERCISE, noncompliant=True)
    assert "cn.cac" in {r.body for r in rows.items}
    assert "cn.emergency-office" not in {r.body for r in rows.items}
    reminder = _reminders(rt)[f"exercise:{cac}:2026"]
    assert reminder.body_id == cac and "Plan §6.2 ¶1" in reminder.text


def test_an_exercise_held_meets_the_duty_at_the_default_interval(rt, principal):
    """Twelve months by default: held seven months ago is met, with nothing to report."""
    _held(rt, principal, add_months(TODAY, -7))
    d = _exercise(rt)
    assert d.compliant and d.status == "ok" and d.due_on == add_months(TODAY, 5)
    cac = ids(rt, "cn.cac")["cn.cac"]
    assert not any(k.startswith(f"exercise:{cac}:") for k in _reminders(rt))


def test_the_interval_is_the_setting(rt, principal, six_monthly):
    """FENGHUO_CENTRAL_EXERCISE_INTERVAL_MONTHS=6: held seven months ago is overdue, with a
    reminder for its month; the provinces' yearly duty does not change."""
    _held(rt, principal, add_months(TODAY, -7))
    d = _exercise(six_monthly)
    assert d.status == "overdue" and not d.compliant
    assert d.due_on == add_months(TODAY, -1)
    cac = ids(rt, "cn.cac")["cn.cac"]
    assert f"exercise:{cac}:{add_months(TODAY, -1):%Y-%m}" in _reminders(six_monthly)
    row = prep.body_compliance(six_monthly.uow, six_monthly.clock,
                               principal=principal_for(six_monthly.uow, username="bj_duty"),
                               body="110000.office")
    assert duty(row, Duty.EXERCISE).reasons[-1].source == "Plan §6.2"


@pytest.mark.parametrize(("ago", "reminded"), [(4, False), (5, True)])
def test_reminded_a_month_before_a_six_monthly_interval_runs_out(rt, principal, six_monthly,
                                                                 ago, reminded):
    """Six months: an exercise five months ago is reminded (for its due month), four not."""
    _held(rt, principal, add_months(TODAY, -ago))
    cac = ids(rt, "cn.cac")["cn.cac"]
    due = add_months(TODAY, 6 - ago)
    assert _exercise(six_monthly).due_on == due
    assert (f"exercise:{cac}:{due:%Y-%m}" in _reminders(six_monthly)) is reminded
