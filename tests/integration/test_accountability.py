"""The whole accountability and commendation view (Plan §7.10) and the reminders of recurring
duties, through the services, on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fenghuo.common.errors import Conflict
from fenghuo.common.periods import Month, window
from fenghuo.dossier import service as dossier
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ExpertIn
from fenghuo.preparedness import accountability, reminders
from fenghuo.preparedness import service as preparedness
from fenghuo.support import service as support
from fenghuo.support.schemas import AssignmentIn, AssignmentWorkIn, EvaluationIn
from tests.integration.test_responses import level_one
from tests.integration.test_support import OCT, member, work

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = Month(2026, 10)


def _row(rt, principal, user: str, body: str, period=OCTOBER):
    since, until = window(period, SHANGHAI)
    view = accountability.accountability(rt.uow, rt.clock, principal=principal(user),
                                         since=since, until=until)
    return next((r for r in view.rows if r.body == body), None), view


def test_a_month_short_of_hours_shows_and_40_hours_clears_it(rt, principal):
    """Support obligations 4–5 in October: 39 hours and no incident response are unmet; at 40
    hours only the response obligation remains (the month view counts the whole month)."""
    member(rt, principal)
    for day in range(3):  # 3 × 13 h = 39 h with the Beijing branch
        work(rt, principal, minutes=13 * 60, worked_on=OCT + timedelta(days=day))
    row, view = _row(rt, principal, "bj_admin", "bj-support")
    assert view.as_of == date(2026, 10, 31)
    sources = {r.source for r in row.support}
    assert {"Support obligation 4", "Support obligation 5"} <= sources, row.support
    work(rt, principal, minutes=60, worked_on=OCT + timedelta(days=30))  # 40 h, on 31 October
    row, _ = _row(rt, principal, "bj_admin", "bj-support")
    assert "Support obligation 5" not in {r.source for r in row.support}
    assert "Support obligation 4" in {r.source for r in row.support}
    assert _row(rt, principal, "sh_admin", "bj-support")[0] is None  # Law art. 30


def test_preparedness_failures_and_commendations_are_per_body(rt, principal):
    """Plan §6.2 (no exercise) and §8.1 (no plan) for the Beijing office, next to the
    commendation it was given in the period."""
    accountability.commend(rt.uow, rt.clock, principal=principal("nat_admin"),
                           data=accountability.CommendationIn(
                               body="110000.office", reason="值守出色 outstanding duty",
                               given_on=date(2026, 10, 31)))
    row, _ = _row(rt, principal, "nat_admin", "110000.office")
    codes = {r.code for r in row.preparedness}
    assert {"exercise.missing", "plan.missing"} <= codes, codes
    assert [c.reason for c in row.commendations] == ["值守出色 outstanding duty"]
    assert row.failures == len(row.preparedness) + len(row.support)
    # the same body's record for November has no commendation
    row, _ = _row(rt, principal, "nat_admin", "110000.office", Month(2026, 11))
    assert row.commendations == []
    with rt.uow() as s:
        now = preparedness.noncompliance(s, body_ids=None, today=date(2026, 11, 1))
    assert {r.code for r in now[row_id(rt, "110000.office")]} >= codes


def row_id(rt, key: str) -> int:
    with rt.uow() as s:
        return s.scalar(select(Body.id).where(Body.key == key))


def test_reminders_go_once_through_the_outbox(rt, principal, clock):
    """Item 7: the yearly, six-monthly and monthly duties are reminded through the same
    outbox, each duty and period once."""
    member(rt, principal)
    sources = (preparedness.reminders_due, support.reminders_due)
    clock.advance(days=19)  # 20 November (Beijing): monthly support reminders start
    with rt.uow() as s:
        before = s.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    sent = reminders.send_due(rt.uow, rt.clock, sources)
    assert sent > 0
    with rt.uow() as s:
        new = s.scalars(select(OutboxMessage).where(OutboxMessage.id > (before or 0))).all()
    to_bank = [m for m in new if m.address == "duty@bj-bank.example.cn"]
    assert to_bank, "the CII operator's 7×24 contact is reminded of its yearly duties"
    assert all(" / " in m.subject for m in new)  # Chinese and English
    assert reminders.send_due(rt.uow, rt.clock, sources) == 0  # each once
    clock.advance(days=31)  # December: a new month's support reminder is a new duty
    assert reminders.send_due(rt.uow, rt.clock, sources) >= 1


def test_an_experts_time_shows_on_the_response_and_in_the_dossier(rt, principal, clock):
    """Plan §7.3: an expert dispatched to a response; the hours logged show with it."""
    r = level_one(rt, principal, clock)
    nat = principal("nat_admin")
    registers.create_expert(rt.uow, rt.clock, principal=nat, data=ExpertIn(
        key="e-zhao", body="cn.emergency-office", name="赵工", specialties=["forensics"]))
    a = support.dispatch(rt.uow, rt.clock, principal=nat, data=AssignmentIn(
        expert="e-zhao", response=r.ref, task="取证 forensics"))
    with pytest.raises(Conflict):  # the same expert twice to the same response
        support.dispatch(rt.uow, rt.clock, principal=nat, data=AssignmentIn(
            expert="e-zhao", response=r.ref, task="again"))
    for minutes in (120, 150):
        support.log_assignment_work(rt.uow, rt.clock, principal=nat, ref=a.ref,
                                    data=AssignmentWorkIn(worked_on=date(2026, 11, 1),
                                                          minutes=minutes))
    d = dossier.build(rt.uow, rt.clock, principal=principal("bj_admin"), ref=r.incident)
    assert [(x.name, x.hours) for x in d.assignments] == [("赵工", 4.5)]
    assert d.assignments[0].response == r.ref


def test_a_unit_that_lost_its_status_still_answers_for_its_months(rt, principal):
    """Support obligation 9: disqualified in November for 2026-H1, the unit's unmet October
    still shows in October's view."""
    member(rt, principal, admitted_on=date(2026, 3, 1))
    support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"), data=EvaluationIn(
        unit="bj-support", half="2026-H1", cooperation=0, disqualify=True, confirm=True))
    row, _ = _row(rt, principal, "bj_admin", "bj-support")
    assert "Support obligation 5" in {r.source for r in row.support}
