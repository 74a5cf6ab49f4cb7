"""Use cases of the preparedness registers: CII risk assessments (Law art. 38), trainings (Plan
§6.4, Law art. 34(2)) and equipment and tool reserves (Plan §7.8)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

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
from fenghuo.preparedness.models import CiiAssessment, Reserve, Training
from fenghuo.preparedness.schemas import (
    AssessmentIn,
    AssessmentOut,
    AssessmentReportIn,
    CheckedIn,
    ReserveIn,
    ReserveOut,
    TrainingIn,
    TrainingOut,
)

# --- CII risk assessments (Law art. 38) -------------------------------------------------------

_Recipient = aliased(Body)


def assessment_out(a: CiiAssessment, body_key: str, recipient_key: str | None) -> AssessmentOut:
    return AssessmentOut(id=a.id, body=body_key, assessed_on=a.assessed_on, assessor=a.assessor,
                         findings=a.findings, improvements=a.improvements,
                         reported_to=recipient_key, reported_on=a.reported_on,
                         recorded_by=a.recorded_by, recorded_at=a.recorded_at)


def _recipient(s: Session, operator: Body, key: str) -> Body:
    """Law art. 38: the department in charge of the operator's protection — one regulating its
    sector, in its jurisdiction or above. Any other body is a 422 naming the rule."""
    dept = s.scalar(select(Body).where(Body.key == key, Body.active.is_(True)))
    if dept is None:
        raise ValidationFailed([FieldError("reported_to", f"no body {key!r}")])
    access.refused_as_422(rules.assessment_recipient(
        operator.jurisdiction.path, frozenset(operator.sector_codes), rules.Department(
            dept.kind, dept.jurisdiction.path, frozenset(dept.sector_codes))), "reported_to")
    return dept


def add_assessment(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                   data: AssessmentIn) -> AssessmentOut:
    """Record a CII operator's risk assessment and, when already done, its report with the
    improvements to the department in charge (Law art. 38)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now, day = clock.now(), access.today(clock)
    with uow() as s:
        body = access.body_in_scope(s, principal, data.body)
        if rules.assessment_duty(access.holder(body)) is None:
            raise ValidationFailed([FieldError("body", f"{body.key} is not a CII operator; "
                                               "Law art. 38 assessments are theirs",
                                               source="Law art. 38")])
        access.not_future("assessed_on", data.assessed_on, day)
        if (data.reported_to is None) != (data.reported_on is None):
            raise ValidationFailed([FieldError("reported_on", "give both reported_to and "
                                               "reported_on, or neither")])
        dept = _recipient(s, body, data.reported_to) if data.reported_to else None
        if data.reported_on is not None:
            access.not_future("reported_on", data.reported_on, day)
            if data.reported_on < data.assessed_on:
                raise ValidationFailed([FieldError("reported_on", "before the assessment")])
        a = CiiAssessment(body_id=body.id, assessed_on=data.assessed_on, assessor=data.assessor,
                          findings=data.findings, improvements=data.improvements,
                          reported_to_body_id=dept.id if dept else None,
                          reported_on=data.reported_on, recorded_by=principal.username,
                          recorded_at=now)
        s.add(a)
        s.flush()
        access.record(s, principal, body, action="cii_assessment.create",
                      entity_type="cii_assessment", entity_key=f"{body.key}/{a.id}", now=now,
                      detail=data.model_dump(mode="json"))
        return assessment_out(a, body.key, dept.key if dept else None)


def report_assessment(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                      assessment_id: int, data: AssessmentReportIn) -> AssessmentOut:
    """Report a recorded assessment and its improvements to the department in charge (Law art.
    38 报送相关负责关键信息基础设施安全保护工作的部门)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now, day = clock.now(), access.today(clock)
    with uow() as s:
        row = s.execute(select(CiiAssessment, Body).join(Body, Body.id == CiiAssessment.body_id)
                        .where(CiiAssessment.id == assessment_id,
                               scoping.visible_bodies(principal.scope))).first()
        if row is None:
            raise NotFound(f"no assessment {assessment_id}")
        a, body = row
        if a.reported_to_body_id is not None:
            raise ValidationFailed([FieldError("reported_to", f"already reported on "
                                               f"{a.reported_on}")])
        access.not_future("reported_on", data.reported_on, day)
        if data.reported_on < a.assessed_on:
            raise ValidationFailed([FieldError("reported_on", "before the assessment")])
        dept = _recipient(s, body, data.reported_to)
        a.reported_to_body_id, a.reported_on = dept.id, data.reported_on
        access.record(s, principal, body, action="cii_assessment.report",
                      entity_type="cii_assessment", entity_key=f"{body.key}/{a.id}", now=now,
                      detail=data.model_dump(mode="json"))
        return assessment_out(a, body.key, dept.key)


def list_assessments(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                     body: str | None = None) -> Page[AssessmentOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = (select(CiiAssessment, Body.key, _Recipient.key)
            .join(Body, Body.id == CiiAssessment.body_id)
            .outerjoin(_Recipient, _Recipient.id == CiiAssessment.reported_to_body_id)
            .where(scoping.visible_bodies(principal.scope)))
    with uow() as s:
        if body:
            stmt = stmt.where(Body.id == access.visible_body(s, principal.scope, body).id)
        return fetch_page(s, stmt, page, order_by=CiiAssessment.assessed_on.desc(),
                          convert=lambda r: assessment_out(r[0], r[1], r[2]))


# --- trainings (Plan §6.4, Law art. 34(2)) ----------------------------------------------------


def training_out(t: Training, body_key: str) -> TrainingOut:
    return TrainingOut(id=t.id, body=body_key, title=t.title, held_on=t.held_on, hours=t.hours,
                       participants=t.participants, topics=t.topics, recorded_by=t.recorded_by,
                       recorded_at=t.recorded_at)


def add_training(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                 data: TrainingIn) -> TrainingOut:
    """Record a training (Plan §6.4 加强网络安全特别是网络安全应急预案的培训)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        body = access.body_in_scope(s, principal, data.body)
        access.not_future("held_on", data.held_on, access.today(clock))
        t = Training(body_id=body.id, title=data.title, held_on=data.held_on, hours=data.hours,
                     participants=data.participants, topics=data.topics,
                     recorded_by=principal.username, recorded_at=now)
        s.add(t)
        s.flush()
        access.record(s, principal, body, action="training.create", entity_type="training",
                      entity_key=f"{body.key}/{t.id}", now=now,
                      detail=data.model_dump(mode="json"))
        return training_out(t, body.key)


