"""MISP events over HTTP (issue 8 item 5; Plan §3.2): export incidents and monitoring items in
MISP's JSON format, limited by the caller's scope (Law art. 30) and TLP 2.0, and import MISP
events as monitoring information of the caller's body."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.common.types import Timestamp
from fenghuo.sharing import misp

router = APIRouter(tags=["misp"])


class MispEventsOut(BaseModel):
    """As MISP's ``/events/restSearch`` answers in JSON: ``{"response": [{"Event": …}]}``."""

    response: list[dict[str, Any]]


class ImportedOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uuid: str
    ref: str | None = Field(description="The monitoring item; null for an event imported "
                            "before into an item you cannot read")
    created: bool
    indicators: int
    left_out: int = Field(description="Attributes that are not indicators here")
    tlp: str


class ImportOut(BaseModel):
    created: int
    duplicates: int
    events: list[ImportedOut]


#: a reference such as MI-20261123-1A2B3C4D; an empty ``ref=`` is refused, not read as "any"
RefText = Annotated[str, StringConstraints(min_length=1, max_length=40)]


@router.get("/misp/events", response_model=MispEventsOut)
def export_events(
    *, rt: RuntimeDep, me: CurrentUser, response: Response,
    kind: Literal["incident", "monitoring", "all"] = "all",
    ref: Annotated[list[RefText] | None, Query(max_length=200)] = None,
    since: Timestamp | None = None, until: Timestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=misp.MAX_EVENTS)] = 100,
) -> MispEventsOut:
    """Incidents and monitoring items your scope reads and TLP 2.0 lets you receive, as MISP
    events with ``tlp:`` and ``rsit:`` tags; ``X-Fenghuo-Withheld`` counts those in your scope
    that TLP withheld."""
    out = misp.export_events(rt.uow, principal=me, kind=kind, refs=ref, since=since,
                             until=until, limit=limit, timezone=rt.settings.timezone)
    response.headers["X-Fenghuo-Withheld"] = str(len(out.withheld))
    return MispEventsOut(response=out.events)


@router.post("/misp/import", response_model=ImportOut)
def import_events(*, rt: RuntimeDep, me: CurrentUser,
                  document: Annotated[dict[str, Any] | list[Any], Body(
                      description="One MISP event ({\"Event\": …}), a list of events, or "
                      "{\"response\": [...]}")]) -> ImportOut:
    """Import MISP events as monitoring information of your body (Plan §3.2); TLP from the
    ``tlp:`` tag (AMBER without one), an event already imported is not imported again."""
    rows = misp.import_events(rt.uow, rt.clock, principal=me, document=document,
                              timezone=rt.settings.timezone)
    rt.wake_worker()
    return ImportOut(created=sum(r.created for r in rows),
                     duplicates=sum(not r.created for r in rows),
                     events=[ImportedOut(uuid=r.uuid, ref=r.ref, created=r.created,
                                         indicators=r.indicators, left_out=r.left_out,
                                         tlp=r.tlp) for r in rows])
