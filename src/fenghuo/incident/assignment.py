"""Who works an incident (issue 19 item 1): an incident is assigned to an active user of a body
that handles it (a body it was routed to, or its subject unit; Plan §4.1), or unassigned. Read
and written in the caller's scope (``visible_incident``, Law art. 30); every change writes an
audit row and a timeline event."""

from __future__ import annotations

from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import rules
from fenghuo.incident.casework import handling_bodies
from fenghuo.incident.queries import incident_out, visible_incident
from fenghuo.incident.schemas import IncidentOut
from fenghuo.incident.service import event
from fenghuo.org.models import User
from fenghuo.org.rules import Permission
from fenghuo.org.service import require

#: who handles an incident: the bodies it is routed to and the unit itself
SOURCE = "Plan §4.1"


def assign(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
           username: str | None) -> IncidentOut:
    """Assign ``ref`` to ``username`` (None unassigns). 422 naming ``username`` when that is
    not an active user of a body handling the incident; 409 when it is closed."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    username = (username or "").strip() or None
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        if incident.state == rules.State.CLOSED:
            raise Conflict(f"incident {ref} is closed")
        user = None
        if username:
            user = s.scalar(select(User).where(User.username == username,
                                               User.active.is_(True)))
            if user is None or user.body_id not in handling_bodies(s, incident):
                raise ValidationFailed([FieldError(
                    "username", f"{username!r} is not an active user of a body handling {ref}",
                    source=SOURCE)])
        before = s.get(User, incident.assignee_user_id) if incident.assignee_user_id else None
        if (before.id if before else None) != (user.id if user else None):
            incident.assignee_user_id = user.id if user else None
            incident.updated_at = now
            detail = {"from": before.username if before else None,
                      "to": user.username if user else None}
            event(s, incident, at=now, kind="assigned" if user else "unassigned",
                  actor=principal.username, detail=detail)
            audit.record(s, at=now, actor=audit.Actor.of(principal),
                         action="incident.assign" if user else "incident.unassign",
                         entity_type="incident", entity_key=incident.ref,
                         scope_path=incident.jurisdiction_path, detail=detail)
        return incident_out(s, incident, now, reader=principal)
