"""ORM models of supervision: the directive or interview with its deadline, the unit's
rectification reports with their evidence, and the item's history (Law arts. 55, 56)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class SupervisionItem(Base):
    """A directive to take measures within a time limit (Law art. 55) or a recorded interview
    of the unit's responsible person with rectification requirements (Law art. 56)."""

    __tablename__ = "supervision_items"
    __table_args__ = (Index("ix_supervision_items_clock", "state", "due_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # supervision.rules.Kind
    issuer_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    issued_by: Mapped[str] = mapped_column(String(120))
    #: the unit directed or interviewed; it owes the measures
    unit_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: the unit's jurisdiction, for the scope of reads (Law art. 30)
    jurisdiction_path: Mapped[str] = mapped_column(String(400), index=True)
    title: Mapped[str] = mapped_column(String(300))
    #: what was found: the risk or incident (Law art. 56: 较大安全风险或者发生安全事件)
    findings: Mapped[str] = mapped_column(Text, default="")
    #: the measures to take, or the rectification required (整改要求)
    requirements: Mapped[str] = mapped_column(Text)
    #: interviews: who was interviewed, as what (rules.IntervieweeRole), and when
    interviewee: Mapped[str | None] = mapped_column(String(200))
    interviewee_role: Mapped[str | None] = mapped_column(String(30))
    interviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20))  # supervision.rules.State
    #: the time limit (directive) or rectification deadline (interview)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: when the current deadline started to run: issue, or the last reopening
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the unit's last rectification report
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the reminders of the current deadline, each sent once (rules.reminder_due)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Rectification(Base):
    """One rectification report of the unit (整改情况报告): what it did and its evidence, in
    text and as references to evidence preserved with an incident (kept with their SHA-256)."""

    __tablename__ = "supervision_rectifications"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_items.id", ondelete="CASCADE"),
                                         index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(120))
    measures: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    #: JSON list of {"ref", "evidence", "filename", "sha256"} (incident.evidence)
    attachments: Mapped[str] = mapped_column(Text, default="[]")


class SupervisionEvent(Base):
    """One entry of an item's history: issued, acknowledged, reported, reopened, closed, the
    reminders; ``body_id`` is the body that acted (the watchdog's: the unit's)."""

    __tablename__ = "supervision_events"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_items.id", ondelete="CASCADE"),
                                         index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")
