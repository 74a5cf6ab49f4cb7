"""Use cases of the reporting chain: report, supplement, regrade, acknowledge, change state.

A report is one transaction: the incident, its grading, routes, clocks, timeline, outbox
messages and audit row are written together, so nothing is half-reported and no notification is
lost if the process dies after the commit.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
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
from fenghuo.incident import grading, notices, owner_rules, pi_rules, rules
from fenghuo.incident.deliveries import delivery_out, managed_bodies
from fenghuo.incident.models import Duty, Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.queries import incident_out, personal_info_out, summary
from fenghuo.incident.schemas import (
    DutyOut,
    EventOut,
    FactsIn,
    IncidentFieldsIn,
    IncidentOut,
    PersonalInfoIn,
    ReasonOut,
    ReportIn,
    RouteOut,
)
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, due_text, unit_field
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
    dumped = data.model_dump(mode="json")
    if dumped.get("personal_information") is None:  # as hashed before the field existed
        dumped.pop("personal_information", None)
    raw = json.dumps({**dumped, "unit": unit}, sort_keys=True)
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
                return replay(s, filed, data, principal)
            # last, so the audit chain's head row stays locked for as short a time as possible
            audit.record(s, **report_audit(principal, filed, now))
            return filed_out(filed, now, managed_bodies(
                s, principal, (c.body_id for _, c in filed.routed.deliveries)))
    except IntegrityError:
        if not idempotency_key:
            raise
    with uow() as s:  # a concurrent retry with the same key won the race: answer with its result
        existing = s.scalar(select(Incident.id).where(
            Incident.reported_by_user_id == principal.user_id,
            Incident.idempotency_key == idempotency_key))
        return replay(s, existing, data, principal)


def report_audit(principal: Principal, filed: Filed, now: datetime) -> dict:
    """The audit row of a first report (``audit.record``'s arguments)."""
    return dict(at=now, actor=audit.Actor.of(principal), action="incident.report",
                entity_type="incident", entity_key=filed.row["ref"],
                scope_path=filed.row["jurisdiction_path"],
                detail={"grade": filed.row["grade"], "category": filed.row["category"]})


def replay(s: Session, incident_id: int, data: ReportIn, principal: Principal) -> IncidentOut:
    """The answer to a retry under an earlier report's Idempotency-Key: that report, if this
    is the same report; a different one under the same key is a conflict."""
    incident = s.get(Incident, incident_id)
    unit = s.get(Body, incident.subject_body_id).key
    if incident.request_hash != _request_hash(data, data.unit or unit):
        raise Conflict("this Idempotency-Key was already used for a different report")
    return incident_out(s, incident, reader=principal)


def check_fields(data: IncidentFieldsIn, now: datetime) -> None:
    """The taxonomy code exists (Plan annex 1) and the incident was not found in the future."""
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
    system_name_zh: str | None
    system_name_en: str | None
    reporter_kind: BodyKind
    reporter_key: str
    reporter_name_zh: str
    reporter_name_en: str
    org_token: str
    existing: int | None


_REPORTER = aliased(Body, name="reporter")


def reportable_units(principal: Principal) -> ColumnElement[bool]:
    """SQL of ``owner_rules.may_report_about``: the units in the caller's scope (Law art. 30)
    and, for a support unit or team, any operator unit (Support obligation 7)."""
    return scoping.visible_bodies(principal.scope) | (
        (Body.kind == BodyKind.OPERATOR.value)
        & _REPORTER.kind.in_(sorted(owner_rules.DISCOVERING_KINDS)))


def _lookup_stmt(*, system: bool, key: bool, which: ColumnElement[bool]) -> Select:
    reporter = _REPORTER
    sector = (select(func.min(BodySector.sector_code)).where(BodySector.body_id == Body.id)
              .scalar_subquery())
    existing = (select(Incident.id).where(Incident.reported_by_user_id == bindparam("user_id"),
                                          Incident.idempotency_key == bindparam("key"))
                .scalar_subquery() if key else null())
    on_system = ((InfoSystem.body_id == Body.id) & (InfoSystem.key == bindparam("system"))
                 if system else false())
    return (select(Body.id, Body.key, Body.kind, Body.cii, Body.name_zh, Body.name_en,
                   Jurisdiction.path, sector.label("sector"), InfoSystem.id.label("system_id"),
                   InfoSystem.important, InfoSystem.name_zh.label("system_name_zh"),
                   InfoSystem.name_en.label("system_name_en"),
                   reporter.kind.label("reporter_kind"),
                   reporter.key.label("reporter_key"),
                   reporter.name_zh.label("reporter_name_zh"),
                   reporter.name_en.label("reporter_name_en"),
                   directory.version_token().label("token"),
                   existing.label("existing"))
            .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
            .join(reporter, reporter.id == bindparam("reporter"))
            .outerjoin(InfoSystem, on_system).where(which))


@functools.cache
def _own_unit_lookup(system: bool, key: bool) -> Select:
    """Built once: the statement of the common case, a unit reporting about itself."""
    return _lookup_stmt(system=system, key=key, which=Body.id == bindparam("reporter"))


def lookup_subject(s: Session, principal: Principal, data: ReportIn,
                   key: str | None) -> Lookup:
    """The unit (and system) a report is about, in the caller's reporting scope; used by the
    report itself and by the provisional grade of the console's form (``incident.preview``)."""
    if data.unit:  # about another unit: only one the caller may report about (Law art. 30)
        which = (Body.key == data.unit) & reportable_units(principal)
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
        system_name_zh=row.system_name_zh, system_name_en=row.system_name_en,
        reporter_kind=BodyKind(row.reporter_kind), reporter_key=row.reporter_key,
        reporter_name_zh=row.reporter_name_zh, reporter_name_en=row.reporter_name_en,
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


_INSERT_INCIDENTS = insert(Incident.__table__).returning(Incident.__table__.c.id,
                                                        sort_by_parameter_order=True)
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
    of writing when ``key`` was used before. A report about another unit also tells that unit
    (its own contacts), not only the bodies it is routed to."""
    prepared = prepare_report(s, now, principal, data, profile_name, key, source)
    if isinstance(prepared, int):
        return prepared
    return write_reports(s, now, [prepared])[0]


@dataclass
class Prepared:
    """A first report read and decided (its unit looked up, graded, its row built), not yet
    written: ``write_reports`` writes any number of them together."""

    principal: Principal
    data: ReportIn
    unit: Lookup
    row: dict
    profile: grading.GradingProfile

    @property
    def self_reported(self) -> bool:
        return self.principal.body_id == self.unit.subject.body_id


def prepare_report(s: Session, now: datetime, principal: Principal, data: ReportIn,
                   profile_name: str, key: str | None, source: str | None = None
                   ) -> Prepared | int:
    """Check, look up and grade a first report (one read); the id of the earlier incident
    instead when ``key`` was used before."""
    check_fields(data, now)
    unit = lookup_subject(s, principal, data, key)
    if unit.existing is not None:
        return unit.existing
    profile = grading.load_profile(profile_name)
    result = grading.grade(grade_facts(data.facts, unit.system_important, unit.subject.cii),
                           profile)
    self_reported = principal.body_id == unit.subject.body_id
    row = incident_row(
        now, principal, data, subject=unit.subject, path=unit.path, result=result,
        profile=profile.name, key=key, request_hash=_request_hash(data, data.unit or unit.key),
        source=source or ("unit" if self_reported else SOURCE_OF_KIND.get(
            unit.reporter_kind, "office")),
        system_id=unit.system_id, pi=data.personal_information)
    return Prepared(principal, data, unit, row, profile)


def write_reports(s: Session, now: datetime, reports: Sequence[Prepared]) -> list[Filed]:
    """Write prepared first reports, in one statement per table however many there are (group
    commit, issue 21 item 5): the incidents, their routes and clocks (Plan §4.1, §2.3; CAC 2025
    art. 4, art. 8), the notices to the units reported about by others, the notifications and
    the timelines."""
    ids = s.connection().execute(_INSERT_INCIDENTS, [p.row for p in reports]).scalars().all()
    plans, events, extras = [], [], []
    for incident_id, p in zip(ids, reports, strict=True):
        events.append(intake_events(incident_id, now, p.principal.username, p.row,
                                    p.unit.reporter_key))
        extras.append(pi_duties(s, p.row))
        plans.append(plan_routing(
            _facts(incident_id, p), p.unit.subject, p.row["grade"], clock_settings(p.profile),
            now, first=True, snap=directory.snapshot(s, p.unit.org_token),
            extra_duties=extras[-1]))
    snap = directory.snapshot(s, reports[0].unit.org_token)
    routing_events: list[dict] = []
    routed = write_routing(s, plans, now, snap, routing_events)
    by_incident: dict[int, list[dict]] = {}
    for e in routing_events:
        by_incident.setdefault(e["incident_id"], []).append(e)
    for p_events, plan in zip(events, plans, strict=True):
        p_events += by_incident.get(plan.incident.id, [])
    write_events(s, [e for p_events in events for e in p_events])
    _tell_units(s, now, reports, plans, extras, routed, events)
    return [Filed(id=plan.incident.id, row=p.row, unit=p.unit, routed=r, events=e,
                  system=p.data.system if p.unit.system_id else None)
            for p, plan, r, e in zip(reports, plans, routed, events, strict=True)]


def _facts(incident_id: int, p: Prepared) -> IncidentFacts:
    unit = p.unit
    return IncidentFacts(
        id=incident_id, **{k: p.row[k] for k in IncidentFacts.FIELDS},
        unit=(unit.name_zh, unit.name_en), unit_key=unit.key,
        system=(unit.system_name_zh, unit.system_name_en) if unit.system_id else None)


def _tell_units(s: Session, now: datetime, reports: Sequence[Prepared],
                plans: Sequence[Planned], extras: Sequence[list[rules.DutySpec]],
                routed: Sequence[Routed], events: Sequence[list[dict]]) -> None:
    """Tell each unit reported about by someone else (its own contacts), with its own clock
    to tell the users if one runs (Law art. 42 ¶2)."""
    for p, plan, extra, r, e in zip(reports, plans, extras, routed, events, strict=True):
        if p.self_reported:
            continue
        told = notices.tell_units(s, [notices.Concerned(
            plan.incident, p.unit.subject.body_id, p.unit.name_zh, p.unit.name_en,
            p.data.system if p.unit.system_id else None, extra[0].due_at if extra else None)],
            reporter=(p.unit.reporter_name_zh, p.unit.reporter_name_en), now=now)
        r.deliveries += told.deliveries
        e += told.events


def incident_row(now: datetime, principal: Principal, data: IncidentFieldsIn, *,
                 subject: rules.Subject, path: str, result: grading.GradingResult,
                 profile: str, source: str, key: str | None = None,
                 request_hash: str | None = None, system_id: int | None = None,
                 pi: PersonalInfoIn | None = None, parent_id: int | None = None,
                 is_parent: bool = False) -> dict:
    """The row of a new incident about ``subject`` (every column, for one insert)."""
    records = pi_rules.records_of(pi.records if pi else None, data.facts.personal_records_leaked)
    return dict(
        ref=new_ref("FH", now), subject_body_id=subject.body_id,
        reporting_body_id=principal.body_id, reported_by_user_id=principal.user_id,
        idempotency_key=key, request_hash=request_hash, source=source,
        jurisdiction_path=path, sector_code=subject.sector, system_id=system_id,
        cii=subject.cii, category=data.category, subcategory=data.subcategory,
        title=data.title, description=data.description, impact=data.impact,
        measures=data.measures, found_at=data.found_at, reported_at=now,
        state=rules.State.REPORTED.value, grade=result.grade.value, grading_profile=profile,
        facts=data.facts.model_dump_json(), grade_reasons=reasons_json(result),
        report_finding=None, tlp=data.tlp.value, created_at=now, updated_at=now,
        resolved_at=None, is_parent=is_parent, parent_id=parent_id, pi_records=records,
        pi_inform_users=(pi.inform_users if pi else True) if records else None,
        pi_reason=pi.reason if pi and not pi.inform_users else None, pi_informed_at=None,
        pi_informed_how=None, pi_informed_count=None)


def intake_events(incident_id: int, now: datetime, actor: str, row: dict,
                  reporter_key: str) -> list[dict]:
    return [_event_row(incident_id, now, "reported", actor,
                       {"source": row["source"], "reporter": reporter_key}),
            _event_row(incident_id, now, "graded", "system",
                       {"grade": row["grade"], "profile": row["grading_profile"]})]


def inform_hours(s: Session) -> float:
    """The deployment's deadline to tell users of a personal-information leak (a project rule:
    ``FENGHUO_PI_INFORM_HOURS``; Law art. 42 ¶2 says only 及时)."""
    return float(s.info.get(pi_rules.INFO_KEY, pi_rules.DEFAULT_INFORM_HOURS))


def pi_duties(s: Session, row: dict) -> list[rules.DutySpec]:
    """The clock to tell the users when the new incident says personal information leaked and
    the users must be told (Law art. 42 ¶2), from when it was found."""
    pi = pi_rules.PersonalInfo(row["pi_records"], row["pi_inform_users"])
    if not pi.clock_needed:
        return []
    return [pi_rules.inform_duty(row["subject_body_id"], row["found_at"], inform_hours(s))]


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
        "impact", "measures", "source", "grade_reasons", "tlp")
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
    #: the grading's reasons, as stored (JSON): criterion ② routes to the secrecy body
    grade_reasons: str
    #: TLP 2.0 label (sharing.tlp), carried in the notifications' payloads
    tlp: str
    #: the unit's and the system's names (zh, en), for the messages; None where not at hand
    unit: tuple[str, str] | None = None
    system: tuple[str, str] | None = None
    #: the unit's key, for the payloads' ``unit``; None where not at hand
    unit_key: str | None = None

    @classmethod
    def of(cls, incident: Incident, unit: Body | None = None,
           system: InfoSystem | None = None) -> IncidentFacts:
        """The facts of a stored incident, with the names of its unit and system if given."""
        return cls(id=incident.id, **{k: getattr(incident, k) for k in cls.FIELDS},
                   unit=(unit.name_zh, unit.name_en) if unit else None,
                   system=(system.name_zh, system.name_en) if system else None,
                   unit_key=unit.key if unit else None)


@dataclass
class Routed:
    """What routing wrote: routes, clocks (with ids) and outbox messages (with ids)."""

    routes: list[rules.Route] = field(default_factory=list)
    bodies: dict[int, directory.BodyRef] = field(default_factory=dict)
    duties: list[tuple[int, rules.DutySpec]] = field(default_factory=list)
    deliveries: list[tuple[int, directory.ContactRef]] = field(default_factory=list)


@dataclass
class Planned:
    """One incident's routes and clocks, decided before anything is written."""

    incident: IncidentFacts
    routes: list[rules.Route]
    duties: list[rules.DutySpec]


