"""Scheduled collectors of feeds over HTTP (issue 15 items 2–3): set or clear a feed's collector
(a URL or a TAXII 2.1 collection pulled every N minutes) and run it now. The worker runs due
collectors about every minute; a feed's collector status is in ``GET /monitoring/feeds``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.monitoring import collectors
from fenghuo.monitoring.schemas import CollectorIn, CollectRun, FeedOut

router = APIRouter(tags=["monitoring (machine)"])

FeedCode = Annotated[str, Path(max_length=80)]


@router.put("/monitoring/feeds/{code}/collector", response_model=FeedOut)
def set_collector(*, rt: RuntimeDep, me: CurrentUser, code: FeedCode,
                  data: CollectorIn) -> FeedOut:
    """Pull this feed every ``interval_minutes``: a URL (kind url; conditional GET, the body
    read in the feed's format) or a TAXII 2.1 collection (kind taxii; STIX feeds). Credentials
    (Basic or Bearer; ``env:NAME`` reads them from the worker's environment) are never shown."""
    return collectors.set_collector(rt.uow, rt.clock, principal=me, code=code, data=data)


@router.delete("/monitoring/feeds/{code}/collector", response_model=FeedOut)
def clear_collector(*, rt: RuntimeDep, me: CurrentUser, code: FeedCode) -> FeedOut:
    """Stop pulling this feed (what it took in stays)."""
    return collectors.clear_collector(rt.uow, rt.clock, principal=me, code=code)


@router.post("/monitoring/feeds/{code}/collect", response_model=CollectRun)
def collect(*, rt: RuntimeDep, me: CurrentUser, code: FeedCode) -> CollectRun:
    """Run this feed's collector now; a failed pull is in ``error`` (and in the feed's
    collector status), not an HTTP error. ``env:NAME`` credentials are read from this
    server's environment."""
    return collectors.run(rt.uow, rt.clock, code=code, principal=me, force=True)
