"""Use cases of technical support teams and experts (Plan §7.2, §7.3): profiles (skills, regions,
availability), search, standby during a red warning (Plan §3.4.1 (3), computed), dispatch to an
incident, warning or response, release with an outcome, and the time spent on an assignment."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import visible_incident
from fenghuo.org import scoping
from fenghuo.org.models import Body, Expert, Jurisdiction
from fenghuo.org.rules import BODY_KIND_LABELS, BodyKind, Permission, has_permission
from fenghuo.org.service import require, visible_body
from fenghuo.response.models import Response
from fenghuo.response.views import visible_response
from fenghuo.support import rules
from fenghuo.support.facts import label, reason_out, status_ended
from fenghuo.support.models import Assignment, ExpertProfile, TeamProfile, WorkEntry
from fenghuo.support.schemas import (
    AssignmentIn,
    AssignmentOut,
    AssignmentWorkIn,
    ExpertProfileIn,
    ExpertProfileOut,
    ReleaseIn,
    TeamOut,
    TeamProfileIn,
    WorkOut,
)
from fenghuo.support.units import caller_body, day_minutes, record, work_out
from fenghuo.warning.models import EarlyWarning
from fenghuo.warning.rules import WarningLevel, WarningScope, WarningState
from fenghuo.warning.views import visible_warning

TEAM_KINDS = tuple(k.value for k in rules.DISPATCHABLE_KINDS)


def _lines(text: str | None) -> list[str]:
    return [x for x in (text or "").split("\n") if x]


# --- standby (Plan §3.4.1 (3)) ----------------------------------------------------------------


def red_warnings(s: Session) -> list[rules.RedWarning]:
    """Published, not lifted red warnings with their scope as jurisdiction paths."""
    rows = s.scalars(select(EarlyWarning).where(
        EarlyWarning.level == WarningLevel.RED.value,
        EarlyWarning.state == WarningState.PUBLISHED.value,
        EarlyWarning.lifted_at.is_(None)).order_by(EarlyWarning.id)).all()
    lists = {w.id: (json.loads(w.jurisdictions), json.loads(w.sectors)) for w in rows}
    codes = {c for cs, _ in lists.values() for c in cs}
    paths = _paths(s, codes)
    return [rules.RedWarning(w.ref, WarningScope(
        frozenset(paths[c] for c in lists[w.id][0] if c in paths), frozenset(lists[w.id][1])))
        for w in rows]


def _paths(s: Session, codes: Iterable[str]) -> dict[str, str]:
    codes = sorted(set(codes))
    return dict(s.execute(select(Jurisdiction.code, Jurisdiction.path).where(
        Jurisdiction.code.in_(codes))).all()) if codes else {}


def _regions(s: Session, data_regions: list[str]) -> list[str]:
    """Jurisdiction codes, checked; a 422 names the unknown ones."""
    known = _paths(s, data_regions)
    unknown = [c for c in data_regions if c not in known]
    if unknown:
        raise ValidationFailed([FieldError("regions", f"unknown jurisdiction(s): "
                                           f"{', '.join(unknown)}")])
    return list(dict.fromkeys(data_regions))


def _standing(s: Session, codes: list[str], default_path: str, stored: str,
              red: list[rules.RedWarning]) -> tuple[rules.Availability, list[str]]:
    paths = list(_paths(s, codes).values()) or [default_path]
    refs = rules.standby(paths, red)
    return rules.availability(stored, refs), refs


# --- teams (Plan §7.2) ------------------------------------------------------------------------


def team_out(s: Session, body: Body, p: TeamProfile | None, red: list[rules.RedWarning]
             ) -> TeamOut:
    regions = _lines(p.regions) if p else [body.jurisdiction.code]
    avail, refs = _standing(s, regions, body.jurisdiction.path,
                            p.availability if p else "available", red)
    zh, en = BODY_KIND_LABELS[BodyKind(body.kind)]
    return TeamOut(body=body.key, name_zh=body.name_zh, name_en=body.name_en, kind=body.kind,
                   kind_label={"zh": zh, "en": en}, skills=_lines(p.skills) if p else [],
                   regions=regions, members=p.members if p else None,
                   availability=avail.value,
                   availability_label=label(rules.AVAILABILITY_LABELS, avail),
                   standby=refs, reasons=[reason_out(rules.STANDBY_REASON)] if refs else [])


def _team(s: Session, principal: Principal, key: str) -> Body:
    body = visible_body(s, principal.scope, key)
    if body.kind not in TEAM_KINDS:
        raise NotFound(f"{key!r} is not a support team or support unit")
    return body


def put_team(uow: UnitOfWork, clock: Clock, *, principal: Principal, key: str,
             data: TeamProfileIn) -> TeamOut:
    """Set a team's skills, regions and availability (Plan §7.2): the team itself, or a manager
    in whose scope it is."""
    now = clock.now()
    with uow() as s:
        body = _team(s, principal, key)
        if not (has_permission(principal.roles, Permission.SUPPORT_MANAGE) or (
                body.id == principal.body_id
                and has_permission(principal.roles, Permission.SUPPORT_LOG))):
            raise Forbidden("a team keeps its own profile; support:manage keeps any in scope")
        regions = _regions(s, data.regions)
        p = s.get(TeamProfile, body.id)
        if p is None:
            p = TeamProfile(body_id=body.id)
            s.add(p)
        p.skills = "\n".join(x.strip() for x in data.skills if x.strip())
        p.regions = "\n".join(regions)
        p.availability, p.members, p.updated_at = data.availability, data.members, now
        s.flush()
        record(s, principal, now, "support.team.update", "team_profile", body.key, body,
               data.model_dump(mode="json"))
        return team_out(s, body, p, red_warnings(s))


def get_team(uow: UnitOfWork, *, principal: Principal, key: str) -> TeamOut:
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        body = _team(s, principal, key)
        return team_out(s, body, s.get(TeamProfile, body.id), red_warnings(s))


def _covers(s: Session, regions: list[str], default_path: str, region_path: str | None) -> bool:
    if region_path is None:
        return True
    paths = list(_paths(s, regions).values()) or [default_path]
    return any(region_path.startswith(p) for p in paths)


def _region_path(s: Session, region: str | None) -> str | None:
    if not region:
        return None
    path = s.scalar(select(Jurisdiction.path).where(Jurisdiction.code == region))
    if path is None:
        raise ValidationFailed([FieldError("region", f"unknown jurisdiction {region!r}")])
    return path


def _page(items: list, page: PageParams) -> Page:
    return Page[object](items=items[page.offset:page.offset + page.limit], total=len(items),
                        limit=page.limit, offset=page.offset)


def search_teams(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                 skill: str | None = None, region: str | None = None,
                 availability: str | None = None) -> Page[TeamOut]:
    """Teams and support units in scope by skill, region (a jurisdiction code they cover) and
    availability (available, unavailable or standby) (Plan §7.2)."""
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        rows = s.execute(select(Body, TeamProfile).outerjoin(
            TeamProfile, TeamProfile.body_id == Body.id).where(
            Body.kind.in_(TEAM_KINDS), Body.active.is_(True),
            scoping.visible_bodies(principal.scope)).order_by(Body.key)).all()
        red = red_warnings(s)
        path = _region_path(s, region)
        out = []
        for body, p in rows:
            t = team_out(s, body, p, red)
            if skill and not any(skill.lower() in x.lower() for x in t.skills):
                continue
            if availability and t.availability != availability:
                continue
            if not _covers(s, t.regions, body.jurisdiction.path, path):
                continue
            out.append(t)
        return _page(out, page)


# --- experts (Plan §7.3) ----------------------------------------------------------------------


def expert_out(s: Session, e: Expert, body: Body, p: ExpertProfile | None,
               red: list[rules.RedWarning]) -> ExpertProfileOut:
    regions = _lines(p.regions) if p else [body.jurisdiction.code]
    stored = (p.availability if p else "available") if e.active else "unavailable"
    avail, refs = _standing(s, regions, body.jurisdiction.path, stored, red)
    return ExpertProfileOut(expert=e.key, name=e.name, body=body.key,
                            skills=_lines(e.specialties), regions=regions,
                            availability=avail.value,
                            availability_label=label(rules.AVAILABILITY_LABELS, avail),
                            standby=refs,
                            reasons=[reason_out(rules.STANDBY_REASON)] if refs else [])


def _expert(s: Session, scope: Scope, key: str) -> tuple[Expert, Body]:
    row = s.execute(select(Expert, Body).join(Body, Body.id == Expert.body_id).where(
        Expert.key == key, scoping.visible_bodies(scope))).first()
    if row is None:
        raise NotFound(f"no expert {key!r}")
    return row[0], row[1]


def put_expert(uow: UnitOfWork, clock: Clock, *, principal: Principal, key: str,
               data: ExpertProfileIn) -> ExpertProfileOut:
    """An expert's regions and availability (Plan §7.3); the expert is created by the org
    registers (``org.registers.create_expert``)."""
    if not (has_permission(principal.roles, Permission.SUPPORT_MANAGE)
            or has_permission(principal.roles, Permission.ORG_WRITE)):
        raise Forbidden("your roles include neither support:manage nor org:write")
    now = clock.now()
    with uow() as s:
        e, body = _expert(s, principal.scope, key)
        regions = _regions(s, data.regions)
        p = s.get(ExpertProfile, e.id)
        if p is None:
            p = ExpertProfile(expert_id=e.id)
            s.add(p)
        p.regions, p.availability, p.updated_at = "\n".join(regions), data.availability, now
        s.flush()
        record(s, principal, now, "support.expert.update", "expert_profile", e.key, body,
               data.model_dump(mode="json"))
        return expert_out(s, e, body, p, red_warnings(s))


def search_experts(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                   skill: str | None = None, region: str | None = None,
                   availability: str | None = None) -> Page[ExpertProfileOut]:
    """Experts in scope by skill (specialty), region and availability (Plan §7.3)."""
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        rows = s.execute(select(Expert, Body, ExpertProfile)
                         .join(Body, Body.id == Expert.body_id)
                         .outerjoin(ExpertProfile, ExpertProfile.expert_id == Expert.id)
                         .where(scoping.visible_bodies(principal.scope))
                         .order_by(Expert.key)).all()
        red = red_warnings(s)
        path = _region_path(s, region)
        out = []
        for e, body, p in rows:
            x = expert_out(s, e, body, p, red)
            if skill and not any(skill.lower() in k.lower() for k in x.skills):
                continue
            if availability and x.availability != availability:
                continue
            if not _covers(s, x.regions, body.jurisdiction.path, path):
                continue
            out.append(x)
        return _page(out, page)


# --- assignments (Plan §7.2, §7.3) ------------------------------------------------------------


def visible_assignments(scope: Scope) -> ColumnElement[bool]:
    """Assignments of the caller's body (sent or dispatched), of its experts, and — for a
    region-wide scope — those sent to something in its jurisdiction (Law art. 30)."""
    cond = ((Assignment.body_id == scope.body_id)
            | (Assignment.dispatched_by_body_id == scope.body_id)
            | Assignment.expert_id.in_(select(Expert.id).where(Expert.body_id == scope.body_id)))
    if not scope.own_body_only and scope.sectors is None:
        cond = cond | Assignment.jurisdiction_path.startswith(scope.jurisdiction_path)
    return cond


def _hours(s: Session, ids: list[int]) -> dict[int, float]:
    if not ids:
        return {}
    return {a: round(m / 60, 2) for a, m in s.execute(
        select(WorkEntry.assignment_id, func.sum(WorkEntry.minutes))
        .where(WorkEntry.assignment_id.in_(ids)).group_by(WorkEntry.assignment_id)).all()}


def assignment_out(s: Session, a: Assignment, hours: float = 0.0) -> AssignmentOut:
    def ref(model, id_: int | None) -> str | None:  # noqa: ANN001
        return s.scalar(select(model.ref).where(model.id == id_)) if id_ else None

    body = s.get(Body, a.body_id) if a.body_id else None
    expert = s.get(Expert, a.expert_id) if a.expert_id else None
    return AssignmentOut(
        ref=a.ref, body=body.key if body else None, expert=expert.key if expert else None,
        name=(f"{body.name_zh} {body.name_en}" if body else expert.name if expert else ""),
        incident=ref(Incident, a.incident_id), warning=ref(EarlyWarning, a.warning_id),
        response=ref(Response, a.response_id),
        dispatched_by_body=s.get(Body, a.dispatched_by_body_id).key,
        dispatched_by=a.dispatched_by, dispatched_at=a.dispatched_at, task=a.task,
        state=a.state, state_label=label(rules.ASSIGNMENT_LABELS, a.state),
        released_at=a.released_at, outcome=a.outcome, hours=hours)


def dispatch(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: AssignmentIn
             ) -> AssignmentOut:
    """Dispatch a team, support unit or expert to exactly one incident, warning or response in
    the caller's scope (Plan §7.2, §7.3); an unavailable one is refused with the rule."""
    require(principal, Permission.SUPPORT_MANAGE)
    errors = []
    if sum(bool(x) for x in (data.incident, data.warning, data.response)) != 1:
        errors.append(FieldError("incident", "name exactly one of incident, warning, response"))
    if bool(data.body) == bool(data.expert):
        errors.append(FieldError("body", "name exactly one of body (a team or support unit) "
                                 "and expert"))
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    with uow() as s:
        me = caller_body(s, principal)
        target: dict = {}
        if data.incident:
            x = visible_incident(s, principal.scope, data.incident)
            target, path = {"incident_id": x.id}, x.jurisdiction_path
        elif data.response:
            x = visible_response(s, principal, data.response)
            target, path = {"response_id": x.id}, x.jurisdiction_path
        else:
            x = visible_warning(s, principal.scope, data.warning)
            target, path = {"warning_id": x.id}, x.jurisdiction_path
        red = red_warnings(s)
        if data.body:
            body = visible_body(s, principal.scope, data.body)
            p = s.get(TeamProfile, body.id)
            available = body.active and (p is None or p.availability != "unavailable")
            kind: BodyKind | None = BodyKind(body.kind)
            ended = kind == BodyKind.SUPPORT_UNIT and status_ended(s, body.id)
            who: dict = {"body_id": body.id}
            name = body.key
        else:
            e, body = _expert(s, principal.scope, data.expert)
            available = expert_out(s, e, body, s.get(ExpertProfile, e.id), red).availability \
                != rules.Availability.UNAVAILABLE.value
            kind, who, name, ended = None, {"expert_id": e.id}, e.key, False
        rules.may_dispatch(rules.DispatchFacts(BodyKind(me.kind), kind, available,
                                               ended)).enforce()
        already = s.scalar(select(Assignment.ref).filter_by(
            **who, **target, state=rules.AssignmentState.DISPATCHED.value).limit(1))
        if already:
            raise Conflict(f"{name} is already dispatched there ({already}); release it first")
        a = Assignment(ref=new_ref("SA", now), dispatched_by_body_id=me.id,
                       dispatched_by=principal.username, dispatched_at=now, task=data.task,
                       state=rules.AssignmentState.DISPATCHED.value, jurisdiction_path=path,
                       **who, **target)
        s.add(a)
        s.flush()
        record(s, principal, now, "support.dispatch", "assignment", a.ref, me,
               {"to": name, **data.model_dump(mode="json", exclude={"body", "expert"})})
        return assignment_out(s, a)


