"""What each party sees of directives and interviews (Law arts. 55, 56), within its scope (Law
art. 30): the issuer sees what it issued; offices and departments see the items of the units in
their scope (their jurisdiction subtree; a department, its sectors there); a unit sees its own.
Also the units a body may direct, and the overdue counts of the accountability view (§7.10)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.schemas import Label
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import rules as org_rules
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyKind, JurisdictionLevel, Permission
from fenghuo.org.service import require
from fenghuo.supervision import rules as r
from fenghuo.supervision.models import Rectification, SupervisionEvent, SupervisionItem
from fenghuo.supervision.schemas import (
    AttachmentOut,
    EventOut,
    ItemOut,
    RectificationOut,
    UnitOut,
)


def party(body: Body) -> r.Party:
    return r.Party(id=body.id, kind=BodyKind(body.kind),
                   jurisdiction_path=body.jurisdiction.path,
                   level=JurisdictionLevel(body.jurisdiction.level),
                   sectors=frozenset(body.sector_codes), active=body.active)


def visible(principal: Principal) -> ColumnElement[bool]:
    """Items the caller's body issued, and those of the units in its scope (Law art. 30)."""
    scope = principal.scope
    units = select(Body.id).where(scoping.visible_bodies(scope))
    return or_(SupervisionItem.issuer_body_id == scope.body_id,
               SupervisionItem.unit_body_id.in_(units))


def visible_item(s: Session, principal: Principal, ref: str) -> SupervisionItem:
    item = s.scalar(select(SupervisionItem).where(SupervisionItem.ref == ref,
                                                  visible(principal)))
    if item is None:
        raise NotFound(f"no directive or interview {ref!r}")
    return item


def side_of(principal: Principal, item: SupervisionItem) -> r.Side | None:
    """The caller acts for the unit or for the issuer, if its body is one and its roles allow."""
    roles = principal.roles
    if item.unit_body_id == principal.body_id and org_rules.has_permission(
            roles, Permission.SUPERVISION_RESPOND):
        return r.Side.UNIT
    if item.issuer_body_id == principal.body_id and org_rules.has_permission(
            roles, Permission.SUPERVISION_WRITE):
        return r.Side.ISSUER
    return None


def _label(pair: tuple[str, str]) -> Label:
    return Label(zh=pair[0], en=pair[1])


def item_out(s: Session, item: SupervisionItem, principal: Principal, now: datetime, *,
             full: bool = False) -> ItemOut:
    kind, state = r.Kind(item.kind), r.State(item.state)
    issuer, unit = s.get(Body, item.issuer_body_id), s.get(Body, item.unit_body_id)
    clock = r.clock_state(state, item.due_at, item.reported_at, now)
    role = r.IntervieweeRole(item.interviewee_role) if item.interviewee_role else None
    out = ItemOut(
        ref=item.ref, kind=kind.value, kind_label=_label(r.KIND_LABELS[kind]),
        source=r.KIND_SOURCES[kind], title=item.title, issuer=issuer.key,
        issuer_name_zh=issuer.name_zh, issuer_name_en=issuer.name_en, issued_by=item.issued_by,
        unit=unit.key, unit_name_zh=unit.name_zh, unit_name_en=unit.name_en,
        findings=item.findings, requirements=item.requirements, interviewee=item.interviewee,
        interviewee_role=role.value if role else None,
        interviewee_role_label=_label(r.INTERVIEWEE_LABELS[role]) if role else None,
        interviewed_at=item.interviewed_at, state=state.value,
        state_label=_label(r.STATE_LABELS[state]), due_at=item.due_at, clock=clock.value,
        clock_label=_label(r.CLOCK_LABELS[clock]), created_at=item.created_at,
        updated_at=item.updated_at, acknowledged_at=item.acknowledged_at,
        reported_at=item.reported_at, closed_at=item.closed_at,
        actions=r.actions_for(state, side_of(principal, item)))
    if full:
        out.rectifications = [RectificationOut(
            reported_at=x.reported_at, reported_by=x.reported_by, measures=x.measures,
            evidence=x.evidence, attachments=[AttachmentOut(**a) for a in json.loads(
                x.attachments)]) for x in s.scalars(select(Rectification).where(
                    Rectification.item_id == item.id).order_by(Rectification.id))]
        out.history = [EventOut(at=e.at, kind=e.kind, actor=e.actor, body=key,
                                detail=json.loads(e.detail)) for e, key in s.execute(
            select(SupervisionEvent, Body.key).join(Body, Body.id == SupervisionEvent.body_id)
            .where(SupervisionEvent.item_id == item.id).order_by(SupervisionEvent.id))]
    return out


