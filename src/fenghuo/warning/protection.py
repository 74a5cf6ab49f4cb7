"""Use cases of important-event protection periods (Plan §6.5): declare a period, require the
red-warning response of the bodies in scope, complete its tasks, end a period early, the
reminders at its start and its end, and scoped reads.

The rules are :mod:`fenghuo.warning.protection_rules` (pure); the red-warning response is the
warnings' red checklist (:mod:`fenghuo.warning.checklists`) for the bodies the warnings'
distribution rules name; notices go through the outbox, laid out by :mod:`fenghuo.notify.compose`.
Every change is audited; a refusal stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams
from fenghuo.common.reasons import Reason
from fenghuo.common.refs import new_ref
from fenghuo.common.schemas import Label
from fenghuo.common.scope import Principal, Scope
from fenghuo.db import bulk
from fenghuo.db.session import UnitOfWork
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, due_text
from fenghuo.org import directory, scoping
from fenghuo.org import service as org
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import Permission, contact_tier
from fenghuo.org.service import require
from fenghuo.warning import authority, checklists, places
from fenghuo.warning import protection_rules as rules
from fenghuo.warning.protection_models import ProtectionPeriod, ProtectionTask
from fenghuo.warning.protection_schemas import (
    EndIn,
    ProtectionIn,
    ProtectionOut,
    ProtectionSummary,
)
from fenghuo.warning.rules import WarningLevel, WarningScope
from fenghuo.warning.schemas import TaskDoneIn, TaskOut
from fenghuo.warning.service import finish_task

ENTITY = "protection_period"


def _issuer(s: Session, body_id: int) -> authority.Issuer:
    body = s.get(Body, body_id)
    return authority.Issuer.from_body(org.facts(body), body.function)


def _phase(p: ProtectionPeriod, now: datetime) -> rules.Phase:
    return rules.phase(starts_at=p.starts_at, ends_at=p.ends_at, ended_at=p.ended_at, now=now)


def _audit(s: Session, principal: Principal | None, p: ProtectionPeriod, action: str,
           now: datetime, detail: dict | None = None) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action, entity_type=ENTITY,
                 entity_key=p.ref, scope_path=p.jurisdiction_path,
                 detail={"phase": _phase(p, now).value, **(detail or {})})


def _conflict(reason: Reason | None) -> None:
    if reason is not None:
        raise Conflict(f"{reason.text_en} / {reason.text_zh} ({reason.source}, {reason.code})")


def _claimed(s: Session, p: ProtectionPeriod, column: str, values: dict) -> bool:
    """Set ``values`` on ``p`` only if ``column`` is still empty: one writer wins, even with
    several workers or two officers at once (a conditional UPDATE)."""
    done = s.execute(update(ProtectionPeriod).where(
        ProtectionPeriod.id == p.id, getattr(ProtectionPeriod, column).is_(None)).values(
        **values).execution_options(synchronize_session="fetch"))
    return done.rowcount == 1


# --- declaring --------------------------------------------------------------------------------


def declare(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ProtectionIn
            ) -> ProtectionOut:
    """The Emergency Office declares a period (Plan §6.5). Anyone else is refused with the rule;
    an unusable span or scope is named field by field; nothing is stored then."""
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        rules.may_declare(_issuer(s, principal.body_id)).enforce()
        js, ss = places.jurisdictions(s, data.jurisdictions), places.sectors(s, data.sectors)
        scope = WarningScope(frozenset(j.path for j in js), frozenset(x.code for x in ss))
        problems = rules.period_problems(rules.PeriodDraft(data.starts_at, data.ends_at, scope),
                                         now)
        if problems:
            raise ValidationFailed([FieldError(p.field, f"{p.text_en} / {p.text_zh}",
                                               source=p.source) for p in problems],
                                   "The protection period cannot be declared (Plan §6.5)")
        office = s.get(Body, principal.body_id)
        p = ProtectionPeriod(
            ref=new_ref("PP", now), name_zh=data.name_zh, name_en=data.name_en,
            declared_by_body_id=office.id, jurisdiction_path=office.jurisdiction.path,
            declared_by=principal.username, declared_at=now,
            jurisdictions=places.dumps([j.code for j in js] or [office.jurisdiction.code]),
            sectors=places.dumps([x.code for x in ss]), starts_at=data.starts_at,
            ends_at=data.ends_at, reason=data.reason, updated_at=now)
        s.add(p)
        s.flush()
        _audit(s, principal, p, "protection.declare", now,
               {"starts_at": p.starts_at.isoformat(), "ends_at": p.ends_at.isoformat(),
                "jurisdictions": json.loads(p.jurisdictions), "sectors": json.loads(p.sectors)})
        return _out(s, p, now, principal.scope)


# --- the red-warning response -----------------------------------------------------------------


def require_red(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                ) -> ProtectionOut:
    """The Emergency Office requires the red-warning response of the bodies in scope while the
    period runs (Plan §6.5): each gets its tasks of the red checklist (Plan §3.4.1) and a
    notice; once per period."""
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        p = _visible(s, principal.scope, ref)
        authority.may_require_red_response(_issuer(s, principal.body_id)).enforce()
        _conflict(rules.red_conflict(_phase(p, now), required=p.red_required_at is not None))
        if not _claimed(s, p, "red_required_at", {"red_required_at": now, "updated_at": now,
                                                  "red_required_by": principal.username}):
            _conflict(rules.ALREADY_REQUIRED)
        templates = checklists.checklist(WarningLevel.RED, rules.red_response_scope(
            _scope(s, p), places.distribution_bodies(s), office_id=principal.body_id))
        bulk.insert_rows(s, ProtectionTask.__table__, [
            {"period_id": p.id, "body_id": t.body_id, "code": t.code, "owner": t.owner.value,
             "source": t.source, "title_zh": t.title_zh, "title_en": t.title_en,
             "due_at": now + t.due_after, "state": "open"} for t in templates])
        holders = sorted({t.body_id for t in templates} - {principal.body_id})
        first_due = min((now + t.due_after for t in templates), default=None)
        _notify(s, p, holders, now, "protection.red_required", due=first_due)
        _audit(s, principal, p, "protection.require_red", now,
               {"tasks": len(templates), "bodies": len(holders)})
        return _out(s, p, now, principal.scope)


def complete_task(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                  task_id: int, data: TaskDoneIn) -> ProtectionOut:
    """The caller's body completes one of its open tasks, with evidence."""
    require(principal, Permission.WARNING_RESPOND)
    now = clock.now()
    with uow() as s:
        p = _visible(s, principal.scope, ref)
        t = s.scalar(select(ProtectionTask).where(ProtectionTask.id == task_id,
                                                  ProtectionTask.period_id == p.id))
        if t is None:
            raise NotFound(f"no task {task_id} in protection period {ref!r}")
        finish_task(t, principal, data.evidence, now)
        _audit(s, principal, p, "protection.task_done", now, {"task": t.code, "id": t.id})
        return _out(s, p, now, principal.scope)


