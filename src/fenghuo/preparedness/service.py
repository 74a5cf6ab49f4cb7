"""Preparedness: the compliance view over every recurring duty (Plan §6.2, §6.4, §7.8, §8.1;
Law arts. 25, 34, 38), what the accountability view and the reminder sweep read from it, and
one import point for the use cases.

The use cases live beside this module: :mod:`.plans` (emergency plans and their yearly
evaluations), :mod:`.exercises` (exercises, follow-up actions, reporting to the Central
Cyberspace Office) and :mod:`.registers` (CII risk assessments, trainings, reserves). The rules
that judge each duty are in :mod:`.rules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.pagination import Page, PageParams
from fenghuo.common.reasons import Reason
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.notify.compose import Words
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import require, visible_body
from fenghuo.preparedness import access, rules
from fenghuo.preparedness.exercises import (  # noqa: F401 - the package's use cases, re-exported
    add_action,
    cancel,
    complete_action,
    get_exercise,
    list_exercises,
    plan_exercise,
    record_held,
    report,
)
from fenghuo.preparedness.models import (
    CiiAssessment,
    EmergencyPlan,
    Exercise,
    ExerciseParticipant,
    Reserve,
    Training,
)
from fenghuo.preparedness.plans import (  # noqa: F401
    add_plan,
    evaluate_plan,
    get_plan,
    list_plans,
)
from fenghuo.preparedness.registers import (  # noqa: F401
    add_assessment,
    add_reserve,
    add_training,
    check_reserve,
    list_assessments,
    list_reserves,
    list_trainings,
    report_assessment,
)
from fenghuo.preparedness.reminders import Reminder
from fenghuo.preparedness.schemas import ComplianceRow, DutyOut

#: bodies that carry a duty by their kind (plans: Plan §8.1, Law 25; exercises: Plan §6.2)
_DUTY_KINDS = sorted(k.value for k in rules.PLAN_KEEPER_KINDS)


def _subjects(s: Session, where) -> list[Body]:  # noqa: ANN001 - a SQL condition
    """Active bodies carrying a preparedness duty by kind, or holding reserves."""
    has_reserves = Body.id.in_(select(Reserve.body_id))
    return list(s.scalars(select(Body).where(
        Body.active.is_(True), or_(Body.kind.in_(_DUTY_KINDS), has_reserves), where)))


def _latest(s: Session, ids: list[int], body_col, day_col, reported_col=None  # noqa: ANN001
            ) -> dict[int, tuple[date | None, date | None]]:
    """Per body: the latest day, and the latest day whose record was reported."""
    reported = (func.max(case((reported_col.is_not(None), day_col))) if reported_col is not None
                else func.max(day_col))
    return {b: (last, rep) for b, last, rep in s.execute(
        select(body_col, func.max(day_col), reported).where(body_col.in_(ids))
        .group_by(body_col)).all()}


def _checks(s: Session, bodies: list[Body], today: date) -> dict[int, list[rules.Check]]:
    """Every applicable duty of each body, judged on ``today`` by the rules (in bulk)."""
    ids = [b.id for b in bodies]
    if not ids:
        return {}
    plans: dict[int, list] = defaultdict(list)
    for b, key, adopted, evaluated in s.execute(select(
            EmergencyPlan.body_id, EmergencyPlan.key, EmergencyPlan.adopted_on,
            EmergencyPlan.last_evaluated_on).where(EmergencyPlan.body_id.in_(ids))):
        plans[b].append((key, adopted, evaluated))
    held = Exercise.state == rules.ExerciseState.HELD.value
    organized = {b: (last, rep) for b, last, rep in s.execute(
        select(Exercise.organizer_body_id, func.max(Exercise.held_on),
               func.max(case((Exercise.reported_at.is_not(None), Exercise.held_on))))
        .where(held, Exercise.organizer_body_id.in_(ids))
        .group_by(Exercise.organizer_body_id)).all()}
    took_part = dict(s.execute(
        select(ExerciseParticipant.body_id, func.max(Exercise.held_on))
        .join(Exercise, Exercise.id == ExerciseParticipant.exercise_id)
        .where(held, ExerciseParticipant.body_id.in_(ids))
        .group_by(ExerciseParticipant.body_id)).all())
    assessed = _latest(s, ids, CiiAssessment.body_id, CiiAssessment.assessed_on,
                       CiiAssessment.reported_to_body_id)
    trained = _latest(s, ids, Training.body_id, Training.held_on)
    reserves: dict[int, list] = defaultdict(list)
    for b, key, checked, created, every in s.execute(select(
            Reserve.body_id, Reserve.key, Reserve.last_checked_on, Reserve.created_at,
            Reserve.check_every_days).where(Reserve.body_id.in_(ids))):
        reserves[b].append((key, checked, created.date(), every))
    out: dict[int, list[rules.Check]] = {}
    central = access.central_exercise_months(s)
    for body in bodies:
        h = access.holder(body)
        last, last_reported = organized.get(body.id, (None, None))
        if h.kind == BodyKind.OPERATOR:  # Law 34(4): taking part counts for an operator
            joined = took_part.get(body.id)
            last = max(d for d in (last, joined) if d) if (last or joined) else None
        checks = [
            rules.plans_check(h, plans.get(body.id, []), today),
            rules.exercise_check(h, last, last_reported, today, central),
            rules.assessment_check(h, *assessed.get(body.id, (None, None)), today),
            rules.reserves_check(reserves.get(body.id, []), today),
            rules.training_check(h, trained.get(body.id, (None, None))[0], today),
        ]
        found = [c for c in checks if c is not None]
        if found:
            out[body.id] = found
    return out


def _duty_out(c: rules.Check) -> DutyOut:
    return DutyOut(duty=c.duty.value, duty_label=access.label(rules.DUTY_LABELS, c.duty),
                   status=c.status.value,
                   status_label=access.label(rules.STATUS_LABELS, c.status),
                   compliant=c.compliant, last_on=c.last_on, due_on=c.due_on,
                   items=list(c.items), reasons=[access.reason_out(r) for r in c.reasons])


def _row(body: Body, checks: list[rules.Check]) -> ComplianceRow:
    status = rules.worst(checks)
    return ComplianceRow(body=body.key, name_zh=body.name_zh, name_en=body.name_en,
                         kind=body.kind, jurisdiction=body.jurisdiction.code, cii=body.cii,
                         status=status.value,
                         status_label=access.label(rules.STATUS_LABELS, status),
                         compliant=all(c.compliant for c in checks),
                         duties=[_duty_out(c) for c in checks])


def compliance(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
               kind: BodyKind | None = None, duty: rules.Duty | None = None,
               status: rules.Status | None = None, noncompliant: bool = False,
               ) -> Page[ComplianceRow]:
    """One row per body in the caller's scope (Law art. 30) with each duty that applies to it —
    plan (Plan §8.1, Law 25), exercise (Plan §6.2, Law 34(4)), CII assessment (Law 38),
    reserves (Plan §7.8), training advisory (Law 34(2)) — its status, the last date and the
    reasons with their clauses. ``duty`` keeps the rows with that duty (and shows only it),
    ``status`` the rows where that duty (or any) is in that status, ``noncompliant`` the rows
    with a current non-compliance."""
    require(principal, Permission.PREPAREDNESS_READ)
    day = access.today(clock)
    where = scoping.visible_bodies(principal.scope)
    if kind is not None:
        where = where & (Body.kind == kind.value)
    with uow() as s:
        bodies = sorted(_subjects(s, where), key=lambda b: (b.jurisdiction.path, b.key))
        checks = _checks(s, bodies, day)
        rows = []
        for body in bodies:
            mine = checks.get(body.id, [])
            if duty is not None:
                mine = [c for c in mine if c.duty == duty]
            if not mine:
                continue
            if status is not None and all(c.status != status for c in mine):
                continue
            if noncompliant and all(c.compliant for c in mine):
                continue
            rows.append((body, mine))
        shown = rows[page.offset:page.offset + page.limit]  # only the page is built for output
        return Page[ComplianceRow](items=[_row(b, mine) for b, mine in shown],
                                   total=len(rows), limit=page.limit, offset=page.offset)


def body_compliance(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                    body: str) -> ComplianceRow:
    """The duties of one body in scope (Law art. 30), as in :func:`compliance`; a body with no
    preparedness duty has an empty list."""
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        return _row(b, _checks(s, [b], access.today(clock)).get(b.id, []))


def noncompliance(s: Session, *, body_ids: Collection[int] | None,
                  today: date) -> dict[int, list[Reason]]:
    """Every body with a current non-compliance on ``today`` — a missing or overdue plan (Plan
    §8.1, Law 25), a missed or unreported exercise (Plan §6.2, Law 34(4)), a missing or
    unreported CII assessment (Law 38), overdue reserve checks (Plan §7.8) — with the reasons
    for each status (not the rule that sets the duty, which each reason cites).
    ``body_ids`` None means every body. Training is advisory and never listed."""
    where = Body.id.in_(sorted(body_ids)) if body_ids is not None else Body.id.is_not(None)
    if body_ids is not None and not body_ids:
        return {}
    out: dict[int, list[Reason]] = {}
    for body_id, checks in _checks(s, _subjects(s, where), today).items():
        reasons = [r for c in checks if not c.compliant for r in c.findings]
        if reasons:
            out[body_id] = reasons
    return out


# --- reminders (issue 7 item 7) ---------------------------------------------------------------


def _page(key: str) -> str:
    """The console page of a body's preparedness duties."""
    return f"/web/preparedness/body/{key}"


