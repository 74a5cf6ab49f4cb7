"""ORM models of prevention and safeguards (Plan §6–§8; Law arts. 25, 34, 38, 39): emergency
plans and their yearly evaluations, exercises, CII risk assessments, trainings, equipment and
tool reserves, commendations and the persons they name, decisions holding responsible persons
to account (Plan §7.10) and the reminders already sent for recurring duties."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class EmergencyPlan(Base):
    """The emergency plan a province, department or unit keeps (Plan §8.1, Law art. 25)."""

    __tablename__ = "emergency_plans"
    __table_args__ = (UniqueConstraint("body_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(200))  # the person who keeps it
    document: Mapped[str] = mapped_column(String(500))  # file name, URL or archive reference
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    adopted_on: Mapped[date] = mapped_column(Date)
    last_evaluated_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanEvaluation(Base):
    """A yearly evaluation of a plan and whether it was revised (Plan §8.1)."""

    __tablename__ = "plan_evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("emergency_plans.id", ondelete="CASCADE"),
                                         index=True)
    evaluated_on: Mapped[date] = mapped_column(Date)
    evaluated_by: Mapped[str] = mapped_column(String(120))
    #: adequate, revised
    outcome: Mapped[str] = mapped_column(String(20))
    findings: Mapped[str] = mapped_column(Text, default="")
    version_before: Mapped[str] = mapped_column(String(40))
    version_after: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Exercise(Base):
    """A planned or held exercise (Plan §6.2, Law arts. 34, 39)."""

    __tablename__ = "exercises"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    organizer_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(Text)  # what is exercised: systems, regions, sectors
    scenario: Mapped[str] = mapped_column(Text)
    #: tabletop, functional, full_scale
    form: Mapped[str] = mapped_column(String(20))
    #: planned, held, cancelled
    state: Mapped[str] = mapped_column(String(20))
    planned_for: Mapped[date] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date, index=True)
    findings: Mapped[str] = mapped_column(Text, default="")
    #: reported to the Central Cyberspace Office (Plan §6.2)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_by: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExerciseParticipant(Base):
    __tablename__ = "exercise_participants"
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"),
                                             primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)


class ExerciseAction(Base):
    """A follow-up action from an exercise's findings."""

    __tablename__ = "exercise_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"),
                                             index=True)
    action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class CiiAssessment(Base):
    """A CII operator's yearly risk assessment, reported with its improvements to the
    department in charge of its protection (Law art. 38)."""

    __tablename__ = "cii_assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date, index=True)
    assessor: Mapped[str] = mapped_column(String(300))  # itself or the service it engaged
    findings: Mapped[str] = mapped_column(Text)
    improvements: Mapped[str] = mapped_column(Text)
    reported_to_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    reported_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Training(Base):
    """A training session (Plan §6.4)."""

    __tablename__ = "trainings"
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer)
    participants: Mapped[int] = mapped_column(Integer)
    topics: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reserve(Base):
    """Equipment or tools held in reserve (Plan §7.8), checked at an interval."""

    __tablename__ = "reserves"
    __table_args__ = (UniqueConstraint("body_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    #: equipment, tool, software, other
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    location: Mapped[str] = mapped_column(String(300), default="")
    check_every_days: Mapped[int] = mapped_column(Integer)
    last_checked_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Commendation(Base):
    """A commendation for outstanding work (Plan §7.10; Support obligation 9 通报表扬)."""

    __tablename__ = "commendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    given_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)
    #: manual, support_evaluation
    source: Mapped[str] = mapped_column(String(30))
    given_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    given_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommendedPerson(Base):
    """A person a commendation names (先进个人, Plan §7.10), with the body they serve in."""

    __tablename__ = "commendation_persons"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    commendation_id: Mapped[int] = mapped_column(
        ForeignKey("commendations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))


class AccountabilityDecision(Base):
    """A decision holding a responsible person to account (处分, Plan §7.10), recorded by the
    body that made it, which has authority over the person's body."""

    __tablename__ = "accountability_decisions"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    #: the body the person serves in
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: the incident it is about, if any; ``matter`` says what else (or more)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    matter: Mapped[str | None] = mapped_column(Text)
    conduct: Mapped[str] = mapped_column(String(30))  # rules.Conduct
    sanction: Mapped[str] = mapped_column(String(30))  # rules.Sanction
    sanction_text: Mapped[str | None] = mapped_column(Text)
    decided_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderSent(Base):
    """One reminder of a recurring duty sent through the outbox, so each is sent once per
    duty and period (e.g. ``plan_evaluation:12:2027-01``)."""

    __tablename__ = "reminders_sent"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
