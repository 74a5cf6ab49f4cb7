"""The reporting side of accountability (Plan §7.10): per unit and period, late, omitted, false
and concealed reports (迟报、漏报、谎报、瞒报), clocks past due and investigation reports past
their 30 days (Plan §5). The whole view, with preparedness and support-unit obligations and
commendations, is :mod:`fenghuo.preparedness.accountability`.

Omissions (漏报) are decided by :mod:`fenghuo.incident.omission_rules`: an incident another body
reported counts only when the unit knew or was told and did not report in its clock, or when the
unit's supplementary report raised the grade after its clock. Two set-based queries gather the
facts — the incidents others filed that a notice reached or the unit answered, and the unit's
own supplementary reports that state when it found the incident or raised the grade — and the
rule judges those rows only (never one query per incident)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.reasons import Reason
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, omission_rules, rules
from fenghuo.incident.models import Duty, Incident, IncidentEvent
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import scoping
from fenghuo.org.models import Body, User
from fenghuo.org.rules import Permission, path_ids
from fenghuo.org.service import require
from fenghuo.response.models import Investigation


@dataclass(frozen=True)
class Omitted:
    """One omitted report (漏报) and why it counts (Plan §7.10; ``omission_rules``)."""

    ref: str
    title: str
    reported_at: datetime
    grounds: tuple[Reason, ...]
    #: when the unit's clock started (it found, was told of or answered the incident) and ran out
    aware_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class ReportingRow:
    unit: str
    name_zh: str
    name_en: str
    incidents: int
    late: int  # 迟报: the unit's own report came after its deadline
    omitted: int  # 漏报: knew or was told and did not report in time (omission_rules)
    false: int  # 谎报
    concealed: int  # 瞒报
    overdue_duties: int  # clocks of this body past due and still open
    #: investigation reports this body organizes, past their 30 days and not approved (Plan §5)
    overdue_investigations: int = 0
    #: each omission with its grounds
    omissions: tuple[Omitted, ...] = field(default_factory=tuple)


def reporting(uow: UnitOfWork, clock: Clock, *, principal: Principal, since: datetime,
              until: datetime) -> list[ReportingRow]:
    """Per unit in scope and period: late, omitted, false and concealed reports, overdue clocks
    and overdue investigation reports (Plan §5, §7.10)."""
    require(principal, Permission.INCIDENT_READ)
    now = clock.now()
    # imported history has no clocks and is never late (incident.history, issue 18 item 9)
    late = select(Duty.incident_id).join(Incident, Incident.id == Duty.incident_id).where(
        Duty.kind == rules.DutyKind.REPORT.value, Duty.done_at > Duty.due_at,
        Incident.imported_at.is_(None))
    counts = (
        select(Incident.subject_body_id.label("body_id"),
               func.count().label("incidents"),
               func.sum(case((Incident.id.in_(late), 1), else_=0)).label("late"),
               func.sum(case((Incident.report_finding == "false", 1), else_=0))
               .label("false_reports"),
               func.sum(case((Incident.report_finding == "concealed", 1), else_=0))
               .label("concealed"))
        .where(Incident.reported_at >= since, Incident.reported_at < until,
               Incident.is_parent.is_(False))  # a parent only gathers its units' incidents
        .group_by(Incident.subject_body_id).subquery())
    overdue, investigations = _overdue_clocks(since, until, now)
    stmt = (select(Body, counts, overdue.c.n, investigations.c.n.label("investigations"))
            .outerjoin(counts, counts.c.body_id == Body.id)
            .outerjoin(overdue, overdue.c.body_id == Body.id)
            .outerjoin(investigations, investigations.c.body_id == Body.id)
            .where(scoping.visible_bodies(principal.scope),
                   (counts.c.body_id.is_not(None)) | (overdue.c.n.is_not(None))
                   | (investigations.c.n.is_not(None)))
            .order_by(Body.key))
    with uow() as s:
        rows = s.execute(stmt).all()
        omitted = omissions(s, principal.scope, since=since, until=until, now=now)
    out = []
    for r in rows:
        mine = tuple(omitted.get(r.Body.id, ()))
        out.append(ReportingRow(
            unit=r.Body.key, name_zh=r.Body.name_zh, name_en=r.Body.name_en,
            incidents=r.incidents or 0, late=r.late or 0, omitted=len(mine),
            false=r.false_reports or 0, concealed=r.concealed or 0, overdue_duties=r.n or 0,
            overdue_investigations=r.investigations or 0, omissions=mine))
    return out


def _overdue_clocks(since: datetime, until: datetime, now: datetime) -> tuple[Any, Any]:
    """Per body: its clocks of the period past due and open (``ix_duties_open``), and the
    investigation reports it organizes past their 30 days and not approved (Plan §5)."""
    overdue = (select(Duty.body_id, func.count().label("n"))
               .where(Duty.done_at.is_(None), Duty.due_at < now, Duty.starts_at < until,
                      Duty.starts_at >= since).group_by(Duty.body_id).subquery())
    investigations = (select(Investigation.organizer_body_id.label("body_id"),
                             func.count().label("n"))
                      .where(Investigation.approved_at.is_(None), Investigation.due_at < now,
                             Investigation.due_at >= since, Investigation.due_at < until)
                      .group_by(Investigation.organizer_body_id).subquery())
    return overdue, investigations


@dataclass(frozen=True)
class OverdueRow:
    """A unit with overdue clocks or investigation reports in a period (the dashboard)."""

    unit: str
    name_zh: str
    name_en: str
    overdue_duties: int
    overdue_investigations: int


def overdue(uow: UnitOfWork, clock: Clock, *, principal: Principal, since: datetime,
            until: datetime) -> list[OverdueRow]:
    """The units in scope with clocks past due or investigation reports overdue in the period
    (Plan §5, §7.10): what :func:`reporting` says of them, without its per-incident counts
    (which read the period's incidents and every report clock)."""
    require(principal, Permission.INCIDENT_READ)
    clocks, investigations = _overdue_clocks(since, until, clock.now())
    stmt = (select(Body, clocks.c.n, investigations.c.n.label("investigations"))
            .outerjoin(clocks, clocks.c.body_id == Body.id)
            .outerjoin(investigations, investigations.c.body_id == Body.id)
            .where(scoping.visible_bodies(principal.scope),
                   clocks.c.n.is_not(None) | investigations.c.n.is_not(None))
            .order_by(Body.key))
    with uow() as s:
        return [OverdueRow(r.Body.key, r.Body.name_zh, r.Body.name_en, r.n or 0,
                           r.investigations or 0) for r in s.execute(stmt)]


# --- omitted reports (Plan §7.10; omission_rules) ---------------------------------------------

_FIELDS = (Incident.id, Incident.ref, Incident.title, Incident.subject_body_id, Incident.source,
           Incident.found_at, Incident.reported_at, Incident.cii, Incident.jurisdiction_path,
           Incident.grading_profile)


def _in_period(scope: Scope, since: datetime, until: datetime) -> tuple:
    """The incidents of the period at units in scope (a parent only gathers its units'), less
    imported history (never a late or omitted report: incident.history)."""
    return (Incident.reported_at >= since, Incident.reported_at < until,
            Incident.is_parent.is_(False), Incident.imported_at.is_(None),
            Incident.subject_body_id.in_(select(Body.id).where(
                scoping.visible_bodies(scope))))


def _told_or_answered(scope: Scope, since: datetime, until: datetime) -> Select:
    """Incidents another body filed, with the first delivery to the unit of a message about it
    (``told_at``) and the unit's first supplementary report on it (``answered_at``). One with
    neither is no omission (``omissions`` skips it: filtering here would compute both twice)."""
    told = (select(func.min(OutboxMessage.delivered_at))
            .where(OutboxMessage.incident_id == Incident.id,
                   OutboxMessage.body_id == Incident.subject_body_id,
                   OutboxMessage.delivered_at.is_not(None)).scalar_subquery())
    answered = (select(func.min(IncidentEvent.at))
                .join(User, User.username == IncidentEvent.actor)
                .where(IncidentEvent.incident_id == Incident.id,
                       IncidentEvent.kind == "supplementary",
                       User.body_id == Incident.subject_body_id).scalar_subquery())
    return (select(*_FIELDS, told.label("told_at"), answered.label("answered_at"))
            .where(Incident.source != "unit", *_in_period(scope, since, until)))


#: a regrading that made the incident graver, as the timeline writes it (``handling._regrade``:
#: ``{"from": …, "to": …, "why": …}``); only a prefilter — the rule reads the detail itself
_RAISED = or_(*(IncidentEvent.detail.like(f'%"from": "{a}", "to": "{b}"%')
                for a, b in omission_rules.RISING))


def _unit_statements(scope: Scope, since: datetime, until: datetime) -> Select:
    """The unit's own supplementary reports that may tell against it: regradings they caused
    that made the incident graver, and (on an incident someone else filed) those saying when
    the unit found it."""
    return (select(*_FIELDS, IncidentEvent.kind, IncidentEvent.at, IncidentEvent.detail)
            .join(IncidentEvent, IncidentEvent.incident_id == Incident.id)
            .join(User, and_(User.username == IncidentEvent.actor,
                             User.body_id == Incident.subject_body_id))
            .where(*_in_period(scope, since, until),
                   or_(and_(IncidentEvent.kind == "regraded", _RAISED),
                       and_(IncidentEvent.kind == "supplementary", Incident.source != "unit",
                            IncidentEvent.detail.like('%"found_at"%')))))


@functools.cache
def _deadline(profile: str, cii: bool, path: str) -> timedelta:
    """The unit's first-report clock (CAC 2025 art. 4) for an incident of ``profile`` at a unit
    of ``path`` (a few values: cached)."""
    clocks = grading.clock_settings(grading.load_profile(profile), rules.ClockSettings)
    hours, _ = rules.first_report_hours(cii=cii, central=len(path_ids(path)) == 1,
                                        clocks=clocks)
    return timedelta(hours=hours)


def _record(row, **known) -> omission_rules.Record:  # noqa: ANN001, ANN003 - an incident row
    return omission_rules.Record(
        self_reported=row.source == "unit", found_at=row.found_at,
        deadline=_deadline(row.grading_profile, row.cii, row.jurisdiction_path), **known)


def _stated(record: omission_rules.Record, kind: str, at: datetime,
            detail: dict) -> omission_rules.Record:
    """``record`` with what one of the unit's own statements adds."""
    if kind == "regraded":
        if detail.get("why") == omission_rules.SUPPLEMENTARY and omission_rules.raises_grade(
                detail.get("from"), detail.get("to")):
            return replace(record, raised_at=(*record.raised_at, at))
        return record
    try:
        found = datetime.fromisoformat(detail["found_at"])
    except (KeyError, TypeError, ValueError):
        return record
    earliest = min(t for t in (found, record.stated_found_at) if t is not None)
    return replace(record, stated_found_at=earliest)


def omissions(s: Session, scope: Scope, *, since: datetime, until: datetime,
              now: datetime) -> dict[int, list[Omitted]]:
    """Per unit in scope, the incidents of [since, until) that count as omitted reports, each
    with its grounds (Plan §7.10; ``omission_rules.omission``). Core rows, not ORM ones: the
    first query may return every incident CNCERT reported in the period."""
    conn = s.connection()
    records: dict[int, omission_rules.Record] = {}
    rows: dict[int, object] = {}
    for r in conn.execute(_told_or_answered(scope, since, until)):
        if r.told_at is None and r.answered_at is None:
            continue
        rows[r.id] = r
        records[r.id] = _record(r, told_at=r.told_at, first_report_at=r.answered_at)
    for r in conn.execute(_unit_statements(scope, since, until)):
        rows.setdefault(r.id, r)
        base = records.get(r.id) or _record(r)
        records[r.id] = _stated(base, r.kind, r.at, json.loads(r.detail or "{}"))
    return _judged(records, rows, now)


def _judged(records: dict[int, omission_rules.Record], rows: dict[int, object],
            now: datetime) -> dict[int, list[Omitted]]:
    out: dict[int, list[Omitted]] = {}
    for incident_id, record in sorted(records.items()):
        found = omission_rules.omission(record, now)
        if found is None:
            continue
        r = rows[incident_id]
        out.setdefault(r.subject_body_id, []).append(Omitted(
            ref=r.ref, title=r.title, reported_at=r.reported_at, grounds=found.grounds,
            aware_at=found.aware_at, due_at=found.due_at))
    return out
