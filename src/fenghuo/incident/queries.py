"""Reading incidents inside the caller's scope: one incident in full, or a filtered page
(grade, category and subcategory, jurisdiction subtree, sector, unit, state, reporting time,
full-text search)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, false, func, select
from sqlalchemy.orm import Session

from fenghuo.common import sorting
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, capped_count, fetch_page
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, owner_rules, pi_rules, rules, search
from fenghuo.incident.deliveries import managed_bodies, outbox_out
from fenghuo.incident.models import Duty, Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.schemas import (
    AssigneeOut,
    DutyOut,
    EventOut,
    IncidentOut,
    IncidentSummary,
    PersonalInfoOut,
    ReasonOut,
    RollupOut,
    RouteOut,
)
from fenghuo.incident.scoping import visible_incidents
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify.models import OutboxMessage
from fenghuo.org.models import Body, InfoSystem, Jurisdiction, User
from fenghuo.org.rules import Permission
from fenghuo.org.service import require


def visible_incident(s: Session, scope: Scope, ref: str, *, shared: bool = False) -> Incident:
    """The incident ``ref`` in ``scope``; ``shared`` (for reads) also one shared with the
    caller's body (Plan §3.2)."""
    incident = s.scalar(select(Incident).where(Incident.ref == ref,
                                               visible_incidents(scope, shared=shared)))
    if incident is None:
        raise NotFound(f"no incident {ref!r}")
    return incident


def _label(pair: tuple[str, str]) -> dict:
    return {"zh": pair[0], "en": pair[1]}


def summary(incident: Incident, unit: Body) -> dict:
    return {
        "ref": incident.ref, "title": incident.title, "unit": unit.key,
        "unit_name_zh": unit.name_zh, "unit_name_en": unit.name_en,
        "category": incident.category,
        "category_label": _label(get_taxonomy().label(incident.category)),
        "subcategory": incident.subcategory, "grade": incident.grade,
        "grade_label": _label(grading.GRADE_LABELS[grading.Grade(incident.grade)]),
        "state": incident.state, "found_at": incident.found_at,
        "reported_at": incident.reported_at, "source": incident.source,
        "tlp": incident.tlp,
    }


def incident_out(s: Session, incident: Incident, now: datetime | None = None, *,
                 reader: Principal | None = None) -> IncidentOut:
    """The incident in full as ``reader`` sees it: notification addresses in full only where
    the reader may manage the receiving body's channels (issue 18 item 5; masked for all
    without a reader)."""
    s.flush()
    unit = s.get(Body, incident.subject_body_id)
    system = s.get(InfoSystem, incident.system_id) if incident.system_id else None
    routes = s.execute(select(IncidentRoute, Body).join(Body, Body.id == IncidentRoute.body_id)
                       .where(IncidentRoute.incident_id == incident.id)
                       .order_by(IncidentRoute.id)).all()
    duties = s.execute(select(Duty, Body.key).join(Body, Body.id == Duty.body_id)
                       .where(Duty.incident_id == incident.id).order_by(Duty.id)).all()
    deliveries = s.execute(select(OutboxMessage, Body.key).outerjoin(
        Body, Body.id == OutboxMessage.body_id).where(OutboxMessage.incident_id == incident.id)
        .order_by(OutboxMessage.id)).all()
    events = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                       .order_by(IncidentEvent.id)).all()
    managed = managed_bodies(s, reader, (m.body_id for m, _ in deliveries))
    now = now or incident.updated_at
    inform = next((d for d, _ in duties if d.kind == rules.DutyKind.INFORM_USERS.value), None)
    return IncidentOut(
        **summary(incident, unit), system=system.key if system else None,
        system_important=system.important if system else None, sector=incident.sector_code,
        cii=incident.cii, description=incident.description, impact=incident.impact,
        measures=incident.measures, facts=json.loads(incident.facts),
        grading_profile=incident.grading_profile,
        grade_reasons=[ReasonOut(**r) for r in json.loads(incident.grade_reasons)],
        report_finding=incident.report_finding,
        routes=[_route_out(r, b) for r, b in routes],
        duties=[DutyOut(id=d.id, body=key, kind=d.kind, source=d.source, starts_at=d.starts_at,
                        due_at=d.due_at, done_at=d.done_at,
                        state=rules.clock_state(d.due_at, d.done_at, now).value)
                for d, key in duties],
        deliveries=[outbox_out(m, key, managed) for m, key in deliveries],
        timeline=[EventOut(at=e.at, kind=e.kind, actor=e.actor, detail=json.loads(e.detail))
                  for e in events],
        discovered_by=_discoverer(s, incident),
        parent=s.scalar(select(Incident.ref).where(Incident.id == incident.parent_id))
        if incident.parent_id else None,
        rollup=rollup_out(rollup_of(s, incident.id)) if incident.is_parent else None,
        resolution=incident.resolution, assignee=_assignee(s, incident),
        personal_information=personal_info_out(incident, inform.due_at if inform else None,
                                                now))


