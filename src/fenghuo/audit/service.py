"""Append to, list and verify the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from fenghuo.audit import rules
from fenghuo.audit.models import AuditEntry, AuditHead, AuditPending
from fenghuo.common.errors import Forbidden
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork

HEAD_ID = 1
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Actor:
    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, principal: Principal | None) -> Actor:
        if principal is None:
            return cls(SYSTEM_ACTOR)
        return cls(principal.username, principal.user_id)


_INSERT_PENDING = insert(AuditPending.__table__)
_INSERT_CHAINED = insert(AuditEntry.__table__)


def record(
    session: Session,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_key: str,
    scope_path: str,
    detail: dict | None = None,
) -> None:
    """Append one row in the caller's transaction; it commits or rolls back with the change.

    One insert and no lock: the row is chained (numbered and hashed) shortly after it commits,
    by ``chain_pending``."""
    session.connection().execute(_INSERT_PENDING, {
        "at": at, "actor": actor.name, "actor_user_id": actor.user_id, "action": action,
        "entity_type": entity_type, "entity_key": entity_key, "scope_path": scope_path,
        "detail": rules.canonical_detail(detail or {})})


def chain_pending(uow: UnitOfWork, *, batch: int = 2000) -> int:
    """Chain every committed pending row, in batches; returns how many were chained.

    The head row is locked for the batch, so concurrent chainers take turns and the chain
    never forks."""
    done = 0
    while True:
        with uow() as s:
            n = _chain_batch(s, batch)
        done += n
        if n < batch:
            return done


def _chain_batch(s: Session, batch: int) -> int:
    conn = s.connection()
    seq, prev = conn.execute(select(AuditHead.seq, AuditHead.hash)
                             .where(AuditHead.id == HEAD_ID).with_for_update()).one()
    pending = conn.execute(select(AuditPending.__table__).order_by(AuditPending.id)
                           .limit(batch)).all()
    if not pending:
        return 0
    rows = []
    for p in pending:
        seq += 1
        link = rules.Link(seq=seq, at=p.at, actor=p.actor, actor_user_id=p.actor_user_id,
                          action=p.action, entity_type=p.entity_type, entity_key=p.entity_key,
                          scope_path=p.scope_path, detail=p.detail, prev_hash=prev)
        prev = rules.link_hash(link)
        rows.append({**link.__dict__, "hash": prev})
    conn.execute(_INSERT_CHAINED, rows)
    conn.execute(delete(AuditPending).where(AuditPending.id.in_([p.id for p in pending])))
    conn.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=seq, hash=prev))
    return len(pending)


def _as_link(e: AuditEntry) -> rules.Link:
    return rules.Link(
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        actor_user_id=e.actor_user_id,
        action=e.action,
        entity_type=e.entity_type,
        entity_key=e.entity_key,
        scope_path=e.scope_path,
        detail=e.detail,
        prev_hash=e.prev_hash,
    )


@dataclass(frozen=True)
class VerifyResult:
    rows: int
    breaks: list[rules.Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(uow: UnitOfWork, *, batch: int = 5000, progress=None) -> VerifyResult:  # noqa: ANN001
    """Chain what is pending, then walk the whole chain in order, in batches, and report every
    break."""
    chain_pending(uow)
    with uow() as s:
        head = s.get(AuditHead, HEAD_ID)
        head_seq, head_hash = (head.seq, head.hash) if head else (0, rules.GENESIS)
        total = s.scalar(select(func.count()).select_from(AuditEntry)) or 0

        def rows():
            last = 0
            while True:
                chunk = s.scalars(
                    select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq)
                    .limit(batch)
                ).all()
                if not chunk:
                    return
                for e in chunk:
                    yield _as_link(e), e.hash
                last = chunk[-1].seq
                if progress:
                    progress(len(chunk), total)
                s.expunge_all()

        breaks = rules.verify_chain(rows(), head_seq=head_seq, head_hash=head_hash)
    return VerifyResult(rows=total, breaks=breaks)


@dataclass(frozen=True)
class AuditView:
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_key: str
    detail: str
    hash: str


def list_entries(
    uow: UnitOfWork, *, scope: Scope, page: PageParams, entity_type: str | None = None,
    entity_key: str | None = None,
) -> Page[AuditView]:
    """Audit rows about objects in the caller's jurisdiction subtree (Law art. 30), newest first.

    Rows are scoped by jurisdiction only, so callers whose scope is narrower than a whole subtree
    (a department's sectors, an operator's own unit) are refused rather than shown too much.
    """
    if scope.own_body_only or scope.sectors is not None:
        raise Forbidden("the audit trail is read by administrators of an office's whole region")
    q = select(AuditEntry).where(AuditEntry.scope_path.startswith(scope.jurisdiction_path))
    if entity_type:
        q = q.where(AuditEntry.entity_type == entity_type)
    if entity_key:
        q = q.where(AuditEntry.entity_key == entity_key)
    chain_pending(uow)
    with uow() as s:
        return fetch_page(s, q, page, order_by=AuditEntry.seq.desc(), convert=lambda e: AuditView(
            e.seq, e.at, e.actor, e.action, e.entity_type, e.entity_key, e.detail, e.hash))
