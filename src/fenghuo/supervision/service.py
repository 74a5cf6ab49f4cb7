"""Use cases of supervision (Law arts. 55, 56): an office or a sector department directs a unit
to take measures within a time limit, or records an interview (约谈) of the unit's responsible
person with rectification requirements and a deadline; the unit acknowledges and reports its
rectification (整改) with evidence; the issuer verifies and closes it, or reopens it with a
reason; the watchdog reminds the unit before the deadline and flags it once passed.

Each use case is one transaction: the change, its history entry, its audit row and its
notifications commit together or not at all. Who may direct whom is ``rules.may_direct``; an
action that does not fit the item's state (feedback on a closed item) is a conflict (409).
Reads are in :mod:`fenghuo.supervision.queries`.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, NotFound, ValidationFailed
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Evidence
from fenghuo.incident.queries import visible_incident
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.supervision import notices
from fenghuo.supervision import rules as r
from fenghuo.supervision.models import Rectification, SupervisionEvent, SupervisionItem
from fenghuo.supervision.queries import item_out, party, side_of, visible_item
from fenghuo.supervision.schemas import (
    AcknowledgeIn,
    DirectiveIn,
    InterviewIn,
    ItemOut,
    RectificationIn,
    ReopenIn,
    VerifyIn,
)

# --- shared -------------------------------------------------------------------------------------


def _json(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def event(s: Session, item: SupervisionItem, *, at: datetime, kind: str, actor: str,
          body_id: int, detail: dict | None = None) -> None:
    s.add(SupervisionEvent(item_id=item.id, at=at, kind=kind, actor=actor, body_id=body_id,
                           detail=json.dumps(detail or {}, ensure_ascii=False, default=_json)))


def record(s: Session, actor: audit.Actor, item: SupervisionItem, action: str, now: datetime,
           detail: dict | None = None) -> None:
    audit.record(s, at=now, actor=actor, action=action, entity_type="supervision",
                 entity_key=item.ref, scope_path=item.jurisdiction_path,
                 detail={"state": item.state, **(detail or {})})


def _invalid(problems: list[r.Problem]) -> None:
    if problems:
        raise ValidationFailed([FieldError(p.field, p.message, source=p.source)
                                for p in problems])


def start_clock(item: SupervisionItem, start: datetime, due_at: datetime) -> None:
    """A new deadline: its reminders are owed again — none before it when the unit was given
    no more than ``REMIND_BEFORE`` (the notification itself is the reminder)."""
    item.due_at, item.clock_started_at, item.overdue_flagged_at = due_at, start, None
    item.reminded_at = start if due_at - start <= r.REMIND_BEFORE else None


# --- issuing ------------------------------------------------------------------------------------


def _unit(s: Session, key: str) -> Body:
    unit = s.scalar(select(Body).where(Body.key == key))
    if unit is None:
        raise ValidationFailed([FieldError("unit", f"no body {key!r}")])
    return unit


def _issue(uow: UnitOfWork, clock: Clock, principal: Principal, kind: r.Kind,
           data: DirectiveIn | InterviewIn, **extra: object) -> ItemOut:
    require(principal, Permission.SUPERVISION_WRITE)
    now = clock.now()
    _invalid(r.deadline_problems(kind, now=now, due_at=data.due_at,
                                 interviewed_at=extra.get("interviewed_at")))
    with uow() as s:
        issuer, unit = s.get(Body, principal.body_id), _unit(s, data.unit)
        r.may_direct(kind, party(issuer), party(unit)).enforce()
        item = SupervisionItem(
            ref=new_ref(r.REF_PREFIX[kind], now), kind=kind.value, issuer_body_id=issuer.id,
            issued_by=principal.username, unit_body_id=unit.id,
            jurisdiction_path=unit.jurisdiction.path, title=data.title.strip(),
            findings=data.findings.strip(), requirements=data.requirements.strip(),
            state=r.State.ISSUED.value, created_at=now, updated_at=now, **extra)
        start_clock(item, now, data.due_at)
        s.add(item)
        s.flush()
        notified = notices.issued(s, item, issuer, now)
        event(s, item, at=now, kind="issued", actor=principal.username, body_id=issuer.id,
              detail={"unit": unit.key, "due_at": item.due_at, "notified": notified})
        record(s, audit.Actor.of(principal), item, f"supervision.{kind.value}", now,
               detail={"unit": unit.key, "due_at": item.due_at.isoformat()})
        return item_out(s, item, principal, now, full=True)


def issue_directive(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                    data: DirectiveIn) -> ItemOut:
    """责令限期采取措施 (Law art. 55): the unit is notified of the measures and the time limit."""
    return _issue(uow, clock, principal, r.Kind.DIRECTIVE, data)


def record_interview(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                     data: InterviewIn) -> ItemOut:
    """约谈 (Law art. 56): the interview held with the unit's legal representative or principal
    person in charge, its findings and the rectification required by the deadline."""
    return _issue(uow, clock, principal, r.Kind.INTERVIEW, data,
                  interviewee=data.interviewee.strip(),
                  interviewee_role=data.interviewee_role.value,
                  interviewed_at=data.interviewed_at)


# --- the unit's and the issuer's actions ----------------------------------------------------------


def _acting(s: Session, principal: Principal, ref: str, action: r.Action) -> SupervisionItem:
    """The item, locked, when the caller's side may take ``action`` in its state: 404 outside
    the caller's view, 403 with the rule for the wrong side, 409 for the wrong state."""
    need = Permission.SUPERVISION_RESPOND if r.ACTION_SIDE[action] is r.Side.UNIT else (
        Permission.SUPERVISION_WRITE)
    require(principal, need)
    visible_item(s, principal, ref)
    item = s.scalar(select(SupervisionItem).where(SupervisionItem.ref == ref)
                    .with_for_update())
    r.may_act(action, side_of(principal, item)).enforce()
    problem = r.action_conflict(r.State(item.state), action)
    if problem:
        raise Conflict(problem)
    return item


