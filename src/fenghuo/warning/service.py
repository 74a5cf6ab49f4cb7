"""Use cases of early warnings (Plan §3.1, §3.3–§3.5; Law arts. 54–55): draft, approve,
publish (distribute, start the §3.4 checklist), acknowledge, complete tasks, revise, lift,
remind, and the public listing.

Every rule comes from the pure modules of this package: content (§3.3 ¶3), authority (§3.3,
§3.5), distribution and checklists (§3.4). A refusal names each rule that refused; nothing is
stored when a rule refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common import sorting
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.db import bulk
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, due_text, unit_field
from fenghuo.org import directory
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import (
    BodyFunction,
    JurisdictionLevel,
    Permission,
    contact_tier,
    has_permission,
)
from fenghuo.org.service import require
from fenghuo.warning import authority, cap, checklists, content, distribution, places
from fenghuo.warning.models import EarlyWarning, WarningEvent, WarningRecipient, WarningTask
from fenghuo.warning.monitoring import visible_assessment
from fenghuo.warning.protection_models import ProtectionTask
from fenghuo.warning.rules import (
    LEVELS_DESC,
    Decision,
    Tlp,
    WarningLevel,
    WarningScope,
    WarningState,
    can_transition,
)
from fenghuo.warning.schemas import (
    LiftIn,
    PlaceOut,
    ProvinceWarnings,
    PublicWarning,
    ReviseIn,
    TaskDoneIn,
    WarningIn,
    WarningOut,
    WarningSummary,
)
from fenghuo.warning.views import (
    public_filter,
    public_out,
    summary_out,
    visible_warning,
    visible_warnings,
    warning_out,
)


def _issuer(s: Session, body_id: int) -> authority.Issuer:
    body = s.get(Body, body_id)
    return authority.Issuer(body.id, body.kind, body.jurisdiction.path,
                            frozenset(body.sector_codes),
                            BodyFunction(body.function) if body.function else None)


def _event(s: Session, w: EarlyWarning, now: datetime, kind: str, actor: str,
           detail: dict | None = None) -> None:
    s.add(WarningEvent(warning_id=w.id, at=now, kind=kind, actor=actor,
                       detail=places.dumps(detail or {})))


def _audit(s: Session, principal: Principal, w: EarlyWarning, action: str, now: datetime,
           detail: dict | None = None) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type="warning", entity_key=w.ref, scope_path=w.jurisdiction_path,
                 detail=detail or {"level": w.level, "state": w.state})


def _scope(s: Session, w: EarlyWarning) -> WarningScope:
    codes = json.loads(w.jurisdictions)
    return WarningScope(frozenset(j.path for j in places.jurisdictions(s, codes)),
                        frozenset(json.loads(w.sectors)))


# --- drafting ---------------------------------------------------------------------------------


def draft(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: WarningIn
          ) -> WarningOut:
    """Draft a warning for the caller's body. Missing content (§3.3 ¶3) is named field by
    field; a level or scope beyond the body's authority (§3.3), or a public warning from a body
    below the province (Law art. 54(3)), is refused rule by rule."""
    require(principal, Permission.WARNING_DRAFT)
    now = clock.now()
    with uow() as s:
        scope = WarningScope(frozenset(j.path for j in places.jurisdictions(
            s, data.jurisdictions)), frozenset(x.code for x in places.sectors(s, data.sectors)))
        _check_content(data, scope, principal.body_id, now)
        issuer = _issuer(s, principal.body_id)
        decision = authority.check_authority(issuer, scope, data.level, public=data.public)
        decision.enforce()
        assessment = visible_assessment(s, principal.scope, data.assessment) \
            if data.assessment else None
        w = EarlyWarning(
            ref=new_ref("WN", now), issuer_body_id=issuer.body_id,
            jurisdiction_path=issuer.jurisdiction_path, drafted_by=principal.username,
            state=WarningState.DRAFT.value, level=data.level.value, category=data.category,
            title=data.title, starts_at=data.starts_at,
            jurisdictions=places.dumps(list(dict.fromkeys(data.jurisdictions))),
            sectors=places.dumps(list(dict.fromkeys(data.sectors))),
            items=places.dumps([i for i in data.items if i.strip()]),
            measures=places.dumps([m.model_dump(mode="json") for m in data.measures]),
            tlp=data.tlp.value, public=data.public, support_units=data.support_units,
            assessment_id=assessment.id if assessment else None, revision=1,
            created_at=now, updated_at=now)
        s.add(w)
        s.flush()
        _event(s, w, now, "drafted", principal.username,
               {"level": w.level, "authority": [decision.basis.as_dict()]})
        _audit(s, principal, w, "warning.draft", now)
        return warning_out(s, w, now, principal)


def _check_content(data: WarningIn, scope: WarningScope, issuer_id: int, now: datetime
                   ) -> None:
    problems = content.missing_content(content.WarningDraft(
        category=data.category, level=data.level, starts_at=data.starts_at,
        scope=scope if scope.jurisdictions else None, items=tuple(data.items),
        measures=tuple(content.Measure(m.text, m.deadline) for m in data.measures),
        issuer_body_id=issuer_id, now=now),
        categories=[c.code for c in get_taxonomy().categories])
    errors = [FieldError("jurisdictions" if p.field == "scope" else p.field,
                         f"{p.text_en} / {p.text_zh}", source=p.source) for p in problems]
    if data.public and data.tlp != Tlp.CLEAR:
        errors.append(FieldError("tlp", "a public warning must be TLP:CLEAR / 向社会发布的预警须为"
                                 "TLP:CLEAR", source="Law arts. 54(3), 55"))
    if errors:
        raise ValidationFailed(errors, "The warning lacks required content (Plan §3.3)")


# --- approving and publishing -----------------------------------------------------------------


def approve(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> WarningOut:
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        can_transition(w.state, WarningState.APPROVED).enforce()
        distribution.may_approve(
            drafted_by=w.drafted_by, approver=principal.username,
            approver_body_id=principal.body_id, issuer_body_id=w.issuer_body_id).enforce()
        w.state, w.approved_by, w.approved_at, w.updated_at = (
            WarningState.APPROVED.value, principal.username, now, now)
        _event(s, w, now, "approved", principal.username)
        _audit(s, principal, w, "warning.approve", now)
        return warning_out(s, w, now, principal)


def publish(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> WarningOut:
    """Publish: the authority rules apply once more; every body in scope is notified through
    the outbox and must acknowledge; the §3.4 checklist becomes tasks."""
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        if principal.body_id != w.issuer_body_id:
            raise Forbidden("only the issuing body publishes its warning (Plan §3.3)")
        can_transition(w.state, WarningState.PUBLISHED).enforce()
        scope = _scope(s, w)
        authority.check_authority(_issuer(s, w.issuer_body_id), scope, w.level,
                                  public=w.public).enforce()
        w.state, w.published_at, w.updated_at = WarningState.PUBLISHED.value, now, now
        s.flush()
        reached = _distribute(s, w, scope, now, event="warning.published")
        _event(s, w, now, "published", principal.username, {"recipients": reached})
        _audit(s, principal, w, "warning.publish", now)
        return warning_out(s, w, now, principal)


def _distribute(s: Session, w: EarlyWarning, scope: WarningScope, now: datetime, *,
                event: str) -> list[int]:
    """Notify every recipient (new ones are added, everyone must acknowledge again) and give
    the level's checklist tasks that do not exist yet. Written in bulk: a national warning
    reaches ten thousand units."""
    level = WarningLevel(w.level)
    bodies = places.distribution_bodies(s)
    ids = _recipient_ids(w, scope, bodies)
    due = now + distribution.ACK_WITHIN[level]
    existing = {r.body_id: r for r in s.scalars(select(WarningRecipient).where(
        WarningRecipient.warning_id == w.id))}
    for r in existing.values():
        if r.body_id in ids:
            r.notified_at, r.ack_due_at, r.acknowledged_at = now, due, None
            r.acknowledged_by = r.reminded_at = None
    fresh = [{"warning_id": w.id, "body_id": b, "notified_at": now, "ack_due_at": due}
             for b in ids if b not in existing]
    bulk.insert_rows(s, WarningRecipient.__table__, fresh)
    _add_tasks(s, w, checklists.checklist(level, distribution.checklist_scope(
        scope, bodies, issuer_id=w.issuer_body_id)), now)
    _notify(s, w, sorted(set(ids) | set(existing)), now, event)
    return ids


def _recipient_ids(w: EarlyWarning, scope: WarningScope, bodies) -> list[int]:  # noqa: ANN001
    """The bodies a publication of ``w`` over ``scope`` reaches (Plan §3.3; the distribution
    rules), as :func:`_distribute` sends and :func:`notify_preview` lists them."""
    return distribution.recipients(scope, bodies, issuer_id=w.issuer_body_id,
                                   level=WarningLevel(w.level), support_units=w.support_units)


def _add_tasks(s: Session, w: EarlyWarning, templates: list[checklists.TaskTemplate],
               now: datetime) -> None:
    wanted = {(t.body_id, t.code) for t in templates}
    existing = s.scalars(select(WarningTask).where(WarningTask.warning_id == w.id)).all()
    for task in existing:  # a revised level brings its own checklist (Plan §3.4)
        if task.state == "open" and (task.body_id, task.code) not in wanted:
            task.state = "superseded"
    have = {(task.body_id, task.code) for task in existing}
    rows = [{"warning_id": w.id, "body_id": t.body_id, "code": t.code, "owner": t.owner.value,
             "source": t.source, "title_zh": t.title_zh, "title_en": t.title_en,
             "due_at": now + t.due_after, "state": "open"}
            for t in templates if (t.body_id, t.code) not in have]
    bulk.insert_rows(s, WarningTask.__table__, rows)


#: what each warning event adds to the level's label, and what it asks (Plan §3.3, §3.4)
_EVENTS = {
    "warning.published": (Words("", ""),
                          Words("请确认收到预警，按措施要求开展预警响应",
                                "acknowledge the warning and take the measures it asks")),
    "warning.revised": (Words("调整", "REVISED"),
                        Words("请再次确认收到，按调整后的级别和措施响应",
                              "acknowledge again and respond at the revised level")),
    "warning.lifted": (Words("解除", "LIFTED"),
                       Words("停止预警响应措施，恢复正常工作", "end the warning measures")),
    "warning.reminder": (Words("待确认", "PLEASE ACKNOWLEDGE"),
                         Words("尚未确认收到该预警，请立即确认",
                               "the warning is not yet acknowledged: acknowledge it now")),
}


def _message(w: EarlyWarning, event: str, due: datetime | None) -> tuple[str, str]:
    """Subject and text of a warning message, Chinese first, in words (issue 16 item 7)."""
    level = WarningLevel(w.level)
    what, asked = _EVENTS[event]
    zh, en = get_taxonomy().words(w.category)
    subject, text = compose(Notice(
        what=Words(w.title, w.title),
        # the level's label says 预警 already: 红色预警 / 红色预警解除, never 红色预警预警
        tag=Words(level.label_zh + what.zh, f"{level.label_en.upper()} {what.en}".strip()),
        ref=w.ref, category=Words(zh, en), grade=Words(level.label_zh, level.label_en),
        asked=asked, due=due if event != "warning.lifted" else None))
    measures = "\n".join(
        f"  - {m['text']}" + (f"（{due_text(datetime.fromisoformat(m['deadline']))}）"
                              if m.get("deadline") else "")
        for m in json.loads(w.measures))
    text += (f"起始时间 Starts: {due_text(w.starts_at)}\n"
             f"警示事项 Items: {'; '.join(json.loads(w.items))}\n"
             + (f"措施 Measures:\n{measures}\n" if measures else "")
             + (f"解除原因 Lifted because: {w.lift_reason}\n" if w.lift_reason else ""))
    return subject, text


def _issuer_field(s: Session, w: EarlyWarning) -> dict[str, str]:
    """The payload's ``unit`` of a warning: its issuing body (issue 20 item 6)."""
    issuer = s.get(Body, w.issuer_body_id)
    return unit_field(issuer.key, issuer.name_zh, issuer.name_en)


