"""Use cases of the constituency register (item 1): a unit registers its networks, an office
its jurisdiction's address space; lookups say where an address, domain or AS would land.

Scope (Law art. 30): a unit sees and edits its own entries, an office those of the bodies in
its jurisdiction. Every change is audited and bumps the register version, so attribution
indexes in every process rebuild.
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import constituency as c
from fenghuo.monitoring.models import ConstituencyEntry, RegisterVersion
from fenghuo.monitoring.schemas import EntryIn, EntryOut, ImportResult, LookupOut
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import require, visible_body

#: bodies that may register a jurisdiction's address space: the province monitors its region,
#: a sector regulator guides its sector (Plan §3.2), CNCERT branches work for their province
JURISDICTION_HOLDERS = {BodyKind.OFFICE, BodyKind.CERT, BodyKind.DEPARTMENT}
REGISTER_VERSION_ID = 1


def entry_out(e: ConstituencyEntry, body: Body) -> EntryOut:
    return EntryOut(id=e.id, body=body.key, body_name_zh=body.name_zh, body_name_en=body.name_en,
                    kind=c.EntryKind(e.kind), value=e.value, role=c.Role(e.role),
                    verified_by=e.verified_by, verified_at=e.verified_at, note=e.note,
                    created_by=e.created_by, updated_at=e.updated_at)


def _bump(s: Session) -> None:
    token = uuid.uuid4().hex
    done = s.execute(update(RegisterVersion).where(RegisterVersion.id == REGISTER_VERSION_ID)
                     .values(token=token)).rowcount
    if not done:
        s.add(RegisterVersion(id=REGISTER_VERSION_ID, token=token))


def _checked(s: Session, principal: Principal, data: EntryIn, where: str) -> tuple[Body, str]:
    """The holding body and the canonical value, or ValidationFailed naming the field."""
    try:
        body = visible_body(s, principal.scope, data.body)
    except NotFound as exc:
        raise ValidationFailed([FieldError(f"{where}body", str(exc))]) from None
    try:
        value = c.canonical(data.kind, data.value)
    except ValueError as exc:
        raise ValidationFailed([FieldError(f"{where}value", str(exc))]) from None
    if data.role is c.Role.JURISDICTION and BodyKind(body.kind) not in JURISDICTION_HOLDERS:
        raise ValidationFailed([FieldError(
            f"{where}role", "only an office, a CERT or a department registers a jurisdiction's "
            f"address space; {body.key} is a {body.kind}")])
    return body, value


def _put(s: Session, principal: Principal, data: EntryIn, now: datetime,
         where: str = "") -> tuple[ConstituencyEntry, Body, str]:
    body, value = _checked(s, principal, data, where)
    entry = s.scalar(select(ConstituencyEntry).where(
        ConstituencyEntry.kind == data.kind.value, ConstituencyEntry.value == value,
        ConstituencyEntry.role == data.role.value))
    if entry is not None and entry.body_id != body.id:
        holder = s.get(Body, entry.body_id)
        raise Conflict(f"{data.kind.value} {value} is already registered to "
                       f"{holder.key if holder else entry.body_id} as {data.role.value}")
    fields = {"verified_by": data.verified_by, "verified_at": data.verified_at,
              "note": data.note}
    if entry is None:
        entry = ConstituencyEntry(body_id=body.id, kind=data.kind.value, value=value,
                                  role=data.role.value, created_by=principal.username,
                                  created_at=now, updated_at=now, **fields)
        s.add(entry)
        outcome = "created"
    elif any(getattr(entry, k) != v for k, v in fields.items()):
        for k, v in fields.items():
            setattr(entry, k, v)
        entry.updated_at = now
        outcome = "updated"
    else:
        return entry, body, "unchanged"
    s.flush()
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=f"register.{outcome}",
                 entity_type="constituency_entry", entity_key=f"{entry.kind}:{value}",
                 scope_path=body.jurisdiction.path,
                 detail={"body": body.key, "role": entry.role, **{
                     k: (v.isoformat() if isinstance(v, datetime) else v)
                     for k, v in fields.items()}})
    _bump(s)
    return entry, body, outcome


def put_entry(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: EntryIn) -> EntryOut:
    """Register (or update the verification of) one network."""
    require(principal, Permission.REGISTER_WRITE)
    with uow() as s:
        entry, body, _ = _put(s, principal, data, clock.now())
        return entry_out(entry, body)


def import_entries(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                   rows: list[EntryIn]) -> ImportResult:
    """All rows or none: the first bad row is reported with its number and field."""
    require(principal, Permission.REGISTER_WRITE)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    now = clock.now()
    with uow() as s:
        for i, row in enumerate(rows, 1):
            try:
                _, _, outcome = _put(s, principal, row, now, where="")
            except ValidationFailed as exc:
                raise ValidationFailed([FieldError(e.field, e.message, row=i)
                                        for e in exc.errors]) from None
            except Conflict as exc:
                raise ValidationFailed([FieldError("value", str(exc), row=i)]) from None
            counts[outcome] += 1
    return ImportResult(**counts)


def _visible_entries(principal: Principal):  # noqa: ANN202 - a Select
    return (select(ConstituencyEntry, Body).join(Body, Body.id == ConstituencyEntry.body_id)
            .where(scoping.visible_bodies(principal.scope)))


def list_entries(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                 body: str | None = None, kind: c.EntryKind | None = None,
                 q: str | None = None) -> Page[EntryOut]:
    """Entries in scope; ``q`` keeps those whose value starts with it (``61.135.``,
    ``AS4808``, ``example.com``)."""
    require(principal, Permission.ORG_READ)
    query = _visible_entries(principal)
    if q and q.strip():
        text = q.strip().lower()
        text = text[2:] if text.startswith("as") and text[2:].isdigit() else text  # AS4808
        query = query.where(ConstituencyEntry.value.startswith(text, autoescape=True))
    if body:
        query = query.where(Body.key == body)
    if kind:
        query = query.where(ConstituencyEntry.kind == kind.value)
    with uow() as s:
        return fetch_page(s, query, page, order_by=ConstituencyEntry.id,
                          convert=lambda row: entry_out(row[0], row[1]))


def delete_entry(uow: UnitOfWork, clock: Clock, *, principal: Principal, entry_id: int) -> None:
    require(principal, Permission.REGISTER_WRITE)
    with uow() as s:
        row = s.execute(_visible_entries(principal).where(ConstituencyEntry.id == entry_id)).first()
        if row is None:
            raise NotFound(f"no register entry {entry_id}")
        entry, body = row
        s.delete(entry)
        audit.record(s, at=clock.now(), actor=audit.Actor.of(principal), action="register.delete",
                     entity_type="constituency_entry", entity_key=f"{entry.kind}:{entry.value}",
                     scope_path=body.jurisdiction.path, detail={"body": body.key})
        _bump(s)


# --- the attribution index, cached per process --------------------------------------------------

_cache: dict[str, tuple[str, c.AttributionIndex]] = {}
_cache_lock = threading.Lock()


def version(s: Session) -> str:
    """The register's current token ("" before its first change)."""
    return s.scalar(select(RegisterVersion.token).where(
        RegisterVersion.id == REGISTER_VERSION_ID)) or ""


