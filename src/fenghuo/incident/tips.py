"""The public tip channel (Law art. 14: anyone may report; the department receiving it handles it
in time or transfers it to the competent one; the whistleblower's information is kept
confidential). A tip needs no account; it goes to the office of the jurisdiction named (or the
National Emergency Office), which is notified and whose handling clock starts; the tipster gets a
receipt code to look up its public status. Only the holding body's incident handlers see who
sent it. Handling (accept, transfer, close, file as an incident, the watchdog) is in
:mod:`fenghuo.incident.tip_handling`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.refs import new_ref
from fenghuo.common.schemas import Label
from fenghuo.common.scope import Principal
from fenghuo.config import Settings
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import rules as incident_rules
from fenghuo.incident import tip_rules as r
from fenghuo.incident.models import Incident, Tip, TipEvent
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.incident.tip_schemas import (
    PublicTipStatus,
    TipClockOut,
    TipEventOut,
    TipIn,
    TipOut,
    TipReceipt,
)
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, Contact, Jurisdiction
from fenghuo.org.rules import (
    DELIVERABLE_CHANNELS,
    BodyKind,
    JurisdictionLevel,
    Permission,
    contact_tier,
)
from fenghuo.org.service import emergency_office, require

__all__ = ["TipIn", "TipOut", "TipReceipt", "submit", "list_tips", "get_tip", "public_status"]


@dataclass(frozen=True)
class TipSettings:
    clocks: r.TipClocks = field(default_factory=r.TipClocks)


def settings_of(settings: Settings) -> TipSettings:
    """The handling clock's durations (project rules, README "Public tips"); notifications
    state deadlines in Beijing time (``notify.compose.due_text``)."""
    return TipSettings(r.TipClocks(decide_hours=settings.tip_decide_hours,
                                   close_days=settings.tip_close_days))


# --- shared by the handling use cases ---------------------------------------------------------


def event(s: Session, tip: Tip, *, at: datetime, kind: str, actor: str,
          detail: dict | None = None) -> None:
    """One entry of the tip's history, naming the body that holds it afterwards."""
    s.add(TipEvent(tip_id=tip.id, at=at, kind=kind, actor=actor, body_id=tip.receiving_body_id,
                   detail=json.dumps(detail or {}, ensure_ascii=False, default=_json)))


