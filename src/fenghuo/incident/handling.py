"""Use cases after the first report: supplementary reports, regrading, acknowledgement, state
changes, findings on reports, the overdue-clock watchdog and dead letters (the reporting
side of accountability is in :mod:`fenghuo.incident.accountability`)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, omission_rules, owner_rules, owners, personal_info, rules
from fenghuo.incident.deliveries import managed_bodies, outbox_out
from fenghuo.incident.models import Duty, Incident, IncidentRoute
from fenghuo.incident.queries import incident_out, rollup_of, visible_incident
from fenghuo.incident.schemas import (
    DeliveryOut,
    FactsIn,
    FindingIn,
    IncidentOut,
    RegradeIn,
    StateIn,
    SupplementIn,
)
from fenghuo.incident.scoping import visible_incidents
from fenghuo.incident.service import (
    FUTURE_TOLERANCE,
    IncidentFacts,
    clock_settings,
    event,
    grade_facts,
    reasons_json,
    route_incident,
    secrets_at_stake,
    subject_facts,
)
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import directory
from fenghuo.org.models import Body, Contact, InfoSystem
from fenghuo.org.rules import DELIVERABLE_CHANNELS, Permission, contact_tier
from fenghuo.org.service import require


def _regrade(s: Session, incident: Incident, facts: FactsIn, *, now: datetime, actor: str,
             why: str) -> None:
    """Grade again from new facts; keep history on the timeline; route onward if it rose. A
    parent's grade is its units' worst; a unit's new grade moves its parent's."""
    if incident.is_parent:
        raise ValidationFailed([FieldError("facts", "the grade of an incident with many "
                                                    "affected units is the worst of theirs: "
                                                    "regrade their incidents")])
    system = s.get(InfoSystem, incident.system_id) if incident.system_id else None
    profile = grading.load_profile(incident.grading_profile)
    result = grading.grade(grade_facts(facts, system.important if system else None,
                                       incident.cii), profile)
    before, secrets_before = incident.grade, secrets_at_stake(incident.grade_reasons)
    incident.facts, incident.grade = facts.model_dump_json(), result.grade.value
    incident.grade_reasons, incident.updated_at = reasons_json(result), now
    event(s, incident, at=now, kind="regraded", actor=actor,
          detail={"from": before, "to": incident.grade, "why": why})
    newly_secret = secrets_at_stake(incident.grade_reasons) and not secrets_before
    if incident.grade != before or newly_secret:  # Plan §4.1; criterion ② (Plan §2.1)
        unit = s.get(Body, incident.subject_body_id)
        route_incident(s, IncidentFacts.of(incident, unit, system), subject_facts(unit),
                       incident.grade, clock_settings(profile), now, first=False,
                       snap=directory.current(s))
    if incident.grade != before and incident.parent_id:
        owners.refresh_parent(s, incident.parent_id, now)


def supplement(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
               data: SupplementIn) -> IncidentOut:
    """A supplementary report (补报, CAC 2025 art. 7(2)), appended to the timeline."""
    require(principal, Permission.INCIDENT_REPORT)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        if incident.state == rules.State.CLOSED:
            raise Conflict(f"incident {ref} is closed")
        if data.found_at is not None and data.found_at > now + FUTURE_TOLERANCE:
            raise ValidationFailed([FieldError("found_at", "lies in the future")])
        event(s, incident, at=now, kind="supplementary", actor=principal.username,
              detail=data.model_dump(mode="json", exclude_none=True))
        if data.impact:
            incident.impact = f"{incident.impact}\n[{now:%Y-%m-%d %H:%M}] {data.impact}"
        if data.measures:
            incident.measures = f"{incident.measures}\n[{now:%Y-%m-%d %H:%M}] {data.measures}"
        if data.facts is not None:
            merged = FactsIn(**{**json.loads(incident.facts),
                                **data.facts.model_dump(exclude_unset=True)})
            _regrade(s, incident, merged, now=now, actor=principal.username,
                     why=omission_rules.SUPPLEMENTARY)
        if data.personal_information is not None or (
                data.facts is not None and data.facts.personal_records_leaked is not None):
            personal_info.apply(s, incident, data.personal_information,
                                data.facts.personal_records_leaked if data.facts else None,
                                now=now, actor=principal.username)
        incident.updated_at = now
        _audit(s, principal, incident, "incident.supplement", now)
        return incident_out(s, incident, now, reader=principal)


def regrade(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: RegradeIn
            ) -> IncidentOut:
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        _regrade(s, incident, data.facts, now=now, actor=principal.username, why=data.reason)
        _audit(s, principal, incident, "incident.regrade", now)
        return incident_out(s, incident, now, reader=principal)


def acknowledge(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                ) -> IncidentOut:
    """The caller's body confirms receipt: stops its acknowledgement clock."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        r = s.scalar(select(IncidentRoute).where(IncidentRoute.incident_id == incident.id,
                                                 IncidentRoute.body_id == principal.body_id))
        rules.may_acknowledge(routed_to_caller=r is not None).enforce()
        if r.acknowledged_at is None:
            r.acknowledged_at, r.acknowledged_by = now, principal.username
            s.execute(update(Duty).where(
                Duty.incident_id == incident.id, Duty.body_id == principal.body_id,
                Duty.kind == rules.DutyKind.ACKNOWLEDGE.value, Duty.done_at.is_(None)
            ).values(done_at=now))
            event(s, incident, at=now, kind="acknowledged", actor=principal.username,
                  detail={"body_id": principal.body_id})
            if incident.state == rules.State.REPORTED:
                incident.state = rules.State.ACKNOWLEDGED.value
            incident.updated_at = now
            _audit(s, principal, incident, "incident.acknowledge", now)
        return incident_out(s, incident, now, reader=principal)