def _assignee(s: Session, incident: Incident) -> AssigneeOut | None:
    """Whom it is assigned to (one lookup by primary key, only when assigned)."""
    user = s.get(User, incident.assignee_user_id) if incident.assignee_user_id else None
    return AssigneeOut(username=user.username, display_name=user.display_name) if user else None


def _discoverer(s: Session, incident: Incident) -> str | None:
    """The reporting body when it is not the unit itself: it discovered the incident (for a
    support unit, Support obligation 7)."""
    if incident.reporting_body_id in (None, incident.subject_body_id):
        return None
    return s.scalar(select(Body.key).where(Body.id == incident.reporting_body_id))


def rollup_of(s: Session, parent_id: int) -> owner_rules.Rollup:
    return owner_rules.rollup(s.execute(select(Incident.state, Incident.grade).where(
        Incident.parent_id == parent_id)).all())


def rollup_out(r: owner_rules.Rollup) -> RollupOut:
    return RollupOut(total=r.total, by_state=r.by_state, open=r.open,
                     worst_grade=r.worst_grade.value if r.worst_grade else None,
                     worst_grade_label=_label(grading.GRADE_LABELS[r.worst_grade])
                     if r.worst_grade else None, all_closed=r.all_closed)


def personal_info_out(row, due_at: datetime | None,  # noqa: ANN001 - an Incident or its row
                      now: datetime) -> PersonalInfoOut | None:
    """Personal information of the incident (Law art. 42 ¶2) and where telling the users
    stands; None when it states no records."""
    pi = pi_rules.PersonalInfo(row.pi_records, row.pi_inform_users)
    state = pi_rules.inform_state(pi, due_at, row.pi_informed_at, now)
    if state is None:
        return None
    return PersonalInfoOut(
        records=row.pi_records, inform_users=pi.inform_users is not False, reason=row.pi_reason,
        state=state.value, state_label=_label(pi_rules.INFORM_LABELS[state]), due_at=due_at,
        informed_at=row.pi_informed_at, informed_how=row.pi_informed_how,
        informed_count=row.pi_informed_count, source=pi_rules.SOURCE)


def _route_out(r: IncidentRoute, b: Body) -> RouteOut:
    codes = r.reason_code.split("+")
    zh, en = r.reason_zh.split("；"), r.reason_en.split("; ")
    reasons = [ReasonOut(code=c, source=r.source, text_zh=z, text_en=e)
               for c, z, e in zip(codes, zh, en, strict=False)]
    return RouteOut(body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en, reasons=reasons,
                    immediate=r.immediate, routed_at=r.routed_at,
                    acknowledged_at=r.acknowledged_at, acknowledged_by=r.acknowledged_by)


def get_incident(uow: UnitOfWork, *, principal: Principal, ref: str, now: datetime
                 ) -> IncidentOut:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        return incident_out(s, visible_incident(s, principal.scope, ref, shared=True), now,
                            reader=principal)


def _search(s: Session, q: str):  # noqa: ANN202 - a WHERE clause
    """``q`` anywhere in the title, description, impact, measures or unit name, or the ref,
    answered from the search index (fenghuo.incident.search)."""
    return search.condition(s, q)


#: the columns the incident list sorts by (grade and state in their order, not alphabetically)
SORTS = ("reported_at", "grade", "state", "title", "ref")


def _sort_columns() -> dict:
    return {"reported_at": Incident.reported_at, "title": Incident.title, "ref": Incident.ref,
            "grade": case({g.value: g.rank for g in grading.Grade}, value=Incident.grade,
                          else_=0),
            "state": case({st.value: n for n, st in enumerate(rules.State)},
                          value=Incident.state, else_=len(rules.State))}


#: the incident list counts its matches up to this many (``Page.total_exact`` false beyond):
#: an exact count of millions on every page took most of a second at 1 M (issue 21)
COUNT_CAP = 1_000


def counts_by_grade_and_state(uow: UnitOfWork, *, principal: Principal,
                              states: Iterable[str]) -> dict[tuple[str, str], int]:
    """How many incidents in the caller's scope (as :func:`list_incidents` sees them) are in
    each of ``states``, per grade and state: one grouped count (the dashboard, issue 21)."""
    require(principal, Permission.INCIDENT_READ)
    stmt = (select(Incident.grade, Incident.state, func.count())
            .where(visible_incidents(principal.scope, shared=True),
                   Incident.state.in_(list(states)))
            .group_by(Incident.grade, Incident.state))
    with uow() as s:
        return {(grade, state): n for grade, state, n in s.execute(stmt)}


