"""Retention of records (issue 18 item 8; Law art. 21(3): network logs kept not less than six
months): what each kind's policy would purge (a dry run), the purge itself in small batches
(each its own short transaction, so no lock is held for long), and legal holds on incidents.

Kinds: the audit trail (a prefix of the chain only, see ``audit_prefix``; the purge point is
kept in ``retention_purges``), the HTTP access log (daily files), raw monitoring events (with
their raw and rejected lines) and finished notifications (delivered or given up).

Records tied to a held incident — its audit rows (the incident, its responses, its evidence)
and its notifications — are never purged (``rules.is_held``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, Forbidden, NotFound
from fenghuo.common.periods import day_of
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import visible_incident
from fenghuo.monitoring import store
from fenghuo.monitoring.ingest import FUTURE_SLACK
from fenghuo.monitoring.models import IngestBatch, IngestReject, RawPiece, events
from fenghuo.notify.models import OutboxMessage
from fenghuo.notify.outbox import DEAD, DELIVERED
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import BodyKind, Permission, Role
from fenghuo.org.service import require
from fenghuo.response.models import Investigation, Response
from fenghuo.retention import rules
from fenghuo.retention.anchor import ANCHOR_ACTION, audit_anchor
from fenghuo.retention.models import LegalHold, RetentionPurge
from fenghuo.retention.rules import Kind, Policy

BATCH = 1000
Progress = Callable[[Kind, int, int], None]  # kind, done so far, total


@dataclass
class KindPlan:
    kind: Kind
    days: int
    cutoff: datetime | None
    count: int = 0  # records (files for the access log) that would go
    held: int = 0  # older than the cutoff but kept by a legal hold
    note: str = ""
    planned_at: datetime | None = None


@dataclass
class PurgePlan:
    at: datetime
    kinds: list[KindPlan] = field(default_factory=list)
    held_incidents: list[str] = field(default_factory=list)

    def of(self, kind: Kind) -> KindPlan:
        return next(k for k in self.kinds if k.kind == kind)


# --- who may ----------------------------------------------------------------------------------


def _require_top_admin(principal: Principal | None) -> None:
    """The policy is the instance's: the machine's operator (no user) or an administrator of
    the top office (national scope) runs it."""
    if principal is None:
        return
    if Role.ADMINISTRATOR.value not in principal.roles or not principal.scope.is_national:
        raise Forbidden("retention is run by an administrator of the national Emergency Office")


# --- legal holds ------------------------------------------------------------------------------


def held_incident_ids(s: Session) -> set[int]:
    """Incidents whose records are kept whatever their age (``rules.is_held``): an explicit
    hold not released, a response not ended (Plan §4.2–§4.3), an investigation report not yet
    approved (Plan §5)."""
    explicit = select(LegalHold.incident_id).where(LegalHold.released_at.is_(None))
    responding = select(Response.incident_id).where(Response.state != rules.RESPONSE_ENDED)
    investigating = (select(Response.incident_id).join(Investigation,
                                                       Investigation.response_id == Response.id)
                     .where(Investigation.state != rules.INVESTIGATION_DONE))
    return set(s.scalars(explicit.union(responding, investigating)))


def _held_keys(s: Session, ids: set[int]) -> tuple[set[str], set[str]]:
    """Refs of the held incidents, and of their responses (audit rows name them)."""
    if not ids:
        return set(), set()
    refs = set(s.scalars(select(Incident.ref).where(Incident.id.in_(ids))))
    responses = set(s.scalars(select(Response.ref).where(Response.incident_id.in_(ids))))
    return refs, responses


def _audit_held(row, refs: set[str], responses: set[str]) -> bool:  # noqa: ANN001 - a row
    if row.entity_type == "incident":
        return row.entity_key in refs
    if row.entity_type == "response":
        return row.entity_key in responses
    if row.entity_type == "evidence":
        return row.entity_key.split("/", 1)[0] in refs
    return False


@dataclass(frozen=True)
class HoldView:
    incident: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None


def _office(s: Session, principal: Principal) -> Body:
    require(principal, Permission.INCIDENT_HANDLE)
    body = s.get(Body, principal.body_id)
    if body.kind != BodyKind.OFFICE.value:
        raise Forbidden("legal holds are placed and released by an office (Plan §2.2)")
    return body


def place_hold(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
               reason: str) -> HoldView:
    """Hold an incident's records against retention (Plan §4.1 evidence preserved); audited."""
    if not reason.strip():
        raise Conflict("say why the incident's records are held")
    now = clock.now()
    with uow() as s:
        body = _office(s, principal)
        incident = visible_incident(s, principal.scope, ref)
        if s.scalar(select(LegalHold.id).where(LegalHold.incident_id == incident.id,
                                               LegalHold.released_at.is_(None))):
            raise Conflict(f"incident {ref} is already held")
        hold = LegalHold(incident_id=incident.id, body_id=body.id, reason=reason.strip(),
                         placed_by=principal.username, placed_at=now)
        s.add(hold)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="retention.hold",
                     entity_type="incident", entity_key=ref,
                     scope_path=incident.jurisdiction_path, detail={"reason": hold.reason})
        return HoldView(ref, hold.reason, hold.placed_by, now, None, None)