def set_state(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: StateIn,
              require_resolution: bool = False) -> IncidentOut:
    """Move ``ref`` to ``data.state``. With ``require_resolution`` (the API and the console), a
    unit's incident becomes resolved or closed only with a resolution, given now or before
    (Plan §4.4; CAC 2025 art. 8); a parent's is its units'."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        if (require_resolution and not incident.is_parent
                and data.state in RESOLUTION_STATES and not (data.resolution or "").strip()
                and not (incident.resolution or "").strip()
                and not rules.transition_problem(rules.State(incident.state),
                                                 rules.State(data.state))):
            raise ValidationFailed([FieldError(
                "resolution", "say how it was resolved", source=RESOLUTION_SOURCE)])
        move_state(s, incident, rules.State(data.state), now=now, actor=principal.username,
                   note=data.note, resolution=data.resolution)
        _audit(s, principal, incident, "incident.state", now)
        return incident_out(s, incident, now, reader=principal)


#: the states a unit's incident reaches only with a resolution (``set_state``)
RESOLUTION_STATES = frozenset({rules.State.RESOLVED.value, rules.State.CLOSED.value})
RESOLUTION_SOURCE = "Plan §4.4; CAC 2025 art. 8"


def move_state(s: Session, incident: Incident, target: rules.State, *, now: datetime,
               actor: str, note: str = "", resolution: str | None = None,
               extra: dict | None = None) -> None:
    """Move the incident along ``rules.TRANSITIONS`` (422 otherwise); on resolved the final
    report falls due (CAC 2025 art. 8); a resolution is kept (Plan §4.4). The caller audits."""
    current = rules.State(incident.state)
    problem = rules.transition_problem(current, target)
    if problem:
        raise ValidationFailed([FieldError("state", problem)])
    if incident.is_parent:  # it rolls up its units, each of which ends its own handling
        owner_rules.parent_may_become(target, rollup_of(s, incident.id)).enforce()
    incident.state, incident.updated_at = target.value, now
    resolution = (resolution or "").strip()
    if resolution:  # Plan §4.4: how it was resolved, for the final report (CAC 2025 art. 8)
        incident.resolution = resolution
    if target == rules.State.RESOLVED and not incident.is_parent:
        incident.resolved_at = now
        d = rules.final_report_duty(incident.subject_body_id, now,
                                    clock_settings(grading.load_profile(
                                        incident.grading_profile)))
        s.add(Duty(incident_id=incident.id, body_id=d.body_id, kind=d.kind.value,
                   source=d.source, starts_at=d.starts_at, due_at=d.due_at))
    event(s, incident, at=now, kind="state", actor=actor,
          detail={"from": current.value, "to": target.value, "note": note,
                  **({"resolution": resolution} if resolution else {}), **(extra or {})})


def record_finding(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                   data: FindingIn) -> IncidentOut:
    """An office finds a report false (谎报) or concealing (瞒报), Plan §7.10."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        if incident.subject_body_id == principal.body_id:
            raise Forbidden("a unit cannot record a finding on its own report")
        incident.report_finding, incident.updated_at = data.finding, now
        event(s, incident, at=now, kind="finding", actor=principal.username,
              detail=data.model_dump())
        _audit(s, principal, incident, "incident.finding", now)
        return incident_out(s, incident, now, reader=principal)


def _audit(s: Session, principal: Principal, incident: Incident, action: str,
           now: datetime) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type="incident", entity_key=incident.ref,
                 scope_path=incident.jurisdiction_path,
                 detail={"grade": incident.grade, "state": incident.state})


# --- the watchdog -----------------------------------------------------------------------------


