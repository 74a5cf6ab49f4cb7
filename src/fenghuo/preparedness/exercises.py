"""Use cases of exercises (Plan §6.2; Law arts. 34(4), 39(2)): plan one with its scope, scenario,
form and participants; record it held with findings, or cancel it; follow-up actions; report it
to the Central Cyberspace Office (Plan §6.2 并将演练情况报中央网信办).

An exercise is seen by the callers who see its organizer or one of its participants (Law art.
30) and changed only by those who see its organizer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.preparedness import access, rules
from fenghuo.preparedness.models import Exercise, ExerciseAction, ExerciseParticipant
from fenghuo.preparedness.schemas import (
    ActionDoneIn,
    ActionIn,
    ActionOut,
    CancelIn,
    ExerciseIn,
    ExerciseOut,
    HeldIn,
)


def _visible(scope: Scope) -> ColumnElement[bool]:
    """Exercises whose organizer or a participant the caller sees (Law art. 30)."""
    seen = select(Body.id).where(scoping.visible_bodies(scope))
    return or_(Exercise.organizer_body_id.in_(seen), exists().where(
        ExerciseParticipant.exercise_id == Exercise.id,
        ExerciseParticipant.body_id.in_(seen)))


def _participant_ok(scope: Scope) -> ColumnElement[bool]:
    """Who may be invited: the bodies the caller sees and, unless the caller sees only itself,
    the bodies of the jurisdictions above it (a province invites the national CERT)."""
    if scope.own_body_only or not scope.ancestor_jurisdiction_ids:
        return scoping.visible_bodies(scope)
    return or_(scoping.visible_bodies(scope),
               Body.jurisdiction_id.in_(sorted(scope.ancestor_jurisdiction_ids)))


def exercise_out(s: Session, x: Exercise, today: date) -> ExerciseOut:
    organizer = s.get(Body, x.organizer_body_id)
    participants = s.scalars(select(Body.key).join(
        ExerciseParticipant, ExerciseParticipant.body_id == Body.id)
        .where(ExerciseParticipant.exercise_id == x.id).order_by(Body.key)).all()
    actions = s.scalars(select(ExerciseAction).where(ExerciseAction.exercise_id == x.id)
                        .order_by(ExerciseAction.id)).all()
    return ExerciseOut(
        ref=x.ref, organizer=organizer.key, title=x.title, scope=x.scope, scenario=x.scenario,
        form=x.form, form_label=access.label(rules.FORM_LABELS, x.form), state=x.state,
        state_label=access.label(rules.EXERCISE_STATE_LABELS, x.state),
        planned_for=x.planned_for, held_on=x.held_on, findings=x.findings,
        participants=list(participants), reported_at=x.reported_at, reported_by=x.reported_by,
        actions=[ActionOut(id=a.id, action=a.action, owner=a.owner, due_on=a.due_on,
                           done_on=a.done_on,
                           overdue=rules.action_overdue(a.due_on, a.done_on, today))
                 for a in actions],
        created_by=x.created_by, created_at=x.created_at)


def _get(s: Session, principal: Principal, ref: str) -> Exercise:
    x = s.scalar(select(Exercise).where(Exercise.ref == ref, _visible(principal.scope)))
    if x is None:
        raise NotFound(f"no exercise {ref!r}")
    return x


def _writable(s: Session, principal: Principal, ref: str) -> tuple[Exercise, Body]:
    """The exercise and its organizer, when the caller may change it: it sees the organizer
    (a participant reads it but does not change it)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    x = _get(s, principal, ref)
    organizer = s.scalar(select(Body).where(Body.id == x.organizer_body_id,
                                            scoping.visible_bodies(principal.scope)))
    if organizer is None:
        raise Forbidden("only the organizer's side changes an exercise; you take part in it")
    return x, organizer


def _audit(s: Session, principal: Principal, x: Exercise, body: Body, action: str,
           now: datetime, detail: dict) -> None:
    access.record(s, principal, body, action=action, entity_type="exercise", entity_key=x.ref,
                  now=now, detail=detail)


