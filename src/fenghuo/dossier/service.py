"""Assembling a dossier from the services that own each part of the record.

Nothing here decides scope: the incident is read through ``get_incident`` (an incident the
caller cannot see is not found), its evidence through the evidence listing (which records the
view in each file's chain of custody) and its responses through ``responses_of_incident``
(only the responses the caller may see), and the teams and experts dispatched to them through
``assignments_for_response``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fenghuo.common.clock import Clock
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import evidence, queries
from fenghuo.incident.schemas import IncidentOut
from fenghuo.response.schemas import ResponseOut
from fenghuo.response.views import responses_of_incident
from fenghuo.support import service as support
from fenghuo.support.schemas import AssignmentOut

#: the version of the dossier's JSON layout
FORMAT = "fenghuo.dossier/1"


class EvidenceEntry(BaseModel):
    """A preserved file, by its hash: the content itself is downloaded separately."""

    id: int
    filename: str
    content_type: str
    size: int = Field(description="bytes")
    sha256: str = Field(description="SHA-256 of the content, hex")
    added_at: datetime
    added_by: str


class Dossier(BaseModel):
    """One incident's whole record, as the caller may see it at ``generated_at``."""

    format: str = FORMAT
    generated_at: datetime
    generated_by: str
    incident: IncidentOut
    evidence: list[EvidenceEntry]
    responses: list[ResponseOut]
    #: teams, support units and experts dispatched to the responses, with their hours
    #: (Plan §7.2, §7.3)
    assignments: list[AssignmentOut] = []


def build(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> Dossier:
    """The dossier of incident ``ref``; ``NotFound`` when the caller cannot see it."""
    now = clock.now()
    incident = queries.get_incident(uow, principal=principal, ref=ref, now=now)
    files = evidence.list_evidence(uow, clock, principal=principal, ref=incident.ref)
    responses = responses_of_incident(uow, clock, principal=principal,
                                      incident_ref=incident.ref)
    return Dossier(
        generated_at=now, generated_by=principal.username, incident=incident,
        evidence=[EvidenceEntry(id=e.id, filename=e.filename, content_type=e.content_type,
                                size=e.size, sha256=e.sha256, added_at=e.added_at,
                                added_by=e.added_by) for e in files],
        responses=responses,
        assignments=[a for r in responses
                     for a in support.assignments_for_response(uow, principal=principal,
                                                               ref=r.ref)])
