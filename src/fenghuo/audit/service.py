"""Append to, list and verify the audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import checkpoints as cps
from fenghuo.audit import rules
from fenghuo.audit.models import AuditEntry, AuditHead, AuditPending
from fenghuo.common.errors import DomainError, Forbidden
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.retention.anchor import ANCHOR_ACTION, audit_anchor

HEAD_ID = 1
SYSTEM_ACTOR = "system"
#: scope of rows about the trail itself: read by national administrators only
TRAIL_SCOPE = "/"
log = structlog.get_logger()


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
    session.connection().execute(_INSERT_PENDING, _pending_row(
        at=at, actor=actor, action=action, entity_type=entity_type, entity_key=entity_key,
        scope_path=scope_path, detail=detail))


def record_many(session: Session, entries: list[dict]) -> None:
    """Append several rows (each ``record``'s keyword arguments) in one statement."""
    if entries:
        session.connection().execute(_INSERT_PENDING, [_pending_row(**e) for e in entries])


def _pending_row(*, at: datetime, actor: Actor, action: str, entity_type: str, entity_key: str,
                 scope_path: str, detail: dict | None = None) -> dict:
    return {"at": at, "actor": actor.name, "actor_user_id": actor.user_id, "action": action,
            "entity_type": entity_type, "entity_key": entity_key, "scope_path": scope_path,
            "detail": rules.canonical_detail(detail or {})}


def chain_pending(uow: UnitOfWork, *, batch: int = 2000, now: datetime | None = None) -> int:
    """Chain every committed pending row, in batches; returns how many were chained.

    The head row is locked for the batch, so concurrent chainers take turns and the chain
    never forks. A missing head row (deleted by hand: nothing in Fenghuo deletes it) is
    recreated from the last row, and a row recording that (``rules.HEAD_RECREATED``) is
    chained first, so that chaining goes on while ``verify`` keeps reporting the loss."""
    done, retried = 0, False
    while True:
        try:
            with uow() as s:
                n = _chain_batch(s, batch, now or datetime.now(UTC))
        except IntegrityError:
            if retried:  # pragma: no cover - two chainers recreating the head at once, twice
                raise
            retried = True  # another chainer recreated the head first: take turns with it
            continue
        done += n
        if n < batch:
            return done


def _lock_head(s: Session) -> tuple[int, str, bool]:
    """The head's (seq, hash), locked; recreated from the last row when it is missing (the
    third value says so)."""
    conn = s.connection()
    head = conn.execute(select(AuditHead.seq, AuditHead.hash)
                        .where(AuditHead.id == HEAD_ID).with_for_update()).one_or_none()
    if head is not None:
        return head.seq, head.hash, False
    last = conn.execute(select(AuditEntry.seq, AuditEntry.hash)
                        .order_by(AuditEntry.seq.desc()).limit(1)).one_or_none()
    seq, prev = (last.seq, last.hash) if last else (0, rules.GENESIS)
    conn.execute(insert(AuditHead).values(id=HEAD_ID, seq=seq, hash=prev))
    log.error("audit head row missing: recreated from the last row and recorded in the chain",
              last_seq=seq)
    return seq, prev, True


def _chain_batch(s: Session, batch: int, now: datetime) -> int:
    conn = s.connection()
    seq, prev, recreated = _lock_head(s)
    pending = conn.execute(select(AuditPending.__table__).order_by(AuditPending.id)
                           .limit(batch)).all()
    if not pending and not recreated:
        return 0
    marker = [rules.Link(seq=0, at=now, actor=SYSTEM_ACTOR, actor_user_id=None,
                         action=rules.HEAD_RECREATED, entity_type="audit", entity_key="head",
                         scope_path=TRAIL_SCOPE,
                         detail=rules.canonical_detail({"last_seq": seq, "last_hash": prev}),
                         prev_hash="")] if recreated else []
    rows = []
    for p in [*marker, *pending]:
        seq += 1
        link = rules.Link(seq=seq, at=p.at, actor=p.actor, actor_user_id=p.actor_user_id,
                          action=p.action, entity_type=p.entity_type, entity_key=p.entity_key,
                          scope_path=p.scope_path, detail=p.detail, prev_hash=prev)
        prev = rules.link_hash(link)
        rows.append({**link.__dict__, "hash": prev})
    conn.execute(_INSERT_CHAINED, rows)
    if pending:
        conn.execute(delete(AuditPending).where(AuditPending.id.in_([p.id for p in pending])))
    conn.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=seq, hash=prev))
    return len(rows)


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
    #: what was not checked, or checked with less certainty (no checkpoints file, no key,
    #: unsigned checkpoints)
    warnings: list[str] = field(default_factory=list)
    #: lines of the checkpoints file compared with the chain
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(uow: UnitOfWork, *, batch: int = 5000, progress=None,  # noqa: ANN001
           checkpoints: cps.CheckpointConfig | None = None) -> VerifyResult:
    """Chain what is pending, then walk the whole chain in order, in batches, and report every
    break; with ``checkpoints``, also compare the chain with every checkpoint in the file
    (``rules.check_checkpoints``). Never fails on a missing head row: that is a break."""
    warnings: list[str] = []
    try:
        chain_pending(uow)
    except Exception as exc:  # noqa: BLE001 - verify what is chained and say what was not
        log.exception("audit chaining failed before verify")
        warnings.append(f"pending rows could not be chained ({type(exc).__name__}: {exc}); "
                        "only rows already chained were checked")
    lines: list[rules.CheckpointLine] = []
    if checkpoints is not None:
        lines, more = cps.read_lines(checkpoints)
        warnings += more
    wanted = {ln.checkpoint.seq for ln in lines if ln.checkpoint is not None}
    row_hashes: dict[int, str] = {}
    with uow() as s:
        start_seq, start_hash = audit_anchor(s)
        last_seq = start_seq  # rows at or below it were purged (or are left by a cut purge)
        head = s.get(AuditHead, HEAD_ID)
        head_seq, head_hash = (head.seq, head.hash) if head else (None, None)
        total = s.scalar(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.seq > start_seq)) or 0
        anchor_breaks = _unconfirmed_anchor(s, start_seq, start_hash)

        def rows():
            nonlocal last_seq
            while True:
                chunk = s.scalars(
                    select(AuditEntry).where(AuditEntry.seq > last_seq)
                    .order_by(AuditEntry.seq).limit(batch)
                ).all()
                if not chunk:
                    return
                for e in chunk:
                    if e.seq in wanted:
                        row_hashes[e.seq] = e.hash
                    yield _as_link(e), e.hash
                last_seq = chunk[-1].seq
                if progress:
                    progress(len(chunk), total)
                s.expunge_all()

        breaks = anchor_breaks + rules.verify_chain(
            rows(), head_seq=head_seq, head_hash=head_hash, start_seq=start_seq,
            start_hash=start_hash)
    findings, more = rules.check_checkpoints(
        lines, head_seq=last_seq if head_seq is None else head_seq, row_hashes=row_hashes,
        start_seq=start_seq, start_hash=start_hash)
    breaks += [rules.Break(f.seq, f"{f.checkpoint}: {f.problem}", f.checkpoint)
               for f in findings]
    return VerifyResult(rows=total, breaks=breaks, warnings=warnings + more,
                        checkpoints=len(lines))


