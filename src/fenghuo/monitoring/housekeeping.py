"""Monitoring housekeeping (items 4 and "bad input"), run by the worker about hourly and by
``fenghuo monitoring housekeep``; each part is idempotent, so running it twice changes nothing.

- **Retention** (Law art. 21: network logs kept "不少于六个月", at least six months): events
  observed before ``RETENTION_DAYS`` ago are dropped, a daily partition at a time on
  PostgreSQL; the raw lines and rejected lines of batches received before then go with them
  (such a batch can hold no younger event: ingest refuses events more than a day ahead of
  their batch). The ledger rows stay, so a very late re-delivery is still counted once.
- **Closed days indexed**: a day's partition gets its address and body indexes once the day
  is over, even when no new day's data arrived to trigger it.
- **Aggregates compacted**: the per-batch rows of each closed day of the last week are folded
  into one row per key (sums, sketch unions, first and last seen), so statistics and
  detection read a handful of rows per key instead of one per batch. Reads merge rows anyway:
  an uncompacted (older, late) day is only slower, never wrong.
- **Silent feeds**: a feed that has sent nothing for longer than its expected interval is
  flagged once (``silent_since``), audited, and its body's duty contacts are told; the flag
  clears when the feed sends again (``ingest.take_in``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.periods import day_of, start_of
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import sketch, store
from fenghuo.monitoring.ingest import FUTURE_SLACK, RETENTION_DAYS, is_silent
from fenghuo.monitoring.models import Aggregate, Feed, IngestBatch, IngestReject, RawPiece
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, due_text
from fenghuo.org import directory
from fenghuo.org.models import Body
from fenghuo.org.rules import contact_tier
from fenghuo.retention import rules as retention

COMPACT_DAYS = 7  # closed days looked at for compaction


@dataclass
class Report:
    """What one run did."""

    expired_before: date | None = None
    dropped: int = 0  # partitions (PostgreSQL) or rows (SQLite) of events
    raw_pieces: int = 0
    rejects: int = 0
    indexed: list[date] = field(default_factory=list)
    compacted: int = 0  # aggregate rows folded away
    silenced: list[str] = field(default_factory=list)  # feeds newly flagged silent


def run(uow: UnitOfWork, clock: Clock) -> Report:
    """Every part, each in its own transaction."""
    now, report = clock.now(), Report()
    today = day_of(now)
    with uow() as s:
        expire(s, today, report)
    with uow() as s:
        report.indexed = store.index_closed(s, today)
    for day in _closed_days(today):
        with uow() as s:
            report.compacted += compact(s, day)
    with uow() as s:
        report.silenced = flag_silent(s, now)
    return report


def expire(s: Session, today: date, report: Report) -> None:
    """Drop what is older than the retention period: the policy's
    (``FENGHUO_RETENTION_MONITORING_EVENTS_DAYS``, at least six months, Law art. 21(3)); 0
    keeps for ever."""
    days = s.info.get(retention.EVENTS_INFO_KEY, RETENTION_DAYS)
    if days == retention.FOREVER:
        return
    cutoff = today - timedelta(days=days)
    report.expired_before = cutoff
    report.dropped = store.drop_before(s, cutoff)
    old = select(IngestBatch.id).where(
        IngestBatch.received_at < start_of(cutoff) - FUTURE_SLACK).scalar_subquery()
    report.raw_pieces = s.execute(delete(RawPiece).where(RawPiece.batch_id.in_(old))).rowcount
    report.rejects = s.execute(delete(IngestReject).where(
        IngestReject.batch_id.in_(old))).rowcount


def _closed_days(today: date) -> list[date]:
    last = today - timedelta(days=store.OPEN_DAYS)
    return [last - timedelta(days=i) for i in range(COMPACT_DAYS)]


_KEY = ("day", "body_id", "level", "jurisdiction_path", "kind", "indicator", "severity")


def compact(s: Session, day: date) -> int:
    """Fold the day's aggregate rows into one per key; returns the rows folded away."""
    keys = [getattr(Aggregate, k) for k in _KEY]
    if s.execute(select(*keys).where(Aggregate.day == day).group_by(*keys)
                 .having(func.count() > 1).limit(1)).first() is None:
        return 0  # compact already (the common case after the first run)
    groups: dict[tuple, list[Aggregate]] = defaultdict(list)
    for row in s.scalars(select(Aggregate).where(Aggregate.day == day)):
        groups[tuple(getattr(row, k) for k in _KEY)].append(row)
    folded = 0
    for rows in groups.values():
        if len(rows) < 2:
            continue
        keep, rest = rows[0], rows[1:]
        keep.count = sum(r.count for r in rows)
        keep.hosts = sketch.encode(sketch.union([r.hosts for r in rows]))
        keep.first_seen = min(r.first_seen for r in rows)
        keep.last_seen = max(r.last_seen for r in rows)
        keep.batch_id = min(r.batch_id or 0 for r in rows) or None
        s.execute(delete(Aggregate).where(Aggregate.id.in_([r.id for r in rest])))
        folded += len(rest)
    return folded


def flag_silent(s: Session, now: datetime) -> list[str]:
    """Flag the feeds that fell silent since the last run, and tell their bodies."""
    flagged = []
    for f in s.scalars(select(Feed).where(Feed.active.is_(True), Feed.silent_since.is_(None),
                                          Feed.expected_interval_minutes.is_not(None))):
        if not is_silent(f, now):
            continue
        f.silent_since = now
        body = s.get(Body, f.body_id)
        audit.record(s, at=now, actor=audit.Actor.of(None), action="feed.silent",
                     entity_type="feed", entity_key=f.code, scope_path=body.jurisdiction.path,
                     detail={"last_received_at": f.last_received_at.isoformat()
                             if f.last_received_at else None,
                             "expected_interval_minutes": f.expected_interval_minutes})
        _tell(s, f, body, now)
        flagged.append(f.code)
    return flagged


def _tell(s: Session, f: Feed, body: Body, now: datetime) -> None:
    since = f.last_received_at.isoformat() if f.last_received_at else "never"
    last = due_text(f.last_received_at) if f.last_received_at else "从未 never"
    subject, text = compose(Notice(
        what=Words(f"数据源 {f.code}（{f.name_zh}）已超过 {f.expected_interval_minutes} "
                   f"分钟未发送数据（最后一批：{last}）",
                   f"feed {f.code} ({f.name_en}) has sent nothing for more than "
                   f"{f.expected_interval_minutes} minutes (last batch: {last})"),
        tag=Words("监测数据中断", "FEED SILENT"), ref=f.code,
        unit=Words(body.name_zh, body.name_en),
        asked=Words("检查数据源的采集和发送（fenghuo feed list）",
                    "check the feed's collection and sending (fenghuo feed list)"),
        link=f"/web/monitoring/feeds/{f.code}"))
    payload = {"event": "feed.silent", "feed": f.code, "last_received_at": since,
               "path": f"/web/monitoring/feeds/{f.code}"}
    contacts = contact_tier(directory.contacts_of(s, [body.id]).get(body.id, ()), 0)
    outbox.enqueue(s, now=now, messages=[outbox.Message(c, subject, text, payload, priority=60)
                                         for c in contacts])
