"""The KPIs of a period in the caller's scope (issue 19 item 10; definitions in
:mod:`fenghuo.kpi.rules`).

Every read is bounded by the period (and the seven before it, for the trend) and by the
caller's scope (Law art. 30): the incidents are those of ``incident.scoping.visible_incidents``
and every interval is attributed to a body of ``org.scoping.visible_bodies`` — a province office
sees the bodies of its jurisdiction, an operator or support unit only itself. The intervals are
read as (body, start, stop) rows; the percentiles are computed in Python over them, the
support-unit hours are summed in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from fenghuo.common.errors import NotFound
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.scoping import visible_incidents
from fenghuo.kpi import rules
from fenghuo.kpi.rules import Interval, Kpi, Period, Summary
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.scoping import visible_bodies
from fenghuo.org.service import require
from fenghuo.response.models import Response
from fenghuo.support.models import WorkEntry
from fenghuo.warning.models import WarningRecipient


@dataclass(frozen=True)
class BodyLabel:
    key: str
    zh: str
    en: str


ALL = BodyLabel("", "全部单位", "all bodies")


@dataclass(frozen=True)
class Row:
    kpi: Kpi
    body: BodyLabel
    summary: Summary


@dataclass(frozen=True)
class SupportRow:
    body: BodyLabel
    hours: float
    entries: int
    #: the Support obligation's hours for the period (``None`` for a week)
    target: float | None
    trend: list[float]


@dataclass
class KpiReport:
    period: str
    kind: str
    first_day: str
    last_day: str
    previous: str
    next: str
    holder: BodyLabel
    body: BodyLabel | None
    periods: list[str]
    rows: list[Row] = field(default_factory=list)
    trend: dict[Kpi, list[Summary]] = field(default_factory=dict)
    support: list[SupportRow] = field(default_factory=list)
    bodies: list[BodyLabel] = field(default_factory=list)


def report(uow: UnitOfWork, *, principal: Principal, period: Period,
           body: str | None = None) -> KpiReport:
    """The KPIs of ``period`` in the caller's scope, for one body of it or all of them."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        return _report(s, principal.scope, period, body or None)


def _label(b: Body) -> BodyLabel:
    return BodyLabel(b.key, b.name_zh, b.name_en)


def _body_ids(s: Session, scope: Scope, key: str | None):  # noqa: ANN202 - a Select
    """The bodies the figures may name: the caller's scope, or the one body asked for in it."""
    ids = select(Body.id).where(visible_bodies(scope))
    if key is None:
        return ids, None
    chosen = s.scalar(select(Body).where(Body.key == key, Body.id.in_(ids)))
    if chosen is None:
        raise NotFound(f"no body {key!r} in your scope")
    return select(Body.id).where(Body.id == chosen.id), chosen


def _report(s: Session, scope: Scope, period: Period, key: str | None) -> KpiReport:
    ids, chosen = _body_ids(s, scope, key)
    periods = rules.trend(period)
    lo, _ = rules.bounds(periods[0])
    p_lo, hi = rules.bounds(period)
    intervals = _intervals(s, scope, ids, lo, hi)
    got = rules.summaries(intervals, p_lo, hi)
    support = _support_minutes(s, ids, periods)
    names = {b.id: _label(b) for b in s.scalars(select(Body).where(
        Body.id.in_({b for _, b in got if b is not None} | {b for b, _ in support})))}
    holder = s.get(Body, scope.body_id)
    out = KpiReport(period=str(period), kind=rules.kind_of(period),
                    first_day=period.start.isoformat(),
                    last_day=(period.end - timedelta(days=1)).isoformat(),
                    previous=str(period.previous()), next=str(period.next()),
                    holder=_label(holder), body=_label(chosen) if chosen else None,
                    periods=[str(p) for p in periods])
    out.rows = _rows(got, names)
    out.trend = rules.medians_by_period(intervals, periods)
    out.support = _support_rows(support, names, period, len(periods))
    out.bodies = sorted(names.values(), key=lambda b: b.key)
    return out


def _rows(got: dict, names: dict[int, BodyLabel]) -> list[Row]:
    order = {k: i for i, k in enumerate(Kpi)}
    rows = [Row(k, ALL if b is None else names[b], v) for (k, b), v in got.items()]
    return sorted(rows, key=lambda r: (order[r.kpi], r.body is not ALL, r.body.key))


# --- the intervals -------------------------------------------------------------------------


def _stopped_or_open(start, stop, lo: datetime, hi: datetime) -> ColumnElement[bool]:  # noqa: ANN001
    """Stopped in ``[lo, hi)``, or started there and still running at ``hi``."""
    return or_(and_(stop >= lo, stop < hi),
               and_(start >= lo, start < hi, or_(stop.is_(None), stop >= hi)))