def _notify(s: Session, w: EarlyWarning, body_ids: list[int], now: datetime, event: str,
            priority: int | None = None, step: int = 0) -> None:
    level = WarningLevel(w.level)
    subject, text = _message(w, event, now + distribution.ACK_WITHIN[level])
    payload = {"event": event, "ref": w.ref, "title": w.title, "level": w.level,
               "state": w.state, "revision": w.revision, "starts_at": w.starts_at.isoformat(),
               "tlp": w.tlp, "unit": _issuer_field(s, w)}
    contacts = directory.contacts_of(s, body_ids)
    rank = {WarningLevel.RED: 0, WarningLevel.ORANGE: 10}.get(level, 100)
    outbox.enqueue_many(s, now=now, messages=[
        outbox.Message(c, subject, text, payload, priority=rank if priority is None else priority,
                       warning_id=w.id)
        for body_id in body_ids for c in contact_tier(contacts.get(body_id, ()), step)])


# --- responding -------------------------------------------------------------------------------


def acknowledge(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                ) -> WarningOut:
    """The caller's body confirms receipt; its reminder stops."""
    require(principal, Permission.WARNING_RESPOND)
    now = clock.now()
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        r = s.scalar(select(WarningRecipient).where(WarningRecipient.warning_id == w.id,
                                                    WarningRecipient.body_id == principal.body_id))
        if r is None:
            raise Forbidden("the warning was not distributed to your body")
        if r.acknowledged_at is None:
            r.acknowledged_at, r.acknowledged_by = now, principal.username
            _event(s, w, now, "acknowledged", principal.username, {"body_id": r.body_id})
            _audit(s, principal, w, "warning.acknowledge", now)
        return warning_out(s, w, now, principal)


