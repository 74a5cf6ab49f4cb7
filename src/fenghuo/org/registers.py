"""Use cases of the registers hung on bodies: contacts (7×24 channels), networks and information
systems (Plan annex 2) and experts (Plan §7.3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import rules, scoping
from fenghuo.org.models import Body, Contact, Expert, InfoSystem
from fenghuo.org.rules import BodyKind, Channel, Permission
from fenghuo.org.schemas import (
    ContactIn,
    ContactOut,
    ExpertIn,
    ExpertOut,
    SystemIn,
    SystemOut,
    SystemPatch,
)
from fenghuo.org.service import require, visible_body

# --- contacts ---------------------------------------------------------------------------------


def contact_out(c: Contact, body_key: str) -> ContactOut:
    return ContactOut(id=c.id, body=body_key, name=c.name, title=c.title,
                      channel=Channel(c.channel), value=c.value, is_24x7=c.is_24x7,
                      priority=c.priority, signed=bool(c.secret))


def put_contact(
    s: Session, *, principal: Principal | None, body: Body, data: ContactIn, now: datetime
) -> tuple[Contact, bool]:
    """Add a contact, or update the one with the same channel and value."""
    problem = rules.contact_value_problem(data.channel, data.value)
    if problem:
        raise ValidationFailed([FieldError("value", problem)])
    value = data.value.strip()
    c = s.scalar(select(Contact).where(Contact.body_id == body.id,
                                       Contact.channel == data.channel.value,
                                       Contact.value == value))
    created = c is None
    if c is None:
        c = Contact(body_id=body.id, channel=data.channel.value, value=value, created_at=now)
        s.add(c)
    before = (c.name, c.title, c.is_24x7, c.priority, c.secret)
    c.name, c.title, c.is_24x7, c.priority = data.name, data.title, data.is_24x7, data.priority
    if data.secret is not None:
        c.secret = data.secret
    if created or before != (c.name, c.title, c.is_24x7, c.priority, c.secret):
        audit.record(s, at=now, actor=audit.Actor.of(principal),
                     action="contact.create" if created else "contact.update",
                     entity_type="contact", entity_key=f"{body.key}/{data.channel.value}/{value}",
                     scope_path=body.jurisdiction.path,
                     detail=data.model_dump(mode="json", exclude={"secret"}))
    return c, created


def list_contacts(uow: UnitOfWork, *, principal: Principal, body: str) -> list[ContactOut]:
    require(principal, Permission.ORG_READ)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        rows = s.scalars(select(Contact).where(Contact.body_id == b.id)
                         .order_by(Contact.priority, Contact.id))
        return [contact_out(c, b.key) for c in rows]


def add_contact(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, body: str, data: ContactIn
) -> ContactOut:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        c, _ = put_contact(s, principal=principal, body=b, data=data, now=clock.now())
        s.flush()
        return contact_out(c, b.key)


def delete_contact(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, body: str, contact_id: int
) -> None:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        c = s.scalar(select(Contact).where(Contact.id == contact_id, Contact.body_id == b.id))
        if c is None:
            raise NotFound(f"no contact {contact_id} on {body!r}")
        s.delete(c)
        audit.record(s, at=clock.now(), actor=audit.Actor.of(principal), action="contact.delete",
                     entity_type="contact", entity_key=f"{b.key}/{c.channel}/{c.value}",
                     scope_path=b.jurisdiction.path, detail={"name": c.name})


# --- networks and information systems (Plan annex 2) ------------------------------------------


def system_out(x: InfoSystem, body_key: str) -> SystemOut:
    return SystemOut(id=x.id, body=body_key, key=x.key, name_zh=x.name_zh, name_en=x.name_en,
                     important=x.important, description=x.description)


def _system_writer(principal: Principal, body: Body) -> None:
    """Administrators in scope, and an operator's own reporters, keep its register."""
    if BodyKind(body.kind) not in rules.SYSTEM_OWNER_KINDS:
        raise ValidationFailed([FieldError("body", "only operator units register systems")])
    if rules.has_permission(principal.roles, Permission.ORG_WRITE):
        return
    if body.id != principal.body_id:
        raise Forbidden("you may keep only your own unit's register of systems")


def put_system(
    s: Session, *, principal: Principal | None, body: Body, data: SystemIn, now: datetime
) -> tuple[InfoSystem, bool]:
    x = s.scalar(select(InfoSystem).where(InfoSystem.body_id == body.id,
                                          InfoSystem.key == data.key))
    created = x is None
    if x is None:
        x = InfoSystem(body_id=body.id, key=data.key, created_at=now)
        s.add(x)
    before = {} if created else {"name_zh": x.name_zh, "name_en": x.name_en,
                                 "important": x.important, "description": x.description}
    x.name_zh, x.name_en, x.important = data.name_zh, data.name_en, data.important
    x.description, x.updated_at = data.description, now
    after = data.model_dump(exclude={"key"})
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        audit.record(s, at=now, actor=audit.Actor.of(principal),
                     action="system.create" if created else "system.update", entity_type="system",
                     entity_key=f"{body.key}/{data.key}", scope_path=body.jurisdiction.path,
                     detail=changes)
    return x, created


