"""ORM models of incidents: the incident, its timeline, routes, duties (clocks) and evidence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fenghuo.db.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")
#: the open states (incident.rules.State: reported, acknowledged, handling), for partial indexes
OPEN_SQL = "state IN ('reported', 'acknowledged', 'handling')"
#: the notable grades (sharing.bulletin_data.NOTABLE_GRADES: relatively major and above)
NOTABLE_SQL = "grade IN ('especially_major', 'major', 'relatively_major')"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("reported_by_user_id", "idempotency_key"),
        Index("ix_incidents_scope", "jurisdiction_path", "created_at"),
        #: the period's incidents with what a bulletin counts, from the index alone (0029;
        #: with the id since 0031, for the scope's "routed to the issuer")
        Index("ix_incidents_reported", "reported_at", postgresql_include=[
            "id", "category", "grade", "jurisdiction_path", "sector_code", "is_parent",
            "subject_body_id", "reporting_body_id"]),
        #: a period's notable incidents, listed most serious first and counted by TLP in a
        #: bulletin from the index (migration 0031, issue 21 item 3)
        Index("ix_incidents_notable", "grade", "reported_at", "id", postgresql_include=[
            "tlp", "is_parent", "jurisdiction_path", "subject_body_id", "reporting_body_id"],
              postgresql_where=text(NOTABLE_SQL), sqlite_where=text(NOTABLE_SQL)),
        #: the open incidents, for the dashboard's grouped count (migration 0029, issue 21)
        Index("ix_incidents_open", "state", "grade",
              postgresql_include=["jurisdiction_path", "subject_body_id", "reporting_body_id"],
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        #: a row of an imported file is imported once (incident.history, issue 18 item 9)
        UniqueConstraint("import_source", "import_id", name="uq_incidents_import"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    #: the unit where it happened (事发单位); the reporter may be another body or the public
    subject_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    reporting_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    reported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    #: SHA-256 of the first submission, to tell a retry from a different report under the same key
    request_hash: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))  # unit, office, support, monitoring, public
    jurisdiction_path: Mapped[str] = mapped_column(String(400))
    sector_code: Mapped[str | None] = mapped_column(String(40), index=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id"))
    cii: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(80), index=True)
    subcategory: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), index=True)
    grade: Mapped[str] = mapped_column(String(30), index=True)
    grading_profile: Mapped[str] = mapped_column(String(40))
    facts: Mapped[str] = mapped_column(Text, default="{}")
    grade_reasons: Mapped[str] = mapped_column(Text, default="[]")
    #: an office's finding on the report itself (Plan §7.10): "false" (谎报) or "concealed" (瞒报)
    report_finding: Mapped[str | None] = mapped_column(String(20))
    #: TLP 2.0 label (sharing.tlp): who may receive it in shares and exports
    tlp: Mapped[str] = mapped_column(String(20), default="amber", server_default="amber")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: an incident with many owners (issue 16 item 5): the parent lists its affected units,
    #: each one a child incident with its own routing, clocks and notices
    is_parent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    #: personal information (Law art. 42 ¶2): records leaked, damaged or lost; whether the
    #: users must be told (and why not); when, how and how many were told
    pi_records: Mapped[int | None] = mapped_column(BigInteger)
    pi_inform_users: Mapped[bool | None] = mapped_column(Boolean)
    pi_reason: Mapped[str | None] = mapped_column(Text)
    pi_informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pi_informed_how: Mapped[str | None] = mapped_column(String(300))
    pi_informed_count: Mapped[int | None] = mapped_column(BigInteger)
    #: history imported from another tool (incident.history): when it was imported, from which
    #: tool and the row's id there; such an incident has no clocks and sends no notices
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    import_source: Mapped[str | None] = mapped_column(String(80))
    import_id: Mapped[str | None] = mapped_column(String(120))
    #: the person of the handling body the incident is assigned to (issue 19 item 1)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: how it was resolved, written when it becomes resolved or closed (issue 19 item 2)
    resolution: Mapped[str | None] = mapped_column(Text)


class IncidentEvent(Base):
    """One entry of the incident's timeline; every change of the incident writes one."""

    __tablename__ = "incident_events"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class IncidentRoute(Base):
    """A body the incident was routed to, why, and whether it acknowledged receipt."""

    __tablename__ = "incident_routes"
    __table_args__ = (UniqueConstraint("incident_id", "body_id"),
                      #: "routed to this body" in the scope test, from the index alone (0029)
                      Index("ix_incident_routes_body_incident", "body_id", "incident_id"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(80))
    reason_zh: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    immediate: Mapped[bool] = mapped_column(Boolean, default=False)
    routed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))


