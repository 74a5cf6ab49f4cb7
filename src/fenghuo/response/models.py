"""ORM models of emergency responses (Plan §4.2–§4.3), duty rosters, progress reports, support
requests and investigations (Plan §5)."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")


class Response(Base):
    """An emergency response at a level I–IV for one incident."""

    __tablename__ = "responses"
    #: one running response per incident: ``running`` is true until it ends, then NULL, which
    #: a unique constraint does not compare (both databases)
    __table_args__ = (UniqueConstraint("incident_id", "running"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    level: Mapped[str] = mapped_column(String(4))
    #: active, end_proposed (Level I: the Office proposed, the headquarters has not approved), ended
    state: Mapped[str] = mapped_column(String(20), index=True)
    running: Mapped[bool | None] = mapped_column(Boolean)
    activated_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    activated_by: Mapped[str] = mapped_column(String(120))
    #: the incident's jurisdiction path (reads are scoped by it, Law art. 30)
    jurisdiction_path: Mapped[str] = mapped_column(String(400), index=True)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    progress_every_minutes: Mapped[int] = mapped_column(Integer)
    headquarters_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    end_proposed_by: Mapped[str | None] = mapped_column(String(120))
    end_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_approved_by: Mapped[str | None] = mapped_column(String(120))
    end_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(Text)
    #: who recorded the end and when; ``ended_at`` is the effective time, earlier when it was
    #: entered after the fact with an as-of time (issue 18 item 9)
    end_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_entered_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResponseEvent(Base):
    __tablename__ = "response_events"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class HeadquartersMember(Base):
    """A named member of a response's headquarters (指挥部, Plan §4.2.1), or of the city's
    headquarters or field command set up inside it (City §3.3.3–3.3.4): ``command_body_id``
    names that body; it is null for the response's own (Level I) headquarters, whose members
    approve the end (Plan §4.3.1)."""

    __tablename__ = "headquarters_members"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    command_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResponseBody(Base):
    """A body taking part in a response: in emergency state, on 24-hour duty, reporting
    progress (Plan §4.2.1–4.2.2)."""

    __tablename__ = "response_bodies"
    __table_args__ = (Index("ix_response_bodies_pair", "response_id", "body_id", unique=True),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))  # activator, emergency_state, informed
    duty_24h: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ResponseNotice(Base):
    """A body told that a response ended, and by whom (Plan §4.3): ``report`` the activator's
    report to the Emergency Office and ``relay`` the Office's notice of it to the provinces and
    departments concerned (Level II, §4.3.2); ``notice`` the Office's notice of a Level I end
    (§4.3.1). ``messages`` counts what the outbox took for the body's first contacts (0: none
    could be reached)."""

    __tablename__ = "response_notices"
    __table_args__ = (UniqueConstraint("response_id", "body_id", "kind"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sent_by_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    messages: Mapped[int] = mapped_column(Integer, default=0)


class DutyShift(Base):
    """A shift of a body's duty roster: who is on duty, when, and the handover note."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_when", "body_id", "starts_at", "ends_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    officer: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handover_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgressReport(Base):
    """Developments and handling progress a body reports during a response."""

    __tablename__ = "progress_reports"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    reported_by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    developments: Mapped[str] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(Text)


class SupportRequest(Base):
    """A request for help through the Emergency Office (Plan §4.2.2 (3))."""

    __tablename__ = "support_requests"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             index=True)
    requesting_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    requested_by: Mapped[str] = mapped_column(String(120))
    needs: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    coordinator: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupportDispatch(Base):
    """A team, body or expert sent in answer to a support request, with times."""

    __tablename__ = "support_dispatches"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id",
                                                       ondelete="CASCADE"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"))
    dispatched_by: Mapped[str] = mapped_column(String(120))
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")


class Investigation(Base):
    """The investigation and evaluation report of Plan §5, due 30 days after the response."""

    __tablename__ = "investigations"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"),
                                             unique=True)
    organizer: Mapped[str] = mapped_column(String(30))  # emergency_office, local
    organizer_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    file_with_emergency_office: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(20))  # draft, submitted, approved
    sections: Mapped[str] = mapped_column(Text, default="{}")  # JSON: section code → text
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(120))
    #: who recorded the last filing step (submission or approval) and when; ``submitted_at``
    #: and ``approved_at`` are the effective times, the as-of time when it was entered after
    #: the fact (issue 18 item 9); the 30-day clock judges by them
    filed_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_entered_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