def sweep_overdue(uow: UnitOfWork, clock: Clock, *, limit: int = 500) -> int:
    """Flag open duties past their deadline once: a timeline entry and a reminder to the body."""
    now = clock.now()
    with uow() as s:
        duties = s.scalars(select(Duty).where(
            Duty.done_at.is_(None), Duty.overdue_flagged_at.is_(None), Duty.due_at < now)
            .order_by(Duty.due_at).limit(limit).with_for_update(skip_locked=True)).all()
        for d in duties:
            d.overdue_flagged_at = now
            incident = s.get(Incident, d.incident_id)
            event(s, incident, at=now, kind="clock_overdue", actor="watchdog",
                  detail={"duty": d.kind, "body_id": d.body_id, "due_at": d.due_at,
                          "escalated_to": _remind(s, incident, d, now)})
        return len(duties)


def _remind(s: Session, incident: Incident, duty: Duty, now: datetime) -> list[str]:
    """Remind the body through its next contact (``org.rules.contact_tier``); returns whom."""
    contacts = contact_tier(s.scalars(select(Contact).where(
        Contact.body_id == duty.body_id,
        Contact.channel.in_([c.value for c in DELIVERABLE_CHANNELS]))
        .order_by(Contact.priority, Contact.id)).all(), 1)  # escalate to the next contact
    zh, en = rules.DUTY_LABELS.get(rules.DutyKind(duty.kind), (duty.kind, duty.kind))
    subject, text = compose(Notice(
        what=Words(incident.title, incident.title), tag=Words("逾期", "OVERDUE"),
        ref=incident.ref, asked=Words(f"已逾期，请立即{zh}", f"overdue: {en} now"),
        due=duty.due_at))
    text += f"依据 Clause: {duty.source}\n"
    payload = {"event": "duty.overdue", "ref": incident.ref, "duty": duty.kind,
               "due_at": duty.due_at.isoformat(), "source": duty.source}
    outbox.enqueue(s, now=now, messages=[
        outbox.Message(c, subject, text, payload, incident_id=incident.id, priority=50)
        for c in contacts])
    return [c.name for c in contacts]


# --- dead letters -----------------------------------------------------------------------------


def count_deliveries(uow: UnitOfWork, *, principal: Principal, state: str = "dead",
                     cap: int = 100) -> int:
    """How many notifications of incidents in scope are in ``state`` (the dashboard's dead
    letters), counted up to ``cap`` (the page lists them: issue 21, no unbounded count)."""
    require(principal, Permission.INCIDENT_HANDLE)
    found = (select(OutboxMessage.id).join(Incident, Incident.id == OutboxMessage.incident_id)
             .where(visible_incidents(principal.scope), OutboxMessage.state == state)
             .limit(cap).subquery())
    with uow() as s:
        return s.scalar(select(func.count()).select_from(found))


def list_deliveries(uow: UnitOfWork, *, principal: Principal, state: str = "dead",
                    limit: int = 200) -> list[DeliveryOut]:
    """Notifications of incidents in scope in one state (by default the dead letters)."""
    require(principal, Permission.INCIDENT_HANDLE)
    stmt = (select(OutboxMessage, Incident.ref, Body.key)
            .join(Incident, Incident.id == OutboxMessage.incident_id)
            .outerjoin(Body, Body.id == OutboxMessage.body_id)
            .where(visible_incidents(principal.scope), OutboxMessage.state == state)
            .order_by(OutboxMessage.id.desc()).limit(limit))
    with uow() as s:
        rows = s.execute(stmt).all()
        managed = managed_bodies(s, principal, (m.body_id for m, _, _ in rows))
        return [outbox_out(m, key, managed, incident=ref, with_created=True)
                for m, ref, key in rows]


def retry_delivery(uow: UnitOfWork, clock: Clock, *, principal: Principal, delivery_id: int
                   ) -> None:
    """Put a dead-lettered notification back in the queue."""
    require(principal, Permission.INCIDENT_HANDLE)
    with uow() as s:
        visible = s.scalar(select(OutboxMessage.id).join(
            Incident, Incident.id == OutboxMessage.incident_id).where(
            OutboxMessage.id == delivery_id, visible_incidents(principal.scope)))
        if visible is None:
            raise NotFound(f"no delivery {delivery_id}")
        incident = s.scalar(select(Incident).join(
            OutboxMessage, OutboxMessage.incident_id == Incident.id).where(
            OutboxMessage.id == delivery_id))
        _audit(s, principal, incident, "delivery.retry", clock.now())
    if not outbox.retry_dead(uow, now=clock.now(), message_id=delivery_id):
        raise ValidationFailed([FieldError("id", "only a dead-lettered delivery can be retried")])