def _visible_assignment(s: Session, scope: Scope, ref: str) -> Assignment:
    a = s.scalar(select(Assignment).where(Assignment.ref == ref, visible_assignments(scope)))
    if a is None:
        raise NotFound(f"no assignment {ref!r}")
    return a


def release(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: ReleaseIn
            ) -> AssignmentOut:
    """Release a dispatched team or expert, recording the outcome (Plan §7.2, §7.3)."""
    require(principal, Permission.SUPPORT_MANAGE)
    now = clock.now()
    with uow() as s:
        a = _visible_assignment(s, principal.scope, ref)
        if a.state != rules.AssignmentState.DISPATCHED.value:
            raise Conflict(f"{a.ref} has been released")
        a.state, a.released_at, a.outcome = rules.AssignmentState.RELEASED.value, now, \
            data.outcome
        record(s, principal, now, "support.release", "assignment", a.ref,
               s.get(Body, a.dispatched_by_body_id), {"outcome": data.outcome})
        return assignment_out(s, a, _hours(s, [a.id]).get(a.id, 0.0))


def log_assignment_work(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                        data: AssignmentWorkIn) -> WorkOut:
    """Time spent on an assignment (Plan §7.2, §7.3), by the assigned body's users or by the
    body that dispatched it (for an expert, or on the team's behalf). With a CERT dispatcher
    it counts towards a support unit's obligations 4–5."""
    require(principal, Permission.SUPPORT_LOG)
    now = clock.now()
    with uow() as s:
        a = _visible_assignment(s, principal.scope, ref)
        expert_body = s.scalar(select(Expert.body_id).where(Expert.id == a.expert_id)) \
            if a.expert_id else None
        if principal.body_id not in {a.body_id, a.dispatched_by_body_id, expert_body}:
            raise Forbidden("the assigned body, the expert's body or the dispatcher logs its "
                            "time")
        dispatcher = s.get(Body, a.dispatched_by_body_id)
        kind = rules.WorkKind.TECHNICAL_SUPPORT if a.warning_id \
            else rules.WorkKind.INCIDENT_RESPONSE
        errors = rules.work_problems(rules.WorkFacts(
            kind=kind, minutes=data.minutes, worked_on=data.worked_on,
            today=rules.day_of(now),
            day_minutes=day_minutes(s, body_id=a.body_id, expert_id=a.expert_id,
                                    day=data.worked_on),
            links_incident_or_response=True, links_warning=False, with_body_kind=None))
        if errors:
            raise ValidationFailed(errors)
        e = WorkEntry(body_id=a.body_id, expert_id=a.expert_id, kind=kind.value,
                      with_body_id=dispatcher.id if dispatcher.kind == BodyKind.CERT.value
                      else None, assignment_id=a.id, incident_id=a.incident_id,
                      response_id=a.response_id, warning_id=a.warning_id, task=a.task,
                      worked_on=data.worked_on, minutes=data.minutes,
                      description=data.description, recorded_by=principal.username,
                      recorded_at=now)
        s.add(e)
        s.flush()
        record(s, principal, now, "support.assignment.work", "support_work", str(e.id),
               dispatcher, {"assignment": a.ref, **data.model_dump(mode="json")})
        return work_out(s, e)


