"""The reporting side of accountability (Plan §7.10): per unit and period, late, omitted, false
and concealed reports (迟报、漏报、谎报、瞒报), clocks past due and investigation reports past
their 30 days (Plan §5). The whole view, with preparedness and support-unit obligations and
commendations, is :mod:`fenghuo.preparedness.accountability`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from fenghuo.common.clock import Clock
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import rules
from fenghuo.incident.models import Duty, Incident
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.response.models import Investigation


@dataclass(frozen=True)
class ReportingRow:
    unit: str
    name_zh: str
    name_en: str
    incidents: int
    late: int  # 迟报: the unit's own report came after its deadline
    omitted: int  # 漏报: the office learned of it from another source
    false: int  # 谎报
    concealed: int  # 瞒报
    overdue_duties: int  # clocks of this body past due and still open
    #: investigation reports this body organizes, past their 30 days and not approved (Plan §5)
    overdue_investigations: int = 0


def reporting(uow: UnitOfWork, clock: Clock, *, principal: Principal, since: datetime,
              until: datetime) -> list[ReportingRow]:
    """Per unit in scope and period: late, omitted, false and concealed reports, overdue clocks
    and overdue investigation reports (Plan §5, §7.10)."""
    require(principal, Permission.INCIDENT_READ)
    now = clock.now()
    late = select(Duty.incident_id).where(Duty.kind == rules.DutyKind.REPORT.value,
                                          Duty.done_at > Duty.due_at)
    counts = (
        select(Incident.subject_body_id.label("body_id"),
               func.count().label("incidents"),
               func.sum(case((Incident.id.in_(late), 1), else_=0)).label("late"),
               func.sum(case((Incident.source != "unit", 1), else_=0)).label("omitted"),
               func.sum(case((Incident.report_finding == "false", 1), else_=0))
               .label("false_reports"),
               func.sum(case((Incident.report_finding == "concealed", 1), else_=0))
               .label("concealed"))
        .where(Incident.reported_at >= since, Incident.reported_at < until,
               Incident.is_parent.is_(False))  # a parent only gathers its units' incidents
        .group_by(Incident.subject_body_id).subquery())
    overdue = (select(Duty.body_id, func.count().label("n"))
               .where(Duty.done_at.is_(None), Duty.due_at < now, Duty.starts_at < until,
                      Duty.starts_at >= since).group_by(Duty.body_id).subquery())
    investigations = (select(Investigation.organizer_body_id.label("body_id"),
                             func.count().label("n"))
                      .where(Investigation.approved_at.is_(None), Investigation.due_at < now,
                             Investigation.due_at >= since, Investigation.due_at < until)
                      .group_by(Investigation.organizer_body_id).subquery())
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
        return [ReportingRow(
            unit=r.Body.key, name_zh=r.Body.name_zh, name_en=r.Body.name_en,
            incidents=r.incidents or 0, late=r.late or 0, omitted=r.omitted or 0,
            false=r.false_reports or 0, concealed=r.concealed or 0, overdue_duties=r.n or 0,
            overdue_investigations=r.investigations or 0)
            for r in rows]
