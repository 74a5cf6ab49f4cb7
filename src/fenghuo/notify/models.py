"""The transactional outbox: notifications written with the change that causes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_claimable", "state", "next_attempt_at"),
        #: the dead letters of incidents, for the dashboard's count (migration 0029)
        Index("ix_outbox_dead", "incident_id", postgresql_where=text("state = 'dead'"),
              sqlite_where=text("state = 'dead'")),
        # the claim's order over what waits: a national warning queues ten thousand messages,
        # and each claim reads the first few in order instead of sorting them all
        Index("ix_outbox_pending", "priority", "id", postgresql_where=text("state = 'pending'"),
              sqlite_where=text("state = 'pending'")),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    #: stable delivery id sent to receivers, who deduplicate on it
    delivery_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id",
                                                               ondelete="CASCADE"), index=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id", ondelete="CASCADE"),
                                                   index=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower goes first
    state: Mapped[str] = mapped_column(String(20))  # pending, sending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkerHeartbeat(Base):
    """The last time each delivery worker finished a cycle, whichever process or host runs it:
    the ``fenghuo_worker_heartbeat_timestamp_seconds`` gauge reads it (issue 20 item 7), so a
    stalled worker shows on ``/metrics`` of every process."""

    __tablename__ = "worker_heartbeats"
    worker: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:name
    name: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