def plan_routing(incident: IncidentFacts, subject: rules.Subject, grade: str,
                 clocks: rules.ClockSettings, now: datetime, *, first: bool,
                 snap: directory.Snapshot, already: frozenset[int] = frozenset(),
                 extra_duties: Sequence[rules.DutySpec] = ()) -> Planned:
    """Who must know (``rules.route``) and has not been reached (``already``), and the clocks
    that starts; ``first`` is the intake, where the unit's own report starts its clock."""
    candidates = [rules.Candidate(b.id, b.kind, b.jurisdiction_id, b.sectors, b.function)
                  for jid in subject.chain for b in snap.receivers.get(jid, ())]
    routes = [r for r in rules.route(subject, grade, candidates, clocks,
                                     secrets=secrets_at_stake(incident.grade_reasons))
              if r.body_id not in already]
    duties = rules.intake_duties(subject, self_reported=first and incident.source == "unit",
                                 found_at=incident.found_at, reported_at=now, routes=routes,
                                 clocks=clocks)
    return Planned(incident, routes, [*duties, *extra_duties])


def secrets_at_stake(grade_reasons: str) -> bool:
    """Whether stored grading reasons hold Plan §1.4 criterion ② (``rules.secrets_at_stake``)."""
    return rules.secrets_at_stake(r["code"] for r in json.loads(grade_reasons or "[]"))


