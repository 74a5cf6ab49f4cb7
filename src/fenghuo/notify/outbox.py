"""The transactional outbox: enqueue in the caller's transaction; claim, complete and retry for
workers. Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers can run; on
SQLite writers are serialised and the same statement is atomic."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, insert, select, text, update
from sqlalchemy.orm import Session

from fenghuo.db import bulk
from fenghuo.db.session import UnitOfWork
from fenghuo.notify.models import OutboxMessage
from fenghuo.org.models import Contact

PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"
MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 5
MAX_BACKOFF_SECONDS = 3600
#: the PostgreSQL channel that wakes listening workers (workers/listen.py)
CHANNEL = "fenghuo_outbox"
_ANNOUNCED = "fenghuo.outbox.announced"


class Addressee(Protocol):
    """A contact to deliver to: an ORM Contact or an org.directory.ContactRef."""

    id: int
    body_id: int
    channel: str
    value: str


@dataclass(frozen=True)
class Message:
    contact: Addressee
    subject: str
    text: str
    payload: dict
    incident_id: int | None = None
    priority: int = 100
    warning_id: int | None = None


def enqueue(s: Session, *, now: datetime, messages: list[Message]) -> list[int]:
    """Write messages in the caller's transaction (one statement); returns their ids."""
    if not messages:
        return []
    rows = _rows(messages, now)
    table = OutboxMessage.__table__
    ids = list(s.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    announce(s)
    return ids


def enqueue_many(s: Session, *, now: datetime, messages: list[Message]) -> int:
    """Write many messages in the caller's transaction, fast (a national warning fans out to
    ten thousand units): by COPY on PostgreSQL, one executemany on SQLite. Returns how many;
    the ids are not read back."""
    if not messages:
        return 0
    count = bulk.insert_rows(s, OutboxMessage.__table__, _rows(messages, now))
    announce(s)
    return count


def announce(s: Session) -> None:
    """Wake the workers listening on PostgreSQL (``NOTIFY``, issue 21 item 5): delivered when
    the caller's transaction commits and not at all if it rolls back. One statement per
    transaction (or savepoint) however many enqueues it makes; nothing on SQLite, whose worker
    polls."""
    if s.get_bind().dialect.name != "postgresql":
        return
    transaction = s.get_nested_transaction() or s.get_transaction()
    if s.info.get(_ANNOUNCED) is transaction:
        return
    s.execute(text(f"NOTIFY {CHANNEL}"))
    s.info[_ANNOUNCED] = transaction


def _rows(messages: list[Message], now: datetime) -> list[dict]:
    return [{"delivery_id": uuid.uuid4().hex, "created_at": now, "channel": m.contact.channel,
             "address": m.contact.value, "subject": m.subject, "text": m.text,
             "payload": json.dumps(m.payload, ensure_ascii=False, default=str),
             "body_id": m.contact.body_id, "contact_id": m.contact.id,
             "incident_id": m.incident_id, "warning_id": m.warning_id,
             "priority": m.priority, "state": PENDING, "attempts": 0, "next_attempt_at": now}
            for m in messages]


@dataclass(frozen=True)
class Claimed:
    id: int
    delivery_id: str
    channel: str
    address: str
    subject: str
    text: str
    payload: dict
    secret: str | None
    attempts: int


def claim(uow: UnitOfWork, *, now: datetime, limit: int, lease_seconds: float = 60
          ) -> list[Claimed]:
    """Take up to ``limit`` due messages for delivery: first those whose previous claimer died
    (their lease ran out), then the pending ones in priority order."""
    expired = (OutboxMessage.state == SENDING) & (OutboxMessage.lease_until < now)
    pending = (OutboxMessage.state == PENDING) & (OutboxMessage.next_attempt_at <= now)
    with uow() as s:
        rows = _take(s, expired, None, limit, now, lease_seconds)
        if len(rows) < limit:
            rows += _take(s, pending, (OutboxMessage.priority, OutboxMessage.id),
                          limit - len(rows), now, lease_seconds)
        contact_ids = {r.contact_id for r in rows if r.contact_id}
        secrets = dict(s.execute(select(Contact.id, Contact.secret).where(
            Contact.id.in_(contact_ids))).all()) if contact_ids else {}
    return [Claimed(r.id, r.delivery_id, r.channel, r.address, r.subject, r.text,
                    json.loads(r.payload), secrets.get(r.contact_id), r.attempts)
            for r in sorted(rows, key=lambda r: r.id)]


def _take(s: Session, due: ColumnElement[bool], order: tuple | None, limit: int,
          now: datetime, lease_seconds: float) -> list:
    """Lease up to ``limit`` rows matching ``due`` (in ``order``), skipping rows another worker
    holds. The pending ones are read in (priority, id) order from their partial index."""
    picked = select(OutboxMessage.id).where(due)
    if order is not None:
        picked = picked.order_by(*order)
    # Picked once, in a materialized CTE: as `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`
    # PostgreSQL may rescan the subquery for every candidate row and claim more than `limit`
    # rows, out of priority order (seen with three major reports: LIMIT 1 claimed three).
    cte = (picked.limit(limit).with_for_update(skip_locked=True)
           .cte("picked").prefix_with("MATERIALIZED", dialect="postgresql"))
    # Core, not the ORM's bulk update (no session state to synchronize): the claim runs
    # several times a second under load (issue 21 item 5)
    return list(s.connection().execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(select(cte.c.id)), due)
        .values(state=SENDING, lease_until=now + timedelta(seconds=lease_seconds),
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id, OutboxMessage.delivery_id, OutboxMessage.channel,
                   OutboxMessage.address, OutboxMessage.subject, OutboxMessage.text,
                   OutboxMessage.payload, OutboxMessage.contact_id, OutboxMessage.attempts)
    ).all())


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BASE_BACKOFF_SECONDS * 2 ** (attempts - 1),
                                 MAX_BACKOFF_SECONDS))


