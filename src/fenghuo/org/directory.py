"""An in-process snapshot of the organization facts the report hot path needs: the bodies that
may receive a report (offices, departments, bodies with a routing function) and their
deliverable contacts.

Intake reads it instead of querying the tree for every report. Every transaction that changes
an organization table also changes the token in the one-row ``org_version`` table (a
``before_flush`` hook in org.models), and a reader compares that token, fetched in the same
round trip as its other lookups, with the snapshot's; a stale snapshot is reloaded. Several
server processes therefore never route with an old tree.

Deliverable contacts are those on the channels in ``rules.DELIVERABLE_CHANNELS``. When the
deployment texts phones (an SMS gateway is configured and ``FENGHUO_SMS_FOR_PHONE`` is on; the
session's ``info`` says so, see bootstrap), a body with no deliverable contact at all is reached
by SMS at the Chinese mobile numbers among its phone contacts, at their priorities: a phone-only
body becomes reachable, and every body that was reachable before is reached as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
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
    #: body id → its deliverable contacts (email, webhook, robots, SMS)
    contacts: dict[int, tuple[ContactRef, ...]] = field(default_factory=dict)


_RECEIVER_KINDS = (BodyKind.OFFICE.value, BodyKind.DEPARTMENT.value)
#: ``Session.info`` key: whether phone-only bodies are texted (set from the settings)
TEXTS_PHONES = "fenghuo.texts_phones"
MAX_DATABASES = 8
_cache: dict[str, Snapshot] = {}
_lock = threading.Lock()


def snapshot(s: Session, token: str) -> Snapshot:
    """The snapshot for ``token`` (as read in the caller's transaction), loaded if stale."""
    key = f"{s.get_bind().url}|texts_phones={texts_phones(s)}"
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
    texts = texts_phones(s)
    rows = s.execute(select(Contact.id, Contact.body_id, Contact.channel, Contact.value,
                            Contact.priority)
                     .where(Contact.body_id.in_(ids), Contact.channel.in_(_channels(texts)))
                     .order_by(Contact.priority, Contact.id)).all()
    return Snapshot(token=token, bodies=refs,
                    receivers={j: tuple(v) for j, v in receivers.items()},
                    contacts=_reachable(rows))


def texts_phones(s: Session) -> bool:
    """Whether this deployment texts phone-only bodies (``TEXTS_PHONES`` in the session info)."""
    return bool(s.info.get(TEXTS_PHONES))


def _channels(texts: bool) -> list[str]:
    channels = sorted(c.value for c in rules.DELIVERABLE_CHANNELS)
    return [*channels, rules.Channel.PHONE.value] if texts else channels


def _reachable(rows: Iterable) -> dict[int, tuple[ContactRef, ...]]:
    """Contact rows, most urgent first, as each body's deliverable contacts; phone rows (read
    only when phones are texted) count for a body without any other, as SMS to its Chinese
    mobile numbers (a landline takes no SMS)."""
    out: dict[int, list[ContactRef]] = {}
    texted: dict[int, list[ContactRef]] = {}
    for c in rows:
        if c.channel != rules.Channel.PHONE.value:
            out.setdefault(c.body_id, []).append(
                ContactRef(c.id, c.body_id, c.channel, c.value, c.priority))
        elif number := rules.cn_mobile_number(c.value):
            texted.setdefault(c.body_id, []).append(
                ContactRef(c.id, c.body_id, rules.Channel.SMS.value, number, c.priority))
    for body_id, refs in texted.items():
        out.setdefault(body_id, refs)
    return {b: tuple(v) for b, v in out.items()}


def current(s: Session) -> Snapshot:
    """The snapshot as of the caller's transaction (one small read, a reload if stale)."""
    return snapshot(s, s.scalar(select(OrgVersion.token).where(OrgVersion.id == ORG_VERSION_ID)))


CONTACT_BATCH = 2_000  # ids per query (SQLite binds at most 32,766 parameters)


def contacts_of(s: Session, body_ids: Iterable[int]) -> dict[int, tuple[ContactRef, ...]]:
    """The deliverable contacts of any bodies, units among them (the snapshot holds only the
    receiving bodies), most urgent first."""
    ids = sorted(set(body_ids))
    rows: list = []
    channels = _channels(texts_phones(s))
    for i in range(0, len(ids), CONTACT_BATCH):
        rows += s.execute(select(Contact.id, Contact.body_id, Contact.channel, Contact.value,
                                 Contact.priority)
                          .where(Contact.body_id.in_(ids[i:i + CONTACT_BATCH]),
                                 Contact.channel.in_(channels))
                          .order_by(Contact.priority, Contact.id)).all()
    return _reachable(rows)