def finish_task(t: WarningTask | ProtectionTask, principal: Principal, evidence: str,
                now: datetime) -> None:
    """The caller's body completes its open task with evidence (Plan §3.4: a checklist task of
    a warning or of a protection period's red response); another body's task is refused, a
    task already done or closed is a conflict (409)."""
    if t.body_id != principal.body_id:
        raise Forbidden("the task belongs to another body")
    if t.state != "open":
        raise Conflict(f"the task is already {t.state}")
    t.state, t.done_at, t.done_by, t.evidence = "done", now, principal.username, evidence


def complete_task(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                  task_id: int, data: TaskDoneIn) -> WarningOut:
    require(principal, Permission.WARNING_RESPOND)
    now = clock.now()
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        t = s.scalar(select(WarningTask).where(WarningTask.id == task_id,
                                               WarningTask.warning_id == w.id))
        if t is None:
            raise NotFound(f"no task {task_id} on warning {ref!r}")
        finish_task(t, principal, data.evidence, now)
        _event(s, w, now, "task_done", principal.username, {"task": t.code, "body_id": t.body_id})
        _audit(s, principal, w, "warning.task_done", now, {"task": t.code})
        return warning_out(s, w, now, principal)


# --- revising and lifting ---------------------------------------------------------------------


def revise(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: ReviseIn
           ) -> WarningOut:
    """Change a published warning's level: a recorded revision, with the authority rules
    applied again; recipients are notified and acknowledge again."""
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        scope = _scope(s, w)
        reviser = _issuer(s, principal.body_id)
        decision = authority.check_revision(
            issuer_body_id=w.issuer_body_id, reviser=reviser, state=w.state, warning_scope=scope,
            old_level=w.level, new_level=data.level)
        decision.enforce()
        before = w.level
        w.level, w.revision, w.updated_at = data.level.value, w.revision + 1, now
        _event(s, w, now, "revised", principal.username,
               {"from": before, "to": w.level, "why": data.reason, "revision": w.revision,
                "authority": [decision.basis.as_dict()]})
        s.flush()
        _distribute(s, w, scope, now, event="warning.revised")
        _audit(s, principal, w, "warning.revise", now, {"from": before, "to": w.level})
        return warning_out(s, w, now, principal)