def complete(uow: UnitOfWork, *, now: datetime, claimed: Claimed, error: str | None = None,
             retryable: bool = True) -> str:
    """Record the outcome of one delivery attempt; returns the new state."""
    return complete_many(uow, now=now, outcomes=[Outcome(claimed, error, retryable)])[0]


@dataclass(frozen=True)
class Outcome:
    """How one delivery attempt went: ``error`` None when delivered."""

    claimed: Claimed
    error: str | None = None
    retryable: bool = True


def complete_many(uow: UnitOfWork, *, now: datetime, outcomes: list[Outcome]) -> list[str]:
    """Record the outcomes of a batch of attempts in one transaction (the delivered ones in
    one statement); returns the new states, in order."""
    states = [_values(o, now)["state"] for o in outcomes]
    delivered = [o.claimed.id for o in outcomes if o.error is None]
    with uow() as s:
        conn = s.connection()  # Core statements, as in _take
        if delivered:
            conn.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_(delivered), OutboxMessage.state == SENDING).values(
                **_values(Outcome(outcomes[0].claimed), now)))
        for o in outcomes:
            if o.error is not None:
                conn.execute(update(OutboxMessage).where(
                    OutboxMessage.id == o.claimed.id, OutboxMessage.state == SENDING).values(
                    **_values(o, now)))
    return states


def _values(o: Outcome, now: datetime) -> dict:
    error, claimed, retryable = o.error, o.claimed, o.retryable
    if error is None:
        values = {"state": DELIVERED, "delivered_at": now, "lease_until": None,
                  "last_error": None}
    elif retryable and claimed.attempts < MAX_ATTEMPTS:
        values = {"state": PENDING, "next_attempt_at": now + backoff(claimed.attempts),
                  "lease_until": None, "last_error": error[:2000]}
    else:
        values = {"state": DEAD, "lease_until": None, "last_error": error[:2000]}
    return values


def retry_dead(uow: UnitOfWork, *, now: datetime, message_id: int) -> bool:
    """Put a dead-lettered message back in the queue (an operator's decision)."""
    with uow() as s:
        result = s.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.state == DEAD).values(
            state=PENDING, attempts=0, next_attempt_at=now))
        if result.rowcount == 1:
            announce(s)
        return result.rowcount == 1