def release_hold(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                 reason: str) -> HoldView:
    now = clock.now()
    with uow() as s:
        _office(s, principal)
        incident = visible_incident(s, principal.scope, ref)
        hold = s.scalar(select(LegalHold).where(LegalHold.incident_id == incident.id,
                                                LegalHold.released_at.is_(None)))
        if hold is None:
            raise NotFound(f"incident {ref} has no hold to release")
        hold.released_at, hold.released_by = now, principal.username
        hold.release_reason = reason.strip() or None
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="retention.release",
                     entity_type="incident", entity_key=ref,
                     scope_path=incident.jurisdiction_path, detail={"reason": reason.strip()})
        return HoldView(ref, hold.reason, hold.placed_by, hold.placed_at, now,
                        principal.username)


def list_holds(uow: UnitOfWork, *, principal: Principal | None) -> list[HoldView]:
    """Open holds on incidents in the caller's scope (every one for the operator)."""
    with uow() as s:
        q = (select(LegalHold, Incident.ref).join(Incident, Incident.id == LegalHold.incident_id)
             .where(LegalHold.released_at.is_(None)).order_by(LegalHold.placed_at))
        if principal is not None:
            q = q.where(Incident.jurisdiction_path.startswith(principal.scope.jurisdiction_path))
        return [HoldView(ref, h.reason, h.placed_by, h.placed_at, None, None)
                for h, ref in s.execute(q)]


# --- what would go ----------------------------------------------------------------------------


def plan(uow: UnitOfWork, clock: Clock, *, policy: Policy, access_log: Path | None,
         principal: Principal | None = None) -> PurgePlan:
    """What a purge would remove now, per kind (a dry run: nothing is changed)."""
    _require_top_admin(principal)
    audit.chain_pending(uow)
    now = clock.now()
    out = PurgePlan(at=now)
    with uow() as s:
        held = held_incident_ids(s)
        out.held_incidents = sorted(s.scalars(select(Incident.ref).where(Incident.id.in_(held))))
        for kind in Kind:
            kp = KindPlan(kind, policy.of(kind), rules.cutoff(now, policy.of(kind)),
                          planned_at=now)
            if kp.cutoff is not None:
                _COUNT[kind](s, kp, held, access_log)
            out.kinds.append(kp)
    return out


def _count_audit(s: Session, kp: KindPlan, held: set[int], _: Path | None) -> None:
    after = audit_anchor(s)[0]
    last, _hash = _audit_prefix_end(s, after, kp.cutoff, held, BATCH)
    kp.count = last - after
    older = s.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.seq > after, AuditEntry.at < kp.cutoff)) or 0
    kp.held = older - kp.count  # kept by a hold, or behind a held or younger row
    if kp.held:
        kp.note = "only the oldest unbroken run of the chain goes; a held row stops it"


def _audit_prefix_end(s: Session, after: int, cutoff: datetime, held: set[int],
                      batch: int) -> tuple[int, str | None]:
    """The sequence number and hash of the last row of the purgeable prefix after ``after``
    (``rules.audit_prefix``), read in batches up to the first row that stops it."""
    refs, responses = _held_keys(s, held)
    last, last_hash = after, None
    while True:
        chunk = s.execute(_audit_rows(last, None, batch)).all()
        flags = [rules.AuditRow(r.seq, r.at, _audit_held(r, refs, responses)) for r in chunk]
        end = rules.audit_prefix(flags, cutoff)
        if end:
            last, last_hash = end, next(r.hash for r in chunk if r.seq == end)
        if not chunk or end != chunk[-1].seq:
            return last, last_hash


def _audit_rows(after: int, before: datetime | None, limit: int | None = None):  # noqa: ANN202
    q = (select(AuditEntry.seq, AuditEntry.at, AuditEntry.entity_type, AuditEntry.entity_key,
                AuditEntry.hash).where(AuditEntry.seq > after).order_by(AuditEntry.seq))
    if before is not None:
        q = q.where(AuditEntry.at < before)
    return q.limit(limit) if limit else q