def list_trainings(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                   body: str | None = None) -> Page[TrainingOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = select(Training, Body.key).join(Body, Body.id == Training.body_id).where(
        scoping.visible_bodies(principal.scope))
    with uow() as s:
        if body:
            stmt = stmt.where(Body.id == access.visible_body(s, principal.scope, body).id)
        return fetch_page(s, stmt, page, order_by=Training.held_on.desc(),
                          convert=lambda r: training_out(r[0], r[1]))


# --- reserves (Plan §7.8) ---------------------------------------------------------------------


def reserve_out(r: Reserve, body_key: str, today) -> ReserveOut:  # noqa: ANN001 - a date
    status, due = rules.reserve_status(r.last_checked_on, r.created_at.date(),
                                       r.check_every_days, today)
    return ReserveOut(id=r.id, body=body_key, key=r.key, name=r.name, kind=r.kind,
                      kind_label=access.label(rules.RESERVE_KIND_LABELS, r.kind),
                      quantity=r.quantity, location=r.location,
                      check_every_days=r.check_every_days, last_checked_on=r.last_checked_on,
                      due_on=due, status=status.value,
                      status_label=access.label(rules.STATUS_LABELS, status), note=r.note)


def add_reserve(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                data: ReserveIn) -> ReserveOut:
    """Record equipment or tools held in reserve (Plan §7.8 加强对网络安全应急装备、工具的储备),
    checked every ``check_every_days`` (180 by default, the project's choice)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        body = access.body_in_scope(s, principal, data.body)
        if data.last_checked_on:
            access.not_future("last_checked_on", data.last_checked_on, access.today(clock))
        if s.scalar(select(Reserve.id).where(Reserve.body_id == body.id,
                                             Reserve.key == data.key)):
            raise ValidationFailed([FieldError("key", f"{body.key} already holds a reserve "
                                               f"{data.key!r}")])
        r = Reserve(body_id=body.id, key=data.key, name=data.name, kind=data.kind.value,
                    quantity=data.quantity, location=data.location,
                    check_every_days=data.check_every_days,
                    last_checked_on=data.last_checked_on, note=data.note, created_at=now,
                    updated_at=now)
        s.add(r)
        s.flush()
        access.record(s, principal, body, action="reserve.create", entity_type="reserve",
                      entity_key=f"{body.key}/{r.key}", now=now,
                      detail=data.model_dump(mode="json"))
        return reserve_out(r, body.key, access.today(clock))


def check_reserve(uow: UnitOfWork, clock: Clock, *, principal: Principal, reserve_id: int,
                  data: CheckedIn) -> ReserveOut:
    """The reserve was checked (and adjusted or upgraded, Plan §7.8 及时调整、升级软件硬件工具):
    the next check falls due ``check_every_days`` later."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        row = s.execute(select(Reserve, Body).join(Body, Body.id == Reserve.body_id).where(
            Reserve.id == reserve_id, scoping.visible_bodies(principal.scope))).first()
        if row is None:
            raise NotFound(f"no reserve {reserve_id}")
        r, body = row
        access.not_future("checked_on", data.checked_on, access.today(clock))
        if r.last_checked_on and data.checked_on < r.last_checked_on:
            raise ValidationFailed([FieldError("checked_on", "before the last check "
                                               f"({r.last_checked_on})")])
        before = r.last_checked_on
        r.last_checked_on, r.updated_at = data.checked_on, now
        if data.note:
            r.note = data.note
        access.record(s, principal, body, action="reserve.checked", entity_type="reserve",
                      entity_key=f"{body.key}/{r.key}", now=now,
                      detail={"last_checked_on": [before.isoformat() if before else None,
                                                  data.checked_on.isoformat()],
                              "note": data.note})
        return reserve_out(r, body.key, access.today(clock))


def list_reserves(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
                  body: str | None = None) -> Page[ReserveOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    day = access.today(clock)
    stmt = select(Reserve, Body.key).join(Body, Body.id == Reserve.body_id).where(
        scoping.visible_bodies(principal.scope))
    with uow() as s:
        if body:
            stmt = stmt.where(Body.id == access.visible_body(s, principal.scope, body).id)
        return fetch_page(s, stmt, page, order_by=Reserve.id,
                          convert=lambda r: reserve_out(r[0], r[1], day))