def _intervals(s: Session, scope: Scope, ids: Select, lo: datetime, hi: datetime
               ) -> list[Interval]:
    queries = [
        (Kpi.REPORT, _reports(scope, ids, lo, hi)),
        (Kpi.ACKNOWLEDGE, _acknowledgements(scope, ids, lo, hi)),
        (Kpi.CONTAIN, _handling(scope, ids, lo, hi, "resolved")),
        (Kpi.CLOSE, _handling(scope, ids, lo, hi, "closed")),
        (Kpi.RESPONSE, select(Response.activated_by_body_id, Response.activated_at,
                              Response.ended_at).where(
            Response.activated_by_body_id.in_(ids),
            _stopped_or_open(Response.activated_at, Response.ended_at, lo, hi))),
        (Kpi.WARNING_ACK, select(WarningRecipient.body_id, WarningRecipient.notified_at,
                                 WarningRecipient.acknowledged_at).where(
            WarningRecipient.body_id.in_(ids),
            _stopped_or_open(WarningRecipient.notified_at, WarningRecipient.acknowledged_at,
                             lo, hi))),
    ]
    return [Interval(kpi, body, start, stop)
            for kpi, stmt in queries for body, start, stop in s.execute(stmt)]


def _own_incidents(scope: Scope, ids: Select) -> ColumnElement[bool]:
    """Incidents in scope, of a unit the figures may name; a parent of many owners is left out
    (each affected unit's child incident carries its own clocks)."""
    return and_(visible_incidents(scope), Incident.subject_body_id.in_(ids),
                Incident.is_parent.is_(False))


def _reports(scope: Scope, ids: Select, lo: datetime, hi: datetime) -> Select:
    return select(Incident.subject_body_id, Incident.found_at, Incident.reported_at).where(
        _own_incidents(scope, ids), Incident.reported_at >= lo, Incident.reported_at < hi)


def _acknowledgements(scope: Scope, ids: Select, lo: datetime, hi: datetime) -> Select:
    # an alias: ``visible_incidents`` looks for the caller's own route in a subquery
    route = aliased(IncidentRoute)
    return (select(route.body_id, route.routed_at, route.acknowledged_at)
            .join(Incident, Incident.id == route.incident_id)
            .where(visible_incidents(scope), route.body_id.in_(ids),
                   _stopped_or_open(route.routed_at, route.acknowledged_at, lo, hi)))


def _handling(scope: Scope, ids: Select, lo: datetime, hi: datetime, state: str) -> Select:
    """From the report to the first timeline entry making the incident ``state``
    (``incident.handling.set_state`` writes ``{"from": …, "to": state, …}``). Only entries
    before ``hi`` are read: the first of them is the first of all when it falls in the
    period, and none means the incident was still running at ``hi``."""
    first = (select(IncidentEvent.incident_id, func.min(IncidentEvent.at).label("at"))
             .where(IncidentEvent.kind == "state", IncidentEvent.at < hi,
                    IncidentEvent.detail.like(f'%"to": "{state}"%'))
             .group_by(IncidentEvent.incident_id).subquery())
    return (select(Incident.subject_body_id, Incident.reported_at, first.c.at)
            .outerjoin(first, first.c.incident_id == Incident.id)
            .where(_own_incidents(scope, ids),
                   _stopped_or_open(Incident.reported_at, first.c.at, lo, hi)))


# --- support-unit hours --------------------------------------------------------------------


def _support_minutes(s: Session, ids: Select, periods: list[Period]
                     ) -> dict[tuple[int, int], tuple[int, int]]:
    """(body, period index) → (minutes, entries) of the support work on days of the periods,
    summed in SQL."""
    day = WorkEntry.worked_on
    which = case(*[(and_(day >= p.start, day < p.end), i) for i, p in enumerate(periods)],
                 else_=None).label("which")
    stmt = (select(WorkEntry.body_id, which, func.sum(WorkEntry.minutes), func.count())
            .where(WorkEntry.body_id.in_(ids), WorkEntry.expert_id.is_(None),
                   day >= periods[0].start, day < periods[-1].end)
            .group_by(WorkEntry.body_id, which))
    return {(b, i): (int(m or 0), int(n)) for b, i, m, n in s.execute(stmt) if i is not None}


def _support_rows(got: dict[tuple[int, int], tuple[int, int]], names: dict[int, BodyLabel],
                  period: Period, n: int) -> list[SupportRow]:
    target = rules.support_target_hours(period)
    rows = []
    for body in sorted({b for b, _ in got}, key=lambda b: names[b].key):
        minutes, entries = got.get((body, n - 1), (0, 0))
        rows.append(SupportRow(names[body], minutes / 60, entries, target,
                               [got.get((body, i), (0, 0))[0] / 60 for i in range(n)]))
    return rows