def route_incident(s: Session, incident: IncidentFacts, subject: rules.Subject, grade: str,
                   clocks: rules.ClockSettings, now: datetime, *, first: bool,
                   snap: directory.Snapshot, events: list[dict] | None = None,
                   extra_duties: Sequence[rules.DutySpec] = ()) -> Routed:
    """Route to every body that must know and has not been reached yet; start their clocks
    (and ``extra_duties``). ``first`` is the intake itself: nothing was routed before, and the
    unit's own report starts its report clock (CAC 2025 art. 4). Timeline entries go to
    ``events`` (written here, after any the caller put there)."""
    events = [] if events is None else events
    already = frozenset() if first else frozenset(s.scalars(select(IncidentRoute.body_id).where(
        IncidentRoute.incident_id == incident.id)))
    plan = plan_routing(incident, subject, grade, clocks, now, first=first, snap=snap,
                        already=already, extra_duties=extra_duties)
    routed = write_routing(s, [plan], now, snap, events)[0]
    write_events(s, events)
    return routed


def write_routing(s: Session, plans: Sequence[Planned], now: datetime,
                  snap: directory.Snapshot, events: list[dict], *, ids: bool = True
                  ) -> list[Routed]:
    """Write the routes, clocks and notifications of ``plans``: one statement each however
    many incidents (a wave's hundreds of affected units). Timeline entries go to ``events``,
    for the caller to write. Without ``ids`` the clocks' and messages' ids are not read back
    (SQLite returns them a row at a time) and the answer holds only the routes."""
    conn = s.connection()
    route_rows = [_route_row(p.incident.id, r, now) for p in plans for r in p.routes]
    if route_rows:
        conn.execute(_INSERT_ROUTES, route_rows)
    duty_rows = [{"incident_id": p.incident.id, "body_id": d.body_id, "kind": d.kind.value,
                  "source": d.source, "starts_at": d.starts_at, "due_at": d.due_at,
                  "done_at": d.done_at} for p in plans for d in p.duties]
    if duty_rows and not ids:
        conn.execute(insert(Duty.__table__), duty_rows)
    duty_ids = iter(conn.execute(_INSERT_DUTIES, duty_rows).scalars().all()
                    if duty_rows and ids else ())
    out = []
    for p in plans:
        out.append(Routed(routes=p.routes,
                          bodies={r.body_id: snap.bodies[r.body_id] for r in p.routes},
                          duties=[(next(duty_ids), d) for d in p.duties] if ids else []))
        if p.routes:
            events.append(_event_row(p.incident.id, now, "routed", "system",
                                     {"bodies": [r.body_id for r in p.routes]}))
    for routed, deliveries in zip(out, _notify(s, plans, now, snap, events, ids=ids),
                                  strict=True):
        routed.deliveries = deliveries
    return out


