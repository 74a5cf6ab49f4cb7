"""Use cases of bodies (Plan §2, City §3, Support) and the scoped tree view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import rules, scoping
from fenghuo.org.models import Body, BodySector, Jurisdiction, Sector
from fenghuo.org.rules import BodyKind, JurisdictionLevel, Permission
from fenghuo.org.schemas import BodyIn, BodyOut, BodyPatch, TreeNode
from fenghuo.org.service import body_out, facts, require, visible_body, visible_jurisdiction


def sector_problems(s: Session, kind: BodyKind, sectors: list[str], cii: bool) -> list[FieldError]:
    """Operators belong to exactly one sector and departments regulate at least one (Plan §2.3,
    Law art. 31); only operators can be CII operators (Law art. 31)."""
    errors = []
    known = set(s.scalars(select(Sector.code).where(Sector.code.in_(sectors))))
    for code in sorted(set(sectors) - known):
        errors.append(FieldError("sectors", f"unknown sector {code!r}"))
    if kind == BodyKind.OPERATOR and len(set(sectors)) != 1:
        errors.append(FieldError("sectors", "an operator unit belongs to exactly one sector"))
    if kind == BodyKind.DEPARTMENT and not sectors:
        errors.append(FieldError("sectors", "a department regulates at least one sector"))
    if cii and kind != BodyKind.OPERATOR:
        errors.append(FieldError("cii", "only an operator unit can be a CII operator"))
    return errors


def _resolve_parent(s: Session, principal: Principal | None, key: str | None) -> Body | None:
    if key is None:
        return None
    stmt = select(Body).where(Body.key == key)
    if principal:
        stmt = stmt.where(scoping.visible_bodies(principal.scope))
    parent = s.scalar(stmt)
    if parent is None:
        raise ValidationFailed([FieldError("parent", f"no body {key!r}")])
    return parent


def _set_sectors(body: Body, sectors: list[str]) -> None:
    wanted = set(sectors)
    body.sector_links = [link for link in body.sector_links if link.sector_code in wanted]
    have = {link.sector_code for link in body.sector_links}
    body.sector_links.extend(BodySector(sector_code=c) for c in sorted(wanted - have))


def put_body(
    s: Session, *, principal: Principal | None, data: BodyIn, now: datetime
) -> tuple[Body, bool]:
    """Create a body, or update one with the same key. ``principal=None`` is the system."""
    j = s.scalar(select(Jurisdiction).where(Jurisdiction.code == data.jurisdiction))
    if j is None or (principal and not rules.jurisdiction_visible(principal.scope, j.id, j.path)):
        raise ValidationFailed([FieldError("jurisdiction",
                                           f"no jurisdiction {data.jurisdiction!r}")])
    errors = sector_problems(s, data.kind, data.sectors, data.cii)
    if principal and not rules.may_place_body(
        principal.scope, jurisdiction_path=j.path, sectors=frozenset(data.sectors)
    ):
        errors.append(FieldError("jurisdiction", "outside your jurisdiction or sectors"))
    existing = s.scalar(select(Body).where(Body.key == data.key))
    if existing is not None and principal and not rules.body_visible(principal.scope,
                                                                     facts(existing)):
        errors.append(FieldError("key", "outside your jurisdiction or sectors"))
    if existing is not None and existing.kind != data.kind.value:
        errors.append(FieldError("kind", f"the body {data.key!r} is a {existing.kind}"))
    if errors:
        raise ValidationFailed(errors)
    parent = _resolve_parent(s, principal, data.parent)
    body, created = existing, existing is None
    if body is None:
        body = Body(key=data.key, kind=data.kind.value, created_at=now)
        s.add(body)
    before = _snapshot(body) if not created else {}
    body.jurisdiction_id, body.jurisdiction = j.id, j
    body.parent_body = parent
    body.name_zh, body.name_en = data.name_zh, data.name_en
    body.cii, body.active, body.notes, body.updated_at = data.cii, data.active, data.notes, now
    body.function = data.function.value if data.function else None
    _set_sectors(body, data.sectors)
    _audit_body(s, principal, body, before, "body.create" if created else "body.update", now)
    return body, created


def _snapshot(body: Body) -> dict:
    return {
        "jurisdiction": body.jurisdiction.code if body.jurisdiction else None,
        "parent": body.parent_body.key if body.parent_body else None,
        "name_zh": body.name_zh, "name_en": body.name_en, "sectors": body.sector_codes,
        "cii": body.cii, "function": body.function, "active": body.active, "notes": body.notes,
    }


def _audit_body(
    s: Session, principal: Principal | None, body: Body, before: dict, action: str, now: datetime
) -> None:
    after = _snapshot(body)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                     entity_type="body", entity_key=body.key, scope_path=body.jurisdiction.path,
                     detail={"kind": body.kind, "changes": changes})


def list_bodies(
    uow: UnitOfWork, *, principal: Principal, page: PageParams, kind: BodyKind | None = None,
    jurisdiction: str | None = None, sector: str | None = None, q: str | None = None,
    include_inactive: bool = False,
) -> Page[BodyOut]:
    """Bodies in scope; ``jurisdiction`` filters to that jurisdiction's subtree."""
    require(principal, Permission.ORG_READ)
    stmt = select(Body).where(scoping.visible_bodies(principal.scope))
    if kind:
        stmt = stmt.where(Body.kind == kind.value)
    if sector:
        stmt = stmt.where(Body.id.in_(select(BodySector.body_id).where(
            BodySector.sector_code == sector)))
    if q:
        stmt = stmt.where(or_(Body.name_zh.contains(q, autoescape=True),
                              Body.name_en.icontains(q, autoescape=True),
                              Body.key.icontains(q, autoescape=True)))
    if not include_inactive:
        stmt = stmt.where(Body.active.is_(True))
    with uow() as s:
        if jurisdiction:
            root = visible_jurisdiction(s, principal.scope, jurisdiction)
            stmt = stmt.where(Body.jurisdiction_id.in_(
                select(Jurisdiction.id).where(Jurisdiction.path.startswith(root.path))))
        return fetch_page(s, stmt, page, order_by=Body.key, convert=body_out)