def list_systems(uow: UnitOfWork, *, principal: Principal, body: str) -> list[SystemOut]:
    require(principal, Permission.ORG_READ)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        rows = s.scalars(select(InfoSystem).where(InfoSystem.body_id == b.id)
                         .order_by(InfoSystem.key))
        return [system_out(x, b.key) for x in rows]


def add_system(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, body: str, data: SystemIn
) -> SystemOut:
    require(principal, Permission.SYSTEM_WRITE)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        _system_writer(principal, b)
        if s.scalar(select(InfoSystem.id).where(InfoSystem.body_id == b.id,
                                                InfoSystem.key == data.key)):
            raise ValidationFailed([FieldError("key", f"{data.key!r} is already registered")])
        x, _ = put_system(s, principal=principal, body=b, data=data, now=clock.now())
        s.flush()
        return system_out(x, b.key)


def update_system(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, body: str, key: str,
    patch: SystemPatch,
) -> SystemOut:
    require(principal, Permission.SYSTEM_WRITE)
    with uow() as s:
        b = visible_body(s, principal.scope, body)
        x = s.scalar(select(InfoSystem).where(InfoSystem.body_id == b.id, InfoSystem.key == key))
        if x is None:
            raise NotFound(f"no system {key!r} on {body!r}")
        _system_writer(principal, b)
        current = SystemIn(key=x.key, name_zh=x.name_zh, name_en=x.name_en,
                           important=x.important, description=x.description)
        merged = current.model_copy(update=patch.model_dump(exclude_unset=True))
        x, _ = put_system(s, principal=principal, body=b, data=merged, now=clock.now())
        return system_out(x, b.key)


# --- experts (Plan §7.3) ----------------------------------------------------------------------


def expert_out(e: Expert, body_key: str) -> ExpertOut:
    return ExpertOut(id=e.id, key=e.key, body=body_key, name=e.name,
                     specialties=[x for x in e.specialties.split("\n") if x],
                     phone=e.phone, email=e.email, active=e.active)


def put_expert(
    s: Session, *, principal: Principal | None, data: ExpertIn, now: datetime
) -> tuple[Expert, bool]:
    stmt = select(Body).where(Body.key == data.body)
    if principal:
        stmt = stmt.where(scoping.visible_bodies(principal.scope))
    body = s.scalar(stmt)
    if body is None:
        raise ValidationFailed([FieldError("body", f"no body {data.body!r}")])
    if data.email and rules.contact_value_problem(Channel.EMAIL, data.email):
        raise ValidationFailed([FieldError("email", "not a valid email address")])
    e = s.scalar(select(Expert).where(Expert.key == data.key))
    created = e is None
    if e is None:
        e = Expert(key=data.key, created_at=now)
        s.add(e)
    before = (e.body_id, e.name, e.specialties, e.phone, e.email, e.active)
    e.body_id, e.name, e.specialties = body.id, data.name, "\n".join(data.specialties)
    e.phone, e.email, e.active = data.phone, data.email, data.active
    if created or before != (e.body_id, e.name, e.specialties, e.phone, e.email, e.active):
        audit.record(s, at=now, actor=audit.Actor.of(principal),
                     action="expert.create" if created else "expert.update",
                     entity_type="expert", entity_key=data.key, scope_path=body.jurisdiction.path,
                     detail=data.model_dump(mode="json"))
    return e, created


def list_experts(
    uow: UnitOfWork, *, principal: Principal, page: PageParams, specialty: str | None = None
) -> Page[ExpertOut]:
    require(principal, Permission.ORG_READ)
    stmt = select(Expert, Body.key).join(Body, Body.id == Expert.body_id).where(
        scoping.visible_bodies(principal.scope))
    if specialty:
        stmt = stmt.where(Expert.specialties.like(f"%{specialty}%"))
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=Expert.key,
                          convert=lambda row: expert_out(row[0], row[1]))


def create_expert(
    uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ExpertIn
) -> ExpertOut:
    require(principal, Permission.ORG_WRITE)
    with uow() as s:
        if s.scalar(select(Expert.id).where(Expert.key == data.key)):
            raise ValidationFailed([FieldError("key", f"{data.key!r} is already used")])
        e, _ = put_expert(s, principal=principal, data=data, now=clock.now())
        s.flush()
        return expert_out(e, data.body)