# --- ending and the reminders -----------------------------------------------------------------


def end(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: EndIn
        ) -> ProtectionOut:
    """The Emergency Office ends a period early (or calls off one not yet begun): open tasks
    close and the end notice goes to the bodies in scope at once."""
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        p = _visible(s, principal.scope, ref)
        rules.may_declare(_issuer(s, principal.body_id)).enforce()
        _conflict(rules.end_conflict(_phase(p, now)))
        if not _claimed(s, p, "ended_at", {"ended_at": now, "ended_by": principal.username,
                                           "end_reason": data.reason, "updated_at": now}):
            _conflict(rules.ALREADY_ENDED)
        _audit(s, principal, p, "protection.end", now, {"reason": data.reason})
        _remind(s, p, rules.Reminder.END, now)
        return _out(s, p, now, principal.scope)


def remind_due(uow: UnitOfWork, clock: Clock) -> int:
    """The worker's job: tell the bodies in scope once when a period starts and once when it
    ends (``protection_rules.notices_due``); returns how many notices went out."""
    now = clock.now()
    sent = 0
    with uow() as s:
        due = s.scalars(select(ProtectionPeriod).where(
            ProtectionPeriod.end_notified_at.is_(None), ProtectionPeriod.starts_at <= now)
            .order_by(ProtectionPeriod.id)).all()
        for p in due:
            for reminder in rules.notices_due(
                    starts_at=p.starts_at, ends_at=p.ends_at, ended_at=p.ended_at,
                    start_sent=p.start_notified_at is not None,
                    end_sent=p.end_notified_at is not None, now=now):
                sent += _remind(s, p, reminder, now)
    return sent


_NOTIFIED = {rules.Reminder.START: "start_notified_at", rules.Reminder.END: "end_notified_at"}