def lift(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: LiftIn
         ) -> WarningOut:
    """Plan §3.5: the issuer lifts its warning; a lifting notice goes to every recipient and
    the open checklist tasks close with it."""
    require(principal, Permission.WARNING_ISSUE)
    now = clock.now()
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        authority.may_lift(issuer_body_id=w.issuer_body_id,
                                          actor_body_id=principal.body_id, state=w.state).enforce()
        w.state, w.lifted_at, w.lift_reason, w.updated_at = (
            WarningState.LIFTED.value, now, data.reason, now)
        s.execute(update(WarningTask).where(WarningTask.warning_id == w.id,
                                            WarningTask.state == "open").values(state="closed"))
        recipients = list(s.scalars(select(WarningRecipient.body_id).where(
            WarningRecipient.warning_id == w.id)))
        _notify(s, w, recipients, now, "warning.lifted")
        _event(s, w, now, "lifted", principal.username, {"why": data.reason})
        _audit(s, principal, w, "warning.lift", now)
        return warning_out(s, w, now, principal)


def remind_unacknowledged(uow: UnitOfWork, clock: Clock) -> int:
    """The watchdog: remind once every recipient of a published warning that has not
    acknowledged by its deadline; returns how many were reminded."""
    now = clock.now()
    with uow() as s:
        due = s.execute(select(WarningRecipient, EarlyWarning).join(
            EarlyWarning, EarlyWarning.id == WarningRecipient.warning_id).where(
            WarningRecipient.acknowledged_at.is_(None), WarningRecipient.ack_due_at < now,
            WarningRecipient.reminded_at.is_(None),
            EarlyWarning.state == WarningState.PUBLISHED.value).limit(500)).all()
        for r, w in due:
            r.reminded_at = now
            _notify(s, w, [r.body_id], now, "warning.reminder", priority=50, step=1)
            _event(s, w, now, "reminded", "watchdog", {"body_id": r.body_id})
        return len(due)