def _finished_notifications(cutoff: datetime, held: set[int]):  # noqa: ANN202
    when = func.coalesce(OutboxMessage.delivered_at, OutboxMessage.created_at)
    q = [OutboxMessage.state.in_((DELIVERED, DEAD)), when < cutoff]
    kept = [*q, OutboxMessage.incident_id.in_(held)] if held else None
    if held:
        q.append((OutboxMessage.incident_id.is_(None)) | (OutboxMessage.incident_id.not_in(held)))
    return q, kept


def _count_notifications(s: Session, kp: KindPlan, held: set[int], _: Path | None) -> None:
    where, kept = _finished_notifications(kp.cutoff, held)
    kp.count = s.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
    if kept:
        kp.held = s.scalar(select(func.count()).select_from(OutboxMessage).where(*kept)) or 0


def _count_events(s: Session, kp: KindPlan, held: set[int], _: Path | None) -> None:
    kp.count = s.scalar(select(func.count()).select_from(events)
                        .where(events.c.observed_at < kp.cutoff)) or 0


def access_files(path: Path) -> dict:
    """The daily files of the access log at ``path``, by day."""
    found = {}
    if not path.parent.is_dir():
        return found
    for f in path.parent.iterdir():
        day = rules.access_file_day(f.name, path.stem, path.suffix)
        if day is not None and f.is_file():
            found[day] = f
    return found


def _count_access(s: Session, kp: KindPlan, held: set[int], path: Path | None) -> None:
    if path is None:
        kp.note = "the access log is off"
        return
    kp.count = len(rules.expired_access_days(access_files(path), kp.cutoff))
    kp.note = "files, one a day"


_COUNT = {Kind.AUDIT: _count_audit, Kind.NOTIFICATIONS: _count_notifications,
          Kind.EVENTS: _count_events, Kind.ACCESS: _count_access}


# --- the purge --------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    plan: PurgePlan
    purged: dict[Kind, int] = field(default_factory=dict)


def purge(uow: UnitOfWork, clock: Clock, *, policy: Policy, access_log: Path | None,
          principal: Principal | None = None, batch: int = BATCH,
          progress: Progress | None = None) -> PurgeResult:
    """Remove what is older than the policy and not held, kind by kind, ``batch`` records per
    short transaction; record each kind's purge point and one audit row with the counts."""
    before = plan(uow, clock, policy=policy, access_log=access_log, principal=principal)
    result = PurgeResult(before)
    with uow() as s:
        held = held_incident_ids(s)
    step = progress or (lambda kind, done, total: None)
    for kp in before.kinds:
        n = 0 if kp.cutoff is None else _PURGE[kp.kind](uow, kp, held, access_log, batch, step)
        result.purged[kp.kind] = n
    _record(uow, clock, result, principal)
    return result


def _record(uow: UnitOfWork, clock: Clock, result: PurgeResult,
            principal: Principal | None) -> None:
    now = clock.now()
    with uow() as s:
        for kp in result.plan.kinds:
            row = s.get(RetentionPurge, kp.kind.value) or RetentionPurge(
                kind=kp.kind.value, total_purged=0)
            row.last_run_at, row.last_cutoff = now, kp.cutoff
            row.last_purged = result.purged[kp.kind]
            row.total_purged = (row.total_purged or 0) + row.last_purged
            s.add(row)
        root = s.scalar(select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))
                        .order_by(Jurisdiction.id).limit(1))
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="retention.purge",
                     entity_type="retention", entity_key=day_of(now).isoformat(),
                     scope_path=root or "/", detail={
                         "purged": {k.value: n for k, n in result.purged.items()},
                         "policy_days": {kp.kind.value: kp.days for kp in result.plan.kinds},
                         "cutoff": {kp.kind.value: kp.cutoff.isoformat() if kp.cutoff else None
                                    for kp in result.plan.kinds},
                         "held_incidents": result.plan.held_incidents,
                         # the purge point, inside the chain: verify may check the anchor
                         # table against the newest of these rows
                         "audit_anchor": dict(zip(("seq", "hash"), audit_anchor(s),
                                                  strict=True))})


