"""The support network's use cases (Support; Plan §7.2, §7.3): the obligation views, the unmet
obligations the accountability view combines, the reminders of the monthly and six-monthly
duties, and — re-exported here so callers need one module — rounds, admission, the work log,
contact checks, work reports and evaluations (:mod:`.units`), CNCERT's decisions ending a status
(:mod:`.decisions`) and teams, experts and dispatch (:mod:`.dispatch`)."""

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
from fenghuo.notify.compose import Words
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.preparedness.reminders import Reminder
from fenghuo.support import rules
from fenghuo.support.decisions import decide, list_decisions  # noqa: F401 - re-exported
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
    month_assessment,
    month_facts,
    obligation_out,
    period,
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


def _averages_out(p: rules.PeriodAssessment) -> AveragesOut:
    """Support obligations 4–5 over the half (平均每月): the average so far and each verdict."""
    responses, hours = (p.averages[c] for c in (rules.Code.RESPONSES, rules.Code.HOURS))
    return AveragesOut(half=str(p.half), months=responses.begun, owed_months=responses.months,
                       responses_per_month=responses.average, hours_per_month=hours.average,
                       obligations=[obligation_out(x.result()) for x in (responses, hours)])


def obligations(uow: UnitOfWork, clock: Clock, *, principal: Principal, unit: str,
                month: str | None = None, half: str | None = None) -> ObligationsOut:
    """A unit's obligations month by month (Support obligations 4–7) for a month or a half
    (default: the current month), with the half's average of obligations 4–5 (平均每月: judged
    on the half's owed months); a half adds the work report (obligation 8)."""
    require(principal, Permission.PREPAREDNESS_READ)
    if month and half:
        raise ValidationFailed([FieldError("month", "give a month or a half, not both")])
    now = clock.now()
    today = rules.day_of(now)
    h = parse_period(Half, half, "half") if half else None
    with uow() as s:
        body = support_unit(s, principal, unit)
        if h:
            p = period(s, body.id, h, now)
            shown = list(p.months)
        else:
            m = parse_period(Month, month, "month") if month else Month.of(today)
            a, p = month_assessment(s, body.id, m, now)
            shown = [a]
        out = ObligationsOut(unit=body.key, name_zh=body.name_zh, name_en=body.name_en,
                             period=str(h or shown[0].month),
                             months=[_month_out(a) for a in shown], averages=_averages_out(p))
        if h:
            out.work_report = obligation_out(rules.assess_report(
                h, report_submitted_on(s, body.id, h), today))
        return out


def round_status(uow: UnitOfWork, clock: Clock, *, principal: Principal, number: int,
                 page: PageParams) -> Page[MemberStatusOut]:
    """Every member of a round in scope with the current month's obligations: 4–5 as the
    half's progress toward the average, 6–7 the month's."""
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
            a, _ = month_assessment(s, body.id, month, now)
            return MemberStatusOut(unit=body.key, name_zh=body.name_zh, name_en=body.name_en,
                                   status=m.status,
                                   status_label=label(rules.MEMBERSHIP_LABELS, m.status),
                                   month=str(month),
                                   obligations=[obligation_out(x) for x in a.results])

        return fetch_page(s, stmt, page, order_by=Body.key, convert=convert)


# --- for the accountability view and the reminder sweep --------------------------------------


def _halves(since: date, until: date) -> list[Half]:
    """The halves that overlap ``[since, until)``."""
    out, h = [], Half.of(since)
    while h.start < until:
        out.append(h)
        h = h.next()
    return out


def unmet_obligations(s: Session, *, body_ids: Collection[int] | None, since: date,
                      until: date, today: date) -> dict[int, list[Reason]]:
    """For support units that were members during the period: every unmet obligation in it —
    obligations 4–5 on the average of each half that falls in ``[since, until)`` once its owed
    months are over (平均每月: never a single month), 6 by month in the period's complete months,
    8 by half — counting only the months the membership owed. ``body_ids`` None = all units."""
    now = rules.start_of(today)
    out: dict[int, list[Reason]] = {}
    for m in active_memberships(s, body_ids, since=since, until=until):
        reasons: list[Reason] = []
        for h in _halves(since, until):
            owed = rules.owed(h.months(), m.admitted_on, m.ended_on)
            p = rules.assess_period(h, month_facts(s, m.body_id, owed), now)
            reasons += [r for a in p.months if since <= a.month.start and a.month.end <= until
                        for r in a.unmet()]
            if not (h.start >= since and h.end <= until and owed):
                continue
            reasons += [x.reason() for x in p.averages.values()
                        if x.status == rules.Status.UNMET]
            result = rules.assess_report(h, report_submitted_on(s, m.body_id, h), today)
            if result.status == rules.Status.UNMET:
                reasons += list(result.reasons)
        if reasons:
            out[m.body_id] = reasons
    return out


def _behind(s: Session, m: SupportMembership, today: date) -> list[Reason]:
    """Support obligations 4–5 of the current half that the unit is behind on (below the
    average for the months begun), each with what the remaining months must bring."""
    half = Half.of(today)
    owed = rules.owed(half.months(), m.admitted_on, m.ended_on)
    p = rules.assess_period(half, month_facts(s, m.body_id, owed), rules.start_of(today))
    return [x.reason() for x in p.averages.values()
            if x.status == rules.Status.IN_PROGRESS and x.behind]


def _unit_page(key: str) -> str:
    """The console page of a support unit's obligations."""
    return f"/web/preparedness/support/{key}"


def reminders_due(s: Session, today: date) -> list[Reminder]:
    """From the 20th of a month, one per unit behind the half's average of the response or
    hours obligation (Support obligations 4–5: 平均每月), saying what the rest of the half must
    bring; from 15 days before a work report is due until it is submitted, one per unit
    (obligation 8). Day thresholds are the project's."""
    out = []
    month = Month.of(today)
    members = active_memberships(s)
    keys = dict(s.execute(select(Body.id, Body.key).where(
        Body.id.in_([m.body_id for m in members]))).all())
    for m in members:
        first = rules.first_obligated_month(m.admitted_on)
        short = _behind(s, m, today) if today.day >= rules.MONTH_REMINDER_DAY else []
        if short:
            out.append(Reminder(
                key=f"support_month:{m.body_id}:{month}", body_id=m.body_id,
                subject=f"支撑单位平均每月义务进度落后 / support-unit obligations behind the "
                f"average ({month})",
                text="\n".join(f"{r.text_zh} / {r.text_en} ({r.source})" for r in short),
                asked=Words("在本半年余下月份补足平均每月义务（支撑单位义务第4–5条）",
                            "make up the average in the rest of the half (Support "
                            "obligations 4–5)"), due=Half.of(today).end - timedelta(days=1),
                path=_unit_page(keys[m.body_id])))
        current = Half.of(today)
        for h in (current.previous(), current):
            due = rules.report_due(h)
            if (today >= due - timedelta(days=rules.REPORT_REMINDER_DAYS) and h.end > first.start
                    and report_submitted_on(s, m.body_id, h) is None):
                out.append(Reminder(
                    key=f"support_report:{m.body_id}:{h}", body_id=m.body_id,
                    subject=f"支撑单位半年工作报告 / six-monthly work report ({h})",
                    text=f"{h}工作报告应于{due}前提交 / the {h} work report is due by {due} "
                    "(Support obligation 8)",
                    asked=Words(f"提交{h}工作报告", f"submit the {h} work report"), due=due,
                    path=_unit_page(keys[m.body_id])))
    return out
