"""What the unit and its office do with an owner notice (issue 16 item 2): the unit acknowledges
(签收), reports its handling (处置反馈, Law art. 25) and may contest an attribution — the address,
prefix or domain goes back to whoever registered it (the register's owner) and to the office;
the office (or CNCERT, or the sector's department: a body whose scope holds the unit, Law art.
30) resolves the contest and closes the notice; an office or CERT sends a unit's pending digest
now. Every change is audited; an action the state does not allow is a conflict (409) and
changes nothing.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import constituency as c
from fenghuo.monitoring import notice_messages as say
from fenghuo.monitoring import notice_rules as r
from fenghuo.monitoring import register
from fenghuo.monitoring.models import ConstituencyEntry
from fenghuo.monitoring.notice_models import OwnerNotice, OwnerNoticeItem
from fenghuo.monitoring.notice_schemas import CloseIn, ContestIn, FeedbackIn, NoticeOut, ResolveIn
from fenghuo.monitoring.notices import NoticeSettings, notice_out, send, visible_notice
from fenghuo.org import scoping
from fenghuo.org.models import Body, User
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import require


def _record(s: Session, principal: Principal, n: OwnerNotice, action: str, now: datetime,
            detail: dict | None = None) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=f"notice.{action}",
                 entity_type="owner_notice", entity_key=n.ref, scope_path=n.jurisdiction_path,
                 detail={"state": n.state, **(detail or {})})


def _check(n: OwnerNotice, action: r.NoticeAction) -> None:
    problem = r.action_conflict(r.NoticeState(n.state), action)
    if problem:
        raise Conflict(problem)


def _answering(s: Session, principal: Principal, ref: str, action: r.NoticeAction
               ) -> OwnerNotice:
    """The notice, locked, if it went to the caller's own body and ``action`` fits its state."""
    require(principal, Permission.WARNING_RESPOND)
    n = visible_notice(s, principal, ref, lock=True)
    if n.body_id != principal.body_id:
        unit = s.get(Body, n.body_id)
        raise Forbidden(f"only the unit notified answers a notice; {ref} went to {unit.key}")
    _check(n, action)
    return n


def _in_scope(s: Session, principal: Principal, body_id: int) -> bool:
    return s.scalar(select(Body.id).where(Body.id == body_id,
                                          scoping.visible_bodies(principal.scope))) is not None


def _deciding(s: Session, principal: Principal, ref: str, action: r.NoticeAction
              ) -> OwnerNotice:
    """The notice, locked, if the caller's body decides for its unit (``may_decide``)."""
    require(principal, Permission.INCIDENT_HANDLE)
    n = visible_notice(s, principal, ref, lock=True)
    me = s.get(Body, principal.body_id)
    r.may_decide(BodyKind(me.kind), n.body_id == me.id,
                 _in_scope(s, principal, n.body_id) or n.sender_body_id == me.id).enforce()
    _check(n, action)
    return n


def _done(s: Session, n: OwnerNotice, now: datetime) -> NoticeOut:
    n.updated_at = now
    s.flush()
    return notice_out(s, n, now)


