"""An in-process snapshot of the organization facts the report hot path needs: the bodies that
may receive a report (offices, departments, bodies with a routing function) and their
deliverable contacts.

Intake reads it instead of querying the tree for every report. Every transaction that changes
an organization table also changes the token in the one-row ``org_version`` table (a
``before_flush`` hook in org.models), and a reader compares that token, fetched in the same
round trip as its other lookups, with the snapshot's; a stale snapshot is reloaded. Several
server processes therefore never route with an old tree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.org import rules
from fenghuo.org.models import ORG_VERSION_ID, Body, BodySector, Contact, OrgVersion
from fenghuo.org.rules import BodyFunction, BodyKind


def version_token():  # noqa: ANN201 - a scalar subquery to put beside other lookups
    return select(OrgVersion.token).where(OrgVersion.id == ORG_VERSION_ID).scalar_subquery()


@dataclass(frozen=True)
class BodyRef:
    id: int
    key: str
    kind: BodyKind
    name_zh: str
    name_en: str
    jurisdiction_id: int
    sectors: frozenset[str]
    function: BodyFunction | None


@dataclass(frozen=True)
class ContactRef:
    id: int
    body_id: int
    channel: str
    value: str
    priority: int = 100


@dataclass(frozen=True)
class Snapshot:
    token: str
    #: active bodies that may receive a report, by id
    bodies: dict[int, BodyRef] = field(default_factory=dict)
    #: jurisdiction id → those bodies there
    receivers: dict[int, tuple[BodyRef, ...]] = field(default_factory=dict)
    #: body id → its deliverable contacts (email, webhook, robots)
    contacts: dict[int, tuple[ContactRef, ...]] = field(default_factory=dict)


_RECEIVER_KINDS = (BodyKind.OFFICE.value, BodyKind.DEPARTMENT.value)
MAX_DATABASES = 8
_cache: dict[str, Snapshot] = {}
_lock = threading.Lock()


def snapshot(s: Session, token: str) -> Snapshot:
    """The snapshot for ``token`` (as read in the caller's transaction), loaded if stale."""
    key = str(s.get_bind().url)
    current = _cache.get(key)
    if current is not None and current.token == token:
        return current
    with _lock:
        current = _cache.get(key)  # another thread may have reloaded it meanwhile
        if current is not None and current.token == token:
            return current
        fresh = _load(s, token)
        if len(_cache) >= MAX_DATABASES and key not in _cache:
            _cache.clear()  # a server has one database; tests and tools may open many
        _cache[key] = fresh
        return fresh


def _load(s: Session, token: str) -> Snapshot:
    bodies = s.execute(select(Body.id, Body.key, Body.kind, Body.name_zh, Body.name_en,
                              Body.jurisdiction_id, Body.function).where(
        Body.active.is_(True),
        Body.kind.in_(_RECEIVER_KINDS) | Body.function.is_not(None))).all()
    ids = [b.id for b in bodies]
    sectors: dict[int, set[str]] = {}
    for body_id, code in s.execute(select(BodySector.body_id, BodySector.sector_code)
                                   .where(BodySector.body_id.in_(ids))):
        sectors.setdefault(body_id, set()).add(code)
    refs = {b.id: BodyRef(b.id, b.key, BodyKind(b.kind), b.name_zh, b.name_en,
                          b.jurisdiction_id, frozenset(sectors.get(b.id, ())),
                          BodyFunction(b.function) if b.function else None) for b in bodies}
    receivers: dict[int, list[BodyRef]] = {}
    for ref in refs.values():
        receivers.setdefault(ref.jurisdiction_id, []).append(ref)
    contacts: dict[int, list[ContactRef]] = {}
    channels = [c.value for c in rules.DELIVERABLE_CHANNELS]
    for c in s.execute(select(Contact.id, Contact.body_id, Contact.channel, Contact.value,
                              Contact.priority)
                       .where(Contact.body_id.in_(ids), Contact.channel.in_(channels))
                       .order_by(Contact.priority, Contact.id)):
        contacts.setdefault(c.body_id, []).append(
            ContactRef(c.id, c.body_id, c.channel, c.value, c.priority))
    return Snapshot(token=token, bodies=refs,
                    receivers={j: tuple(v) for j, v in receivers.items()},
                    contacts={b: tuple(v) for b, v in contacts.items()})


def current(s: Session) -> Snapshot:
    """The snapshot as of the caller's transaction (one small read, a reload if stale)."""
    return snapshot(s, s.scalar(select(OrgVersion.token).where(OrgVersion.id == ORG_VERSION_ID)))