def _json(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def start_clock(tip: Tip, spec: r.ClockSpec) -> None:
    tip.clock_kind, tip.clock_source = spec.kind.value, spec.source
    tip.clock_starts_at, tip.due_at = spec.starts_at, spec.due_at
    tip.clock_done_at = tip.overdue_flagged_at = None


def stop_clock(tip: Tip, now: datetime) -> None:
    if tip.due_at is not None and tip.clock_done_at is None:
        tip.clock_done_at = now


def record(s: Session, actor: audit.Actor, tip: Tip, action: str, now: datetime,
           detail: dict | None = None, scope_path: str | None = None) -> None:
    audit.record(s, at=now, actor=actor, action=action, entity_type="tip", entity_key=tip.ref,
                 scope_path=scope_path or tip.jurisdiction_path,
                 detail={"state": tip.state, **(detail or {})})


#: every tip notification says so (Law art. 14 ¶2)
CONFIDENTIAL = Words("举报人信息保密，仅承办单位的事件处置人员可见",
                     "the tipster's identity is confidential and shown only to the handling "
                     "body's incident handlers")


def contacts(s: Session, body_id: int, step: int) -> list[Contact]:
    """The body's deliverable contacts of rank ``step`` (``org.rules.contact_tier``)."""
    return contact_tier(s.scalars(select(Contact).where(
        Contact.body_id == body_id,
        Contact.channel.in_([c.value for c in DELIVERABLE_CHANNELS]))
        .order_by(Contact.priority, Contact.id)).all(), step)


def notify(s: Session, tip: Tip, body_id: int, now: datetime, *, kind: str,
           headline: tuple[str, str], step: int = 0,
           notes: tuple[Words, ...] = ()) -> list[str]:
    """Tell a body's contacts of rank ``step`` about a tip, Chinese first: what happened, what
    is asked and by when, and where to see it. The tipster's identity is never in a
    notification (Law art. 14 ¶2); returns the contacts' names."""
    to = contacts(s, body_id, step)
    zh, en = headline
    open_clock = tip.due_at is not None and tip.clock_done_at is None
    path = f"/web/tips/{tip.ref}"
    subject, text = compose(Notice(
        what=Words(f"{zh}（《网络安全法》第十四条）", f"{en} (Cybersecurity Law art. 14)"),
        tag=Words("公众举报", "PUBLIC TIP"), ref=tip.ref,
        unit=Words(tip.unit_name, tip.unit_name),
        category=get_taxonomy().words(tip.category) if tip.category else None,
        asked=Words(*r.CLOCK_LABELS[r.ClockKind(tip.clock_kind)]) if open_clock else None,
        due=tip.due_at if open_clock else None,
        notes=(*notes, CONFIDENTIAL, Words(f"fenghuo tip show {tip.ref}",
                                            f"fenghuo tip show {tip.ref}")),
        link=path))
    payload = {"event": kind, "ref": tip.ref, "state": tip.state, "path": path,
               "due_at": tip.due_at.isoformat() if tip.due_at else None}
    outbox.enqueue(s, now=now, messages=[
        outbox.Message(c, subject, text, payload, priority=60) for c in to])
    return [c.name for c in to]


# --- intake -----------------------------------------------------------------------------------


def _receiver(s: Session, code: str | None) -> Body:
    if code:
        j = s.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
        if j is None:
            raise ValidationFailed([FieldError("jurisdiction", f"no jurisdiction {code!r}")])
        for jid in reversed(org_rules.path_ids(j.path)[1:]):
            office = s.scalar(select(Body).where(Body.jurisdiction_id == jid,
                                                 Body.kind == BodyKind.OFFICE.value,
                                                 Body.active.is_(True)).order_by(Body.id))
            if office is not None:
                return office
    return emergency_office(s)


def submit(uow: UnitOfWork, clock: Clock, *, data: TipIn,
           settings: TipSettings | None = None) -> TipReceipt:
    """Receive a tip: the office of the place named holds it, is notified, and its clock to
    decide starts; the tipster gets a receipt code, of which only the hash is kept."""
    if data.category and get_taxonomy().problem(data.category, None):
        raise ValidationFailed([FieldError("category", get_taxonomy().problem(data.category,
                                                                              None))])
    settings, now, code = settings or TipSettings(), clock.now(), r.new_receipt_code()
    with uow() as s:
        office = _receiver(s, data.jurisdiction)
        tip = Tip(ref=new_ref("TIP", now), receiving_body_id=office.id,
                  jurisdiction_path=office.jurisdiction.path, category=data.category,
                  unit_name=data.unit_name, description=data.description,
                  found_at=data.found_at, reporter_name=data.reporter_name,
                  reporter_contact=data.reporter_contact, state=r.TipState.RECEIVED.value,
                  created_at=now, updated_at=now, receipt_hash=r.receipt_hash(code))
        start_clock(tip, r.decide_clock(now, settings.clocks))
        s.add(tip)
        s.flush()
        notified = notify(s, tip, office.id, now, kind="tip.received",
                          headline=("收到一条公众举报", "A public tip was received"))
        event(s, tip, at=now, kind="received", actor="public",
              detail={"notified": notified, "due_at": tip.due_at})
        audit.record(s, at=now, actor=audit.Actor("public"), action="tip.submit",
                     entity_type="tip", entity_key=tip.ref, scope_path=tip.jurisdiction_path)
        return TipReceipt(ref=tip.ref, received_by_zh=office.name_zh,
                          received_by_en=office.name_en, receipt_code=code)


@dataclass(frozen=True)
class Place:
    code: str
    name_zh: str
    name_en: str


def public_places(uow: UnitOfWork) -> list[Place]:
    """The provinces a tipster may name (public reference data: names and codes only)."""
    with uow() as s:
        return [Place(j.code, j.name_zh, j.name_en) for j in s.scalars(select(Jurisdiction).where(
            Jurisdiction.level == JurisdictionLevel.PROVINCE.value).order_by(Jurisdiction.id))]


# --- what the tipster sees --------------------------------------------------------------------


def public_status(uow: UnitOfWork, *, code: str) -> PublicTipStatus:
    """The tip's public status for its receipt code: when it was received, its status, the kind
    of authority it went to, the public outcome — nothing internal. A wrong code and a missing
    one get the same answer."""
    with uow() as s:
        tip = s.scalar(select(Tip).where(Tip.receipt_hash == r.receipt_hash(code)))
        if tip is None:
            raise NotFound("no tip has this receipt code")
        status = r.public_status(r.TipState(tip.state))
        kind = r.AuthorityKind(tip.authority_kind) if tip.authority_kind else None
        return PublicTipStatus(
            ref=tip.ref, received_at=tip.created_at, status=status.value,
            status_label=_label(r.PUBLIC_LABELS[status]),
            authority=_label(r.AUTHORITY_LABELS[kind]) if kind else None,
            closed_at=tip.closed_at if status == r.PublicStatus.CLOSED else None,
            outcome=tip.public_outcome if status == r.PublicStatus.CLOSED else None)


# --- what the bodies see ----------------------------------------------------------------------


def visible(principal: Principal) -> ColumnElement[bool]:
    """A tip is visible to the body holding it, to every body that held it (its events), and
    to offices and groups whose subtree covers its region (Law art. 30); departments and units
    see only what they hold or held."""
    scope = principal.scope
    held = or_(Tip.receiving_body_id == scope.body_id, Tip.id.in_(
        select(TipEvent.tip_id).where(TipEvent.body_id == scope.body_id)))
    if scope.own_body_only or scope.sectors is not None:
        return held
    return or_(held, Tip.jurisdiction_path.startswith(scope.jurisdiction_path))


def handles(principal: Principal, tip: Tip) -> bool:
    """The holding body's incident handlers handle the tip and see who sent it."""
    return tip.receiving_body_id == principal.body_id and org_rules.has_permission(
        principal.roles, Permission.INCIDENT_HANDLE)


def _clock(tip: Tip, now: datetime) -> TipClockOut | None:
    if tip.due_at is None:
        return None
    kind = r.ClockKind(tip.clock_kind)
    return TipClockOut(kind=kind.value, label=_label(r.CLOCK_LABELS[kind]),
                       source=tip.clock_source or "", starts_at=tip.clock_starts_at,
                       due_at=tip.due_at, done_at=tip.clock_done_at,
                       state=incident_rules.clock_state(tip.due_at, tip.clock_done_at,
                                                        now).value)


def _label(pair: tuple[str, str]) -> Label:
    return Label(zh=pair[0], en=pair[1])


def tip_out(s: Session, tip: Tip, principal: Principal, now: datetime, *,
            history: bool = False) -> TipOut:
    state, holder = r.TipState(tip.state), s.get(Body, tip.receiving_body_id)
    mine = handles(principal, tip)
    out = TipOut(ref=tip.ref, jurisdiction_path=tip.jurisdiction_path, unit_name=tip.unit_name,
                 category=tip.category, description=tip.description, found_at=tip.found_at,
                 category_label=_label(get_taxonomy().label(tip.category)) if tip.category
                 else None, state=state.value, state_label=_label(r.STATE_LABELS[state]),
                 created_at=tip.created_at, updated_at=tip.updated_at, holder=holder.key,
                 holder_name_zh=holder.name_zh, holder_name_en=holder.name_en,
                 authority_kind=tip.authority_kind,
                 public_status=r.public_status(state).value, public_outcome=tip.public_outcome,
                 closed_at=tip.closed_at, clock=_clock(tip, now),
                 incident=s.scalar(select(Incident.ref).where(Incident.id == tip.incident_id))
                 if tip.incident_id else None,
                 actions=sorted(a.value for a in r.ALLOWED[state]) if mine else [])
    if mine:
        out.reporter_name, out.reporter_contact = tip.reporter_name, tip.reporter_contact
    if history:
        out.history = _history(s, tip)
    return out


def _history(s: Session, tip: Tip) -> list[TipEventOut]:
    rows = s.execute(select(TipEvent, Body.key).join(Body, Body.id == TipEvent.body_id)
                     .where(TipEvent.tip_id == tip.id).order_by(TipEvent.id)).all()
    return [TipEventOut(at=e.at, kind=e.kind, actor=e.actor, body=key,
                        detail=json.loads(e.detail)) for e, key in rows]


def list_tips(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
              state: str | None = None, overdue: bool = False) -> Page[TipOut]:
    """The tips in the caller's view, newest first, with their clocks; ``overdue`` keeps those
    whose clock has run out."""
    require(principal, Permission.INCIDENT_READ)
    now = clock.now()
    stmt = select(Tip).where(visible(principal))
    if state:
        if state not in set(r.TipState):
            raise ValidationFailed([FieldError("state", "expected one of " + ", ".join(
                x.value for x in r.TipState))])
        stmt = stmt.where(Tip.state == state)
    if overdue:
        stmt = stmt.where(Tip.clock_done_at.is_(None), Tip.due_at < now)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=Tip.id.desc(),
                          convert=lambda t: tip_out(s, t, principal, now))


def visible_tip(s: Session, principal: Principal, ref: str) -> Tip:
    tip = s.scalar(select(Tip).where(Tip.ref == ref, visible(principal)))
    if tip is None:
        raise NotFound(f"no tip {ref!r}")
    return tip


def get_tip(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> TipOut:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        return tip_out(s, visible_tip(s, principal, ref), principal, clock.now(), history=True)