# --- reading ----------------------------------------------------------------------------------


def get_warning(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                ) -> WarningOut:
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        return warning_out(s, visible_warning(s, principal.scope, ref), clock.now(), principal)


#: the columns the warning list sorts by (the level by gravity, not alphabetically)
SORTS = ("published_at", "level", "state", "title", "ref")


def _sort_columns() -> dict:
    return {"published_at": EarlyWarning.published_at, "title": EarlyWarning.title,
            "ref": EarlyWarning.ref, "state": EarlyWarning.state,
            "level": case({lv.value: len(LEVELS_DESC) - i for i, lv in enumerate(LEVELS_DESC)},
                          value=EarlyWarning.level, else_=0)}


def counts_by_level(uow: UnitOfWork, *, principal: Principal, state: str) -> dict[str, int]:
    """How many warnings the caller can see are in ``state``, per level: one grouped count
    (the dashboard, issue 21)."""
    require(principal, Permission.WARNING_READ)
    stmt = (select(EarlyWarning.level, func.count())
            .where(visible_warnings(principal.scope), EarlyWarning.state == state)
            .group_by(EarlyWarning.level))
    with uow() as s:
        return dict(s.execute(stmt).tuples().all())


def list_warnings(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                  state: str | None = None, level: str | None = None,
                  region: str | None = None, sort: str | None = None, desc: bool = False
                  ) -> Page[WarningSummary]:
    """The warnings the caller can see, newest first; ``region`` (a jurisdiction code) keeps
    those concerning it (``WarningScope.touches``); ``sort`` (one of :data:`SORTS`, with
    ``desc``) orders the page in SQL, the id breaking ties."""
    require(principal, Permission.WARNING_READ)
    stmt = select(EarlyWarning, Body).join(Body, Body.id == EarlyWarning.issuer_body_id).where(
        visible_warnings(principal.scope))
    if state:
        stmt = stmt.where(EarlyWarning.state == state)
    if level:
        stmt = stmt.where(EarlyWarning.level == level)
    with uow() as s:
        if region:
            path = s.scalar(select(Jurisdiction.path).where(Jurisdiction.code == region))
            ids = [w.id for w, scope in _scopes(s, s.scalars(stmt.with_only_columns(EarlyWarning)))
                   if path and scope.touches(path)]
            stmt = stmt.where(EarlyWarning.id.in_(ids))
        order = sorting.order_by(_sort_columns(), sort, desc, tiebreak=EarlyWarning.id,
                                 default=EarlyWarning.id.desc())
        return fetch_page(s, stmt, page, order_by=order,
                          convert=lambda row: summary_out(row[0], row[1]))


def _scopes(s: Session, warnings: Iterable[EarlyWarning]
            ) -> list[tuple[EarlyWarning, WarningScope]]:
    """Each warning with its scope as jurisdiction paths (one lookup for all of them)."""
    rows = list(warnings)
    lists = {w.id: (json.loads(w.jurisdictions), json.loads(w.sectors)) for w in rows}
    codes = {c for cs, _ in lists.values() for c in cs}
    paths = dict(s.execute(select(Jurisdiction.code, Jurisdiction.path)
                           .where(Jurisdiction.code.in_(codes))).all()) if codes else {}
    return [(w, WarningScope(frozenset(paths[c] for c in lists[w.id][0] if c in paths),
                             frozenset(lists[w.id][1]))) for w in rows]


def warnings_concerning(uow: UnitOfWork, *, principal: Principal, jurisdiction: str,
                        sector: str | None, at: datetime) -> list[WarningSummary]:
    """The warnings the caller can see that concern a place and sector and were published by
    ``at`` (and not lifted before it): what an incident there happened under (Plan §3.1)."""
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        path = s.scalar(select(Jurisdiction.path).where(Jurisdiction.code == jurisdiction))
        if path is None:
            return []
        rows = s.execute(select(EarlyWarning, Body)
                         .join(Body, Body.id == EarlyWarning.issuer_body_id)
                         .where(visible_warnings(principal.scope),
                                EarlyWarning.published_at <= at,
                                or_(EarlyWarning.lifted_at.is_(None),
                                    EarlyWarning.lifted_at >= at))
                         .order_by(EarlyWarning.id.desc())).all()
        issuers = {w.id: body for w, body in rows}
        return [summary_out(w, issuers[w.id]) for w, scope in _scopes(s, (w for w, _ in rows))
                if scope.touches(path, sector)]


