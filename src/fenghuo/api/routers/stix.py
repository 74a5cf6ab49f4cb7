"""STIX 2.1 bundles over HTTP (issue 20 items 1 and 2; Plan §3.2 sharing; Law arts. 29, 30, 51):
export what the caller's scope reads and TLP 2.0 lets its body receive as one bundle — the
graph of incidents, warnings and monitoring information with their relationships, sightings,
observed data, identities and locations — and import a bundle as monitoring information of
the caller's body, with its context kept and anything not kept listed. The same as
``fenghuo stix export|import`` and TAXII's collections, for programs that speak plain HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.common.types import Timestamp
from fenghuo.sharing import stix, stix_import

router = APIRouter(tags=["stix"])
#: the STIX 2.1 media type (STIX 2.1 §1.5 / TAXII 2.1 §1.6.8)
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
RefList = Annotated[list[Annotated[str, Query(min_length=1, max_length=40)]] | None,
                    Query(max_length=200)]


@router.get("/stix/bundle", response_class=JSONResponse, responses={
    200: {"content": {STIX_MEDIA_TYPE: {}}, "description": "A STIX 2.1 bundle"}})
def export_bundle(*, rt: RuntimeDep, me: CurrentUser, incident: RefList = None,
                  warning: RefList = None, monitoring: RefList = None,
                  since: Timestamp | None = None) -> Response:
    """A STIX 2.1 bundle of what you may export. Naming refs of one kind exports only those
    (and no items of the kinds not named); ``X-Fenghuo-Withheld`` counts items in your scope
    that TLP 2.0 withheld. Audited."""
    named = incident or warning or monitoring
    result = stix.export_bundle(
        rt.uow, rt.clock, principal=me, since=since,
        incidents=(incident or []) if named else None,
        warnings=(warning or []) if named else None,
        monitoring=(monitoring or []) if named else None)
    return JSONResponse(result.bundle, media_type=STIX_MEDIA_TYPE,
                        headers={"X-Fenghuo-Withheld": str(result.withheld)})


@router.post("/stix/import")
def import_bundle(*, rt: RuntimeDep, me: CurrentUser, bundle: Annotated[dict[str, Any], Body(
        description="A STIX 2.1 bundle ({\"type\": \"bundle\", \"objects\": [...]})")]
                  ) -> dict[str, Any]:
    """Import a STIX 2.1 bundle as monitoring information of your body (Plan §3.2): what it
    created, what this body had already imported, the context kept, and every object that
    could not be kept with the reason (``dropped``). One transaction; audited."""
    result = stix_import.import_bundle(rt.uow, rt.clock, principal=me, raw=bundle)
    rt.wake_worker()
    return result.as_dict()
