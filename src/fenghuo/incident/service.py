"""Use cases of the reporting chain: report, supplement, regrade, acknowledge, change state.

A report is one transaction: the incident, its grading, routes, clocks, timeline, outbox
messages and audit row are written together, so nothing is half-reported and no notification is
lost if the process dies after the commit.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import ClassVar

from sqlalchemy import ColumnElement, Select, bindparam, false, func, insert, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, ValidationFailed
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, rules
from fenghuo.incident.models import Duty, Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.queries import incident_out, summary
from fenghuo.incident.schemas import (
    DeliveryOut,
    DutyOut,
    EventOut,
    FactsIn,
    IncidentOut,
    ReasonOut,
    ReportIn,
    RouteOut,
)
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.org import directory, scoping
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, BodySector, InfoSystem, Jurisdiction
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import require

SOURCE_OF_KIND = {BodyKind.OPERATOR: "unit", BodyKind.SUPPORT_UNIT: "support",
                  BodyKind.SUPPORT_TEAM: "support", BodyKind.CERT: "monitoring"}
FUTURE_TOLERANCE = timedelta(minutes=5)


def clock_settings(profile: grading.GradingProfile) -> rules.ClockSettings:
    return grading.clock_settings(profile, rules.ClockSettings)


def _request_hash(data: ReportIn, unit: str) -> str:
    raw = json.dumps({**data.model_dump(mode="json"), "unit": unit}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


# --- report -----------------------------------------------------------------------------------


def report(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ReportIn,
           profile: str, idempotency_key: str | None = None) -> IncidentOut:
    """File a first report. A retry with the same ``idempotency_key`` returns the same incident.

    The hot path of the system: about ten statements in one transaction, no reads of what it
    wrote, and the answer built from what was written."""
    require(principal, Permission.INCIDENT_REPORT)
    now = clock.now()
    try:
        with uow() as s:
            filed = file_report(s, now, principal, data, profile, idempotency_key)
            if isinstance(filed, int):  # a retry: answer with the first submission's result
                return _replay(s, filed, data)
            # last, so the audit chain's head row stays locked for as short a time as possible
            audit.record(s, at=now, actor=audit.Actor.of(principal), action="incident.report",
                         entity_type="incident", entity_key=filed.row["ref"],
                         scope_path=filed.row["jurisdiction_path"],
                         detail={"grade": filed.row["grade"], "category": data.category})
            return filed_out(filed, now)
    except IntegrityError:
        if not idempotency_key:
            raise
    with uow() as s:  # a concurrent retry with the same key won the race: answer with its result
        existing = s.scalar(select(Incident.id).where(
            Incident.reported_by_user_id == principal.user_id,
            Incident.idempotency_key == idempotency_key))
        return _replay(s, existing, data)


def _replay(s: Session, incident_id: int, data: ReportIn) -> IncidentOut:
    incident = s.get(Incident, incident_id)
    unit = s.get(Body, incident.subject_body_id).key
    if incident.request_hash != _request_hash(data, data.unit or unit):
        raise Conflict("this Idempotency-Key was already used for a different report")
    return incident_out(s, incident)


def _check(data: ReportIn, now: datetime) -> None:
    errors = []
    problem = get_taxonomy().problem(data.category, data.subcategory)
    if problem:
        errors.append(FieldError("subcategory" if "subcategory" in problem else "category",
                                 problem))
    if data.found_at > now + FUTURE_TOLERANCE:
        errors.append(FieldError("found_at", "lies in the future"))
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class Lookup:
    """Everything intake reads before writing, fetched in one round trip."""

    subject: rules.Subject
    key: str
    name_zh: str
    name_en: str
    path: str
    system_id: int | None
    system_important: bool | None
    reporter_kind: BodyKind
    reporter_key: str
    org_token: str
    existing: int | None


def _lookup_stmt(*, system: bool, key: bool, which: ColumnElement[bool]) -> Select:
    reporter = aliased(Body)
    sector = (select(func.min(BodySector.sector_code)).where(BodySector.body_id == Body.id)
              .scalar_subquery())
    existing = (select(Incident.id).where(Incident.reported_by_user_id == bindparam("user_id"),
                                          Incident.idempotency_key == bindparam("key"))
                .scalar_subquery() if key else null())
    on_system = ((InfoSystem.body_id == Body.id) & (InfoSystem.key == bindparam("system"))
                 if system else false())
    return (select(Body.id, Body.key, Body.kind, Body.cii, Body.name_zh, Body.name_en,
                   Jurisdiction.path, sector.label("sector"), InfoSystem.id.label("system_id"),
                   InfoSystem.important, reporter.kind.label("reporter_kind"),
                   reporter.key.label("reporter_key"), directory.version_token().label("token"),
                   existing.label("existing"))
            .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
            .join(reporter, reporter.id == bindparam("reporter"))
            .outerjoin(InfoSystem, on_system).where(which))


@functools.cache
def _own_unit_lookup(system: bool, key: bool) -> Select:
    """Built once: the statement of the common case, a unit reporting about itself."""
    return _lookup_stmt(system=system, key=key, which=Body.id == bindparam("reporter"))


def _lookup(s: Session, principal: Principal, data: ReportIn, key: str | None) -> Lookup:
    if data.unit:  # on another unit's behalf: only one the caller can see (Law art. 30)
        which = (Body.key == data.unit) & scoping.visible_bodies(principal.scope)
        stmt = _lookup_stmt(system=bool(data.system), key=bool(key), which=which)
    else:
        stmt = _own_unit_lookup(bool(data.system), bool(key))
    params = {"reporter": principal.body_id, "user_id": principal.user_id, "key": key,
              "system": data.system}
    row = s.connection().execute(stmt, params).first()
    if row is None:
        raise ValidationFailed([FieldError("unit", f"no unit {data.unit!r}")])
    if data.system and row.system_id is None and row.existing is None:
        raise ValidationFailed([FieldError("system", f"{row.key!r} has no system "
                                                     f"{data.system!r}")])
    chain = tuple(reversed(org_rules.path_ids(row.path)))
    return Lookup(
        subject=rules.Subject(body_id=row.id, kind=BodyKind(row.kind), sector=row.sector,
                              cii=row.cii, chain=chain),
        key=row.key, name_zh=row.name_zh, name_en=row.name_en, path=row.path,
        system_id=row.system_id, system_important=row.important,
        reporter_kind=BodyKind(row.reporter_kind), reporter_key=row.reporter_key,
        org_token=row.token, existing=row.existing)


def subject_facts(body: Body) -> rules.Subject:
    chain = tuple(reversed(org_rules.path_ids(body.jurisdiction.path)))
    sectors = body.sector_codes
    return rules.Subject(body_id=body.id, kind=BodyKind(body.kind),
                         sector=sectors[0] if sectors else None, cii=body.cii, chain=chain)


def grade_facts(facts: FactsIn, important_system: bool | None, cii: bool
                ) -> grading.GradingFacts:
    """Grading facts: what the reporter says, plus what the register knows (annex 2 important
    system, CII operator)."""
    return grading.GradingFacts(important_system=bool(important_system), cii=cii,
                                **facts.model_dump())


_INSERT_INCIDENT = insert(Incident.__table__).returning(Incident.__table__.c.id)
_INSERT_EVENTS = insert(IncidentEvent.__table__)
_INSERT_ROUTES = insert(IncidentRoute.__table__)
_INSERT_DUTIES = insert(Duty.__table__).returning(Duty.__table__.c.id,
                                                  sort_by_parameter_order=True)


@dataclass
class Filed:
    """What a first report wrote: enough to answer without reading it back."""

    id: int
    row: dict
    unit: Lookup
    routed: Routed
    events: list[dict]
    system: str | None


def file_report(s: Session, now: datetime, principal: Principal, data: ReportIn,
                profile_name: str, key: str | None, source: str | None = None) -> Filed | int:
    """Write a first report; returns the id of an earlier incident under the same key instead
    of writing when ``key`` was used before."""
    _check(data, now)
    unit = _lookup(s, principal, data, key)
    if unit.existing is not None:
        return unit.existing
    profile = grading.load_profile(profile_name)
    result = grading.grade(grade_facts(data.facts, unit.system_important, unit.subject.cii),
                           profile)
    self_reported = principal.body_id == unit.subject.body_id
    row = dict(
        ref=new_ref("FH", now), subject_body_id=unit.subject.body_id,
        reporting_body_id=principal.body_id, reported_by_user_id=principal.user_id,
        idempotency_key=key, request_hash=_request_hash(data, data.unit or unit.key),
        source=source or ("unit" if self_reported else SOURCE_OF_KIND.get(
            unit.reporter_kind, "office")),
        jurisdiction_path=unit.path, sector_code=unit.subject.sector,
        system_id=unit.system_id, cii=unit.subject.cii, category=data.category,
        subcategory=data.subcategory, title=data.title, description=data.description,
        impact=data.impact, measures=data.measures, found_at=data.found_at, reported_at=now,
        state=rules.State.REPORTED.value, grade=result.grade.value,
        grading_profile=profile.name, facts=data.facts.model_dump_json(),
        grade_reasons=reasons_json(result), report_finding=None, tlp=data.tlp.value,
        created_at=now, updated_at=now)
    incident_id = s.connection().execute(_INSERT_INCIDENT, row).scalar_one()
    incident = IncidentFacts(id=incident_id, **{k: row[k] for k in IncidentFacts.FIELDS})
    events = [_event_row(incident_id, now, "reported", principal.username,
                         {"source": row["source"], "reporter": unit.reporter_key}),
              _event_row(incident_id, now, "graded", "system",
                         {"grade": result.grade.value, "profile": profile.name})]
    snap = directory.snapshot(s, unit.org_token)
    routed = route_incident(s, incident, unit.subject, result.grade.value,
                            clock_settings(profile), now, first=True, snap=snap,
                            events=events)
    return Filed(id=incident_id, row=row, unit=unit, routed=routed, events=events,
                 system=data.system if unit.system_id else None)


def reasons_json(result: grading.GradingResult) -> str:
    return json.dumps([r.as_dict() for r in result.reasons], ensure_ascii=False, default=str)


# --- timeline ---------------------------------------------------------------------------------


def _event_row(incident_id: int, at: datetime, kind: str, actor: str, detail: dict) -> dict:
    return {"incident_id": incident_id, "at": at, "kind": kind, "actor": actor,
            "detail": json.dumps(detail, ensure_ascii=False, default=str)}


def write_events(s: Session, rows: list[dict]) -> None:
    if rows:
        s.connection().execute(_INSERT_EVENTS, rows)


def event(s: Session, incident: Incident | IncidentFacts, *, at: datetime, kind: str,
          actor: str, detail: dict | None = None) -> None:
    """Append one entry to the incident's timeline, in order with every other entry."""
    write_events(s, [_event_row(incident.id, at, kind, actor, detail or {})])