def _remind(s: Session, p: ProtectionPeriod, reminder: rules.Reminder, now: datetime) -> int:
    """Send the start or end notice unless another writer has; the end closes open tasks."""
    column = _NOTIFIED[reminder]
    if not _claimed(s, p, column, {column: now}):
        return 0
    if reminder == rules.Reminder.END:
        s.execute(update(ProtectionTask).where(ProtectionTask.period_id == p.id,
                                               ProtectionTask.state == "open")
                  .values(state="closed"))
    holders = s.scalars(select(ProtectionTask.body_id).where(ProtectionTask.period_id == p.id))
    bodies = set(rules.in_scope(_scope(s, p), places.distribution_bodies(s))) | set(holders)
    event = f"protection.{'started' if reminder == rules.Reminder.START else 'ended'}"
    _notify(s, p, sorted(bodies - {p.declared_by_body_id}), now, event)
    _audit(s, None, p, f"protection.notice_{reminder.value}", now, {"bodies": len(bodies)})
    return 1


#: what each notice adds to the subject's tag, and what it asks (Plan §6.5, §3.4.1)
_EVENTS = {
    "protection.red_required": (
        Words("要求启动红色预警响应", "RED-WARNING RESPONSE REQUIRED"),
        Words("启动红色预警响应：24小时值班，保持通信联络畅通，加强监测和分析研判，"
              "重要情况报应急办", "start the red-warning response: 24-hour duty, stay "
              "reachable, strengthen monitoring and analysis, report important developments "
              "to the Emergency Office"), 0),
    "protection.started": (
        Words("重要活动保障期开始", "PROTECTION PERIOD STARTS"),
        Words("加强网络安全事件的防范和应急响应，加强监测和分析研判，重点部门、重点岗位保持"
              "24小时值班", "strengthen prevention and response, monitoring and analysis; key "
              "departments and posts keep 24-hour duty"), 20),
    "protection.ended": (
        Words("重要活动保障期结束", "PROTECTION PERIOD ENDS"),
        Words("保障期结束，红色预警响应随之结束，恢复正常工作",
              "the period is over, and with it any red-warning response: return to normal "
              "work"), 100),
}


def _message(s: Session, p: ProtectionPeriod, event: str, due: datetime | None
             ) -> tuple[str, str]:
    """Subject and text of a period's notice, Chinese first (issue 16 item 7)."""
    tag, asked, _ = _EVENTS[event]
    subject, text = compose(Notice(what=Words(p.name_zh, p.name_en), tag=tag, ref=p.ref,
                                   asked=asked, due=due))
    js, ss = places.place_outs(s, json.loads(p.jurisdictions), json.loads(p.sectors))
    scope = "、".join(j.name_zh for j in js) + (
        f"（{'、'.join(x.name_zh for x in ss)}）" if ss else "")
    text += (f"保障期 Period: {due_text(p.starts_at)} — {due_text(p.ends_at)}\n"
             f"范围 Scope: {scope}\n原因 Reason: {p.reason}\n"
             + (f"提前结束 Ended early: {p.end_reason}\n" if p.end_reason else ""))
    return subject, text


def _notify(s: Session, p: ProtectionPeriod, body_ids: list[int], now: datetime, event: str,
            due: datetime | None = None) -> None:
    subject, text = _message(s, p, event, due)
    payload = {"event": event, "ref": p.ref, "path": f"/web/protection/{p.ref}",
               "name_zh": p.name_zh, "name_en": p.name_en,
               "starts_at": p.starts_at.isoformat(), "ends_at": p.ends_at.isoformat()}
    contacts = directory.contacts_of(s, body_ids)
    outbox.enqueue_many(s, now=now, messages=[
        outbox.Message(c, subject, text, payload, priority=_EVENTS[event][2])
        for body_id in body_ids for c in contact_tier(contacts.get(body_id, ()), 0)])


# --- reading ----------------------------------------------------------------------------------


def _scope(s: Session, p: ProtectionPeriod) -> WarningScope:
    return _scopes(s, [p])[p.id]


def _scopes(s: Session, periods: Iterable[ProtectionPeriod]) -> dict[int, WarningScope]:
    """Each period's scope as jurisdiction paths (one lookup for all of them)."""
    rows = list(periods)
    codes = {c for p in rows for c in json.loads(p.jurisdictions)}
    paths = dict(s.execute(select(Jurisdiction.code, Jurisdiction.path)
                           .where(Jurisdiction.code.in_(codes))).all()) if codes else {}
    return {p.id: WarningScope(frozenset(paths[c] for c in json.loads(p.jurisdictions)
                                         if c in paths), frozenset(json.loads(p.sectors)))
            for p in rows}


