"""The reporting chain over HTTP: taxonomy, reports, supplementary reports, grading,
acknowledgement, state and findings (the accountability view is routers/accountability.py,
public tips routers/tips.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, File, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from fenghuo.api.deps import (
    BearerToken,
    CurrentUser,
    ObjectId,
    Paging,
    RuntimeDep,
    idempotency_header,
    noted,
)
from fenghuo.common.pagination import Page
from fenghuo.common.types import Timestamp
from fenghuo.incident import (
    assignment,
    evidence,
    grading,
    handling,
    history,
    intake,
    owners,
    personal_info,
    queries,
    service,
)
from fenghuo.incident.schemas import (
    AffectedIn,
    AffectedOut,
    AssigneeIn,
    DeliveryOut,
    FindingIn,
    IncidentOut,
    IncidentSummary,
    InformedIn,
    ParentIn,
    RegradeIn,
    ReportIn,
    StateIn,
    SupplementIn,
)
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import accounts

router = APIRouter(tags=["incidents"])

IdempotencyKey = idempotency_header("Retries with the same key return the same incident")


@router.get("/taxonomy")
def taxonomy() -> list[dict]:
    """The 7 categories of Plan annex 1 and their subcategories, with GB/T 20986-2023 and RSIT
    mappings."""
    return get_taxonomy().as_dicts()


@router.get("/grading/profiles")
def grading_profiles() -> list[str]:
    return grading.available_profiles()


@router.post("/incidents", response_model=IncidentOut, status_code=201)
async def report(*, token: BearerToken, data: ReportIn, request: Request,
                 idempotency_key: IdempotencyKey = None) -> Response:
    """File a first report (CAC 2025 art. 7). It is graded, routed and notified at once."""
    writer = request.app.state.intake
    if writer is not None:  # with the reports arriving together (group commit, issue 21)
        me, out = await writer.submit_async(intake.Bearer(token, data, idempotency_key))
        noted(request, me)
    else:
        out = await run_in_threadpool(_report_alone, request, token, data, idempotency_key)
    # serialized once here: the hot path of the system need not validate its own answer again
    return Response(out.model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Location": f"/api/v1/incidents/{out.ref}"})


def _report_alone(request: Request, token: str, data: ReportIn,
                  idempotency_key: str | None) -> IncidentOut:
    """One report in a transaction of its own (``FENGHUO_INTAKE_GROUP_COMMIT=false``)."""
    rt = request.app.state.runtime
    me = noted(request, accounts.authenticate(rt.uow, rt.clock, token=token))
    out = service.report(rt.uow, rt.clock, principal=me, data=data,
                         idempotency_key=idempotency_key, profile=rt.settings.grading_profile)
    rt.wake_worker()
    return out


@router.post("/incidents/parents", response_model=IncidentOut, status_code=201)
def report_many(*, rt: RuntimeDep, me: CurrentUser, data: ParentIn,
                idempotency_key: IdempotencyKey = None) -> Response:
    """One incident at many units (a botnet, an exploitation wave): a parent and, for each
    affected unit, an incident of its own routed along that unit's chain (issue 16 item 5).
    Refused whole, naming it, if any unit is not one you may report about (Law art. 30)."""
    out = owners.create_parent(rt.uow, rt.clock, principal=me, data=data,
                               profile=rt.settings.grading_profile,
                               idempotency_key=idempotency_key)
    rt.wake_worker()
    return Response(out.model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Location": f"/api/v1/incidents/{out.ref}"})


@router.get("/incidents", response_model=Page[IncidentSummary])
def list_incidents(*, rt: RuntimeDep, me: CurrentUser, page: Paging, grade: str | None = None,
                   category: str | None = None, state: str | None = None,
                   sector: str | None = None, unit: str | None = None, q: str | None = None,
                   since: Timestamp | None = None, until: Timestamp | None = None,
                   subcategory: str | None = None, jurisdiction: str | None = None,
                   assignee: str | None = None,
                   before: Annotated[str | None, Query(max_length=40, description=(
                       "Keyset paging: the `next` of the previous page (the ref of its last "
                       "incident); fast at any depth, unlike `offset`"))] = None):
    """Incidents in your scope, newest first; ``jurisdiction`` (a code) covers its subtree,
    ``q`` searches the title, description, impact, measures, unit name and ref, ``assignee``
    (a username) keeps those assigned to that user. ``total`` counts up to 1,000
    (``total_exact`` false beyond); ``next`` is the cursor of the next page."""
    return queries.list_incidents(rt.uow, principal=me, page=page, grade=grade,
                                  category=category, state=state, sector=sector, unit=unit, q=q,
                                  since=since, until=until, subcategory=subcategory,
                                  jurisdiction=jurisdiction, assignee=assignee, before=before)


@router.post("/incidents/import", status_code=201)
def import_history(
    *, rt: RuntimeDep, me: CurrentUser,
    rows: Annotated[list[dict[str, Any]], Body(description=(
        "The incidents, a JSON list in the format named by ``format``"))],
    fmt: Annotated[Literal["fenghuo-json", "fir-json", "thehive-json"], Query(
        alias="format", description="fenghuo-json (our field names), fir-json (FIR incidents) or "
                    "thehive-json (TheHive 4/5 cases)")] = "fenghuo-json",
    source: Annotated[str | None, Query(max_length=80, description=(
        "The tool instance the ids come from (default: the tool)"))] = None,
) -> dict:
    """Import historical incidents with their own report, acknowledgement and closing times
    (issue 18 item 9): an office's administrators and duty officers, for units within its
    jurisdiction (Law art. 30). All or nothing: a bad row or unit is a 422 naming row and
    field. Imported incidents have no clocks and send no notices; rows imported before (same
    source and id) are skipped."""
    out = history.import_history(rt.uow, rt.clock, principal=me, fmt=fmt,
                                 text=json.dumps(rows), profile=rt.settings.grading_profile,
                                 timezone=rt.settings.timezone, source=source)
    return {**asdict(out), "refs": list(out.refs)}


@router.get("/incidents/{ref}", response_model=IncidentOut)
def get_incident(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> IncidentOut:
    return queries.get_incident(rt.uow, principal=me, ref=ref, now=rt.clock.now())


@router.post("/incidents/{ref}/supplements", response_model=IncidentOut)
def supplement(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: SupplementIn):
    """A supplementary report (补报); new facts regrade the incident."""
    out = handling.supplement(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/incidents/{ref}/grade", response_model=IncidentOut)
def regrade(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: RegradeIn):
    """Grade again from corrected facts, with a reason; the history stays on the timeline."""
    out = handling.regrade(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/incidents/{ref}/acknowledge", response_model=IncidentOut)
def acknowledge(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """Your body confirms receipt; its acknowledgement clock stops."""
    return handling.acknowledge(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/incidents/{ref}/state", response_model=IncidentOut)
def set_state(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: StateIn):
    """Move the incident on; resolved or closed needs a ``resolution`` unless one was recorded
    before (Plan §4.4; CAC 2025 art. 8): a 422 names ``resolution``."""
    return handling.set_state(rt.uow, rt.clock, principal=me, ref=ref, data=data,
                              require_resolution=True)


@router.put("/incidents/{ref}/assignee", response_model=IncidentOut)
def set_assignee(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: AssigneeIn):
    """Assign the incident to an active user of a body handling it (``null`` unassigns); a
    422 names ``username`` for anyone else."""
    return assignment.assign(rt.uow, rt.clock, principal=me, ref=ref, username=data.username)


@router.post("/incidents/{ref}/finding", response_model=IncidentOut)
def record_finding(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: FindingIn):
    """Record that the report was false (谎报) or concealing (瞒报), Plan §7.10."""
    return handling.record_finding(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.get("/incidents/{ref}/affected", response_model=AffectedOut)
def list_affected(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> AffectedOut:
    """A parent incident's affected units: the roll-up and each unit's incident."""
    return owners.list_affected(rt.uow, principal=me, ref=ref)


@router.post("/incidents/{ref}/affected", response_model=IncidentOut)
def add_affected(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: AffectedIn):
    """More units hit by the same incident (409 when the parent is closed)."""
    out = owners.add_affected(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/incidents/{ref}/personal-information/informed", response_model=IncidentOut)
def users_informed(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: InformedIn):
    """The users whose personal information leaked were told (Law art. 42 ¶2): stops the
    clock to tell them."""
    return personal_info.record_informed(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/incidents/{ref}/evidence", status_code=201)
async def add_evidence(*, rt: RuntimeDep, me: CurrentUser, ref: str,
                       file: Annotated[UploadFile, File(description="At most 20 MiB")]) -> dict:
    """Preserve a file as evidence (Plan §4.1); stored with its SHA-256."""
    content = await file.read(evidence.MAX_BYTES + 1)
    out = evidence.add(rt.uow, rt.clock, principal=me, ref=ref,
                       filename=file.filename or "evidence",
                       content_type=file.content_type or "application/octet-stream",
                       content=content)
    return asdict(out)


@router.get("/incidents/{ref}/evidence")
def list_evidence(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> list[dict]:
    """Evidence with its chain of custody (this listing is recorded as a view)."""
    return [asdict(e) for e in evidence.list_evidence(rt.uow, rt.clock, principal=me, ref=ref)]


@router.get("/incidents/{ref}/evidence/{evidence_id}/content",
            response_class=Response, responses={200: {"content": {"*/*": {}}}})
def download_evidence(*, rt: RuntimeDep, me: CurrentUser, ref: str, evidence_id: ObjectId):
    meta, content = evidence.download(rt.uow, rt.clock, principal=me, ref=ref,
                                      evidence_id=evidence_id)
    return Response(content, media_type=meta.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
        "X-Content-SHA256": meta.sha256})


@router.get("/deliveries", response_model=list[DeliveryOut])
def list_deliveries(*, rt: RuntimeDep, me: CurrentUser,
                    state: Annotated[str, Query(pattern="^(pending|sending|delivered|dead)$")]
                    = "dead") -> list[DeliveryOut]:
    """Notifications of incidents in your scope, by state (dead letters by default)."""
    return handling.list_deliveries(rt.uow, principal=me, state=state)


@router.post("/deliveries/{delivery_id}/retry", status_code=204)
def retry_delivery(*, rt: RuntimeDep, me: CurrentUser, delivery_id: ObjectId) -> Response:
    """Queue a dead-lettered notification again."""
    handling.retry_delivery(rt.uow, rt.clock, principal=me, delivery_id=delivery_id)
    rt.wake_worker()
    return Response(status_code=204)