@dataclass(frozen=True)
class Written:
    checkpoint: rules.Checkpoint
    line: str
    signed: bool
    #: None: no second party configured; else whether the POST was taken
    posted: bool | None
    #: why it was not posted, and what the last checkpoint says against the chain
    problems: list[str]


def write_checkpoint(uow: UnitOfWork, *, now: datetime,
                     config: cps.CheckpointConfig) -> Written:
    """Chain what is pending and write a checkpoint of the head: appended to the file (signed
    when a signing key is configured, else unsigned with a warning in the log) and POSTed to
    the second party when one is configured. Before writing, the head is compared with the last
    checkpoint in the file (cheap: one row), and a contradiction is logged as an error: the
    tampering shows within a checkpoint interval, not only at the next full ``verify``."""
    chain_pending(uow, now=now)
    signer = config.signer()
    with uow() as s:
        head = s.get(AuditHead, HEAD_ID)
        if head is None:  # deleted between chaining and now
            raise DomainError(f"{rules.HEAD_MISSING}: no checkpoint written")
        cp = rules.Checkpoint(seq=head.seq, hash=head.hash, at=now,
                              count=s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
        problems = _against_last(s, config, head.seq)
    for p in problems:
        log.error("audit chain contradicts the last checkpoint", problem=p)
    if signer is None:
        log.warning("audit checkpoint written UNSIGNED: set FENGHUO_AUDIT_SIGNING_KEY "
                    "(fenghuo audit keygen PATH) so that it cannot be forged",
                    file=str(config.file))
    line = cps.line_of(cp, signer)
    cps.append(config, line)
    posted = None
    if config.url:
        try:
            cps.post(config, line)
            posted = True
        except DomainError as exc:
            log.warning("audit checkpoint not posted; it is in the file", error=exc.detail)
            problems.append(exc.detail)
            posted = False
    return Written(cp, line, signer is not None, posted, problems)


def _unconfirmed_anchor(s: Session, start_seq: int, start_hash: str) -> list[rules.Break]:
    """A purge point that the chain itself does not record is a break: the purge writes a
    ``retention.audit_anchor`` row in the same transaction as the point, so a prefix deleted by
    hand and the anchor table edited to match can only pass by rewriting the chain after it,
    which a checkpoint catches."""
    if not start_seq:
        return []
    detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == ANCHOR_ACTION,
                                                      AuditEntry.seq > start_seq)
                      .order_by(AuditEntry.seq.desc()).limit(1))
    if detail is not None and json.loads(detail) == {"seq": start_seq, "hash": start_hash}:
        return []
    return [rules.Break(start_seq, f"purge point (row {start_seq}) is not the one the chain "
                        "recorded: rows deleted from the start, or the purge table edited")]


def _against_last(s: Session, config: cps.CheckpointConfig, head_seq: int) -> list[str]:
    try:
        lines, _ = cps.read_lines(config)
    except DomainError as exc:
        return [exc.detail]
    usable = [ln for ln in lines if ln.checkpoint is not None and ln.signature != "bad"]
    if not usable:
        return []
    last = usable[-1]
    stored = s.scalar(select(AuditEntry.hash).where(AuditEntry.seq == last.checkpoint.seq))
    findings, _ = rules.check_checkpoints(
        [last], head_seq=head_seq,
        row_hashes={} if stored is None else {last.checkpoint.seq: stored})
    return [f"{f.checkpoint}: {f.problem}" for f in findings]


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
    q = select(AuditEntry)
    if not scope.is_national:  # national administrators also see rows about the trail itself
        q = q.where(AuditEntry.scope_path.startswith(scope.jurisdiction_path))
    if entity_type:
        q = q.where(AuditEntry.entity_type == entity_type)
    if entity_key:
        q = q.where(AuditEntry.entity_key == entity_key)
    chain_pending(uow)
    with uow() as s:
        return fetch_page(s, q, page, order_by=AuditEntry.seq.desc(), convert=lambda e: AuditView(
            e.seq, e.at, e.actor, e.action, e.entity_type, e.entity_key, e.detail, e.hash))