def _route_row(incident_id: int, r: rules.Route, now: datetime) -> dict:
    return {"incident_id": incident_id, "body_id": r.body_id,
            "reason_code": "+".join(x.code for x in r.reasons),
            "reason_zh": "；".join(x.text_zh for x in r.reasons),
            "reason_en": "; ".join(x.text_en for x in r.reasons),
            "source": _sources(r), "immediate": r.immediate, "routed_at": now,
            "acknowledged_at": None, "acknowledged_by": None}


def _sources(r: rules.Route) -> str:
    return "; ".join(sorted({x.source for x in r.reasons}))


def _notify(s: Session, plans: Sequence[Planned], now: datetime, snap: directory.Snapshot,
            events: list[dict], *, ids: bool = True
            ) -> list[list[tuple[int, directory.ContactRef]]]:
    """Tell every routed body (its first rank of contacts), in one statement for all plans;
    the deliveries of each plan, in order (none without ``ids``)."""
    messages, owner = [], []
    for i, p in enumerate(plans):
        due = {d.body_id: d.due_at for d in p.duties if d.kind == rules.DutyKind.ACKNOWLEDGE}
        for r in p.routes:
            subject, text, payload = notification(p.incident, r, due.get(r.body_id))
            for c in org_rules.contact_tier(snap.contacts.get(r.body_id, ()), 0):
                messages.append(outbox.Message(c, subject, text, payload,
                                               incident_id=p.incident.id,
                                               priority=0 if r.immediate else 100))
                owner.append(i)
        unreachable = sorted(r.body_id for r in p.routes if r.body_id not in snap.contacts)
        if unreachable:
            events.append(_event_row(p.incident.id, now, "no_channel", "system",
                                     {"bodies": unreachable,
                                      "note": "no email, webhook or robot contact"}))
    out: list[list[tuple[int, directory.ContactRef]]] = [[] for _ in plans]
    if not ids:
        outbox.enqueue_many(s, now=now, messages=messages)
        return out
    for i, mid, m in zip(owner, outbox.enqueue(s, now=now, messages=messages), messages,
                         strict=True):
        out[i].append((mid, m.contact))
    return out