def _choice(name: str, value: str | None, enum: type) -> str | None:
    if value and value not in {x.value for x in enum}:
        raise ValidationFailed([FieldError(name, "expected one of " + ", ".join(
            x.value for x in enum))])
    return value or None


def list_items(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
               kind: str | None = None, state: str | None = None, unit: str | None = None,
               overdue: bool = False) -> Page[ItemOut]:
    """Directives and interviews in the caller's view, newest first; ``overdue`` keeps those
    the unit still owes past their deadline."""
    require(principal, Permission.SUPERVISION_READ)
    now = clock.now()
    stmt = select(SupervisionItem).where(visible(principal))
    if kind := _choice("kind", kind, r.Kind):
        stmt = stmt.where(SupervisionItem.kind == kind)
    if state := _choice("state", state, r.State):
        stmt = stmt.where(SupervisionItem.state == state)
    if unit:
        stmt = stmt.where(SupervisionItem.unit_body_id.in_(select(Body.id).where(
            Body.key == unit)))
    if overdue:
        stmt = stmt.where(SupervisionItem.state.in_([x.value for x in r.OWED]),
                          SupervisionItem.due_at < now)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=SupervisionItem.id.desc(),
                          convert=lambda item: item_out(s, item, principal, now))


def get_item(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> ItemOut:
    """One item with the unit's rectification reports and its history."""
    require(principal, Permission.SUPERVISION_READ)
    with uow() as s:
        return item_out(s, visible_item(s, principal, ref), principal, clock.now(), full=True)


def units(uow: UnitOfWork, *, principal: Principal, limit: int = 500) -> list[UnitOut]:
    """The units the caller's body may direct (``rules.may_direct``), and whether it may also
    interview them (Law art. 56: provincial level and above)."""
    require(principal, Permission.SUPERVISION_WRITE)
    with uow() as s:
        me = party(s.get(Body, principal.body_id))
        bodies = s.scalars(select(Body).where(
            scoping.visible_bodies(principal.scope), Body.active.is_(True),
            Body.kind.in_([k.value for k in r.UNIT_KINDS])).order_by(Body.key).limit(limit))
        out = []
        for b in bodies:
            target = party(b)
            if r.may_direct(r.Kind.DIRECTIVE, me, target).allowed:
                out.append(UnitOut(key=b.key, name_zh=b.name_zh, name_en=b.name_en,
                                   kind=b.kind, interview=r.may_direct(
                                       r.Kind.INTERVIEW, me, target).allowed))
        return out


# --- for the accountability view (Plan §7.10) -----------------------------------------------


def overdue_counts(s: Session, *, body_ids: list[int], since: datetime, until: datetime,
                   now: datetime) -> dict[int, dict[str, int]]:
    """Per unit, the directives and interviews whose deadline fell in [since, until) and was
    not met: still owed past it, or reported after it (``rules.clock_state``) —
    ``{"overdue_directives": n, "overdue_rectifications": m}`` (interviews' rectification)."""
    wanted = set(body_ids)
    field = {r.Kind.DIRECTIVE.value: "overdue_directives",
             r.Kind.INTERVIEW.value: "overdue_rectifications"}
    out: dict[int, dict[str, int]] = {}
    for unit_id, kind, state, due_at, reported_at in s.execute(select(
            SupervisionItem.unit_body_id, SupervisionItem.kind, SupervisionItem.state,
            SupervisionItem.due_at, SupervisionItem.reported_at).where(
            SupervisionItem.due_at >= since, SupervisionItem.due_at < until,
            SupervisionItem.due_at < now)):
        if unit_id in wanted and r.clock_state(r.State(state), due_at, reported_at,
                                               now) in r.FAILED:
            counts = out.setdefault(unit_id, {"overdue_directives": 0,
                                              "overdue_rectifications": 0})
            counts[field[kind]] += 1
    return out
