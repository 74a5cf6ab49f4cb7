"""Sharing incidents across provinces and departments (Plan §3.2; Law art. 29) and their TLP
2.0 label over HTTP: the Emergency Office shares, recipients acknowledge and list what they
received, an office handling an incident relabels it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.incident.schemas import IncidentOut
from fenghuo.sharing import service
from fenghuo.sharing.schemas import IncidentShareIn, IncidentShareOut, TlpIn

router = APIRouter(tags=["sharing"])

IncidentRef = Annotated[str, Path(min_length=1, max_length=64,
                                  description="Incident ref, e.g. FH-20261101-1A2B3C4D")]


@router.post("/incidents/{ref}/shares", response_model=list[IncidentShareOut], status_code=201)
def share_incident(*, rt: RuntimeDep, me: CurrentUser, ref: IncidentRef,
                   data: IncidentShareIn) -> list[IncidentShareOut]:
    """The national Emergency Office shares the incident with provincial offices and
    departments (Plan §3.2). Refused with reasons for another body, for TLP:RED, and for a
    recipient beyond the label's reach (TLP 2.0). Answers every share of the incident."""
    out = service.share_incident(rt.uow, rt.clock, principal=me, ref=ref, bodies=data.bodies,
                                 note=data.note)
    rt.wake_worker()
    return out


@router.get("/incidents/{ref}/shares", response_model=list[IncidentShareOut])
def incident_shares(*, rt: RuntimeDep, me: CurrentUser, ref: IncidentRef
                    ) -> list[IncidentShareOut]:
    """Who the incident was shared with, and who has and has not acknowledged."""
    return service.list_incident_shares(rt.uow, principal=me, ref=ref)


@router.get("/shares", response_model=Page[IncidentShareOut])
def received_shares(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                    state: Literal["acknowledged", "unacknowledged"] | None = None):
    """Incidents shared with your body, newest first."""
    return service.list_received(rt.uow, principal=me, page=page, state=state)


@router.post("/shares/{share_id}/ack", response_model=IncidentShareOut)
def acknowledge_share(*, rt: RuntimeDep, me: CurrentUser, share_id: ObjectId
                      ) -> IncidentShareOut:
    """Your body confirms it received a shared incident."""
    return service.acknowledge_share(rt.uow, rt.clock, principal=me, share_id=share_id)


@router.put("/incidents/{ref}/tlp", response_model=IncidentOut)
@router.post("/incidents/{ref}/tlp", response_model=IncidentOut)
def set_tlp(*, rt: RuntimeDep, me: CurrentUser, ref: IncidentRef, data: TlpIn) -> IncidentOut:
    """An office handling the incident changes its TLP 2.0 label, with a reason (audited)."""
    return service.set_incident_tlp(rt.uow, rt.clock, principal=me, ref=ref, data=data)