# --- routing, clocks, notifications -----------------------------------------------------------


@dataclass(frozen=True)
class IncidentFacts:
    """The columns of an incident that routing and notifications use."""

    FIELDS: ClassVar[tuple[str, ...]] = (
        "ref", "title", "grade", "category", "subcategory", "found_at", "reported_at", "cii",
        "impact", "measures", "source")
    id: int
    ref: str
    title: str
    grade: str
    category: str
    subcategory: str | None
    found_at: datetime
    reported_at: datetime
    cii: bool
    impact: str
    measures: str
    source: str

    @classmethod
    def of(cls, incident: Incident) -> IncidentFacts:
        return cls(id=incident.id, **{k: getattr(incident, k) for k in cls.FIELDS})


@dataclass
class Routed:
    """What routing wrote: routes, clocks (with ids) and outbox messages (with ids)."""

    routes: list[rules.Route] = field(default_factory=list)
    bodies: dict[int, directory.BodyRef] = field(default_factory=dict)
    duties: list[tuple[int, rules.DutySpec]] = field(default_factory=list)
    deliveries: list[tuple[int, directory.ContactRef]] = field(default_factory=list)


def route_incident(s: Session, incident: IncidentFacts, subject: rules.Subject, grade: str,
                   clocks: rules.ClockSettings, now: datetime, *, first: bool,
                   snap: directory.Snapshot, events: list[dict] | None = None) -> Routed:
    """Route to every body that must know and has not been reached yet; start their clocks.
    ``first`` is the intake itself: nothing was routed before, and the unit's own report
    starts its report clock (CAC 2025 art. 4). Timeline entries go to ``events`` (written
    here, after any the caller put there)."""
    events = [] if events is None else events
    candidates = [rules.Candidate(b.id, b.kind, b.jurisdiction_id, b.sectors, b.function)
                  for jid in subject.chain for b in snap.receivers.get(jid, ())]
    routes = rules.route(subject, grade, candidates, clocks)
    if not first:
        already = set(s.scalars(select(IncidentRoute.body_id).where(
            IncidentRoute.incident_id == incident.id)))
        routes = [r for r in routes if r.body_id not in already]
    conn = s.connection()
    if routes:
        conn.execute(_INSERT_ROUTES, [_route_row(incident.id, r, now) for r in routes])
    duties = rules.intake_duties(subject, self_reported=first and incident.source == "unit",
                                 found_at=incident.found_at, reported_at=now, routes=routes,
                                 clocks=clocks)
    routed = Routed(routes=routes, bodies={r.body_id: snap.bodies[r.body_id] for r in routes})
    if duties:
        ids = conn.execute(_INSERT_DUTIES, [
            {"incident_id": incident.id, "body_id": d.body_id, "kind": d.kind.value,
             "source": d.source, "starts_at": d.starts_at, "due_at": d.due_at,
             "done_at": d.done_at} for d in duties]).scalars()
        routed.duties = list(zip(ids, duties, strict=True))
    if routes:
        events.append(_event_row(incident.id, now, "routed", "system",
                                 {"bodies": [r.body_id for r in routes]}))
        routed.deliveries = _notify(s, incident, routes, now, snap, events)
    write_events(s, events)
    return routed