def acknowledge(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> NoticeOut:
    """签收: the unit has the notice."""
    now = clock.now()
    with uow() as s:
        n = _answering(s, principal, ref, r.NoticeAction.ACKNOWLEDGE)
        n.state = r.NoticeState.ACKNOWLEDGED.value
        n.acknowledged_at, n.acknowledged_by = now, principal.username
        _record(s, principal, n, "acknowledge", now)
        return _done(s, n, now)


def feedback(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
             data: FeedbackIn) -> NoticeOut:
    """处置反馈: what the unit did (Law art. 25); a later report is added to the earlier one.
    The office is told, to review and close it."""
    now = clock.now()
    with uow() as s:
        n = _answering(s, principal, ref, r.NoticeAction.FEEDBACK)
        if n.acknowledged_at is None:
            n.acknowledged_at, n.acknowledged_by = now, principal.username
        text = data.text.strip()
        n.feedback = text if not n.feedback else f"{n.feedback}\n\n[{now.isoformat()} " \
                                                  f"{principal.username}] {text}"
        n.feedback_at, n.feedback_by = now, principal.username
        n.state = r.NoticeState.FEEDBACK_REPORTED.value
        unit = s.get(Body, n.body_id)
        told = say.feedback_reported(s, n, unit, n.office_body_id or n.sender_body_id, now)
        _record(s, principal, n, "feedback", now, {"text": text, "told": told})
        return _done(s, n, now)


# --- contesting an attribution ------------------------------------------------------------------


def _entry(s: Session, unit: Body, address: str) -> ConstituencyEntry:
    """The unit's own register entry that attributed ``address`` (an address, a prefix or a
    domain); ValidationFailed naming the field when the register holds none."""
    text, found = address.strip(), None
    try:
        if "/" in text:
            kind, value = c.EntryKind.PREFIX, c.canonical_prefix(text)
        else:
            index = register.index(s)
            try:
                hit = index.address(str(ipaddress.ip_address(text)))
                kind = c.EntryKind.PREFIX
            except ValueError:
                hit, kind = index.domain(c.canonical_domain(text)), c.EntryKind.DOMAIN
            value = hit.matched if hit.level is c.Level.OWNER else None
        if value is not None:
            found = s.scalar(select(ConstituencyEntry).where(
                ConstituencyEntry.kind == kind.value, ConstituencyEntry.value == value,
                ConstituencyEntry.role == c.Role.OWNER.value,
                ConstituencyEntry.body_id == unit.id))
    except ValueError as exc:
        raise ValidationFailed([FieldError("address", str(exc))]) from None
    if found is None:
        raise ValidationFailed([FieldError(
            "address", f"{text} is attributed by none of {unit.key}'s register entries; give "
                       "an address of the events, or the prefix or domain registered to you")])
    return found


def _registrants(s: Session, entry: ConstituencyEntry) -> list[int]:
    """The bodies of whoever registered the entry and whoever verified it (when a user)."""
    names = [x for x in (entry.created_by, entry.verified_by) if x]
    return sorted(set(s.scalars(select(User.body_id).where(User.username.in_(names)))))


def contest(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
            data: ContestIn) -> NoticeOut:
    """The unit contests an attribution: the register's owner (the entry's registrant and
    verifier) and the unit's office are told; the office resolves it."""
    now = clock.now()
    with uow() as s:
        n = _answering(s, principal, ref, r.NoticeAction.CONTEST)
        unit = s.get(Body, n.body_id)
        if data.indicator and s.scalar(select(OwnerNoticeItem.id).where(
                OwnerNoticeItem.notice_id == n.id,
                OwnerNoticeItem.indicator == data.indicator).limit(1)) is None:
            raise ValidationFailed([FieldError("indicator",
                                               f"{data.indicator} is not in notice {ref}")])
        entry = _entry(s, unit, data.address)
        n.state = r.NoticeState.CONTESTED.value
        n.contest_address, n.contest_indicator = data.address.strip(), data.indicator
        n.contest_entry, n.contest_reason = f"{entry.kind}:{entry.value}", data.reason.strip()
        n.contested_at, n.contested_by = now, principal.username
        bodies = set(_registrants(s, entry)) | {n.office_body_id or n.sender_body_id}
        told = [s.get(Body, b).key for b in sorted(bodies - {unit.id})]
        for b in sorted(bodies - {unit.id}):
            say.contested(s, n, unit, b, now)
        _record(s, principal, n, "contest", now, {"entry": n.contest_entry,
                                                  "address": n.contest_address, "told": told})
        return _done(s, n, now)


def resolve(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
            data: ResolveIn, settings: NoticeSettings | None = None) -> NoticeOut:
    """The office decides a contest: ``withdrawn`` (the attribution was wrong: the notice is
    resolved and counts against nobody) or ``kept`` (the notice stands and its clock starts
    again)."""
    cfg, now = settings or NoticeSettings(), clock.now()
    with uow() as s:
        n = _deciding(s, principal, ref, r.NoticeAction.RESOLVE)
        n.resolution, n.resolution_note = data.outcome.value, data.note.strip()
        n.resolved_at, n.resolved_by = now, principal.username
        if data.outcome.value == "withdrawn":
            n.state = r.NoticeState.RESOLVED.value
        else:
            n.state = r.NoticeState.ACKNOWLEDGED.value
            n.deadline_at = r.deadline(now, r.Mode(n.mode), cfg.policy)
            n.reminders, n.office_told_at = 0, None
        told = say.resolved(s, n, s.get(Body, n.body_id), now)
        _record(s, principal, n, "resolve", now, {"outcome": n.resolution, "told": told})
        return _done(s, n, now)


def close(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
          data: CloseIn | None = None) -> NoticeOut:
    """办结: the office accepts the unit's handling feedback."""
    now = clock.now()
    with uow() as s:
        n = _deciding(s, principal, ref, r.NoticeAction.CLOSE)
        n.state, n.closed_at, n.closed_by = r.NoticeState.CLOSED.value, now, principal.username
        n.close_note = data.note.strip() if data and data.note else None
        _record(s, principal, n, "close", now, {"note": n.close_note})
        return _done(s, n, now)


def send_now(uow: UnitOfWork, clock: Clock, *, principal: Principal, unit: str,
             settings: NoticeSettings | None = None) -> NoticeOut:
    """Send a unit's pending digest now: an office, CERT or department, to a unit in its scope
    (refused with the rule otherwise, Law art. 30)."""
    require(principal, Permission.MONITORING_SUBMIT)
    cfg, now = settings or NoticeSettings(), clock.now()
    with uow() as s:
        me = s.get(Body, principal.body_id)
        target = s.scalar(select(Body).where(Body.key == unit))
        in_scope = target is not None and _in_scope(s, principal, target.id)
        r.may_send(BodyKind(me.kind), in_scope, unit).enforce()
        n = s.scalar(select(OwnerNotice).where(
            OwnerNotice.body_id == target.id,
            OwnerNotice.state == r.NoticeState.PENDING.value).with_for_update())
        if n is None:
            raise Conflict(f"{unit} has no pending digest: nothing to send")
        send(s, n, target, now, cfg, actor=audit.Actor.of(principal))
        return notice_out(s, n, now)
