"""ORM models of monitoring information, risk assessments and warnings (Plan §3, Law 51–55)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class MonitoringItem(Base):
    """Monitoring information submitted by a unit, department, province or support unit
    (Plan §3.2, Law art. 51–52)."""

    __tablename__ = "monitoring_items"
    __table_args__ = (UniqueConstraint("submitted_by_user_id", "idempotency_key"),
                      Index("ix_monitoring_scope", "jurisdiction_path", "created_at"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    #: SHA-256 of the first submission, to tell a retry from different data under the same key
    request_hash: Mapped[str | None] = mapped_column(String(64))
    #: the submitting body's jurisdiction path, for scoped reads (Law art. 30)
    jurisdiction_path: Mapped[str] = mapped_column(String(400))
    sector_code: Mapped[str | None] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    observed: Mapped[str] = mapped_column(Text)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    category: Mapped[str | None] = mapped_column(String(80))
    #: JSON lists: jurisdiction codes and sector codes that may be affected, affected systems
    jurisdictions: Mapped[str] = mapped_column(Text, default="[]")
    sectors: Mapped[str] = mapped_column(Text, default="[]")
    systems: Mapped[str] = mapped_column(Text, default="")
    #: JSON list of {"type": ip|domain|url|sha256|md5|cve|email, "value": …}
    indicators: Mapped[str] = mapped_column(Text, default="[]")
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    tlp: Mapped[str] = mapped_column(String(20), default="amber")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the unit the item is about when it is another unit's (Support obligation 7: a support
    #: unit reports what it discovers there); the item reaches that unit's chain
    subject_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)


class MonitoringShare(Base):
    """Who received a monitoring item, why, and when they acknowledged it (Plan §3.2)."""

    __tablename__ = "monitoring_shares"
    __table_args__ = (UniqueConstraint("item_id", "body_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("monitoring_items.id", ondelete="CASCADE"),
                                         index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))  # warning.monitoring_rules: upward, shared…
    shared_by: Mapped[str] = mapped_column(String(120))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    #: when and by whom this body (an office or department of the unit's chain) reported the
    #: item on to the Emergency Office (Plan §3.2)
    reported_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_up_by: Mapped[str | None] = mapped_column(String(120))


class RiskAssessment(Base):
    """An analyst's assessment of one or more items (Law art. 54(2)) and the level it
    proposes."""

    __tablename__ = "risk_assessments"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    jurisdiction_path: Mapped[str] = mapped_column(String(400), index=True)
    assessed_by: Mapped[str] = mapped_column(String(120))
    likelihood: Mapped[str] = mapped_column(String(20))
    extent: Mapped[str] = mapped_column(String(40))
    #: the grade of the possible incident (Plan §1.4), stated or graded from ``facts``
    harm: Mapped[str] = mapped_column(String(30))
    notes: Mapped[str] = mapped_column(Text, default="")
    #: null: no warning proposed (a low likelihood, Plan §3.1)
    proposed_level: Mapped[str | None] = mapped_column(String(10))
    proposal: Mapped[str] = mapped_column(Text)  # JSON: reasons and flags
    #: JSON: the grading facts of the possible incident, when given, and their profile
    facts: Mapped[str | None] = mapped_column(Text)
    grading_profile: Mapped[str | None] = mapped_column(String(40))
    item_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of item ids
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssessmentReport(Base):
    """An assessment that proposes orange or red, reported to the Emergency Office as a
    possible major-or-graver incident (Plan §3.3 ¶1), and the Office's acknowledgement."""

    __tablename__ = "assessment_reports"
    __table_args__ = (UniqueConstraint("assessment_id", "body_id"),
                      Index("ix_assessment_reports_open", "acknowledged_at", "ack_due_at"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("risk_assessments.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ack_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EarlyWarning(Base):
    """An early warning (Plan §3.1, §3.3): its content, issuer, state and revision."""

    __tablename__ = "warnings"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    issuer_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: the issuer's jurisdiction path; reads are scoped by it and by the recipients
    jurisdiction_path: Mapped[str] = mapped_column(String(400), index=True)
    drafted_by: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[str] = mapped_column(String(10), index=True)
    category: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: JSON lists: jurisdiction codes, sector codes, warning items, measures {text, deadline}
    jurisdictions: Mapped[str] = mapped_column(Text)
    sectors: Mapped[str] = mapped_column(Text, default="[]")
    items: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    tlp: Mapped[str] = mapped_column(String(20), default="amber")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the issuer chose to reach the support units in scope too (distribution.reaches_unit)
    support_units: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("risk_assessments.id"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lift_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WarningEvent(Base):
    """One entry of a warning's history: drafted, approved, published, revised, lifted…"""

    __tablename__ = "warning_events"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id", ondelete="CASCADE"),
                                            index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class WarningRecipient(Base):
    """A body a published warning was distributed to, and its acknowledgement (Plan §3.3)."""

    __tablename__ = "warning_recipients"
    __table_args__ = (UniqueConstraint("warning_id", "body_id"),
                      Index("ix_warning_recipients_open", "acknowledged_at", "ack_due_at"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id", ondelete="CASCADE"),
                                            index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ack_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WarningTask(Base):
    """A response task of Plan §3.4 given to one body when the warning was published."""

    __tablename__ = "warning_tasks"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id", ondelete="CASCADE"),
                                            index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    owner: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20))  # open, done, closed (warning lifted)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(120))
    evidence: Mapped[str | None] = mapped_column(Text)