def list_incidents(
    uow: UnitOfWork, *, principal: Principal, page: PageParams, grade: str | None = None,
    category: str | None = None, state: str | None = None, sector: str | None = None,
    unit: str | None = None, q: str | None = None, since: datetime | None = None,
    until: datetime | None = None, subcategory: str | None = None,
    jurisdiction: str | None = None, assignee: str | None = None,
    sort: str | None = None, desc: bool = False, before: str | None = None,
) -> Page[IncidentSummary]:
    """Incidents in the caller's scope, newest first. ``jurisdiction`` (a jurisdiction code)
    keeps the incidents of units in its subtree; ``since``/``until`` bound the reporting time
    (``until`` excluded); ``assignee`` (a username) keeps those assigned to that user; every
    filter combines with the others and with the scope. ``sort`` (one of :data:`SORTS`, with
    ``desc``) orders the page in SQL, the id breaking ties; otherwise newest first. ``before``
    (the ref of the last incident of the previous page, ``Page.next``) gives the next keyset
    page of the newest-first order: the total then counts from there on."""
    require(principal, Permission.INCIDENT_READ)
    stmt = select(Incident, Body).join(Body, Body.id == Incident.subject_body_id).where(
        visible_incidents(principal.scope, shared=True))
    for column, value in ((Incident.grade, grade), (Incident.category, category),
                          (Incident.subcategory, subcategory), (Incident.state, state),
                          (Incident.sector_code, sector), (Body.key, unit)):
        if value:
            stmt = stmt.where(column == value)
    if assignee:
        stmt = stmt.where(Incident.assignee_user_id == select(User.id).where(
            User.username == assignee).scalar_subquery())
    if since:
        stmt = stmt.where(Incident.reported_at >= since)
    if until:
        stmt = stmt.where(Incident.reported_at < until)
    with uow() as s:
        if q:
            stmt = stmt.where(_search(s, q))
        if jurisdiction:
            path = s.scalar(select(Jurisdiction.path).where(Jurisdiction.code == jurisdiction))
            stmt = stmt.where(Incident.jurisdiction_path.startswith(path) if path else false())
        if before:
            stmt = stmt.where(Incident.id < _cursor(s, principal, before, sort))
        order = sorting.order_by(_sort_columns(), sort, desc, tiebreak=Incident.id,
                                 default=Incident.id.desc())
        found = None
        if q and sort is None and not before and page.offset == 0:
            found = _newest_matches(s, stmt, page)
        if found is None:
            found = fetch_page(s, stmt, page, order_by=order, count_cap=COUNT_CAP,
                               convert=_summary_of)
    if sort is None and len(found.items) == page.limit:
        found.next = found.items[-1].ref
    return found


def _summary_of(row: Any) -> IncidentSummary:
    return IncidentSummary(**summary(row[0], row[1]))


#: a search's first page is looked for among the newest this many incidents first, then among
#: the newest ``SEARCH_WINDOW * SEARCH_WIDEN`` (when a burst of other reports fills the first)
SEARCH_WINDOW = 20_000
SEARCH_WIDEN = 10


def _newest_matches(s: Session, stmt: Select, page: PageParams) -> Page[IncidentSummary] | None:
    """The first newest-first page of a search, when the newest ``SEARCH_WINDOW`` incidents
    fill it, or else the newest ten times as many (issue 21 item 2). A common word matches tens
    of thousands of incidents at 1 M; ordering all of them to keep 50 read every one (about
    100 ms warm, 250 ms at load). When a window holds a full page, that page is the answer
    (every incident outside is older); otherwise None, and the search reads all its matches as
    before. The capped count is the whole search's either way."""
    for window in (SEARCH_WINDOW, SEARCH_WINDOW * SEARCH_WIDEN):
        floor = s.scalar(select(Incident.id).order_by(Incident.id.desc())
                         .offset(window).limit(1))
        if floor is None:  # the table is smaller than the window: the full search is as fast
            return None
        rows = s.execute(stmt.where(Incident.id > floor).order_by(Incident.id.desc())
                         .limit(page.limit)).all()
        if len(rows) == page.limit:
            total, exact = capped_count(s, stmt, COUNT_CAP)
            return Page[IncidentSummary](items=[_summary_of(r) for r in rows], total=total,
                                         limit=page.limit, offset=0, total_exact=exact)
    return None


def _cursor(s: Session, principal: Principal, ref: str, sort: str | None) -> int:
    """The id a keyset page starts below: that of an incident the caller sees."""
    if sort is not None:
        raise ValidationFailed([FieldError("before", "keyset pages follow the newest-first "
                                                     "order: leave out sort")])
    found = s.scalar(select(Incident.id).where(Incident.ref == ref,
                                               visible_incidents(principal.scope, shared=True)))
    if found is None:
        raise ValidationFailed([FieldError("before", f"no incident {ref!r} in your scope")])
    return found