def _route_row(incident_id: int, r: rules.Route, now: datetime) -> dict:
    return {"incident_id": incident_id, "body_id": r.body_id,
            "reason_code": "+".join(x.code for x in r.reasons),
            "reason_zh": "；".join(x.text_zh for x in r.reasons),
            "reason_en": "; ".join(x.text_en for x in r.reasons),
            "source": _sources(r), "immediate": r.immediate, "routed_at": now,
            "acknowledged_at": None, "acknowledged_by": None}


def _sources(r: rules.Route) -> str:
    return "; ".join(sorted({x.source for x in r.reasons}))


def _notify(s: Session, incident: IncidentFacts, routes: list[rules.Route], now: datetime,
            snap: directory.Snapshot, events: list[dict]
            ) -> list[tuple[int, directory.ContactRef]]:
    messages = []
    for r in routes:
        for c in org_rules.contact_tier(snap.contacts.get(r.body_id, ()), 0):
            subject, text, payload = notification(incident, r)
            messages.append(outbox.Message(c, subject, text, payload, incident_id=incident.id,
                                           priority=0 if r.immediate else 100))
    ids = outbox.enqueue(s, now=now, messages=messages)
    unreachable = sorted(r.body_id for r in routes if r.body_id not in snap.contacts)
    if unreachable:
        events.append(_event_row(incident.id, now, "no_channel", "system",
                                 {"bodies": unreachable,
                                  "note": "no email, webhook or robot contact"}))
    return [(i, m.contact) for i, m in zip(ids, messages, strict=True)]


