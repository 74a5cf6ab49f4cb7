"""The append-only audit trail: one row per change, chained by hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(200))
    #: jurisdiction path of the affected object, so audit reads are scoped like everything else
    scope_path: Mapped[str] = mapped_column(String(400), index=True)
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """Rows written by use cases and not yet chained. Writing here takes no lock, so changes in
    any number of processes never wait on each other; ``chain_pending`` (run by the delivery
    worker, and before every audit read and verification) moves them into ``audit_log`` in the
    order it finds them committed, numbering and hashing each."""

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(200))
    scope_path: Mapped[str] = mapped_column(String(400))
    detail: Mapped[str] = mapped_column(Text)


class AuditHead(Base):
    """A single row holding the chain's last sequence number and hash.

    Appending locks this row, which serialises writers on PostgreSQL and SQLite alike, and lets
    ``verify`` notice rows deleted from the end of the chain.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