def province_coverage(uow: UnitOfWork, *, principal: Principal) -> list[ProvinceWarnings]:
    """The province-level jurisdictions covered by the published warnings the caller can see,
    each with the gravest level covering it (Plan §3.1), for the dashboard's map. A warning
    covers the provinces of the jurisdictions in its scope; a national scope covers every
    province (``WarningScope.provinces``)."""
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        rows = s.scalars(select(EarlyWarning).where(
            visible_warnings(principal.scope),
            EarlyWarning.state == WarningState.PUBLISHED.value)
            .order_by(EarlyWarning.id.desc())).all()
        provinces = {j.path: j for j in s.scalars(select(Jurisdiction).where(
            Jurisdiction.level == JurisdictionLevel.PROVINCE.value))}
        covered: dict[str, list[EarlyWarning]] = {}
        for w, scope in _scopes(s, rows):
            for path in provinces if scope.national else scope.provinces() & provinces.keys():
                covered.setdefault(path, []).append(w)
        out = []
        for path, ws in covered.items():
            j, level = provinces[path], WarningLevel.highest(w.level for w in ws)
            out.append(ProvinceWarnings(
                code=j.code, name_zh=j.name_zh, name_en=j.name_en, level=level,
                level_label={"zh": level.label_zh, "en": level.label_en},
                refs=[w.ref for w in ws]))
        return sorted(out, key=lambda p: p.code)


def scope_places(uow: UnitOfWork, *, principal: Principal, refs: list[str]
                 ) -> dict[str, tuple[list[PlaceOut], list[PlaceOut]]]:
    """The named jurisdictions and sectors of each visible warning of ``refs`` (for a list
    page: one lookup for all of them)."""
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        rows = s.scalars(select(EarlyWarning).where(EarlyWarning.ref.in_(refs),
                                                    visible_warnings(principal.scope))).all()
        codes = {w.ref: (json.loads(w.jurisdictions), json.loads(w.sectors)) for w in rows}
        js, ss = places.place_outs(s, sorted({c for j, _ in codes.values() for c in j}),
                                   sorted({c for _, x in codes.values() for c in x}))
        by_j, by_s = {p.code: p for p in js}, {p.code: p for p in ss}
        return {ref: ([by_j[c] for c in j if c in by_j], [by_s[c] for c in x if c in by_s])
                for ref, (j, x) in codes.items()}


# --- what the caller may do (the same rules the use cases above enforce) -----------------------


def issuing_powers(uow: UnitOfWork, *, principal: Principal) -> authority.IssuingPowers:
    """Which levels the caller's body may issue, and within which scope, each with its clause
    (Plan §3.3): the rules :func:`draft` and :func:`publish` apply."""
    require(principal, Permission.WARNING_DRAFT)
    with uow() as s:
        return authority.issuing_powers(_issuer(s, principal.body_id))


@dataclass(frozen=True)
class Actions:
    """What the caller may do on one warning now. A decision is the one the use case would
    take (allowed, or refused with its reasons); None means the action is not the caller's
    (no permission, another body's step, or the wrong state)."""

    approve: Decision | None = None
    publish: Decision | None = None
    lift: Decision | None = None
    acknowledge: bool = False
    #: levels the issuer may revise the warning to (Plan §3.3, §3.5)
    revise_levels: tuple[WarningLevel, ...] = ()
    #: open Plan §3.4 tasks of the caller's body
    task_ids: frozenset[int] = frozenset()