def notification(incident: IncidentFacts, r: rules.Route) -> tuple[str, str, dict]:
    zh, en = grading.GRADE_LABELS[grading.Grade(incident.grade)]
    subject = f"[{zh} {en}] {incident.ref} {incident.title}"
    reasons = "; ".join(x.text_en for x in r.reasons)
    text = (f"{incident.title}\n等级 Grade: {zh} / {en}\n类别 Category: {incident.category}\n"
            f"发现时间 Found: {incident.found_at.isoformat()}\n影响 Impact: {incident.impact}\n"
            f"措施 Measures: {incident.measures}\n送达原因 Why you: {reasons}\n")
    payload = {"event": "incident.reported", "ref": incident.ref, "title": incident.title,
               "grade": incident.grade, "category": incident.category,
               "subcategory": incident.subcategory, "found_at": incident.found_at.isoformat(),
               "reported_at": incident.reported_at.isoformat(), "cii": incident.cii,
               "immediate": r.immediate, "why": [x.code for x in r.reasons]}
    return subject, text, payload


# --- the answer -------------------------------------------------------------------------------


def filed_out(filed: Filed, now: datetime) -> IncidentOut:
    """The incident as written by ``file_report``, without reading it back."""
    row, unit, routed = filed.row, filed.unit, filed.routed
    keys = {b.id: b.key for b in routed.bodies.values()} | {unit.subject.body_id: unit.key}
    return IncidentOut(
        **summary(SimpleNamespace(**row), SimpleNamespace(
            key=unit.key, name_zh=unit.name_zh, name_en=unit.name_en)),
        system=filed.system, system_important=unit.system_important,
        sector=row["sector_code"], cii=row["cii"], description=row["description"],
        impact=row["impact"], measures=row["measures"], facts=json.loads(row["facts"]),
        grading_profile=row["grading_profile"],
        grade_reasons=[ReasonOut(**r) for r in json.loads(row["grade_reasons"])],
        report_finding=None,
        routes=[RouteOut(body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en,
                         reasons=[ReasonOut(code=x.code, source=_sources(r), text_zh=x.text_zh,
                                            text_en=x.text_en) for x in r.reasons],
                         immediate=r.immediate, routed_at=now, acknowledged_at=None,
                         acknowledged_by=None)
                for r in routed.routes for b in (routed.bodies[r.body_id],)],
        duties=[DutyOut(id=i, body=keys[d.body_id], kind=d.kind.value, source=d.source,
                        starts_at=d.starts_at, due_at=d.due_at, done_at=d.done_at,
                        state=rules.clock_state(d.due_at, d.done_at, now).value)
                for i, d in routed.duties],
        deliveries=[DeliveryOut(id=i, body=keys[c.body_id], channel=c.channel, address=c.value,
                                state=outbox.PENDING, attempts=0, last_error=None,
                                delivered_at=None) for i, c in routed.deliveries],
        timeline=[EventOut(at=e["at"], kind=e["kind"], actor=e["actor"],
                           detail=json.loads(e["detail"])) for e in filed.events])

