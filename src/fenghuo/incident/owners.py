"""Use cases of incidents with many owners (issue 16 item 5): a parent incident lists the units a
botnet or an exploitation wave hit; each affected unit gets a child incident of its own, graded,
routed along its own chain, with its own clocks and notices (and told itself when someone else
reported it, ``incident.notices``); the parent rolls up their states
(``owner_rules.rollup``).

Hundreds of units go in one transaction and a handful of statements (the children, their
timelines, routes, clocks and messages are each one batched insert). The whole request is
refused when any unit is not one the caller may report about, naming it, and nothing is written
(Law art. 30; ``owner_rules.may_report_about``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, notices, owner_rules, rules, service
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import (
    incident_out,
    rollup_of,
    rollup_out,
    summary,
    visible_incident,
)
from fenghuo.incident.schemas import (
    AffectedIn,
    AffectedOut,
    FactsIn,
    IncidentFieldsIn,
    IncidentOut,
    IncidentSummary,
    ParentIn,
)
from fenghuo.incident.scoping import visible_incidents
from fenghuo.org import directory, scoping
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, BodySector, Jurisdiction
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import require

_INSERT_ROWS = insert(Incident.__table__)
_INSERT_ONE = insert(Incident.__table__).returning(Incident.__table__.c.id)


@dataclass(frozen=True)
class Affected:
    subject: rules.Subject
    key: str
    name_zh: str
    name_en: str
    path: str


# --- reading the units ------------------------------------------------------------------------


def _affected(s: Session, principal: Principal, reporter: Body, keys: list[str]
              ) -> list[Affected]:
    """The units ``keys`` in one query, each one the caller may report about; otherwise the
    request is refused naming every unit that is not (Law art. 30, Support obligation 7)."""
    twice = owner_rules.duplicates(keys)
    if twice:
        raise ValidationFailed([FieldError("units", f"{k!r} is named more than once")
                                for k in twice])
    sector = (select(func.min(BodySector.sector_code)).where(BodySector.body_id == Body.id)
              .scalar_subquery())
    in_scope = case((scoping.visible_bodies(principal.scope), True), else_=False)
    rows = {r.key: r for r in s.execute(
        select(Body.id, Body.key, Body.kind, Body.cii, Body.name_zh, Body.name_en,
               Jurisdiction.path, sector.label("sector"), in_scope.label("in_scope"))
        .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
        .where(Body.key.in_(keys)))}
    refusals = []
    for k in keys:
        r = rows.get(k)
        refusals += owner_rules.may_report_about(
            reporter_kind=BodyKind(reporter.kind), key=k,
            unit_kind=BodyKind(r.kind) if r else None,
            in_scope=bool(r.in_scope) if r else False).refusals
    if refusals:
        raise Refused([x.as_dict() for x in refusals])
    return [Affected(rules.Subject(body_id=r.id, kind=BodyKind(r.kind), sector=r.sector,
                                   cii=r.cii, chain=tuple(reversed(org_rules.path_ids(r.path)))),
                     r.key, r.name_zh, r.name_en, r.path) for r in (rows[k] for k in keys)]


# --- writing the children ---------------------------------------------------------------------


def _source(principal: Principal, reporter: Body, unit: Affected) -> str:
    if unit.subject.body_id == principal.body_id:
        return "unit"
    return service.SOURCE_OF_KIND.get(BodyKind(reporter.kind), "office")


def _file_children(s: Session, now, principal: Principal, reporter: Body,  # noqa: ANN001
                   parent_id: int, data: IncidentFieldsIn, units: list[Affected],
                   profile: grading.GradingProfile) -> list[dict]:
    """One incident per affected unit, graded, routed, timed and notified: a batched insert
    for each table whatever the number of units."""
    rows = [service.incident_row(
        now, principal, data, subject=u.subject, path=u.path, profile=profile.name,
        result=grading.grade(service.grade_facts(data.facts, None, u.subject.cii), profile),
        source=_source(principal, reporter, u), parent_id=parent_id) for u in units]
    conn = s.connection()
    conn.execute(_INSERT_ROWS, rows)  # no RETURNING: SQLite would return a row at a time
    by_ref = dict(conn.execute(select(Incident.ref, Incident.id).where(
        Incident.parent_id == parent_id, Incident.ref.in_([r["ref"] for r in rows]))).all())
    ids = [by_ref[r["ref"]] for r in rows]
    events: list[dict] = []
    plans, concerned = [], []
    snap, clocks = directory.current(s), service.clock_settings(profile)
    for i, row, u in zip(ids, rows, units, strict=True):
        row["id"] = i
        facts = service.IncidentFacts(id=i, **{k: row[k] for k in service.IncidentFacts.FIELDS},
                                      unit=(u.name_zh, u.name_en), unit_key=u.key)
        events += service.intake_events(i, now, principal.username, row, reporter.key)
        extra = service.pi_duties(s, row)
        plans.append(service.plan_routing(facts, u.subject, row["grade"], clocks, now,
                                          first=True, snap=snap, extra_duties=extra))
        if u.subject.body_id != principal.body_id:
            concerned.append(notices.Concerned(facts, u.subject.body_id, u.name_zh, u.name_en,
                                               due_at=extra[0].due_at if extra else None))
    service.write_routing(s, plans, now, snap, events, ids=False)
    service.write_events(s, events)
    notices.tell_units(s, concerned, reporter=(reporter.name_zh, reporter.name_en), now=now,
                       ids=False)
    return rows


def _refresh(s: Session, parent: Incident, now) -> None:  # noqa: ANN001
    """The parent's grade is the worst of its units' (Plan §1.4: the highest grade reached);
    its place and sector are what its units share, so the bodies over all of them see it."""
    r = rollup_of(s, parent.id)
    paths, sectors = zip(*s.execute(select(Incident.jurisdiction_path, Incident.sector_code)
                                    .where(Incident.parent_id == parent.id)).all(),
                         strict=True)
    parent.jurisdiction_path = owner_rules.common_path(paths) or parent.jurisdiction_path
    parent.sector_code = sectors[0] if len(set(sectors)) == 1 else None
    if r.worst_grade and parent.grade != r.worst_grade.value:
        service.event(s, parent, at=now, kind="regraded", actor="system",
                      detail={"from": parent.grade, "to": r.worst_grade.value,
                              "why": "worst grade of the affected units"})
        parent.grade = r.worst_grade.value
    parent.grade_reasons = json.dumps([owner_rules.worst_reason(r)], ensure_ascii=False)
    parent.updated_at = now


def refresh_parent(s: Session, parent_id: int, now) -> None:  # noqa: ANN001
    """After a unit's incident is regraded: the parent's grade follows."""
    _refresh(s, s.get(Incident, parent_id), now)


# --- use cases --------------------------------------------------------------------------------


def _hash(data: ParentIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def create_parent(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ParentIn,
                  profile: str, idempotency_key: str | None = None) -> IncidentOut:
    """File one incident at many units: the parent and a child per affected unit."""
    require(principal, Permission.INCIDENT_REPORT)
    now = clock.now()
    service.check_fields(data, now)
    with uow() as s:
        if idempotency_key:
            earlier = s.scalar(select(Incident).where(
                Incident.reported_by_user_id == principal.user_id,
                Incident.idempotency_key == idempotency_key))
            if earlier is not None:
                if earlier.request_hash != _hash(data):
                    raise Conflict("this Idempotency-Key was already used for a different "
                                   "report")
                return incident_out(s, earlier, now, reader=principal)
        reporter = s.get(Body, principal.body_id)
        units = _affected(s, principal, reporter, list(data.units))
        grading_profile = grading.load_profile(profile)
        row = service.incident_row(
            now, principal, data, subject=rules.Subject(reporter.id, BodyKind(reporter.kind),
                                                        None, False, ()),
            path=reporter.jurisdiction.path, profile=grading_profile.name,
            result=grading.grade(service.grade_facts(data.facts, None, False), grading_profile),
            source=service.SOURCE_OF_KIND.get(BodyKind(reporter.kind), "office"),
            key=idempotency_key, request_hash=_hash(data), is_parent=True)
        row["pi_records"] = row["pi_inform_users"] = None  # each unit tells its own users
        parent_id = s.connection().execute(_INSERT_ONE, row).scalar_one()
        service.write_events(s, service.intake_events(parent_id, now, principal.username, row,
                                                      reporter.key))
        children = _file_children(s, now, principal, reporter, parent_id, data, units,
                                  grading_profile)
        parent = s.get(Incident, parent_id)
        _added(s, principal, parent, children, now, "incident.report_parent")
        return incident_out(s, parent, now, reader=principal)


def _added(s: Session, principal: Principal, parent: Incident, children: list[dict],
           now, action: str) -> None:  # noqa: ANN001
    _refresh(s, parent, now)
    service.event(s, parent, at=now, kind="affected_added", actor=principal.username,
                  detail={"count": len(children), "refs": [c["ref"] for c in children]})
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type="incident", entity_key=parent.ref,
                 scope_path=parent.jurisdiction_path,
                 detail={"units": len(children), "grade": parent.grade})


def add_affected(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                 data: AffectedIn) -> IncidentOut:
    """More units hit by the same incident: each gets its incident like the first ones. A
    closed parent takes none (409); a resolved one goes back to handling."""
    require(principal, Permission.INCIDENT_REPORT)
    now = clock.now()
    with uow() as s:
        parent = _parent(s, principal, ref)
        if parent.state == rules.State.CLOSED:
            raise Conflict(f"incident {ref} is closed: no more affected units")
        keys = list(data.units)
        present = set(s.scalars(select(Body.key).join(Incident, Incident.subject_body_id ==
                                                      Body.id).where(
            Incident.parent_id == parent.id, Body.key.in_(keys))))
        if present:
            raise Conflict("already affected units of " + ref + ": " + ", ".join(sorted(present)))
        reporter = s.get(Body, principal.body_id)
        units = _affected(s, principal, reporter, keys)
        children = _file_children(s, now, principal, reporter, parent.id, _fields(parent),
                                  units, grading.load_profile(parent.grading_profile))
        if parent.state == rules.State.RESOLVED:
            parent.state = rules.State.HANDLING.value
            service.event(s, parent, at=now, kind="state", actor="system",
                          detail={"from": "resolved", "to": "handling",
                                  "note": "new affected units"})
        _added(s, principal, parent, children, now, "incident.add_affected")
        return incident_out(s, parent, now, reader=principal)


def _parent(s: Session, principal: Principal, ref: str) -> Incident:
    incident = visible_incident(s, principal.scope, ref)
    if not incident.is_parent:
        raise ValidationFailed([FieldError("ref", f"{ref} is not an incident with many "
                                                  "affected units")])
    return s.scalar(select(Incident).where(Incident.id == incident.id).with_for_update())


def _fields(parent: Incident) -> IncidentFieldsIn:
    """What the parent says of the incident, for a new unit's own incident."""
    return IncidentFieldsIn(
        category=parent.category, subcategory=parent.subcategory, title=parent.title,
        description=parent.description, found_at=parent.found_at, impact=parent.impact,
        measures=parent.measures, facts=FactsIn(**json.loads(parent.facts)), tlp=parent.tlp)


def list_affected(uow: UnitOfWork, *, principal: Principal, ref: str) -> AffectedOut:
    """The parent's roll-up and its units' incidents (those the caller may read)."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        parent = visible_incident(s, principal.scope, ref, shared=True)
        if not parent.is_parent:
            raise ValidationFailed([FieldError("ref", f"{ref} is not an incident with many "
                                                      "affected units")])
        rows = s.execute(select(Incident, Body).join(Body, Body.id == Incident.subject_body_id)
                         .where(Incident.parent_id == parent.id,
                                visible_incidents(principal.scope, shared=True))
                         .order_by(Incident.id)).all()
        return AffectedOut(parent=parent.ref, rollup=rollup_out(rollup_of(s, parent.id)),
                           units=[IncidentSummary(**summary(i, b)) for i, b in rows])