def available_actions(uow: UnitOfWork, *, principal: Principal, ref: str) -> Actions:
    """The actions of :func:`approve`, :func:`publish`, :func:`lift`, :func:`revise`,
    :func:`acknowledge` and :func:`complete_task` open to the caller on warning ``ref``."""
    require(principal, Permission.WARNING_READ)
    issue = has_permission(principal.roles, Permission.WARNING_ISSUE)
    respond = has_permission(principal.roles, Permission.WARNING_RESPOND)
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        own = principal.body_id == w.issuer_body_id
        out: dict = {}
        if issue and own and can_transition(w.state, WarningState.APPROVED).allowed:
            out["approve"] = distribution.may_approve(
                drafted_by=w.drafted_by, approver=principal.username,
                approver_body_id=principal.body_id, issuer_body_id=w.issuer_body_id)
        if issue and own and can_transition(w.state, WarningState.PUBLISHED).allowed:
            out["publish"] = authority.check_authority(_issuer(s, w.issuer_body_id),
                                                       _scope(s, w), w.level, public=w.public)
        if issue and w.state == WarningState.PUBLISHED.value:
            out["lift"] = authority.may_lift(issuer_body_id=w.issuer_body_id,
                                             actor_body_id=principal.body_id, state=w.state)
            if own:
                out["revise_levels"] = tuple(_revisable(s, w, principal))
        if respond:
            out["acknowledge"] = s.scalar(select(WarningRecipient.id).where(
                WarningRecipient.warning_id == w.id, WarningRecipient.body_id ==
                principal.body_id, WarningRecipient.acknowledged_at.is_(None))) is not None
            out["task_ids"] = frozenset(s.scalars(select(WarningTask.id).where(
                WarningTask.warning_id == w.id, WarningTask.body_id == principal.body_id,
                WarningTask.state == "open")))
        return Actions(**out)


def _revisable(s: Session, w: EarlyWarning, principal: Principal) -> list[WarningLevel]:
    reviser, scope = _issuer(s, principal.body_id), _scope(s, w)
    return [level for level in LEVELS_DESC if authority.check_revision(
        issuer_body_id=w.issuer_body_id, reviser=reviser, state=w.state, warning_scope=scope,
        old_level=w.level, new_level=level).allowed]


def public_warnings(uow: UnitOfWork, *, limit: int = 50) -> list[PublicWarning]:
    """Warnings for the public page and feeds, newest first; no login, no internal detail."""
    with uow() as s:
        rows = s.scalars(select(EarlyWarning).where(public_filter())
                         .order_by(EarlyWarning.published_at.desc()).limit(limit)).all()
        return [public_out(s, w) for w in rows]


def public_warning(uow: UnitOfWork, *, ref: str) -> PublicWarning:
    with uow() as s:
        w = s.scalar(select(EarlyWarning).where(EarlyWarning.ref == ref, public_filter()))
        if w is None:
            raise NotFound(f"no public warning {ref!r}")
        return public_out(s, w)


def public_cap_sources(uow: UnitOfWork, *, ref: str | None = None, limit: int = 50
                       ) -> list[cap.Source]:
    """What the CAP 1.2 messages of the public warnings are made of (issue 20 item 5; the same
    warnings as :func:`public_warnings`, or the one ``ref``, NotFound when it is not public):
    the public view, the issuer's key, the jurisdictions' GB/T 2260 codes and the public acts
    (published, revised, lifted) in order."""
    with uow() as s:
        query = select(EarlyWarning).where(public_filter())
        if ref is not None:
            query = query.where(EarlyWarning.ref == ref)
        rows = s.scalars(query.order_by(EarlyWarning.published_at.desc()).limit(limit)).all()
        if ref is not None and not rows:
            raise NotFound(f"no public warning {ref!r}")
        events: dict[int, list[cap.Event]] = {w.id: [] for w in rows}
        for e in s.scalars(select(WarningEvent).where(
                WarningEvent.warning_id.in_(list(events)),
                WarningEvent.kind.in_(cap.PUBLIC_EVENTS)).order_by(WarningEvent.id)):
            detail = json.loads(e.detail or "{}")
            events[e.warning_id].append(cap.Event(e.kind, e.at, detail.get("from"),
                                                  detail.get("to")))
        codes = {c for w in rows for c in json.loads(w.jurisdictions)}
        divisions = dict(s.execute(select(Jurisdiction.code, Jurisdiction.division_code).where(
            Jurisdiction.code.in_(codes), Jurisdiction.division_code.is_not(None))).all())
        keys = dict(s.execute(select(Body.id, Body.key).where(
            Body.id.in_({w.issuer_body_id for w in rows}))).all())
        return [cap.Source(public_out(s, w), keys[w.issuer_body_id], divisions,
                           tuple(events[w.id])) for w in rows]


# --- the console's work queue and confirmations (issue 19) ------------------------------------


@dataclass(frozen=True)
class AwaitingApproval:
    """A draft the caller may approve now (the decision :func:`approve` takes), with who
    drafted it and when."""

    summary: WarningSummary
    drafted_by: str
    drafted_at: datetime