class Duty(Base):
    """A clock: something a body owes by a deadline (CAC 2025 art. 4 and 8, Plan §4.1)."""

    __tablename__ = "duties"
    __table_args__ = (
        Index("ix_duties_open", "done_at", "due_at"),
        #: open clocks by start (overdue in a period) and by body (a body's queue): 0029
        Index("ix_duties_open_started", "starts_at", postgresql_include=["due_at", "body_id"],
              postgresql_where=text("done_at IS NULL"), sqlite_where=text("done_at IS NULL")),
        Index("ix_duties_open_body", "body_id", "due_at", "id",
              postgresql_where=text("done_at IS NULL"), sqlite_where=text("done_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # rules.DutyKind
    source: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Evidence(Base):
    """An attachment preserved as evidence (Plan §4.1), identified by its SHA-256."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(120))


class CustodyEvent(Base):
    """Chain of custody of a piece of evidence: who added, viewed or downloaded it, when."""

    __tablename__ = "evidence_custody"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))  # added, viewed, downloaded


class Tip(Base):
    """A report from the public (Law art. 14). The reporter's identity is kept apart and shown
    only to the holding body's staff who handle incidents."""

    __tablename__ = "tips"
    __table_args__ = (Index("ix_tips_clock", "clock_done_at", "due_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    #: the body that holds the tip now: the office that received it, or the one it was
    #: transferred to (移送, Law art. 14); earlier holders are in its events
    receiving_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: the region the tip concerns (the holding office's, after a transfer to an office)
    jurisdiction_path: Mapped[str] = mapped_column(String(400), index=True)
    category: Mapped[str | None] = mapped_column(String(80))
    unit_name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_contact: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))  # incident.tip_rules.TipState
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: SHA-256 of the tipster's receipt code (tip_rules.receipt_hash); the code is not kept
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: the kind of authority it was last transferred to (tip_rules.AuthorityKind), for the
    #: tipster's status page
    authority_kind: Mapped[str | None] = mapped_column(String(30))
    #: what the tipster is told when it is closed (internal notes stay in the events)
    public_outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the handling clock (tip_rules.ClockKind): the holder's current deadline
    clock_kind: Mapped[str | None] = mapped_column(String(20))
    clock_source: Mapped[str | None] = mapped_column(String(200))
    clock_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clock_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TipEvent(Base):
    """One entry of a tip's history: received, accepted, transferred, closed, overdue…
    ``body_id`` is the body holding the tip after the entry; a body that ever held a tip keeps
    reading it. Never carries the tipster's identity (Law art. 14 ¶2)."""

    __tablename__ = "tip_events"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")


class Observable(Base):
    """A technical indicator of an incident (IP, domain, URL, hash, CVE) that feeds the exports
    (issue 19 item 2). One value of one kind once per incident."""

    __tablename__ = "incident_observables"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "value", name="uq_incident_observables"),
        Index("ix_incident_observables_value", "kind", "value"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(20))  # ipv4, ipv6, domain, url, md5, sha1, sha256, cve
    value: Mapped[str] = mapped_column(String(2048))
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(120))


class Task(Base):
    """A piece of work on an incident with an owner and a due time (issue 19 item 2)."""

    __tablename__ = "incident_tasks"
    __table_args__ = (Index("ix_incident_tasks_owner", "owner_user_id", "done_at", "due_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(120))


class Comment(Base):
    """An internal note on an incident, seen by exactly those who see the incident
    (issue 19 item 2; Law art. 30)."""

    __tablename__ = "incident_comments"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author: Mapped[str] = mapped_column(String(120))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