def _visible_periods(s: Session, scope: Scope, stmt) -> list[ProtectionPeriod]:  # noqa: ANN001
    """The periods of ``stmt`` the caller sees: those concerning its place and sectors, those
    its body declared or holds tasks of (Law art. 30; ``protection_rules.concerns``)."""
    rows = s.scalars(stmt).all()
    scopes = _scopes(s, rows)
    tasked = set(s.scalars(select(ProtectionTask.period_id).where(
        ProtectionTask.body_id == scope.body_id)))
    return [p for p in rows if p.declared_by_body_id == scope.body_id or p.id in tasked
            or rules.concerns(scopes[p.id], scope.jurisdiction_path, scope.sectors)]


def _visible(s: Session, scope: Scope, ref: str) -> ProtectionPeriod:
    found = _visible_periods(s, scope, select(ProtectionPeriod).where(
        ProtectionPeriod.ref == ref))
    if not found:
        raise NotFound(f"no protection period {ref!r}")
    return found[0]


def _summary(s: Session, p: ProtectionPeriod, now: datetime) -> dict:
    current = _phase(p, now)
    zh, en = rules.PHASE_LABELS[current]
    js, ss = places.place_outs(s, json.loads(p.jurisdictions), json.loads(p.sectors))
    return {"ref": p.ref, "name_zh": p.name_zh, "name_en": p.name_en, "phase": current,
            "phase_label": Label(zh=zh, en=en), "starts_at": p.starts_at, "ends_at": p.ends_at,
            "ended_at": p.ended_at, "red_required_at": p.red_required_at, "jurisdictions": js,
            "sectors": ss}


def _out(s: Session, p: ProtectionPeriod, now: datetime, scope: Scope) -> ProtectionOut:
    declarer = s.get(Body, p.declared_by_body_id)
    seen = scoping.visible_bodies(scope)
    in_scope = rules.in_scope(_scope(s, p), places.distribution_bodies(s))
    keys = s.scalars(select(Body.key).where(Body.id.in_(in_scope), seen).order_by(Body.key))
    tasks = s.execute(select(ProtectionTask, Body.key).join(
        Body, Body.id == ProtectionTask.body_id).where(ProtectionTask.period_id == p.id, seen)
        .order_by(ProtectionTask.id)).all()
    return ProtectionOut(
        **_summary(s, p, now), reason=p.reason, declared_by=p.declared_by,
        declared_at=p.declared_at, declarer=declarer.key, declarer_name_zh=declarer.name_zh,
        declarer_name_en=declarer.name_en, red_required_by=p.red_required_by,
        ended_by=p.ended_by, end_reason=p.end_reason, start_notified_at=p.start_notified_at,
        end_notified_at=p.end_notified_at, bodies_in_scope=list(keys),
        tasks=[TaskOut(id=t.id, body=key, code=t.code, owner=t.owner, source=t.source,
                       title_zh=t.title_zh, title_en=t.title_en, due_at=t.due_at,
                       state=t.state, done_at=t.done_at, done_by=t.done_by, evidence=t.evidence)
               for t, key in tasks])


def get_period(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
               ) -> ProtectionOut:
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        return _out(s, _visible(s, principal.scope, ref), clock.now(), principal.scope)


def list_periods(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
                 phase: rules.Phase | str | None = None) -> Page[ProtectionSummary]:
    """The periods the caller sees, latest start first; ``phase`` keeps those scheduled, active
    or ended now. Periods are few (a handful of national events a year), so the scope is
    checked on each."""
    require(principal, Permission.WARNING_READ)
    now = clock.now()
    with uow() as s:
        rows = _visible_periods(s, principal.scope, select(ProtectionPeriod).order_by(
            ProtectionPeriod.starts_at.desc(), ProtectionPeriod.id.desc()))
        if phase:
            rows = [p for p in rows if _phase(p, now) == rules.Phase(phase)]
        items = [ProtectionSummary(**_summary(s, p, now))
                 for p in rows[page.offset:page.offset + page.limit]]
        return Page[ProtectionSummary](items=items, total=len(rows), limit=page.limit,
                                       offset=page.offset)


def active_periods(uow: UnitOfWork, clock: Clock, *, principal: Principal
                   ) -> list[ProtectionSummary]:
    """The periods running now in the caller's scope, for the dashboard."""
    return list_periods(uow, clock, principal=principal, page=PageParams(limit=100),
                        phase=rules.Phase.ACTIVE).items
