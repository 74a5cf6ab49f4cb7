"""Use cases of jurisdictions, and the lookups and views every org use case shares.

Every function takes the caller (``Principal``) and works only inside its scope (Law art. 30);
an object outside scope raises ``NotFound`` exactly like a missing one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.org import rules, scoping
from fenghuo.org.models import Body, Jurisdiction, Sector
from fenghuo.org.rules import BodyKind, JurisdictionLevel, Permission
from fenghuo.org.schemas import (
    BodyOut,
    JurisdictionIn,
    JurisdictionOut,
    JurisdictionPatch,
    JurisdictionRef,
    Label,
    SectorOut,
)


def require(principal: Principal, permission: Permission) -> None:
    if not rules.has_permission(principal.roles, permission):
        raise Forbidden(f"your roles do not include the permission {permission.value}")


def facts(body: Body) -> rules.BodyFacts:
    return rules.BodyFacts(
        id=body.id,
        kind=BodyKind(body.kind),
        jurisdiction_path=body.jurisdiction.path,
        sectors=frozenset(body.sector_codes),
    )


# --- views ------------------------------------------------------------------------------------


def body_out(body: Body) -> BodyOut:
    zh, en = rules.BODY_KIND_LABELS[BodyKind(body.kind)]
    return BodyOut(
        key=body.key,
        kind=BodyKind(body.kind),
        kind_label=Label(zh=zh, en=en),
        jurisdiction=JurisdictionRef.model_validate(body.jurisdiction),
        parent=body.parent_body.key if body.parent_body else None,
        name_zh=body.name_zh,
        name_en=body.name_en,
        sectors=body.sector_codes,
        cii=body.cii,
        function=body.function,
        active=body.active,
        notes=body.notes,
    )


def jurisdiction_out(j: Jurisdiction) -> JurisdictionOut:
    zh, en = rules.LEVEL_LABELS[JurisdictionLevel(j.level)]
    return JurisdictionOut(
        code=j.code,
        name_zh=j.name_zh,
        name_en=j.name_en,
        level=JurisdictionLevel(j.level),
        division_code=j.division_code,
        parent=j.parent.code if j.parent else None,
        level_label=Label(zh=zh, en=en),
    )


# --- lookups inside scope ---------------------------------------------------------------------


def emergency_office(s: Session) -> Body | None:
    """The national Emergency Office (Plan §2.2), found by its function."""
    return s.scalar(select(Body).where(
        Body.function == rules.BodyFunction.NATIONAL_EMERGENCY_OFFICE.value,
        Body.active.is_(True)))


def local_office(s: Session, unit: Body) -> Body | None:
    """The office of the unit's jurisdiction, else of the nearest jurisdiction above it (the
    office a unit's matters go to first, Plan §4.1)."""
    for jid in reversed(rules.path_ids(unit.jurisdiction.path)):
        office = s.scalar(select(Body).where(Body.jurisdiction_id == jid,
                                             Body.kind == BodyKind.OFFICE.value,
                                             Body.active.is_(True)).order_by(Body.id))
        if office is not None:
            return office
    return None


def visible_body(s: Session, scope: Scope, key: str) -> Body:
    body = s.scalar(select(Body).where(Body.key == key, scoping.visible_bodies(scope)))
    if body is None:
        raise NotFound(f"no body with key {key!r}")
    return body


def visible_jurisdiction(s: Session, scope: Scope, code: str) -> Jurisdiction:
    j = s.scalar(
        select(Jurisdiction).where(Jurisdiction.code == code, scoping.visible_jurisdictions(scope))
    )
    if j is None:
        raise NotFound(f"no jurisdiction with code {code!r}")
    return j


def list_sectors(uow: UnitOfWork) -> list[SectorOut]:
    with uow() as s:
        rows = s.scalars(select(Sector).order_by(Sector.code))
        return [SectorOut.model_validate(x) for x in rows]


# --- jurisdictions ----------------------------------------------------------------------------


def list_jurisdictions(
    uow: UnitOfWork, *, principal: Principal, page: PageParams, parent: str | None = None,
    level: JurisdictionLevel | None = None, q: str | None = None,
) -> Page[JurisdictionOut]:
    require(principal, Permission.ORG_READ)
    stmt = select(Jurisdiction).where(scoping.visible_jurisdictions(principal.scope))
    if level:
        stmt = stmt.where(Jurisdiction.level == level.value)
    if q:
        stmt = stmt.where(or_(Jurisdiction.name_zh.contains(q, autoescape=True),
                              Jurisdiction.name_en.icontains(q, autoescape=True),
                              Jurisdiction.code == q))
    with uow() as s:
        if parent:
            stmt = stmt.where(
                Jurisdiction.parent_id == visible_jurisdiction(s, principal.scope, parent).id
            )
        return fetch_page(s, stmt, page, order_by=Jurisdiction.path, convert=jurisdiction_out)