def awaiting_approval(uow: UnitOfWork, principal: Principal, limit: int = 20
                      ) -> list[AwaitingApproval]:
    """The drafts of the caller's body waiting for the caller's approval, oldest first: those
    :func:`approve` would accept from the caller (the state machine allows draft → approved and
    ``distribution.may_approve`` allows it: four eyes, Plan §3.3). Empty without the right to
    issue."""
    if not has_permission(principal.roles, Permission.WARNING_ISSUE):
        return []
    with uow() as s:
        rows = s.execute(select(EarlyWarning, Body)
                         .join(Body, Body.id == EarlyWarning.issuer_body_id)
                         .where(visible_warnings(principal.scope),
                                EarlyWarning.issuer_body_id == principal.body_id,
                                EarlyWarning.state == WarningState.DRAFT.value,
                                EarlyWarning.drafted_by != principal.username)
                         .order_by(EarlyWarning.created_at, EarlyWarning.id)
                         .limit(max(limit, 0) * 2 + 10)).all()
        out = []
        for w, body in rows:
            if not can_transition(w.state, WarningState.APPROVED).allowed:
                continue
            if not distribution.may_approve(
                    drafted_by=w.drafted_by, approver=principal.username,
                    approver_body_id=principal.body_id, issuer_body_id=w.issuer_body_id).allowed:
                continue
            out.append(AwaitingApproval(summary_out(w, body), w.drafted_by, w.created_at))
        return out[:limit]


@dataclass(frozen=True)
class NoticeRecipient:
    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class NotifyPreview:
    """Whom an action would notify, computed as the action computes it, without sending:
    ``action`` is publish or lift; ``public`` says the warning also goes to the public page and
    feeds (Law arts. 54(3), 55)."""

    action: str
    decision: Decision
    recipients: list[NoticeRecipient]
    count: int
    public: bool


PREVIEW_LIMIT = 200


def notify_preview(uow: UnitOfWork, *, principal: Principal, ref: str, action: str
                   ) -> NotifyPreview:
    """The bodies :func:`publish` or :func:`lift` would notify now (the same distribution
    rules, :func:`_distribute` and :func:`lift`), by name, and whether the action is open to
    the caller. Nothing is written or sent."""
    require(principal, Permission.WARNING_ISSUE)
    if action not in ("publish", "lift"):
        raise NotFound(f"no action {action!r}")
    with uow() as s:
        w = visible_warning(s, principal.scope, ref)
        existing = set(s.scalars(select(WarningRecipient.body_id).where(
            WarningRecipient.warning_id == w.id)))
        if action == "publish":
            if principal.body_id != w.issuer_body_id:
                raise Forbidden("only the issuing body publishes its warning (Plan §3.3)")
            scope = _scope(s, w)
            moved = can_transition(w.state, WarningState.PUBLISHED)
            decision = moved if not moved.allowed else authority.check_authority(
                _issuer(s, w.issuer_body_id), scope, w.level, public=w.public)
            ids = set(_recipient_ids(w, scope, places.distribution_bodies(s))) | existing
            public = bool(w.public)
        else:
            decision = authority.may_lift(issuer_body_id=w.issuer_body_id,
                                          actor_body_id=principal.body_id, state=w.state)
            ids, public = existing, False
        names = s.execute(select(Body.key, Body.name_zh, Body.name_en)
                          .where(Body.id.in_(ids)).order_by(Body.key)
                          .limit(PREVIEW_LIMIT)).all() if ids else []
        return NotifyPreview(action, decision, [NoticeRecipient(*row) for row in names],
                             len(ids), public)


@dataclass(frozen=True)
class JurisdictionChoice:
    code: str
    name_zh: str
    name_en: str
    #: 0 for the caller's own jurisdiction, 1 for those directly below it, ...
    depth: int


def warnable_jurisdictions(uow: UnitOfWork, *, principal: Principal
                           ) -> list[JurisdictionChoice]:
    """The jurisdictions the caller's body may name in a warning's scope: its own and those
    below it (``authority._outside_refusals``, Plan §3.3 ¶1 本地区), in tree order."""
    require(principal, Permission.WARNING_DRAFT)
    with uow() as s:
        issuer = _issuer(s, principal.body_id)
        rows = s.scalars(select(Jurisdiction).where(
            Jurisdiction.path.startswith(issuer.jurisdiction_path, autoescape=True))
            .order_by(Jurisdiction.path)).all()
        top = issuer.jurisdiction_path.count("/")
        return [JurisdictionChoice(j.code, j.name_zh, j.name_en, j.path.count("/") - top)
                for j in rows]
