"""Handling a public tip (Law art. 14 ¶1): the body holding it accepts it (受理), transfers it
(移送) to the department competent to handle it, closes it with an outcome for the tipster, or
files it as an incident; the watchdog flags a clock that ran out and reminds the holder. Every
change is audited and kept in the tip's history; an action on a closed tip is a conflict (409).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from fenghuo.common.schemas import Label
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import service
from fenghuo.incident import tip_rules as r
from fenghuo.incident.models import Incident, Tip
from fenghuo.incident.queries import incident_out
from fenghuo.incident.schemas import IncidentOut, ReportIn
from fenghuo.incident.tip_schemas import AcceptIn, CloseIn, TargetOut, TipOut, TransferIn
from fenghuo.incident.tips import (
    TipSettings,
    event,
    notify,
    record,
    start_clock,
    stop_clock,
    tip_out,
    visible_tip,
)
from fenghuo.notify.compose import Words
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyFunction, BodyKind, Permission
from fenghuo.org.service import require

#: what the tipster reads when a tip is dismissed without an outcome of its own
DISMISSED_OUTCOME = "经核查，不予处理。 After review, no action was taken."


def _held(s: Session, principal: Principal, ref: str, action: r.TipAction) -> Tip:
    """The tip, locked, if the caller's body holds it and ``action`` fits its state."""
    require(principal, Permission.INCIDENT_HANDLE)
    visible_tip(s, principal, ref)  # 404 outside the caller's view
    tip = s.scalar(select(Tip).where(Tip.ref == ref).with_for_update())
    if tip.receiving_body_id != principal.body_id:
        holder = s.get(Body, tip.receiving_body_id)
        raise Forbidden(f"only the body holding the tip handles it; it is with {holder.key}")
    problem = r.action_conflict(r.TipState(tip.state), action)
    if problem:
        raise Conflict(problem)
    return tip


def accept(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
           data: AcceptIn | None = None, settings: TipSettings | None = None) -> TipOut:
    """The holder accepts the tip (受理): its clock to decide stops, the clock to close starts."""
    settings, now = settings or TipSettings(), clock.now()
    with uow() as s:
        tip = _held(s, principal, ref, r.TipAction.ACCEPT)
        stop_clock(tip, now)
        tip.state, tip.updated_at = r.TipState.ACCEPTED.value, now
        start_clock(tip, r.close_clock(now, settings.clocks))
        event(s, tip, at=now, kind="accepted", actor=principal.username,
              detail={"note": data.note if data else None, "due_at": tip.due_at})
        record(s, audit.Actor.of(principal), tip, "tip.accept", now)
        return tip_out(s, tip, principal, now, history=True)


def receiver(body: Body) -> r.Receiver:
    function = body.function if body.function in set(BodyFunction) else None
    return r.Receiver(id=body.id, kind=BodyKind(body.kind),
                      function=BodyFunction(function) if function else None,
                      active=body.active, jurisdiction_path=body.jurisdiction.path)


def _authority(body: Body) -> r.AuthorityKind:
    facts = receiver(body)
    return r.authority_kind(facts.kind, facts.function, frozenset(body.sector_codes))


def _target(s: Session, principal: Principal, key: str) -> Body:
    """The body named: offices and departments anywhere (they receive tips), any other body
    only within the caller's scope — outside it, it answers like a missing one (Law art. 30)."""
    target = s.scalar(select(Body).where(Body.key == key))
    if target is not None and BodyKind(target.kind) not in r.RECEIVING_KINDS and s.scalar(
            select(Body.id).where(Body.id == target.id,
                                  scoping.visible_bodies(principal.scope))) is None:
        target = None
    if target is None:
        raise ValidationFailed([FieldError("to", f"no body {key!r}")])
    return target


def transfer(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
             data: TransferIn, settings: TipSettings | None = None) -> TipOut:
    """移送 (Law art. 14): the competent body takes the tip over — it is notified, holds it,
    sees who sent it, and its own clock to decide starts; the sender keeps reading it."""
    settings, now = settings or TipSettings(), clock.now()
    with uow() as s:
        tip = _held(s, principal, ref, r.TipAction.TRANSFER)
        target = _target(s, principal, data.to)
        r.may_transfer(principal.body_id, receiver(target), tip.jurisdiction_path).enforce()
        sender, before = s.get(Body, principal.body_id), tip.jurisdiction_path
        stop_clock(tip, now)
        tip.receiving_body_id, tip.state = target.id, r.TipState.TRANSFERRED.value
        tip.authority_kind, tip.updated_at = _authority(target).value, now
        if target.kind == BodyKind.OFFICE.value:  # the tip now concerns that office's region
            tip.jurisdiction_path = target.jurisdiction.path
        start_clock(tip, r.decide_clock(now, settings.clocks))
        notified = notify(s, tip, target.id, now, kind="tip.transferred",
                          headline=(f"{sender.name_zh}将一条公众举报移送贵单位处理",
                                    f"{sender.name_en} transferred a public tip to your body"),
                          notes=(Words(f"移送理由：{data.reason}", f"reason: {data.reason}"),))
        event(s, tip, at=now, kind="transferred", actor=principal.username,
              detail={"from": sender.key, "to": target.key, "reason": data.reason,
                      "authority_kind": tip.authority_kind, "notified": notified,
                      "due_at": tip.due_at})
        record(s, audit.Actor.of(principal), tip, "tip.transfer", now, scope_path=before,
               detail={"from": sender.key, "to": target.key})
        return tip_out(s, tip, principal, now, history=True)


