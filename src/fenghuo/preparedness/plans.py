"""Use cases of emergency plans (Plan §8.1, Law art. 25): record a plan, list and read plans in
scope with their evaluation status, and record the yearly evaluation (adequate, or revised with
a new version)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.preparedness import access, rules
from fenghuo.preparedness.models import EmergencyPlan, PlanEvaluation
from fenghuo.preparedness.schemas import EvaluationIn, EvaluationOut, PlanIn, PlanOut


def evaluation_out(e: PlanEvaluation) -> EvaluationOut:
    return EvaluationOut(id=e.id, evaluated_on=e.evaluated_on, evaluated_by=e.evaluated_by,
                         outcome=e.outcome, outcome_label=access.label(rules.OUTCOME_LABELS,
                                                                       e.outcome),
                         findings=e.findings, version_before=e.version_before,
                         version_after=e.version_after, recorded_at=e.recorded_at)


def plan_out(p: EmergencyPlan, body_key: str, today: date,
             evaluations: list[PlanEvaluation] | None = None) -> PlanOut:
    status, due = rules.plan_check(p.adopted_on, p.last_evaluated_on, today)
    return PlanOut(
        id=p.id, body=body_key, key=p.key, title=p.title, version=p.version, owner=p.owner,
        document=p.document, document_sha256=p.document_sha256, adopted_on=p.adopted_on,
        last_evaluated_on=p.last_evaluated_on, due_on=due, status=status.value,
        status_label=access.label(rules.STATUS_LABELS, status),
        reasons=[access.reason_out(rules.plan_reason(status, p.key, due))],
        evaluations=[evaluation_out(e) for e in evaluations or []])


def _visible_plan(s: Session, principal: Principal, plan_id: int) -> tuple[EmergencyPlan, Body]:
    row = s.execute(select(EmergencyPlan, Body).join(Body, Body.id == EmergencyPlan.body_id)
                    .where(EmergencyPlan.id == plan_id,
                           scoping.visible_bodies(principal.scope))).first()
    if row is None:
        raise NotFound(f"no plan {plan_id}")
    return row[0], row[1]


def _evaluations(s: Session, plan_id: int) -> list[PlanEvaluation]:
    return list(s.scalars(select(PlanEvaluation).where(PlanEvaluation.plan_id == plan_id)
                          .order_by(PlanEvaluation.evaluated_on.desc(),
                                    PlanEvaluation.id.desc())))


def add_plan(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: PlanIn) -> PlanOut:
    """Record the plan a body keeps (Plan §8.1 各省（区、市）、各部门、各单位…制定…应急预案; Law
    art. 25). Its yearly evaluation falls due twelve months after adoption."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        body = access.body_in_scope(s, principal, data.body)
        access.not_future("adopted_on", data.adopted_on, access.today(clock))
        if s.scalar(select(EmergencyPlan.id).where(EmergencyPlan.body_id == body.id,
                                                   EmergencyPlan.key == data.key)):
            raise ValidationFailed([FieldError("key", f"{body.key} already keeps a plan "
                                               f"{data.key!r}")])
        p = EmergencyPlan(body_id=body.id, key=data.key, title=data.title, version=data.version,
                          owner=data.owner, document=data.document,
                          document_sha256=data.document_sha256, adopted_on=data.adopted_on,
                          created_at=now, updated_at=now)
        s.add(p)
        s.flush()
        access.record(s, principal, body, action="plan.create", entity_type="emergency_plan",
                      entity_key=f"{body.key}/{p.key}", now=now,
                      detail=data.model_dump(mode="json"))
        return plan_out(p, body.key, access.today(clock))


def list_plans(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
               body: str | None = None, status: rules.Status | None = None) -> Page[PlanOut]:
    """Plans of the bodies in scope with their evaluation status (Plan §8.1); ``status`` keeps
    those in one status (ok, due_soon, overdue)."""
    require(principal, Permission.PREPAREDNESS_READ)
    day = access.today(clock)
    stmt = select(EmergencyPlan, Body.key).join(Body, Body.id == EmergencyPlan.body_id).where(
        scoping.visible_bodies(principal.scope))
    with uow() as s:
        if body:
            stmt = stmt.where(Body.id == access.visible_body(s, principal.scope, body).id)
        if status is not None:
            rows = [plan_out(p, k, day) for p, k in s.execute(
                stmt.order_by(EmergencyPlan.id)).all()]
            rows = [r for r in rows if r.status == status.value]
            return Page[PlanOut](items=rows[page.offset:page.offset + page.limit],
                                 total=len(rows), limit=page.limit, offset=page.offset)
        return fetch_page(s, stmt, page, order_by=EmergencyPlan.id,
                          convert=lambda row: plan_out(row[0], row[1], day))


def get_plan(uow: UnitOfWork, clock: Clock, *, principal: Principal, plan_id: int) -> PlanOut:
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        p, body = _visible_plan(s, principal, plan_id)
        return plan_out(p, body.key, access.today(clock), _evaluations(s, p.id))


def evaluate_plan(uow: UnitOfWork, clock: Clock, *, principal: Principal, plan_id: int,
                  data: EvaluationIn) -> PlanOut:
    """Record the yearly evaluation (Plan §8.1 原则上每年评估一次，根据实际情况适时修订): an
    adequate plan keeps its version, a revised one gets a new version; before and after are
    kept. The next evaluation falls due twelve months later."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        p, body = _visible_plan(s, principal, plan_id)
        access.not_future("evaluated_on", data.evaluated_on, access.today(clock))
        if data.evaluated_on < p.adopted_on:
            raise ValidationFailed([FieldError("evaluated_on", f"before the plan was adopted "
                                               f"({p.adopted_on})")])
        if p.last_evaluated_on and data.evaluated_on < p.last_evaluated_on:
            raise ValidationFailed([FieldError("evaluated_on", "before the last evaluation "
                                               f"({p.last_evaluated_on})")])
        access.refused_as_422(rules.evaluation_versions(data.outcome, p.version,
                                                        data.new_version), "new_version")
        after = data.new_version if data.outcome == rules.EvaluationOutcome.REVISED \
            else p.version
        e = PlanEvaluation(plan_id=p.id, evaluated_on=data.evaluated_on,
                           evaluated_by=principal.username, outcome=data.outcome.value,
                           findings=data.findings, version_before=p.version,
                           version_after=after, recorded_at=now)
        s.add(e)
        p.version, p.last_evaluated_on, p.updated_at = after, data.evaluated_on, now
        s.flush()
        access.record(s, principal, body, action="plan.evaluate", entity_type="emergency_plan",
                      entity_key=f"{body.key}/{p.key}", now=now,
                      detail={"evaluated_on": data.evaluated_on.isoformat(),
                              "outcome": data.outcome.value,
                              "version": [e.version_before, e.version_after]})
        return plan_out(p, body.key, access.today(clock), _evaluations(s, p.id))
