"""Heartbeats of the delivery workers (``worker_heartbeats``, migration 0027): each running
worker keeps one row, ``host:pid:name``, whose ``beat_at`` it moves forward every few seconds;
``/metrics`` of every server process reads the rows (``fenghuo_worker_heartbeat_timestamp_
seconds``, issue 20 item 7), so a stalled or dead worker shows wherever Prometheus scrapes."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update

from fenghuo.db.session import UnitOfWork
from fenghuo.notify.models import WorkerHeartbeat

#: a row not beaten for this long belongs to a worker that died without saying so (killed, its
#: host gone); a starting worker deletes such rows so that dead workers do not linger forever
FORGOTTEN_AFTER = timedelta(days=1)


def identity(name: str) -> str:
    """This process's worker id: ``host:pid:name`` (at most 120 characters, the column's)."""
    return f"{socket.gethostname()}:{os.getpid()}:{name}"[-120:]


def beat(uow: UnitOfWork, *, worker: str, name: str, started_at: datetime,
         now: datetime) -> None:
    """Record that ``worker`` finished a cycle at ``now``: one UPDATE of its row, an INSERT the
    first time (one process owns the id, so the two never race)."""
    with uow() as s:
        moved = s.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)
                          .values(beat_at=now)).rowcount
        if not moved:
            s.add(WorkerHeartbeat(worker=worker, name=name[:60], started_at=started_at,
                                  beat_at=now))


def forget(uow: UnitOfWork, *, worker: str | None = None,
           beaten_before: datetime | None = None) -> int:
    """Delete the row of ``worker`` (a worker stopping cleanly) and/or the rows not beaten since
    ``beaten_before`` (workers long dead); returns how many."""
    conditions = []
    if worker is not None:
        conditions.append(WorkerHeartbeat.worker == worker)
    if beaten_before is not None:
        conditions.append(WorkerHeartbeat.beat_at < beaten_before)
    if not conditions:
        return 0
    with uow() as s:
        return s.execute(delete(WorkerHeartbeat).where(or_(*conditions))).rowcount
