"""Casework on an incident (issue 19): observables, tasks with owners and due times, internal
notes. Every read and write is scoped by ``visible_incident`` (Law art. 30); every change
writes an audit row and a timeline event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, NotFound, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import casework_rules as rules
from fenghuo.incident.models import Comment, Incident, IncidentRoute, Observable, Task
from fenghuo.incident.queries import visible_incident
from fenghuo.incident.service import event
from fenghuo.org.models import User
from fenghuo.org.rules import Permission
from fenghuo.org.service import require


def _invalid(fld: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(fld, message)])


def _audit(s: Session, principal: Principal, incident: Incident, action: str, now: datetime,
           detail: dict) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type="incident", entity_key=incident.ref,
                 scope_path=incident.jurisdiction_path, detail=detail)


def _obs_out(o: Observable) -> dict:
    zh, en = rules.KIND_LABELS[o.kind]
    return {"id": o.id, "kind": o.kind, "kind_label": {"zh": zh, "en": en}, "value": o.value,
            "note": o.note, "added_at": o.added_at, "added_by": o.added_by}


# --- observables ------------------------------------------------------------------------------


def observables_of(s: Session, incident_id: int) -> list[Observable]:
    """An incident's observables (for the exports: the caller has already scoped the incident)."""
    return list(s.scalars(select(Observable).where(Observable.incident_id == incident_id)
                          .order_by(Observable.id)))


def export_observables(s: Session, incident_ids: list[int]
                       ) -> dict[int, tuple[tuple[str, str], ...]]:
    """(export type, value) pairs per incident, for the STIX and MISP exports (one query;
    the caller has already scoped the incidents and checked TLP)."""
    out: dict[int, list[tuple[str, str]]] = {}
    if incident_ids:
        for iid, kind, value in s.execute(
                select(Observable.incident_id, Observable.kind, Observable.value)
                .where(Observable.incident_id.in_(incident_ids)).order_by(Observable.id)):
            out.setdefault(iid, []).append((rules.export_type(kind), value))
    return {k: tuple(v) for k, v in out.items()}


def list_observables(uow: UnitOfWork, *, principal: Principal, ref: str) -> list[dict]:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        return [_obs_out(o) for o in observables_of(s, incident.id)]


def add_observable(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                   value: str, kind: str | None = None, note: str = "") -> dict:
    require(principal, Permission.INCIDENT_HANDLE)
    try:
        ind = rules.classify(value, kind or None)
    except rules.ObservableError as e:
        raise _invalid("value", str(e)) from None
    note = (note or "").strip()
    if len(note) > rules.MAX_NOTE:
        raise _invalid("note", f"a note is at most {rules.MAX_NOTE} characters")
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        if s.scalar(select(Observable.id).where(
                Observable.incident_id == incident.id, Observable.kind == ind.kind,
                Observable.value == ind.value)) is not None:
            raise Conflict(f"{ind.value} is already on {ref}")
        o = Observable(incident_id=incident.id, kind=ind.kind, value=ind.value, note=note,
                       added_at=now, added_by=principal.username)
        s.add(o)
        s.flush()
        detail = {"kind": ind.kind, "value": ind.value}
        event(s, incident, at=now, kind="observable_added", actor=principal.username,
              detail=detail)
        _audit(s, principal, incident, "incident.observable.add", now, detail)
        return _obs_out(o)


def remove_observable(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                      observable_id: int) -> None:
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        o = s.get(Observable, observable_id)
        if o is None or o.incident_id != incident.id:
            raise NotFound(f"no observable {observable_id} on {ref}")
        detail = {"kind": o.kind, "value": o.value}
        s.delete(o)
        event(s, incident, at=now, kind="observable_removed", actor=principal.username,
              detail=detail)
        _audit(s, principal, incident, "incident.observable.remove", now, detail)


# --- tasks ------------------------------------------------------------------------------------


def handling_bodies(s: Session, incident: Incident) -> set[int]:
    """The bodies that handle an incident: those it is routed to and its subject unit."""
    bodies = set(s.scalars(select(IncidentRoute.body_id)
                           .where(IncidentRoute.incident_id == incident.id)))
    bodies.add(incident.subject_body_id)
    return bodies


def _task_out(t: Task, owner: User | None, now: datetime) -> dict:
    return {"id": t.id, "title": t.title, "owner_user_id": t.owner_user_id,
            "owner": owner.username if owner else None,
            "owner_name": owner.display_name if owner else None,
            "due_at": t.due_at, "created_at": t.created_at, "created_by": t.created_by,
            "done_at": t.done_at, "done_by": t.done_by,
            "overdue": rules.overdue(t.due_at, t.done_at, now)}


