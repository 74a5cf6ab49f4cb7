"""The domain gauges of ``/metrics`` (issue 20 item 7), read from the database in one short
read transaction: the outbox's backlog and dead letters per channel, open incidents per grade
and state, overdue clocks per kind, the workers' heartbeats and the ingest's last batch.

Each query is bounded by an index at any size of the history (checked with EXPLAIN on
PostgreSQL at 10 M rows, docs/operations.md "Metrics"): the rows it counts are the ones still
waiting (pending, in-flight or dead messages; open incidents; open past-due clocks), never the
delivered, closed or met ones that make up the bulk of the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Duty, Incident
from fenghuo.incident.owner_rules import OPEN_STATES
from fenghuo.monitoring.models import Feed
from fenghuo.notify.models import OutboxMessage, WorkerHeartbeat

#: outbox states that count: waiting (pending), being delivered (sending), given up (dead)
OUTBOX_STATES = ("pending", "sending", "dead")


@dataclass(frozen=True)
class Beat:
    worker: str  # host:pid:name
    name: str
    started_at: datetime
    beat_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """The gauges at ``at`` (the runtime's clock)."""

    at: datetime
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, state) → n
    open_incidents: dict[tuple[str, str], int] = field(default_factory=dict)  # (grade, state)
    overdue_clocks: dict[str, int] = field(default_factory=dict)  # duty kind → n
    heartbeats: list[Beat] = field(default_factory=list)
    #: the newest batch any active feed delivered (Feed.last_received_at, written with the
    #: batch); None when no feed ever sent one
    last_batch_at: datetime | None = None
    silent_feeds: int = 0  # active feeds flagged silent by housekeeping


def read(uow: UnitOfWork, *, now: datetime, timeout_seconds: float) -> Snapshot:
    """Every gauge, in one transaction whose statements PostgreSQL cancels after
    ``timeout_seconds`` (SQLite has no statement timeout; its tables are small)."""
    with uow() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text(f"SET LOCAL statement_timeout = {max(1, int(timeout_seconds * 1000))}"))
        last, silent = _feeds(s)
        return Snapshot(at=now, outbox=_outbox(s), open_incidents=_open_incidents(s),
                        overdue_clocks=_overdue_clocks(s, now), heartbeats=_heartbeats(s),
                        last_batch_at=last, silent_feeds=silent)


def _outbox(s: Session) -> dict[tuple[str, str], int]:
    """Index ``ix_outbox_claimable`` (state, next_attempt_at): only the waiting rows are read."""
    m = OutboxMessage
    return {(c, st): n for c, st, n in s.execute(
        select(m.channel, m.state, func.count()).where(m.state.in_(OUTBOX_STATES))
        .group_by(m.channel, m.state))}


def _open_incidents(s: Session) -> dict[tuple[str, str], int]:
    """Index ``ix_incidents_state``: reported, acknowledged and handling incidents only."""
    return {(g, st): n for g, st, n in s.execute(
        select(Incident.grade, Incident.state, func.count())
        .where(Incident.state.in_([st.value for st in OPEN_STATES]))
        .group_by(Incident.grade, Incident.state))}


def _overdue_clocks(s: Session, now: datetime) -> dict[str, int]:
    """Open clocks past their deadline, as the watchdog sees them (``handling.sweep_overdue``:
    not done, due before now, flagged or not); index ``ix_duties_open`` (done_at, due_at)."""
    return dict(s.execute(select(Duty.kind, func.count())
                          .where(Duty.done_at.is_(None), Duty.due_at < now)
                          .group_by(Duty.kind)).all())


def _heartbeats(s: Session) -> list[Beat]:
    rows = s.execute(select(WorkerHeartbeat.worker, WorkerHeartbeat.name,
                            WorkerHeartbeat.started_at, WorkerHeartbeat.beat_at)
                     .order_by(WorkerHeartbeat.worker))
    return [Beat(*r) for r in rows]


def _feeds(s: Session) -> tuple[datetime | None, int]:
    """The feeds table is small (one row per sensor or feed): no index needed."""
    last, silent = s.execute(select(func.max(Feed.last_received_at),
                                    func.count(Feed.silent_since))
                             .where(Feed.active.is_(True))).one()
    return last, silent
