"""The support network's use cases (Support; Plan §7.2, §7.3): the obligation views, the unmet
obligations the accountability view combines, the reminders of the monthly and six-monthly
duties, and — re-exported here so callers need one module — rounds, admission, the work log,
contact checks, work reports and evaluations (:mod:`.units`) and teams, experts and dispatch
(:mod:`.dispatch`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.periods import Half, Month
from fenghuo.common.reasons import Reason
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.preparedness.reminders import Reminder
from fenghuo.support import rules
from fenghuo.support.dispatch import (  # noqa: F401 - re-exported
    assignments_for_response,
    dispatch,
    get_team,
    list_assignments,
    log_assignment_work,
    put_expert,
    put_team,
    release,
    search_experts,
    search_teams,
)
from fenghuo.support.facts import (
    active_memberships,
    label,
    month_facts,
    obligation_out,
    owed_months,
    report_submitted_on,
)
from fenghuo.support.models import SupportMembership
from fenghuo.support.schemas import AveragesOut, MemberStatusOut, MonthOut, ObligationsOut
from fenghuo.support.units import (  # noqa: F401 - re-exported
    admit,
    answer_check,
    create_round,
    evaluate,
    get_round,
    list_checks,
    list_evaluations,
    list_memberships,
    list_reports,
    list_rounds,
    list_work,
    log_work,
    parse_period,
    preview_evaluation,
    start_check,
    submit_report,
    support_unit,
)

# --- views ------------------------------------------------------------------------------------


def _month_out(a: rules.MonthAssessment) -> MonthOut:
    return MonthOut(month=str(a.month), complete=a.complete,
                    obligations=[obligation_out(r) for r in a.results])


def obligations(uow: UnitOfWork, clock: Clock, *, principal: Principal, unit: str,
                month: str | None = None, half: str | None = None) -> ObligationsOut:
    """A unit's obligations month by month (Support obligations 4–7) for a month or a half
    (default: the current month); a half adds the six-month average (平均每月) and the work
    report (obligation 8)."""
    require(principal, Permission.PREPAREDNESS_READ)
    if month and half:
        raise ValidationFailed([FieldError("month", "give a month or a half, not both")])
    now = clock.now()
    today = rules.day_of(now)
    h = parse_period(Half, half, "half") if half else None
    months = h.months() if h else [parse_period(Month, month, "month") if month
                                   else Month.of(today)]
    with uow() as s:
        body = support_unit(s, principal, unit)
        facts = month_facts(s, body.id, owed_months(s, body.id, months) if h else months)
        out = ObligationsOut(unit=body.key, name_zh=body.name_zh, name_en=body.name_en,
                             period=str(h or months[0]),
                             months=[_month_out(rules.assess_month(f, now)) for f in facts])
        if h:
            started = [f for f in facts if f.month.start <= today] or facts
            avg = rules.averages(started)
            out.averages = AveragesOut(months=avg.months,
                                       responses_per_month=avg.responses_per_month,
                                       hours_per_month=avg.hours_per_month)
            out.work_report = obligation_out(rules.assess_report(
                h, report_submitted_on(s, body.id, h), today))
        return out


def round_status(uow: UnitOfWork, clock: Clock, *, principal: Principal, number: int,
                 page: PageParams) -> Page[MemberStatusOut]:
    """Every member of a round in scope with the current month's obligations (in progress)."""
    require(principal, Permission.PREPAREDNESS_READ)
    now = clock.now()
    month = Month.of(rules.day_of(now))
    with uow() as s:
        r = get_round(s, number)
        stmt = (select(SupportMembership, Body).join(Body, Body.id == SupportMembership.body_id)
                .where(SupportMembership.round_id == r.id,
                       scoping.visible_bodies(principal.scope)))

        def convert(row) -> MemberStatusOut:  # noqa: ANN001
            m, body = row
            a = rules.assess_month(month_facts(s, body.id, [month])[0], now)
            return MemberStatusOut(unit=body.key, name_zh=body.name_zh, name_en=body.name_en,
                                   status=m.status,
                                   status_label=label(rules.MEMBERSHIP_LABELS, m.status),
                                   month=str(month),
                                   obligations=[obligation_out(x) for x in a.results])

        return fetch_page(s, stmt, page, order_by=Body.key, convert=convert)


# --- for the accountability view and the reminder sweep --------------------------------------


def _months(first: date, last: date) -> list[Month]:
    out, m = [], Month.of(first)
    while m.start < last:
        out.append(m)
        m = m.next()
    return out


def unmet_obligations(s: Session, *, body_ids: Collection[int] | None, since: date,
                      until: date, today: date) -> dict[int, list[Reason]]:
    """For support units that were members during the period: every unmet obligation (Support
    obligations 4, 5, 6 by month; 8 by half) in the complete months and halves that fall in
    ``[since, until)``, from the first month the unit owed (a month not yet over is not unmet;
    an untested channel is not unmet). ``body_ids`` None = all units."""
    now = rules.start_of(today)
    out: dict[int, list[Reason]] = {}
    for m in active_memberships(s, body_ids, since=since, until=until):
        first = rules.first_obligated_month(m.admitted_on)
        ended = m.ended_on or until
        months = [x for x in _months(since, until)
                  if x.start >= since and x.end <= min(until, ended) and x.end <= today
                  and x >= first]
        reasons = [r for f in month_facts(s, m.body_id, months)
                   for r in rules.assess_month(f, now).unmet()]
        h = Half.of(since)
        while h.start < until:
            if h.start >= since and h.end <= until and h.end > first.start:
                result = rules.assess_report(h, report_submitted_on(s, m.body_id, h), today)
                if result.status == rules.Status.UNMET:
                    reasons += list(result.reasons)
            h = h.next()
        if reasons:
            out[m.body_id] = reasons
    return out


def reminders_due(s: Session, today: date) -> list[Reminder]:
    """From the 20th of a month, one per unit still short of the month's response or hours
    obligation (Support obligations 4–5); from 15 days before a work report is due until it is
    submitted, one per unit (obligation 8). Day thresholds are the project's."""
    out = []
    month = Month.of(today)
    now = rules.start_of(today)
    for m in active_memberships(s):
        first = rules.first_obligated_month(m.admitted_on)
        if today.day >= rules.MONTH_REMINDER_DAY and month >= first:
            a = rules.assess_month(month_facts(s, m.body_id, [month])[0], now)
            short = [r for code in (rules.Code.RESPONSES, rules.Code.HOURS)
                     for r in a.result(code).reasons if a.result(code).status != rules.Status.MET]
            if short:
                out.append(Reminder(
                    key=f"support_month:{m.body_id}:{month}", body_id=m.body_id,
                    subject=f"支撑单位本月义务尚未完成 / support-unit obligations short "
                    f"({month})",
                    text="\n".join(f"{r.text_zh} / {r.text_en} ({r.source})" for r in short)))
        current = Half.of(today)
        for h in (current.previous(), current):
            due = rules.report_due(h)
            if (today >= due - timedelta(days=rules.REPORT_REMINDER_DAYS) and h.end > first.start
                    and report_submitted_on(s, m.body_id, h) is None):
                out.append(Reminder(
                    key=f"support_report:{m.body_id}:{h}", body_id=m.body_id,
                    subject=f"支撑单位半年工作报告 / six-monthly work report ({h})",
                    text=f"{h}工作报告应于{due}前提交 / the {h} work report is due by {due} "
                    "(Support obligation 8)"))
    return out
