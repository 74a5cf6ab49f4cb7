"""Use cases of personal information in an incident (issue 16 item 6; Law art. 42 ¶2): what a
supplementary report says of the records leaked and whether the users must be told, and the
record that the users were told, which stops the unit's clock (``pi_rules``). The clock is a
duty like the others: the watchdog flags it when it runs out, and it counts among the unit's
overdue clocks in the accountability view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import pi_rules, rules, service
from fenghuo.incident.models import Duty, Incident
from fenghuo.incident.queries import incident_out, visible_incident
from fenghuo.incident.schemas import IncidentOut, InformedIn, PersonalInfoIn
from fenghuo.org.rules import Permission
from fenghuo.org.service import require

_KIND = rules.DutyKind.INFORM_USERS.value


def _open_duty(s: Session, incident: Incident) -> Duty | None:
    return s.scalar(select(Duty).where(Duty.incident_id == incident.id, Duty.kind == _KIND,
                                       Duty.done_at.is_(None)))


def apply(s: Session, incident: Incident, pi: PersonalInfoIn | None, fact_records: int | None,
          *, now: datetime, actor: str) -> None:
    """What a supplementary report says of personal information: the records (stated, or the
    grading fact), whether the users must be told (and why not). A leak that becomes known now
    starts the clock now; "need not be told" stops a running one."""
    records = pi_rules.records_of(pi.records if pi else None, fact_records)
    if records is None or incident.is_parent:
        return
    incident.pi_records = records
    if pi is not None:
        incident.pi_inform_users = pi.inform_users
        incident.pi_reason = None if pi.inform_users else pi.reason
    elif incident.pi_inform_users is None:
        incident.pi_inform_users = True
    state = pi_rules.PersonalInfo(incident.pi_records, incident.pi_inform_users)
    has_clock = s.scalar(select(Duty.id).where(Duty.incident_id == incident.id,
                                               Duty.kind == _KIND).limit(1)) is not None
    if state.clock_needed and not has_clock and incident.pi_informed_at is None:
        d = pi_rules.inform_duty(incident.subject_body_id, now, service.inform_hours(s))
        s.add(Duty(incident_id=incident.id, body_id=d.body_id, kind=d.kind.value,
                   source=d.source, starts_at=d.starts_at, due_at=d.due_at))
    elif not state.clock_needed and (open_duty := _open_duty(s, incident)) is not None:
        open_duty.done_at = now  # nothing more is owed
    service.event(s, incident, at=now, kind="personal_information", actor=actor,
                  detail={"records": records, "inform_users": incident.pi_inform_users,
                          "reason": incident.pi_reason})


def record_informed(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                    data: InformedIn) -> IncidentOut:
    """The users were told (when, how, how many): the clock stops at that time — met, or late
    when after its deadline. Once only; not on a closed incident (409)."""
    require(principal, Permission.INCIDENT_REPORT)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        if incident.state == rules.State.CLOSED:
            raise Conflict(f"incident {ref} is closed")
        if incident.pi_informed_at is not None:
            raise Conflict(f"the users were already recorded as informed at "
                           f"{incident.pi_informed_at.isoformat()}")
        problems = pi_rules.informed_problems(
            at=data.at, found_at=incident.found_at, now=now,
            pi=pi_rules.PersonalInfo(incident.pi_records, incident.pi_inform_users))
        if problems:
            raise ValidationFailed([FieldError(f, m) for f, m in problems])
        incident.pi_informed_at, incident.pi_informed_how = data.at, data.how
        incident.pi_informed_count, incident.updated_at = data.count, now
        s.execute(update(Duty).where(Duty.incident_id == incident.id, Duty.kind == _KIND,
                                     Duty.done_at.is_(None)).values(done_at=data.at))
        service.event(s, incident, at=now, kind="users_informed", actor=principal.username,
                      detail=data.model_dump(mode="json"))
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="incident.users_informed",
                     entity_type="incident", entity_key=incident.ref,
                     scope_path=incident.jurisdiction_path,
                     detail={"count": data.count, "how": data.how})
        return incident_out(s, incident, now, reader=principal)