def _purge_audit(uow: UnitOfWork, kp: KindPlan, held: set[int], _: Path | None, batch: int,
                 step: Progress) -> int:
    with uow() as s:
        after = audit_anchor(s)[0]
        last, last_hash = _audit_prefix_end(s, after, kp.cutoff, held, batch)
        if last > after:
            # the purge point first: verification skips rows at or below it, so a purge
            # interrupted between batches leaves a chain that still verifies (and the next
            # purge deletes what it left)
            row = s.get(RetentionPurge, Kind.AUDIT.value) or RetentionPurge(
                kind=Kind.AUDIT.value, last_run_at=kp.cutoff, last_purged=0, total_purged=0)
            row.last_seq, row.last_hash = last, last_hash
            s.add(row)
            root = s.scalar(select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))
                            .order_by(Jurisdiction.id).limit(1))
            audit.record(s, at=kp.planned_at, actor=audit.Actor(audit.SYSTEM_ACTOR),
                         action=ANCHOR_ACTION, entity_type="retention",
                         entity_key=str(last), scope_path=root or "/",
                         detail={"seq": last, "hash": last_hash})
    return _delete_batches(uow, lambda: select(AuditEntry.seq).where(AuditEntry.seq <= last)
                           .order_by(AuditEntry.seq), AuditEntry.seq, batch,
                           lambda done: step(Kind.AUDIT, done, kp.count))


def _delete_batches(uow: UnitOfWork, ids: Callable, column, batch: int,  # noqa: ANN001
                    tick: Callable[[int], None]) -> int:
    """Delete the rows ``ids()`` selects, ``batch`` at a time, each batch its own
    transaction."""
    done = 0
    while True:
        with uow() as s:
            chunk = list(s.scalars(ids().limit(batch)))
            if not chunk:
                return done
            s.execute(delete(column.table).where(column.in_(chunk)))
        done += len(chunk)
        tick(done)
        if len(chunk) < batch:
            return done


def _purge_notifications(uow: UnitOfWork, kp: KindPlan, held: set[int], _: Path | None,
                         batch: int, step: Progress) -> int:
    where, _kept = _finished_notifications(kp.cutoff, held)
    return _delete_batches(uow, lambda: select(OutboxMessage.id).where(*where)
                           .order_by(OutboxMessage.id), OutboxMessage.id, batch,
                           lambda done: step(Kind.NOTIFICATIONS, done, kp.count))


def _purge_events(uow: UnitOfWork, kp: KindPlan, held: set[int], _: Path | None, batch: int,
                  step: Progress) -> int:
    """Events observed before the cutoff: whole daily partitions on PostgreSQL (a quick
    catalog change each), ``batch`` rows at a time on SQLite; then the raw and rejected lines
    of the batches received before then (monitoring.housekeeping does the same hourly)."""
    done, last_day = 0, day_of(kp.cutoff)
    with uow() as s:
        postgres, days = store.is_postgres(s), store.partitions(s)
    for day in days if postgres else []:
        if day >= last_day:
            break
        with uow() as s:  # a day's partition per transaction
            store.drop_before(s, day + timedelta(days=1))
        step(Kind.EVENTS, kp.count, kp.count)
    done = kp.count if postgres else 0
    while not postgres:
        with uow() as s:
            n = store.delete_before(s, kp.cutoff, batch)
        done += n
        step(Kind.EVENTS, done, kp.count)
        if n < batch:
            break
    old = (select(IngestBatch.id).where(IngestBatch.received_at < kp.cutoff - FUTURE_SLACK)
           .order_by(IngestBatch.id))
    for table in (RawPiece.__table__, IngestReject.__table__):
        _delete_batches(uow, lambda t=table: select(t.c.batch_id).distinct().where(
            t.c.batch_id.in_(old.scalar_subquery())), table.c.batch_id, max(1, batch // 100),
            lambda done: None)
    step(Kind.EVENTS, done, kp.count)
    return done


def _purge_access(uow: UnitOfWork, kp: KindPlan, held: set[int], path: Path | None,
                  batch: int, step: Progress) -> int:
    if path is None:
        return 0
    files = access_files(path)
    done = 0
    for day in rules.expired_access_days(files, kp.cutoff):
        files[day].unlink(missing_ok=True)
        done += 1
        step(Kind.ACCESS, done, kp.count)
    return done


_PURGE = {Kind.AUDIT: _purge_audit, Kind.NOTIFICATIONS: _purge_notifications,
          Kind.EVENTS: _purge_events, Kind.ACCESS: _purge_access}


# --- the daily run ----------------------------------------------------------------------------


def ran_today(uow: UnitOfWork, clock: Clock) -> bool:
    """Whether a purge already ran today (China Standard Time), by any process."""
    with uow() as s:
        last = s.scalar(select(func.max(RetentionPurge.last_run_at)))
    return last is not None and day_of(last) == day_of(clock.now())


def settings_of(settings) -> dict:  # noqa: ANN001 - fenghuo.config.Settings
    """The policy and the access log's path from the settings, as ``plan``/``purge`` take
    them (old access log files are purged even while the log is off)."""
    return {"policy": settings.retention_policy, "access_log": settings.access_log_path}