def _exercise_reminder(body: Body, c: rules.Check, central: int, today: date
                       ) -> Reminder | None:
    """The reminder of a body's exercise duty, when due (``rules.exercise_reminder_due``),
    once per year of a yearly duty and per month of another interval."""
    _, months, _ = rules.exercise_duty(access.holder(body), central)
    if not rules.exercise_reminder_due(c.last_on, months, today):
        return None
    due = c.due_on or today
    period = f"{due.year}" if months % 12 == 0 else f"{due:%Y-%m}"
    source = c.reasons[-1].source
    return Reminder(
        f"exercise:{body.id}:{period}", body.id, f"应急演练到期 / exercise due: {body.key}",
        f"{body.name_zh}最近一次演练：{c.last_on or '无'}；应于 {due} 前组织演练（{source}）。\n"
        f"{body.name_en}: last exercise {c.last_on or 'none'}; one is due by {due} ({source}).",
        asked=Words("组织应急演练并报送", "hold an exercise and report it"), due=due,
        path=_page(body.key))


def reminders_due(s: Session, today: date) -> list[Reminder]:
    """The preparedness reminders due on ``today``, each keyed by its duty and period so the
    sweep sends it once: plan evaluations due within 30 days or overdue (Plan §8.1), bodies
    that must exercise with none in the last eleven months of a yearly duty — the Central
    Cyberspace Office a month before its own interval runs out (Plan §6.2, Law 34(4)), CII
    assessments due within 30 days, overdue or missing (Law 38), reserve checks due (§7.8)."""
    out: list[Reminder] = []
    for p, key in s.execute(select(EmergencyPlan, Body.key)
                            .join(Body, Body.id == EmergencyPlan.body_id)
                            .where(Body.active.is_(True)).order_by(EmergencyPlan.id)):
        status, due = rules.plan_check(p.adopted_on, p.last_evaluated_on, today)
        if status in (rules.Status.DUE_SOON, rules.Status.OVERDUE):
            out.append(Reminder(
                f"plan_evaluation:{p.id}:{due:%Y-%m}", p.body_id,
                f"应急预案年度评估到期 / plan evaluation due: {p.key}",
                f"预案 {p.title}（{p.key}，版本 {p.version}）应于 {due} 前完成年度评估。"
                f"本预案原则上每年评估一次（Plan §8.1）。\n"
                f"The plan {p.title} ({p.key}, version {p.version}) is due for its yearly "
                f"evaluation by {due} (Plan §8.1).",
                asked=Words("完成预案年度评估", "evaluate the plan"), due=due,
                path=_page(key)))
    bodies = _subjects(s, Body.id.is_not(None))
    checks = _checks(s, bodies, today)
    central = access.central_exercise_months(s)
    for body in bodies:
        for c in checks.get(body.id, []):
            if c.duty == rules.Duty.EXERCISE and (reminder := _exercise_reminder(
                    body, c, central, today)):
                out.append(reminder)
            elif c.duty == rules.Duty.CII_ASSESSMENT and c.status in (
                    rules.Status.DUE_SOON, rules.Status.OVERDUE, rules.Status.MISSING):
                due = c.due_on or today
                out.append(Reminder(
                    f"cii_assessment:{body.id}:{due:%Y-%m}", body.id,
                    f"关键信息基础设施年度检测评估到期 / CII risk assessment due: {body.key}",
                    f"{body.name_zh}最近一次检测评估：{c.last_on or '无'}；应于 {due} 前完成并"
                    f"报送（Law art. 38）。\n{body.name_en}: last assessment "
                    f"{c.last_on or 'none'}; the next is due by {due} and is reported to the "
                    f"department in charge (Law art. 38).",
                    asked=Words("完成检测评估并报送主管部门",
                                "assess and report to the department in charge"),
                    due=due, path=_page(body.key)))
    for r in s.scalars(select(Reserve).join(Body, Body.id == Reserve.body_id)
                       .where(Body.active.is_(True)).order_by(Reserve.id)):
        status, due = rules.reserve_status(r.last_checked_on, r.created_at.date(),
                                           r.check_every_days, today)
        if status in (rules.Status.DUE_SOON, rules.Status.OVERDUE):
            out.append(Reminder(
                f"reserve_check:{r.id}:{due.isoformat()}", r.body_id,
                f"应急储备检查到期 / reserve check due: {r.key}",
                f"储备 {r.name}（{r.key}）应于 {due} 前检查（Plan §7.8）。\n"
                f"The reserve {r.name} ({r.key}) is due for a check by {due} (Plan §7.8).",
                asked=Words("检查应急储备", "check the reserve"), due=due))
    return out
