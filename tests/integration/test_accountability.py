"""The whole accountability and commendation view (Plan §7.10) and the reminders of recurring
duties, through the services, on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fenghuo.common.errors import Conflict
from fenghuo.common.periods import Half, Month, window
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


def test_a_short_month_is_not_unmet_a_half_below_the_average_is(rt, principal, clock):
    """Support obligations 4–5 say 平均每月 (on average per month): 39 hours and no incident
    response in October are not unmet in October's view (only the month's own obligation 6
    is); once 2026-H2 is over, the half's view shows both unmet, judged on the average of the
    owed months (October to December: 3 responses, 120 h); 120 h clears obligation 5."""
    member(rt, principal)
    for day in range(3):  # 3 × 13 h = 39 h with the Beijing branch
        work(rt, principal, minutes=13 * 60, worked_on=OCT + timedelta(days=day))
    row, view = _row(rt, principal, "bj_admin", "bj-support")
    assert view.as_of == date(2026, 10, 31)
    sources = {r.source for r in row.support}
    assert sources == {"Support obligation 6"}, row.support  # no 7×24 contact that month
    clock.advance(days=62)  # 2 January 2027: the half is over
    row, _ = _row(rt, principal, "bj_admin", "bj-support", Half(2026, 2))
    codes = [r.code for r in row.support]
    assert codes.count("responses.unmet") == 1 and codes.count("hours.unmet") == 1, codes
    for day in range(3, 12):  # 9 × 9 h = 81 h more: 120 h over the half
        work(rt, principal, minutes=9 * 60, worked_on=OCT + timedelta(days=day))
    row, _ = _row(rt, principal, "bj_admin", "bj-support", Half(2026, 2))
    assert "Support obligation 5" not in {r.source for r in row.support}
    assert "Support obligation 4" in {r.source for r in row.support}
    assert _row(rt, principal, "sh_admin", "bj-support", Half(2026, 2))[0] is None  # art. 30


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
    # issue 16 item 7: the layout of every notification, Chinese first: the duty, the unit,
    # what is asked and by when, and the duty's page
    assert all(m.subject.startswith("[到期提醒 REMINDER]") for m in new)
    assert all(m.text.startswith("事件 What: ") and "要求 Asked: " in m.text
               and "期限 Due: " in m.text for m in new)
    assert any("单位 Unit: 北京某银行 / Beijing Bank" in m.text
               and "/web/preparedness/body/bj-bank" in m.text for m in to_bank)
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
    """Support obligations 4–5, 9: disqualified on 1 November for 2026-H1, the unit owed July
    to October of 2026-H2; with its status ended those months are over, so the half's view
    shows them below the average though the calendar half is not, and October's view still
    shows the month's own obligation 6."""
    member(rt, principal, admitted_on=date(2026, 3, 1))
    support.evaluate(rt.uow, rt.clock, principal=principal("cncert_duty"), data=EvaluationIn(
        unit="bj-support", half="2026-H1", cooperation=0, disqualify=True, confirm=True))
    row, _ = _row(rt, principal, "bj_admin", "bj-support", Half(2026, 2))
    unmet = {r.code: r for r in row.support}
    assert "hours.unmet" in unmet and "over 4 month(s)" in unmet["hours.unmet"].text_en
    row, _ = _row(rt, principal, "bj_admin", "bj-support")
    assert "Support obligation 6" in {r.source for r in row.support}
