"""ORM models of owner notices (通报) from monitoring and the units' handling feedback (处置反馈),
issue 16 item 2 (Law arts. 51–52, Plan §3.2): the notice with its state and clock, its events
counted per day × kind × indicator, and the ledger of the ingest batches already looked at (so
the same aggregates never produce two notices)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime
from fenghuo.monitoring.models import ID, Aggregate, IngestBatch


class OwnerNotice(Base):
    """One notice to one unit: immediate, or its daily digest (a unit has at most one digest
    collecting at a time, ``pending``; it goes out the day after it began collecting)."""

    __tablename__ = "owner_notices"
    __table_args__ = (Index("ix_owner_notices_clock", "state", "deadline_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: the unit's jurisdiction path, for scoped reads (Law art. 30) and the audit trail
    jurisdiction_path: Mapped[str] = mapped_column(String(400))
    sender_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    #: the unit's local office, told when the deadline passed with no feedback (Plan §7.10)
    office_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    mode: Mapped[str] = mapped_column(String(10))  # immediate, digest
    digest_day: Mapped[date | None] = mapped_column(Date)  # the day a digest collects
    state: Mapped[str] = mapped_column(String(20))
    tlp: Mapped[str] = mapped_column(String(12))
    reasons: Mapped[str] = mapped_column(Text)  # JSON: why at once or in the digest
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())  # first event seen
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())  # last event seen
    events_total: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_by: Mapped[str | None] = mapped_column(String(120))
    contest_address: Mapped[str | None] = mapped_column(String(253))
    contest_entry: Mapped[str | None] = mapped_column(String(270))  # kind:value of the entry
    contest_indicator: Mapped[str | None] = mapped_column(String(300))
    contest_reason: Mapped[str | None] = mapped_column(Text)
    contested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contested_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[str | None] = mapped_column(String(12))  # kept, withdrawn
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    close_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(120))
    reminders: Mapped[int] = mapped_column(SmallInteger, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    office_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OwnerNoticeItem(Base):
    """The events of a notice counted per day (China Standard Time) × kind × indicator, from
    the aggregates of the batches it covers."""

    __tablename__ = "owner_notice_items"
    __table_args__ = (UniqueConstraint("notice_id", "day", "kind", "indicator"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("owner_notices.id", ondelete="CASCADE"),
                                           index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    indicator: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class NoticedBatch(Base):
    """An ingest batch whose aggregates the notice job has looked at: written in the same
    transaction as the notices they made, so a batch is looked at once."""

    __tablename__ = "owner_notice_batches"
    batch_id: Mapped[int] = mapped_column(ID, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: the notice job finds the aggregates of new batches by batch, and new batches by time
Index("ix_monitoring_aggregates_batch", Aggregate.__table__.c.batch_id)
Index("ix_ingest_batches_received_at", IngestBatch.__table__.c.received_at)
