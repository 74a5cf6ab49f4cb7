"""ORM models of the support network: CNCERT support-unit rounds and membership, their work log,
7×24 contact checks, six-monthly work reports, evaluations and CNCERT's decisions ending a
status (Support), the profiles of technical support teams (Plan §7.2) and the dispatch of teams
and experts (Plan §7.2, §7.3)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class SupportRound(Base):
    """A selection round of support units (Support preamble: 2004, 2007, 2009, a fourth…)."""

    __tablename__ = "support_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupportMembership(Base):
    """A support unit selected in a round; it may lose its status (Support obligation 9)."""

    __tablename__ = "support_memberships"
    __table_args__ = (UniqueConstraint("round_id", "body_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("support_rounds.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: active, disqualified, withdrawn
    status: Mapped[str] = mapped_column(String(20))
    admitted_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_reason: Mapped[str | None] = mapped_column(Text)
    #: loss of status also stops the unit applying for the next round (Support obligation 9)
    barred_from_next_round: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamProfile(Base):
    """Skills, regions and availability of a technical support team or support unit (Plan §7.2)."""

    __tablename__ = "team_profiles"
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"),
                                         primary_key=True)
    skills: Mapped[str] = mapped_column(Text, default="")  # one per line
    regions: Mapped[str] = mapped_column(Text, default="")  # jurisdiction codes, one per line
    #: available, unavailable (standby during red warnings is computed, Plan §3.4.1)
    availability: Mapped[str] = mapped_column(String(20), default="available")
    members: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpertProfile(Base):
    """Regions and availability of an expert (Plan §7.3); skills are the expert's specialties."""

    __tablename__ = "expert_profiles"
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"),
                                           primary_key=True)
    regions: Mapped[str] = mapped_column(Text, default="")  # jurisdiction codes, one per line
    availability: Mapped[str] = mapped_column(String(20), default="available")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Assignment(Base):
    """A team, support unit or expert dispatched to an incident, warning or response
    (Plan §7.2, §7.3), with its outcome; time is logged against it in ``support_work``."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), index=True)
    #: the body that dispatched (the national center, a branch, an office)
    dispatched_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    dispatched_by: Mapped[str] = mapped_column(String(120))
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    task: Mapped[str] = mapped_column(Text)
    #: dispatched, released
    state: Mapped[str] = mapped_column(String(20))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
    #: jurisdiction path of what it was sent to (reads are scoped by it, Law art. 30)
    jurisdiction_path: Mapped[str] = mapped_column(String(400), index=True)


class WorkEntry(Base):
    """Time a support unit, team or expert spent: an incident response with the national
    center or a branch (Support obligation 4) or technical support (obligation 5)."""

    __tablename__ = "support_work"
    __table_args__ = (Index("ix_support_work_body_day", "body_id", "worked_on"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), index=True)
    #: incident_response, technical_support
    kind: Mapped[str] = mapped_column(String(30))
    #: the national center or branch the work was with (Support obligations 4–5)
    with_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), index=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"))
    task: Mapped[str | None] = mapped_column(Text)
    worked_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContactCheck(Base):
    """A test of a unit's 7×24 channel and how long it took to answer (Support obligation 6)."""

    __tablename__ = "contact_checks"
    __table_args__ = (Index("ix_contact_checks_body_sent", "body_id", "sent_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(500))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    checked_by: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)


class WorkReport(Base):
    """A support unit's six-monthly work report (Support obligation 8)."""

    __tablename__ = "support_work_reports"
    __table_args__ = (UniqueConstraint("body_id", "half"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    half: Mapped[str] = mapped_column(String(7))  # e.g. 2026-H2
    sections: Mapped[str] = mapped_column(Text, default="{}")  # JSON: section code → text
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Evaluation(Base):
    """The six-monthly comprehensive evaluation of a support unit (Support obligation 9)."""

    __tablename__ = "support_evaluations"
    __table_args__ = (UniqueConstraint("body_id", "half"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    half: Mapped[str] = mapped_column(String(7))
    scores: Mapped[str] = mapped_column(Text, default="{}")  # JSON: criterion → score
    total: Mapped[int] = mapped_column(Integer)
    #: commended, satisfactory, warned, disqualified
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    evaluated_by: Mapped[str] = mapped_column(String(120))
    evaluated_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupportDecision(Base):
    """CNCERT's decision ending a support unit's status at any time (Support 五, 授权约定: 有权随时
    终止授权，并取消其应急服务支撑单位的资格; obligation 9), on a ground the rubric does not
    compute, with its reason; one per membership (a status ends once)."""

    __tablename__ = "support_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("support_memberships.id"),
                                               unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: the obligation or ground cited (``support.rules.DECISION_GROUNDS``), e.g. obligation_2
    ground: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