def acknowledge(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                data: AcknowledgeIn | None = None) -> ItemOut:
    """签收: the unit confirms it received the directive or the interview's requirements."""
    now = clock.now()
    with uow() as s:
        item = _acting(s, principal, ref, r.Action.ACKNOWLEDGE)
        item.state, item.acknowledged_at = r.State.ACKNOWLEDGED.value, now
        item.updated_at = now
        event(s, item, at=now, kind="acknowledged", actor=principal.username,
              body_id=principal.body_id, detail={"note": data.note if data else None})
        record(s, audit.Actor.of(principal), item, "supervision.acknowledge", now)
        return item_out(s, item, principal, now, full=True)


def _attachments(s: Session, principal: Principal, refs: list[str]) -> list[dict]:
    """References ``INCIDENT_REF/ID`` to evidence preserved with an incident the unit sees
    (``incident.evidence``), kept with their file name and SHA-256."""
    out, problems = [], []
    for i, text in enumerate(refs):
        ref, _, number = text.strip().rpartition("/")
        try:
            incident = visible_incident(s, principal.scope, ref) if ref else None
        except NotFound:
            incident = None
        ev = s.scalar(select(Evidence).where(
            Evidence.id == int(number), Evidence.incident_id == incident.id)) if (
            incident is not None and number.isdigit() and len(number) < 18) else None
        if ev is None:
            problems.append(FieldError(f"attachments.{i}", f"no evidence {text!r}: expected "
                                       "INCIDENT_REF/ID of evidence on an incident you see"))
            continue
        out.append({"ref": ref, "evidence": ev.id, "filename": ev.filename,
                    "sha256": ev.sha256})
    if problems:
        raise ValidationFailed(problems)
    return out


def report(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
           data: RectificationIn) -> ItemOut:
    """报告整改情况: the unit reports what it did, with evidence; the issuer is notified to
    verify it. Reporting acknowledges an item not yet acknowledged."""
    now = clock.now()
    with uow() as s:
        item = _acting(s, principal, ref, r.Action.REPORT)
        attached = _attachments(s, principal, data.attachments)
        s.add(Rectification(item_id=item.id, reported_at=now, reported_by=principal.username,
                            measures=data.measures.strip(), evidence=data.evidence.strip(),
                            attachments=json.dumps(attached, ensure_ascii=False)))
        late = now > item.due_at
        item.state, item.reported_at, item.updated_at = r.State.REPORTED.value, now, now
        item.acknowledged_at = item.acknowledged_at or now
        notified = notices.reported(s, item, s.get(Body, item.unit_body_id), now)
        event(s, item, at=now, kind="reported", actor=principal.username,
              body_id=principal.body_id, detail={"measures": data.measures, "late": late,
                                                 "attachments": len(attached),
                                                 "notified": notified})
        record(s, audit.Actor.of(principal), item, "supervision.report", now,
               detail={"late": late, "attachments": [a["sha256"] for a in attached]})
        return item_out(s, item, principal, now, full=True)


