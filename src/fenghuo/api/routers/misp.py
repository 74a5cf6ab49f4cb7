"""MISP events over HTTP (issue 8 item 5, issue 20 item 3; Plan §3.2): export incidents and
monitoring items in MISP's JSON format (a list of ``{"Event": …}``) and as a MISP feed
(``/misp/feed/manifest.json``, ``hashes.csv``, ``<uuid>.json``), limited by the caller's scope
(Law art. 30) and TLP 2.0, and import MISP events as monitoring information of the caller's
body."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.common.types import Timestamp
from fenghuo.sharing import misp, misp_feed

router = APIRouter(tags=["misp"])


class CsvResponse(PlainTextResponse):
    media_type = "text/csv"


class DroppedOut(BaseModel):
    id: str
    type: str
    reason: str


class ImportedOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uuid: str
    ref: str | None = Field(description="The monitoring item; null for an event imported "
                            "before into an item you cannot read")
    created: bool
    indicators: int
    left_out: int = Field(description="Attributes that are not indicators here (kept as "
                          "context all the same)")
    tlp: str
    kept: int = Field(description="MISP context kept with the item: the event's tags and "
                      "galaxies, its attributes and objects as received")
    dropped: list[DroppedOut] = Field(description="What was not kept, and why")


class ImportOut(BaseModel):
    created: int
    duplicates: int
    events: list[ImportedOut]


#: a reference such as MI-20261123-1A2B3C4D; an empty ``ref=`` is refused, not read as "any"
RefText = Annotated[str, StringConstraints(min_length=1, max_length=40)]


@router.get("/misp/events", response_model=list[dict[str, Any]] | dict[str, Any])
def export_events(
    *, rt: RuntimeDep, me: CurrentUser, response: Response,
    kind: Literal["incident", "monitoring", "all"] = "all",
    ref: Annotated[list[RefText] | None, Query(max_length=200)] = None,
    since: Timestamp | None = None, until: Timestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=misp.MAX_EVENTS)] = 100,
    format: Annotated[Literal["list", "response"], Query(
        description="list: [{\"Event\": …}, …] (PyMISP loads each); response: the older "
                    "{\"response\": [...]}")] = "list",
) -> Any:
    """Incidents and monitoring items your scope reads and TLP 2.0 lets you receive, as MISP
    events with ``tlp:`` and ``rsit:`` tags; ``X-Fenghuo-Withheld`` counts those in your scope
    that TLP withheld."""
    out = misp.export_events(rt.uow, principal=me, kind=kind, refs=ref, since=since,
                             until=until, limit=limit, timezone=rt.settings.timezone,
                             now=rt.clock.now())
    response.headers["X-Fenghuo-Withheld"] = str(len(out.withheld))
    return out.response_document() if format == "response" else out.document()


@router.get("/misp/feed/manifest.json", response_class=JSONResponse)
def feed_manifest(*, rt: RuntimeDep, me: CurrentUser) -> Response:
    """The MISP feed's manifest: ``{event uuid: {info, date, threat_level_id, analysis,
    timestamp, Orgc, Tag}}`` of the events you may export."""
    found = misp_feed.events(rt.uow, principal=me, timezone=rt.settings.timezone,
                             now=rt.clock.now())
    return JSONResponse(misp_feed.manifest(found))


@router.get("/misp/feed/hashes.csv", response_class=CsvResponse)
def feed_hashes(*, rt: RuntimeDep, me: CurrentUser) -> Response:
    """The MISP feed's ``hashes.csv``: ``<md5 of a value>,<event uuid>`` per line."""
    found = misp_feed.events(rt.uow, principal=me, timezone=rt.settings.timezone,
                             now=rt.clock.now())
    return CsvResponse(misp_feed.hashes(found))


@router.get("/misp/feed/{event_uuid}.json", response_class=JSONResponse)
def feed_event(*, rt: RuntimeDep, me: CurrentUser,
               event_uuid: Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]) -> Response:
    """One event of the MISP feed, ``{"Event": {...}}``; 404 when it is not in your feed."""
    return JSONResponse(misp_feed.event(rt.uow, principal=me, timezone=rt.settings.timezone,
                                        event_uuid=event_uuid, now=rt.clock.now()))


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
                                         tlp=r.tlp, kept=r.kept,
                                         dropped=[DroppedOut(**d) for d in r.dropped])
                             for r in rows])