def get_body(uow: UnitOfWork, *, principal: Principal, key: str) -> BodyOut:
    require(principal, Permission.ORG_READ)
    with uow() as s:
        return body_out(visible_body(s, principal.scope, key))


def create_body(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: BodyIn) -> BodyOut:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        if s.scalar(select(Body.id).where(Body.key == data.key)):
            raise ValidationFailed([FieldError("key", f"{data.key!r} is already used")])
        body, _ = put_body(s, principal=principal, data=data, now=clock.now())
        return body_out(body)


def update_body(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, key: str, patch: BodyPatch
) -> BodyOut:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        body = visible_body(s, principal.scope, key)
        current = BodyIn(key=body.key, kind=BodyKind(body.kind),
                         jurisdiction=body.jurisdiction.code,
                         parent=body.parent_body.key if body.parent_body else None,
                         name_zh=body.name_zh, name_en=body.name_en, sectors=body.sector_codes,
                         cii=body.cii, function=body.function, active=body.active,
                         notes=body.notes)
        merged = current.model_copy(update=patch.model_dump(exclude_unset=True))
        if body.id == principal.scope.body_id and merged.sectors != current.sectors:
            raise ValidationFailed([FieldError("sectors", "you cannot change your own body's "
                                               "sectors: ask the office above you")])
        body, _ = put_body(s, principal=principal, data=merged, now=clock.now())
        return body_out(body)


def org_tree(
    uow: UnitOfWork, *, principal: Principal | None, include_bodies: bool = True
) -> TreeNode:
    """The visible part of the tree, rooted at the nation (ancestors shown by name only).
    ``principal=None`` is the system (the command line without ``--as``): the whole tree."""
    juris_q = select(Jurisdiction).order_by(Jurisdiction.path)
    body_q = select(Body).where(Body.active.is_(True)).order_by(Body.key)
    if principal is not None:
        require(principal, Permission.ORG_READ)
        juris_q = juris_q.where(scoping.visible_jurisdictions(principal.scope))
        body_q = body_q.where(scoping.visible_bodies(principal.scope))
    with uow() as s:
        juris = s.scalars(juris_q).all()
        bodies = s.scalars(body_q).all() if include_bodies else []
        nodes = {j.id: TreeNode(code=j.code, name_zh=j.name_zh, name_en=j.name_en,
                                level=JurisdictionLevel(j.level)) for j in juris}
        for b in bodies:
            if b.jurisdiction_id in nodes:
                nodes[b.jurisdiction_id].bodies.append(body_out(b))
    roots = []
    for j in juris:
        if j.parent_id in nodes:
            nodes[j.parent_id].children.append(nodes[j.id])
        else:
            roots.append(nodes[j.id])
    if not roots:
        raise NotFound("no visible jurisdiction")
    for node in nodes.values():  # GB/T 2260 order (Beijing 110000 first), not the ids'
        node.children.sort(key=lambda n: rules.division_order(n.code))
    return roots[0]
