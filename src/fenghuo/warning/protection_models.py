"""ORM models of important-event protection periods (Plan §6.5): the period and the tasks of the
red-warning response it required."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime
from fenghuo.warning.models import ID


class ProtectionPeriod(Base):
    """A protection period the Emergency Office declared for an important national event or
    meeting: its name, scope, span and reason, and what happened to it (Plan §6.5)."""

    __tablename__ = "protection_periods"
    __table_args__ = (Index("ix_protection_periods_span", "starts_at", "ends_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    #: the declaring body (the Emergency Office) and its jurisdiction path, for the audit scope
    declared_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    jurisdiction_path: Mapped[str] = mapped_column(String(400))
    declared_by: Mapped[str] = mapped_column(String(120))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: JSON lists of jurisdiction codes (the nation when only sectors were named) and sectors
    jurisdictions: Mapped[str] = mapped_column(Text)
    sectors: Mapped[str] = mapped_column(Text, default="[]")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    red_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    red_required_by: Mapped[str | None] = mapped_column(String(120))
    #: ended early by the Emergency Office (otherwise it ends at ``ends_at``)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(120))
    end_reason: Mapped[str | None] = mapped_column(Text)
    #: the reminders to the bodies in scope, each sent once (protection_rules.notices_due)
    start_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProtectionTask(Base):
    """A task of the red checklist (Plan §3.4.1) given to one body when the Emergency Office
    required the red-warning response of a period (Plan §6.5)."""

    __tablename__ = "protection_tasks"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("protection_periods.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    owner: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20))  # open, done, closed (the period ended)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(120))
    evidence: Mapped[str | None] = mapped_column(Text)
