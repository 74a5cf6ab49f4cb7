"""Use cases of the reporting chain: report, supplement, regrade, acknowledge, change state.

A report is one transaction: the incident, its grading, routes, clocks, timeline, outbox
messages and audit row are written together, so nothing is half-reported and no notification is
lost if the process dies after the commit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, rules
from fenghuo.incident.models import Duty, Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.queries import incident_out
from fenghuo.incident.schemas import (
    FactsIn,
    IncidentOut,
    ReportIn,
)
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.org import rules as org_rules
from fenghuo.org import scoping
from fenghuo.org.models import Body, Contact, InfoSystem
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import require

SOURCE_OF_KIND = {BodyKind.OPERATOR: "unit", BodyKind.SUPPORT_UNIT: "support",
                  BodyKind.SUPPORT_TEAM: "support", BodyKind.CERT: "monitoring"}
FUTURE_TOLERANCE = timedelta(minutes=5)


def clock_settings(profile: grading.GradingProfile) -> rules.ClockSettings:
    return grading.clock_settings(profile, rules.ClockSettings)


def new_ref(now: datetime) -> str:
    return f"FH-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def _request_hash(data: ReportIn, unit: str) -> str:
    raw = json.dumps({**data.model_dump(mode="json"), "unit": unit}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def event(s: Session, incident: Incident, *, at: datetime, kind: str, actor: str,
          detail: dict | None = None) -> None:
    s.add(IncidentEvent(incident_id=incident.id, at=at, kind=kind, actor=actor,
                        detail=json.dumps(detail or {}, ensure_ascii=False, default=str)))


# --- report -----------------------------------------------------------------------------------


def report(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ReportIn,
           profile: str, idempotency_key: str | None = None) -> IncidentOut:
    """File a first report. A retry with the same ``idempotency_key`` returns the same incident."""
    require(principal, Permission.INCIDENT_REPORT)
    try:
        with uow() as s:
            if idempotency_key:
                existing = _by_key(s, principal, idempotency_key)
                if existing is not None:
                    return _replay(s, principal, existing, data)
            incident = file_report(s, clock.now(), principal, data, profile, idempotency_key)
            out = incident_out(s, incident)
            # last, so the audit chain's head row stays locked for as short a time as possible
            audit.record(s, at=incident.reported_at, actor=audit.Actor.of(principal),
                         action="incident.report", entity_type="incident",
                         entity_key=incident.ref, scope_path=incident.jurisdiction_path,
                         detail={"grade": incident.grade, "category": incident.category})
            return out
    except IntegrityError:
        if not idempotency_key:
            raise
    with uow() as s:  # a concurrent retry with the same key won the race: answer with its result
        return _replay(s, principal, _by_key(s, principal, idempotency_key), data)


def _by_key(s: Session, principal: Principal, key: str) -> Incident | None:
    return s.scalar(select(Incident).where(Incident.reported_by_user_id == principal.user_id,
                                           Incident.idempotency_key == key))


def _replay(s: Session, principal: Principal, incident: Incident, data: ReportIn) -> IncidentOut:
    unit = s.get(Body, incident.subject_body_id).key
    if incident.request_hash != _request_hash(data, data.unit or unit):
        raise Conflict("this Idempotency-Key was already used for a different report")
    return incident_out(s, incident)


def _subject(s: Session, principal: Principal, key: str | None) -> Body:
    if key is None:
        return s.get(Body, principal.body_id)
    body = s.scalar(select(Body).where(Body.key == key, scoping.visible_bodies(principal.scope)))
    if body is None:
        raise ValidationFailed([FieldError("unit", f"no unit {key!r}")])
    return body


def _system(s: Session, body: Body, key: str | None) -> InfoSystem | None:
    if key is None:
        return None
    system = s.scalar(select(InfoSystem).where(InfoSystem.body_id == body.id,
                                               InfoSystem.key == key))
    if system is None:
        raise ValidationFailed([FieldError("system", f"{body.key!r} has no system {key!r}")])
    return system


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


def subject_facts(body: Body) -> rules.Subject:
    chain = tuple(reversed(org_rules.path_ids(body.jurisdiction.path)))
    sectors = body.sector_codes
    return rules.Subject(body_id=body.id, kind=BodyKind(body.kind),
                         sector=sectors[0] if sectors else None, cii=body.cii, chain=chain)


def grade_facts(facts: FactsIn, system: InfoSystem | None, cii: bool) -> grading.GradingFacts:
    """Grading facts: what the reporter says, plus what the register knows (annex 2 important
    system, CII operator)."""
    return grading.GradingFacts(important_system=bool(system and system.important), cii=cii,
                                **facts.model_dump())


def file_report(s: Session, now: datetime, principal: Principal, data: ReportIn, profile_name: str,
          key: str | None, source: str | None = None) -> Incident:
    _check(data, now)
    subject = _subject(s, principal, data.unit)
    system = _system(s, subject, data.system)
    profile = grading.load_profile(profile_name)
    result = grading.grade(grade_facts(data.facts, system, subject.cii), profile)
    reporter = s.get(Body, principal.body_id)
    incident = Incident(
        ref=new_ref(now), subject_body_id=subject.id, reporting_body_id=reporter.id,
        reported_by_user_id=principal.user_id, idempotency_key=key,
        request_hash=_request_hash(data, data.unit or subject.key),
        source=source or ("unit" if reporter.id == subject.id else SOURCE_OF_KIND.get(
            BodyKind(reporter.kind), "office")),
        jurisdiction_path=subject.jurisdiction.path,
        sector_code=(subject.sector_codes or [None])[0], system_id=system.id if system else None,
        cii=subject.cii, category=data.category, subcategory=data.subcategory, title=data.title,
        description=data.description, impact=data.impact, measures=data.measures,
        found_at=data.found_at, reported_at=now, state=rules.State.REPORTED.value,
        grade=result.grade.value, grading_profile=profile.name,
        facts=data.facts.model_dump_json(), grade_reasons=reasons_json(result),
        created_at=now, updated_at=now)
    s.add(incident)
    s.flush()
    event(s, incident, at=now, kind="reported", actor=principal.username,
          detail={"source": incident.source, "reporter": reporter.key})
    event(s, incident, at=now, kind="graded", actor="system",
          detail={"grade": result.grade.value, "profile": profile.name})
    route_incident(s, incident, subject, result.grade.value, clock_settings(profile), now,
                   first=True)
    return incident


def reasons_json(result: grading.GradingResult) -> str:
    return json.dumps([r.as_dict() for r in result.reasons], ensure_ascii=False, default=str)


# --- routing, clocks, notifications -----------------------------------------------------------


def _candidates(s: Session, chain: tuple[int, ...]) -> list[rules.Candidate]:
    bodies = s.scalars(select(Body).where(
        Body.jurisdiction_id.in_(chain), Body.active.is_(True),
        (Body.kind.in_([BodyKind.OFFICE.value, BodyKind.DEPARTMENT.value]))
        | Body.function.is_not(None))).all()
    return [rules.Candidate(b.id, BodyKind(b.kind), b.jurisdiction_id,
                            frozenset(b.sector_codes),
                            org_rules.BodyFunction(b.function) if b.function else None)
            for b in bodies]


def route_incident(s: Session, incident: Incident, subject: Body, grade: str,
                   clocks: rules.ClockSettings, now: datetime, *, first: bool) -> None:
    """Route to every body that must know and has not been reached yet; start their clocks.
    ``first`` is the intake itself: nothing was routed before, and the unit's own report
    starts its report clock (CAC 2025 art. 4)."""
    facts = subject_facts(subject)
    routes = rules.route(facts, grade, _candidates(s, facts.chain), clocks)
    if not first:
        already = set(s.scalars(select(IncidentRoute.body_id).where(
            IncidentRoute.incident_id == incident.id)))
        routes = [r for r in routes if r.body_id not in already]
    for r in routes:
        s.add(IncidentRoute(
            incident_id=incident.id, body_id=r.body_id,
            reason_code="+".join(x.code for x in r.reasons),
            reason_zh="；".join(x.text_zh for x in r.reasons),
            reason_en="; ".join(x.text_en for x in r.reasons),
            source="; ".join(sorted({x.source for x in r.reasons})), immediate=r.immediate,
            routed_at=now))
    duties = rules.intake_duties(facts, self_reported=first and incident.source == "unit",
                                 found_at=incident.found_at, reported_at=now, routes=routes,
                                 clocks=clocks)
    for d in duties:
        s.add(Duty(incident_id=incident.id, body_id=d.body_id, kind=d.kind.value,
                   source=d.source, starts_at=d.starts_at, due_at=d.due_at, done_at=d.done_at))
    if routes:
        event(s, incident, at=now, kind="routed", actor="system",
              detail={"bodies": [r.body_id for r in routes]})
        _notify(s, incident, routes, now)


def _notify(s: Session, incident: Incident, routes: list[rules.Route], now: datetime) -> None:
    by_body = {r.body_id: r for r in routes}
    contacts = s.scalars(select(Contact).where(
        Contact.body_id.in_(by_body),
        Contact.channel.in_([c.value for c in org_rules.DELIVERABLE_CHANNELS]))).all()
    reached = set()
    for c in contacts:
        r = by_body[c.body_id]
        subject, text, payload = notification(incident, r)
        outbox.enqueue(s, now=now, contact=c, subject=subject, text=text, payload=payload,
                       incident_id=incident.id, priority=0 if r.immediate else 100)
        reached.add(c.body_id)
    unreachable = sorted(set(by_body) - reached)
    if unreachable:
        event(s, incident, at=now, kind="no_channel", actor="system",
              detail={"bodies": unreachable, "note": "no email, webhook or robot contact"})


def notification(incident: Incident, r: rules.Route) -> tuple[str, str, dict]:
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