def close(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
          data: CloseIn) -> TipOut:
    """办结: the tip is closed with the outcome the tipster reads; the note stays internal."""
    now = clock.now()
    with uow() as s:
        tip = _held(s, principal, ref, r.TipAction.CLOSE)
        stop_clock(tip, now)
        tip.state, tip.public_outcome = r.TipState.CLOSED.value, data.outcome
        tip.closed_at = tip.updated_at = now
        event(s, tip, at=now, kind="closed", actor=principal.username,
              detail={"outcome": data.outcome, "note": data.note})
        record(s, audit.Actor.of(principal), tip, "tip.close", now)
        return tip_out(s, tip, principal, now, history=True)


def dismiss(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, reason: str
            ) -> TipOut:
    """Close a tip that needs no action; the reason is an internal note."""
    return close(uow, clock, principal=principal, ref=ref,
                 data=CloseIn(outcome=DISMISSED_OUTCOME, note=reason))


def convert(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: ReportIn,
            profile: str) -> IncidentOut:
    """The holder verifies a tip and files it as an incident (source "public"); the incident
    enters the reporting chain like any other, without the tipster's identity."""
    now = clock.now()
    with uow() as s:
        tip = _held(s, principal, ref, r.TipAction.CONVERT)
        filed = service.file_report(s, now, principal, data, profile, None, source="public")
        incident = s.get(Incident, filed.id)
        service.event(s, incident, at=now, kind="from_tip", actor=principal.username,
                      detail={"tip": tip.ref})
        stop_clock(tip, now)
        tip.state, tip.incident_id, tip.updated_at = r.TipState.CONVERTED.value, incident.id, now
        event(s, tip, at=now, kind="converted", actor=principal.username,
              detail={"incident": incident.ref})
        record(s, audit.Actor.of(principal), tip, "tip.convert", now,
               detail={"incident": incident.ref})
        return incident_out(s, incident, now, reader=principal)


def transfer_targets(uow: UnitOfWork, *, principal: Principal, ref: str) -> list[TargetOut]:
    """The bodies the holder may transfer the tip to (``tip_rules.may_transfer``)."""
    require(principal, Permission.INCIDENT_HANDLE)
    with uow() as s:
        tip = visible_tip(s, principal, ref)
        if tip.receiving_body_id != principal.body_id or r.TipState(tip.state) in r.TERMINAL:
            return []
        bodies = s.scalars(select(Body).where(
            Body.kind.in_([k.value for k in r.RECEIVING_KINDS]), Body.active.is_(True))
            .order_by(Body.jurisdiction_id, Body.id)).all()
        out = []
        for b in bodies:
            if r.may_transfer(principal.body_id, receiver(b), tip.jurisdiction_path).allowed:
                zh, en = r.AUTHORITY_LABELS[_authority(b)]
                out.append(TargetOut(key=b.key, name_zh=b.name_zh, name_en=b.name_en,
                                     kind=b.kind, authority=Label(zh=zh, en=en)))
        return out


# --- the watchdog -----------------------------------------------------------------------------


def sweep_overdue(uow: UnitOfWork, clock: Clock, *, settings: TipSettings | None = None,
                  limit: int = 500) -> int:
    """Flag once each tip whose clock ran out: an entry in its history, an audit row and a
    reminder to the holder's next contacts (the escalation of ``org.rules.contact_tier``)."""
    settings, now = settings or TipSettings(), clock.now()
    with uow() as s:
        due = s.scalars(select(Tip).where(
            Tip.clock_done_at.is_(None), Tip.overdue_flagged_at.is_(None), Tip.due_at < now)
            .order_by(Tip.due_at).limit(limit).with_for_update(skip_locked=True)).all()
        for tip in due:
            tip.overdue_flagged_at = now
            _flag(s, tip, now, settings)
        return len(due)


def _flag(s: Session, tip: Tip, now: datetime, settings: TipSettings) -> None:
    names = notify(s, tip, tip.receiving_body_id, now, kind="tip.overdue", step=1,
                   headline=("公众举报处理逾期", "A public tip is overdue"),
                   notes=(Words(f"依据：{tip.clock_source}", f"basis: {tip.clock_source}"),))
    event(s, tip, at=now, kind="clock_overdue", actor="watchdog",
          detail={"clock": tip.clock_kind, "due_at": tip.due_at, "escalated_to": names})
    record(s, audit.Actor("watchdog"), tip, "tip.overdue", now,
           detail={"clock": tip.clock_kind})


__all__ = ["accept", "transfer", "close", "dismiss", "convert", "transfer_targets",
           "sweep_overdue"]