def _tasks(s: Session, incident_id: int, now: datetime) -> list[dict]:
    rows = s.execute(select(Task, User).outerjoin(User, User.id == Task.owner_user_id)
                     .where(Task.incident_id == incident_id).order_by(Task.id)).all()
    return [_task_out(t, u, now) for t, u in rows]


def list_tasks(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> list[dict]:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        return _tasks(s, incident.id, clock.now())


def owner_candidates(uow: UnitOfWork, *, principal: Principal, ref: str) -> list[dict]:
    """Active users of the bodies handling the incident, who may own its tasks."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        users = s.scalars(select(User).where(User.body_id.in_(handling_bodies(s, incident)),
                                             User.active.is_(True)).order_by(User.username))
        return [{"id": u.id, "username": u.username, "display_name": u.display_name}
                for u in users]


def add_task(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, title: str,
             owner: str | None = None, due_at: datetime | None = None) -> dict:
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    try:
        title = rules.check_title(title)
    except ValueError as e:
        raise _invalid("title", str(e)) from None
    try:
        rules.check_due(due_at, now)
    except ValueError as e:
        raise _invalid("due_at", str(e)) from None
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        user = None
        if owner:
            user = s.scalar(select(User).where(User.username == owner, User.active.is_(True)))
            if user is None or user.body_id not in handling_bodies(s, incident):
                raise _invalid("owner", f"{owner!r} is not a user of a body handling {ref}")
        t = Task(incident_id=incident.id, title=title, owner_user_id=user.id if user else None,
                 due_at=due_at, created_at=now, created_by=principal.username)
        s.add(t)
        s.flush()
        detail = {"task": t.id, "title": title, "owner": owner, "due_at": due_at}
        event(s, incident, at=now, kind="task_added", actor=principal.username, detail=detail)
        _audit(s, principal, incident, "incident.task.add", now,
               {**detail, "due_at": due_at.isoformat() if due_at else None})
        return _task_out(t, user, now)


def set_task_done(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                  task_id: int, done: bool = True) -> dict:
    """Mark a task done, or reopen it (``done=False``)."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        t = s.get(Task, task_id)
        if t is None or t.incident_id != incident.id:
            raise NotFound(f"no task {task_id} on {ref}")
        if done == (t.done_at is not None):
            raise Conflict("the task is already done" if done else "the task is open")
        t.done_at, t.done_by = (now, principal.username) if done else (None, None)
        kind = "task_done" if done else "task_reopened"
        event(s, incident, at=now, kind=kind, actor=principal.username,
              detail={"task": t.id, "title": t.title})
        _audit(s, principal, incident, f"incident.{kind.replace('_', '.')}", now,
               {"task": t.id})
        owner = s.get(User, t.owner_user_id) if t.owner_user_id else None
        return _task_out(t, owner, now)


@dataclass(frozen=True)
class OpenTask:
    id: int
    title: str
    due_at: datetime | None
    incident_ref: str
    incident_title: str
    overdue: bool


def open_tasks_for(uow: UnitOfWork, principal: Principal, *, now: datetime | None = None,
                   limit: int = 100) -> list[OpenTask]:
    """The caller's open tasks (owner = caller), soonest due first (no due time last), at most
    ``limit``, each with its incident's ref and title: one query on ``ix_incident_tasks_owner``."""
    with uow() as s:
        rows = s.execute(
            select(Task.id, Task.title, Task.due_at, Incident.ref, Incident.title)
            .join(Incident, Incident.id == Task.incident_id)
            .where(Task.owner_user_id == principal.user_id, Task.done_at.is_(None))
            .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(limit)).all()
    return [OpenTask(i, t, d, r, it, now is not None and rules.overdue(d, None, now))
            for i, t, d, r, it in rows]


# --- comments ---------------------------------------------------------------------------------


def _comment_out(c: Comment) -> dict:
    return {"id": c.id, "at": c.at, "author": c.author, "text": c.text}


def list_comments(uow: UnitOfWork, *, principal: Principal, ref: str) -> list[dict]:
    """Internal notes, oldest first (newest last); never shared or exported."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        return [_comment_out(c) for c in s.scalars(
            select(Comment).where(Comment.incident_id == incident.id)
            .order_by(Comment.at, Comment.id))]


def add_comment(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                text: str) -> dict:
    require(principal, Permission.INCIDENT_READ)
    try:
        text = rules.check_comment(text)
    except ValueError as e:
        raise _invalid("text", str(e)) from None
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        c = Comment(incident_id=incident.id, at=now, author=principal.username,
                    author_user_id=principal.user_id, text=text)
        s.add(c)
        s.flush()
        event(s, incident, at=now, kind="comment_added", actor=principal.username,
              detail={"comment": c.id})
        _audit(s, principal, incident, "incident.comment.add", now, {"comment": c.id})
        return _comment_out(c)
