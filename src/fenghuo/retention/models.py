"""Legal holds on incidents and the purge points of retention (issue 18 item 8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class LegalHold(Base):
    """An office's explicit hold on an incident: while it is not released, the incident's
    records (its audit rows, its notifications) are never purged (Plan §4.1 保护证据)."""

    __tablename__ = "legal_holds"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(120))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(120))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_reason: Mapped[str | None] = mapped_column(Text)


class RetentionPurge(Base):
    """One row per kind of record: when it was last purged, how much went in all, and for the
    audit trail the purge point — the sequence number and hash of the last purged row, where
    verification of the remaining chain starts (its first row links back to this hash)."""

    __tablename__ = "retention_purges"
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_purged: Mapped[int] = mapped_column(BigInteger, default=0)
    total_purged: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))