def list_assignments(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                     response: str | None = None, incident: str | None = None,
                     warning: str | None = None, state: str | None = None
                     ) -> Page[AssignmentOut]:
    """Assignments in scope, newest first; filtered by what they were sent to."""
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        stmt = select(Assignment).where(visible_assignments(principal.scope))
        if response:
            stmt = stmt.where(Assignment.response_id.in_(
                select(Response.id).where(Response.ref == response)))
        if incident:
            stmt = stmt.where(Assignment.incident_id.in_(
                select(Incident.id).where(Incident.ref == incident)))
        if warning:
            stmt = stmt.where(Assignment.warning_id.in_(
                select(EarlyWarning.id).where(EarlyWarning.ref == warning)))
        if state:
            stmt = stmt.where(Assignment.state == state)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(Assignment.id.desc()).limit(page.limit)
                         .offset(page.offset)).all()
        hours = _hours(s, [a.id for a in rows])
        return Page[AssignmentOut](items=[assignment_out(s, a, hours.get(a.id, 0.0))
                                          for a in rows], total=total, limit=page.limit,
                                   offset=page.offset)


def assignments_for_response(uow: UnitOfWork, *, principal: Principal, ref: str
                             ) -> list[AssignmentOut]:
    """The teams, support units and experts dispatched to a response, each with its total hours
    (for the response page and dossier). Visible to whoever sees the response."""
    require(principal, Permission.RESPONSE_READ)
    with uow() as s:
        r = visible_response(s, principal, ref)
        rows = s.scalars(select(Assignment).where(Assignment.response_id == r.id)
                         .order_by(Assignment.id)).all()
        hours = _hours(s, [a.id for a in rows])
        return [assignment_out(s, a, hours.get(a.id, 0.0)) for a in rows]