def index(s: Session) -> c.AttributionIndex:
    """The attribution index of the register as of ``s``, rebuilt when the version moved."""
    key = str(s.get_bind().url)
    current = version(s)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == current:
            return cached[1]
    rows = s.execute(select(ConstituencyEntry.kind, ConstituencyEntry.value,
                            ConstituencyEntry.role, ConstituencyEntry.body_id)).all()
    built = c.AttributionIndex(c.Entry(c.EntryKind(k), v, c.Role(r), b) for k, v, r, b in rows)
    with _cache_lock:
        _cache[key] = (current, built)
    return built


def lookup(uow: UnitOfWork, *, principal: Principal, query: str) -> LookupOut:
    """Where ``query`` (an address, a domain or ``AS<n>``) would be attributed."""
    require(principal, Permission.MONITORING_READ)
    text = query.strip()
    with uow() as s:
        ix = index(s)
        if text.upper().startswith("AS") and text[2:].isdigit():
            found = ix.asn(int(text[2:]))
        elif ":" in text or text.replace(".", "").isdigit():
            try:
                found = ix.address(str(ipaddress.ip_address(text)))
            except ValueError:
                raise ValidationFailed([FieldError("q", "not an IP address")]) from None
        else:
            try:
                found = ix.domain(c.canonical_domain(text))
            except ValueError as exc:
                raise ValidationFailed([FieldError("q", str(exc))]) from None
        body = s.get(Body, found.body_id) if found.body_id is not None else None
        visible = body is not None and s.scalar(
            select(Body.id).where(Body.id == body.id, scoping.visible_bodies(principal.scope)))
        return LookupOut(query=text, level=found.level.value, matched=found.matched if visible
                         else None, body=body.key if visible else None,
                         body_name_zh=body.name_zh if visible else None,
                         body_name_en=body.name_en if visible else None)
