"""ORM models and tables of machine monitoring: the constituency register, feeds and their
tokens, the batch ledger, rejected lines, raw events (daily partitions on PostgreSQL) and
aggregates (Law arts. 21, 51–52; Plan §3.2)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")
ADDRESS = String(45).with_variant(INET(), "postgresql")


class ConstituencyEntry(Base):
    """One network a body holds: a prefix, an AS number or a domain (item 1)."""

    __tablename__ = "constituency_entries"
    __table_args__ = (UniqueConstraint("kind", "value", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # prefix, asn, domain
    value: Mapped[str] = mapped_column(String(253))  # canonical
    role: Mapped[str] = mapped_column(String(20))  # owner, jurisdiction
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegisterVersion(Base):
    """One row whose token changes (a new random value) with every change to the register, so
    that in-process attribution indexes know when to rebuild; a random token, not a counter,
    so a database restored to an earlier state never matches a newer index."""

    __tablename__ = "register_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class Feed(Base):
    """A sensor or feed: who runs it, its format, its machine token (stored as SHA-256 only),
    how often it should send, and for a scheduled collector where to pull from and its state."""

    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    format: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str | None] = mapped_column(String(16))
    expected_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    collector_url: Mapped[str | None] = mapped_column(String(1000))
    collector_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    collector_state: Mapped[str | None] = mapped_column(Text)  # JSON
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    silent_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IngestBatch(Base):
    """The ledger: one row per batch taken in, written in the batch's own transaction, so a
    batch delivered twice (a retry, a redelivered message) is counted once (item 5)."""

    __tablename__ = "ingest_batches"
    __table_args__ = (UniqueConstraint("feed_id", "key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_by: Mapped[str] = mapped_column(String(120))
    lines: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    owner: Mapped[int] = mapped_column(Integer)  # events attributed to an owner
    jurisdiction: Mapped[int] = mapped_column(Integer)  # … to a jurisdiction
    national: Mapped[int] = mapped_column(Integer)  # … to the national queue


class IngestReject(Base):
    """A line that could not be read, kept aside with its reason (never silently lost)."""

    __tablename__ = "ingest_rejects"
    __table_args__ = (Index("ix_ingest_rejects_feed", "feed_id", "id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id", ondelete="CASCADE"),
                                          index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)


class Aggregate(Base):
    """Events of one batch per attributed body × kind × indicator × day (China Standard Time):
    count, distinct hosts (a mergeable sketch), first and last seen (item 4). Rows are appended
    per batch and merged on read; ``compact`` folds a day's rows into one per key."""

    __tablename__ = "monitoring_aggregates"
    __table_args__ = (Index("ix_monitoring_aggregates_day_kind", "day", "kind"),
                      Index("ix_monitoring_aggregates_body_day", "body_id", "day"),
                      Index("ix_monitoring_aggregates_indicator", "indicator", "day"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ID)
    day: Mapped[date] = mapped_column(Date)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    level: Mapped[int] = mapped_column(SmallInteger)  # 0 owner, 1 jurisdiction, 2 national
    #: the attributed body's jurisdiction path, for scoped reads (Law art. 30); "/" national
    jurisdiction_path: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(30))
    indicator: Mapped[str] = mapped_column(String(300))
    #: CVSS base score × 10 of a vulnerability record, for statistics by severity
    severity: Mapped[int | None] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(BigInteger)
    hosts: Mapped[bytes] = mapped_column(LargeBinary)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


#: Events, searchable by address, domain, hash and CVE (item 4), kept at least six months
#: (Law art. 21); each points at its raw line (``ingest_raw``) by batch and line number. On
#: PostgreSQL the table is partitioned by day (China Standard Time) on ``observed_at``;
#: partitions are created as events arrive and dropped one at a time (``monitoring.store``).
#: No primary key: rows are found by what they name. The address and body indexes are not
#: declared here: random b-tree inserts cost PostgreSQL about 8 µs a row, so a day's partition
#: gets them when the day is over, built in bulk (``store.index_closed``). On SQLite (migration
#: 0025) ``monitoring_events`` is a view over two tables of these columns: the open days' events
#: (today and yesterday, without those indexes: about 5 µs a row saved) and the closed days'
#: (with them), a day's events moving across once it is over (``store.index_closed``); reads
#: go through the view, writes and deletes to the tables (``monitoring.store``).
events = Table(
    "monitoring_events", Base.metadata,
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("feed_id", Integer, nullable=False),
    Column("batch_id", ID, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("body_id", Integer),
    Column("level", SmallInteger, nullable=False),
    Column("source_ip", ADDRESS),
    Column("source_port", Integer),
    Column("destination_ip", ADDRESS),
    Column("destination_port", Integer),
    Column("domain", String(253)),
    Column("url", Text),
    Column("hash", String(64)),
    Column("cve", String(30)),
    Column("malware", String(100)),
    Index("ix_monitoring_events_domain", "domain", postgresql_where=text("domain IS NOT NULL"),
          sqlite_where=text("domain IS NOT NULL")),
    Index("ix_monitoring_events_hash", "hash", postgresql_where=text("hash IS NOT NULL"),
          sqlite_where=text("hash IS NOT NULL")),
    Index("ix_monitoring_events_cve", "cve", postgresql_where=text("cve IS NOT NULL"),
          sqlite_where=text("cve IS NOT NULL")),
    # time order within a day's partition: a BRIN index is a few pages and costs inserts
    # nothing measurable (PostgreSQL); SQLite uses a b-tree
    Index("ix_monitoring_events_observed_at", "observed_at", postgresql_using="brin"),
    postgresql_partition_by="RANGE (observed_at)",
)


class RawPiece(Base):
    """The input lines of a batch exactly as received, in pieces of up to a megabyte: the raw
    record of every event (Law art. 21), found again by batch and line number."""

    __tablename__ = "ingest_raw"
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id", ondelete="CASCADE"),
                                          primary_key=True)
    piece: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_line: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Candidate(Base):
    """A candidate monitoring item opened by a detection rule over the aggregates (item 6,
    ``monitoring.detection``) for the Emergency Office or a province office, with its evidence
    and pre-filled risk assessment (Law art. 54(2)); an analyst confirms it (it becomes a
    monitoring item) or dismisses it with a reason. One per rule × kind × indicator × target ×
    window (``window_key``), so detection run again opens nothing new."""

    __tablename__ = "monitoring_candidates"
    __table_args__ = (UniqueConstraint("rule", "kind", "indicator", "target_body_id",
                                       "window_key"),
                      Index("ix_monitoring_candidates_target", "target_body_id", "state"),
                      Index("ix_monitoring_candidates_lookup", "rule", "kind", "indicator"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    rule: Mapped[str] = mapped_column(String(20))  # spread, cii, spike
    kind: Mapped[str] = mapped_column(String(30))
    indicator: Mapped[str] = mapped_column(String(300))
    #: the aligned W-hour window the candidate was opened in, e.g. "2026-11-01T00+08/24h"
    window_key: Mapped[str] = mapped_column(String(40))
    #: the evidence window: the W hours up to the detection
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    target_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    #: the target body's jurisdiction path, for scoped reads and the audit trail
    jurisdiction_path: Mapped[str] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(12), index=True)  # open, confirmed, dismissed
    evidence: Mapped[str] = mapped_column(Text)  # JSON
    assessment: Mapped[str] = mapped_column(Text)  # JSON: reasons, likelihood, extent, harm…
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    monitoring_item_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_items.id"))