def get_jurisdiction(uow: UnitOfWork, *, principal: Principal, code: str) -> JurisdictionOut:
    require(principal, Permission.ORG_READ)
    with uow() as s:
        return jurisdiction_out(visible_jurisdiction(s, principal.scope, code))


def put_jurisdiction(
    s: Session, *, principal: Principal | None, data: JurisdictionIn, now: datetime
) -> tuple[Jurisdiction, bool]:
    """Create a jurisdiction or update the names of an existing one; ``principal=None`` is the
    system itself (seeding). Raises ``ValidationFailed`` naming the field."""
    existing = s.scalar(select(Jurisdiction).where(Jurisdiction.code == data.code))
    parent = None
    if data.parent:
        parent = s.scalar(select(Jurisdiction).where(Jurisdiction.code == data.parent))
        if parent is None or (
            principal and not rules.jurisdiction_visible(principal.scope, parent.id, parent.path)
        ):
            raise ValidationFailed([FieldError("parent", f"no jurisdiction {data.parent!r}")])
    if not rules.child_level_ok(JurisdictionLevel(parent.level) if parent else None, data.level):
        raise ValidationFailed([FieldError(
            "level", f"a {data.level.value} cannot sit below "
            f"{parent.level if parent else 'nothing'} (national → province → city → county)")])
    if existing is not None:
        return _update_existing_jurisdiction(s, principal, existing, parent, data, now), False
    if principal and not rules.may_create_jurisdiction(principal.scope, parent_path=parent.path if
                                                         parent else "/"):
        raise ValidationFailed([FieldError("parent", "outside your jurisdiction")])
    j = Jurisdiction(code=data.code, division_code=data.division_code, level=data.level.value,
                     name_zh=data.name_zh, name_en=data.name_en,
                     parent_id=parent.id if parent else None, path="", created_at=now)
    s.add(j)
    s.flush()
    j.path = rules.child_path(parent.path if parent else None, j.id)
    audit.record(s, at=now, actor=audit.Actor.of(principal), action="jurisdiction.create",
                 entity_type="jurisdiction", entity_key=j.code, scope_path=j.path,
                 detail=data.model_dump(mode="json"))
    return j, True


def _update_existing_jurisdiction(
    s: Session, principal: Principal | None, j: Jurisdiction, parent: Jurisdiction | None,
    data: JurisdictionIn, now: datetime,
) -> Jurisdiction:
    if principal and not rules.may_create_jurisdiction(principal.scope, parent_path=j.path):
        raise ValidationFailed([FieldError("code", "outside your jurisdiction")])
    if (parent.id if parent else None) != j.parent_id:
        raise ValidationFailed([FieldError("parent", "a jurisdiction cannot be moved")])
    patch = JurisdictionPatch(name_zh=data.name_zh, name_en=data.name_en,
                              division_code=data.division_code)
    _apply_jurisdiction_patch(s, principal, j, patch, now)
    return j


def _apply_jurisdiction_patch(
    s: Session, principal: Principal | None, j: Jurisdiction, patch: JurisdictionPatch,
    now: datetime,
) -> None:
    changes = {}
    for field, value in patch.model_dump(exclude_unset=True).items():
        if value is not None and getattr(j, field) != value:
            changes[field] = [getattr(j, field), value]
            setattr(j, field, value)
    if changes:
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="jurisdiction.update",
                     entity_type="jurisdiction", entity_key=j.code, scope_path=j.path,
                     detail=changes)


def create_jurisdiction(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, data: JurisdictionIn
) -> JurisdictionOut:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        if s.scalar(select(Jurisdiction.id).where(Jurisdiction.code == data.code)):
            raise ValidationFailed([FieldError("code", f"{data.code!r} is already used")])
        j, _ = put_jurisdiction(s, principal=principal, data=data, now=clock.now())
        return jurisdiction_out(j)


def update_jurisdiction(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, code: str, patch: JurisdictionPatch
) -> JurisdictionOut:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        j = visible_jurisdiction(s, principal.scope, code)
        if not rules.may_create_jurisdiction(principal.scope, parent_path=j.path):
            raise Forbidden("you may read this jurisdiction but not change it")
        _apply_jurisdiction_patch(s, principal, j, patch, clock.now())
        return jurisdiction_out(j)