def verify(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
           data: VerifyIn | None = None) -> ItemOut:
    """核验办结: the issuer verified the rectification and closes the item; the unit is told."""
    now = clock.now()
    with uow() as s:
        item = _acting(s, principal, ref, r.Action.VERIFY)
        item.state, item.closed_at, item.updated_at = r.State.CLOSED.value, now, now
        notified = notices.closed(s, item, now)
        event(s, item, at=now, kind="closed", actor=principal.username,
              body_id=principal.body_id, detail={"note": data.note if data else None,
                                                 "notified": notified})
        record(s, audit.Actor.of(principal), item, "supervision.verify", now)
        return item_out(s, item, principal, now, full=True)


def reopen(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
           data: ReopenIn) -> ItemOut:
    """退回重新整改: the rectification is wanting; the unit is told why and owes it again, by
    the new deadline if one is given."""
    now = clock.now()
    _invalid(r.reopen_problems(now=now, due_at=data.due_at))
    with uow() as s:
        item = _acting(s, principal, ref, r.Action.REOPEN)
        item.state, item.updated_at = r.State.REOPENED.value, now
        if data.due_at is not None:
            start_clock(item, now, data.due_at)
        notified = notices.reopened(s, item, data.reason, now)
        event(s, item, at=now, kind="reopened", actor=principal.username,
              body_id=principal.body_id, detail={"reason": data.reason, "due_at": item.due_at,
                                                 "notified": notified})
        record(s, audit.Actor.of(principal), item, "supervision.reopen", now,
               detail={"reason": data.reason, "due_at": item.due_at.isoformat()})
        return item_out(s, item, principal, now, full=True)


# --- the watchdog ---------------------------------------------------------------------------------


def sweep_deadlines(uow: UnitOfWork, clock: Clock, *, limit: int = 500) -> int:
    """Remind once before each deadline the unit still owes (``rules.REMIND_BEFORE``) and flag
    it once past: a history entry, an audit row and the messages (``notices.reminder``).
    Returns how many reminders were sent; the worker's watchdog runs it."""
    now = clock.now()
    owed = SupervisionItem.state.in_([s.value for s in r.OWED])
    soon = and_(SupervisionItem.reminded_at.is_(None),
                SupervisionItem.due_at <= now + r.REMIND_BEFORE)
    passed = and_(SupervisionItem.overdue_flagged_at.is_(None), SupervisionItem.due_at < now)
    with uow() as s:
        items = s.scalars(select(SupervisionItem).where(owed, or_(soon, passed))
                          .order_by(SupervisionItem.due_at).limit(limit)
                          .with_for_update(skip_locked=True)).all()
        sent = 0
        for item in items:
            which = r.reminder_due(r.State(item.state), due_at=item.due_at,
                                   clock_started_at=item.clock_started_at, now=now,
                                   reminded_at=item.reminded_at,
                                   overdue_flagged_at=item.overdue_flagged_at)
            if which is None:
                continue
            if which is r.Reminder.OVERDUE:
                item.overdue_flagged_at = now
            item.reminded_at = item.reminded_at or now
            notified = notices.reminder(s, item, which, now)
            event(s, item, at=now, kind=which.value, actor="watchdog",
                  body_id=item.unit_body_id, detail={"due_at": item.due_at,
                                                     "notified": notified})
            record(s, audit.Actor("watchdog"), item, f"supervision.{which.value}", now)
            sent += 1
        return sent


__all__ = ["issue_directive", "record_interview", "acknowledge", "report", "verify", "reopen",
           "sweep_deadlines"]