def plan_exercise(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                  data: ExerciseIn) -> ExerciseOut:
    """Plan an exercise (Plan §6.2 检验和完善预案，提高实战能力) with its participants."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        organizer = access.body_in_scope(s, principal, data.organizer, "organizer")
        keys = list(dict.fromkeys(data.participants))
        found = dict(s.execute(select(Body.key, Body.id).where(
            Body.key.in_(keys), _participant_ok(principal.scope))).all()) if keys else {}
        unknown = [k for k in keys if k not in found]
        if unknown:
            raise ValidationFailed([FieldError("participants", f"no body {k!r} you may invite")
                                    for k in unknown])
        x = Exercise(ref=new_ref("EX", now), organizer_body_id=organizer.id, title=data.title,
                     scope=data.scope, scenario=data.scenario, form=data.form.value,
                     state=rules.ExerciseState.PLANNED.value, planned_for=data.planned_for,
                     findings="", created_by=principal.username, created_at=now,
                     updated_at=now)
        s.add(x)
        s.flush()
        s.add_all([ExerciseParticipant(exercise_id=x.id, body_id=found[k]) for k in keys])
        s.flush()
        _audit(s, principal, x, organizer, "exercise.plan", now, data.model_dump(mode="json"))
        return exercise_out(s, x, access.today(clock))


def list_exercises(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
                   state: rules.ExerciseState | None = None, organizer: str | None = None,
                   ) -> Page[ExerciseOut]:
    """Exercises in scope, the latest planned first."""
    require(principal, Permission.PREPAREDNESS_READ)
    day = access.today(clock)
    stmt = select(Exercise).where(_visible(principal.scope))
    if state is not None:
        stmt = stmt.where(Exercise.state == state.value)
    with uow() as s:
        if organizer:
            body = access.visible_body(s, principal.scope, organizer)
            stmt = stmt.where(Exercise.organizer_body_id == body.id)
        return fetch_page(s, stmt, page, order_by=Exercise.planned_for.desc(),
                          convert=lambda x: exercise_out(s, x, day))


def get_exercise(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                 ) -> ExerciseOut:
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        return exercise_out(s, _get(s, principal, ref), access.today(clock))


def _move(x: Exercise, target: rules.ExerciseState) -> None:
    rules.exercise_move(rules.ExerciseState(x.state), target).enforce()
    x.state = target.value


def record_held(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                data: HeldIn) -> ExerciseOut:
    """The exercise was held on a day, with its findings (Plan §6.2); it counts towards the
    yearly duty once reported."""
    now = clock.now()
    with uow() as s:
        x, organizer = _writable(s, principal, ref)
        access.not_future("held_on", data.held_on, access.today(clock))
        _move(x, rules.ExerciseState.HELD)
        x.held_on, x.findings, x.updated_at = data.held_on, data.findings, now
        _audit(s, principal, x, organizer, "exercise.held", now, data.model_dump(mode="json"))
        return exercise_out(s, x, access.today(clock))


def cancel(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
           data: CancelIn) -> ExerciseOut:
    now = clock.now()
    with uow() as s:
        x, organizer = _writable(s, principal, ref)
        _move(x, rules.ExerciseState.CANCELLED)
        x.updated_at = now
        _audit(s, principal, x, organizer, "exercise.cancel", now, {"reason": data.reason})
        return exercise_out(s, x, access.today(clock))


def report(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> ExerciseOut:
    """Report a held exercise to the Central Cyberspace Office (Plan §6.2 并将演练情况报中央网信办);
    a planned or cancelled one, or one already reported, is refused with the rule."""
    now = clock.now()
    with uow() as s:
        x, organizer = _writable(s, principal, ref)
        rules.exercise_report(rules.ExerciseState(x.state), x.reported_at is not None).enforce()
        x.reported_at, x.reported_by, x.updated_at = now, principal.username, now
        _audit(s, principal, x, organizer, "exercise.report", now,
               {"held_on": x.held_on.isoformat() if x.held_on else None})
        return exercise_out(s, x, access.today(clock))


def add_action(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
               data: ActionIn) -> ExerciseOut:
    """A follow-up action from the exercise's findings, with its owner and due day."""
    now = clock.now()
    with uow() as s:
        x, organizer = _writable(s, principal, ref)
        if x.state != rules.ExerciseState.HELD.value:
            raise ValidationFailed([FieldError("action", "follow-up actions come from a held "
                                               "exercise's findings")])
        a = ExerciseAction(exercise_id=x.id, action=data.action, owner=data.owner,
                           due_on=data.due_on)
        s.add(a)
        s.flush()
        _audit(s, principal, x, organizer, "exercise.action_add", now,
               {"id": a.id, **data.model_dump(mode="json")})
        return exercise_out(s, x, access.today(clock))


def complete_action(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                    action_id: int, data: ActionDoneIn) -> ExerciseOut:
    now = clock.now()
    with uow() as s:
        x, organizer = _writable(s, principal, ref)
        a = s.scalar(select(ExerciseAction).where(ExerciseAction.id == action_id,
                                                  ExerciseAction.exercise_id == x.id))
        if a is None:
            raise NotFound(f"no action {action_id} on {ref}")
        access.not_future("done_on", data.done_on, access.today(clock))
        if a.done_on is not None:
            raise ValidationFailed([FieldError("done_on", f"already done on {a.done_on}")])
        a.done_on = data.done_on
        _audit(s, principal, x, organizer, "exercise.action_done", now,
               {"id": a.id, "done_on": data.done_on.isoformat()})
        return exercise_out(s, x, access.today(clock))