def notification(incident: IncidentFacts, r: rules.Route, due: datetime | None = None
                 ) -> tuple[str, str, dict]:
    """What a routed body is told (Plan §3.3; issue 16 item 7): in words, Chinese first, what
    it is asked to do and by when (its acknowledgement clock), and why it is told."""
    zh, en = grading.GRADE_LABELS[grading.Grade(incident.grade)]
    taxonomy = get_taxonomy()
    cat = taxonomy.words(incident.category)
    sub = taxonomy.words(incident.subcategory) if incident.subcategory else None
    subject, text = compose(Notice(
        what=Words(incident.title, incident.title), tag=Words(zh, en), ref=incident.ref,
        unit=Words(*incident.unit) if incident.unit else None,
        system=Words(*incident.system) if incident.system else None,
        category=Words(*cat) if sub is None else Words(f"{cat[0]}（{sub[0]}）",
                                                      f"{cat[1]} ({sub[1]})"),
        grade=Words(zh, en),
        asked=Words("请确认接收，研判处置并按规定逐级上报",
                    "confirm receipt, assess and handle it, and report it up the chain"),
        due=due))
    text += (f"发现时间 Found: {due_text(incident.found_at)}\n影响 Impact: {incident.impact}\n"
             f"措施 Measures: {incident.measures}\n"
             f"送达原因 Why you: {'；'.join(x.text_zh for x in r.reasons)} / "
             f"{'; '.join(x.text_en for x in r.reasons)}\n")
    payload = {"event": "incident.reported", "ref": incident.ref, "title": incident.title,
               "grade": incident.grade, "category": incident.category,
               "subcategory": incident.subcategory, "found_at": incident.found_at.isoformat(),
               "reported_at": incident.reported_at.isoformat(), "cii": incident.cii,
               "immediate": r.immediate, "why": [x.code for x in r.reasons],
               "due_at": due.isoformat() if due else None, "tlp": incident.tlp,
               "unit": unit_field(incident.unit_key, *incident.unit)
               if incident.unit_key and incident.unit else None}
    return subject, text, payload


# --- the answer -------------------------------------------------------------------------------


def filed_out(filed: Filed, now: datetime, managed: frozenset[int] = frozenset()) -> IncidentOut:
    """The incident as written by ``file_report``, without reading it back; addresses in full
    only at the bodies in ``managed`` (``deliveries.managed_bodies``, issue 18 item 5)."""
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
        deliveries=[delivery_out(id=i, body_id=c.body_id, body=keys[c.body_id],
                                 channel=c.channel, address=c.value, state=outbox.PENDING,
                                 attempts=0, last_error=None, delivered_at=None,
                                 managed=managed) for i, c in routed.deliveries],
        timeline=[EventOut(at=e["at"], kind=e["kind"], actor=e["actor"],
                           detail=json.loads(e["detail"])) for e in filed.events],
        discovered_by=None if row["reporting_body_id"] == row["subject_body_id"]
        else unit.reporter_key,
        personal_information=personal_info_out(SimpleNamespace(**row), next(
            (d.due_at for _, d in routed.duties if d.kind == rules.DutyKind.INFORM_USERS),
            None), now))

