"""Monitoring information, risk assessments and early warnings over HTTP (Plan §3, Law arts.
51–55): submit and share monitoring items, assess risk, draft → approve → publish warnings,
acknowledge them and complete their response tasks, revise and lift them; the public listing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep, idempotency_header
from fenghuo.common.pagination import Page
from fenghuo.common.schemas import QueryBool
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.rules import WarningLevel, WarningState
from fenghuo.warning.schemas import (
    AssessmentIn,
    AssessmentOut,
    LiftIn,
    MonitoringIn,
    MonitoringOut,
    PublicWarning,
    ReviseIn,
    ShareIn,
    TaskDoneIn,
    WarningIn,
    WarningOut,
    WarningSummary,
)

router = APIRouter(tags=["warnings"])

IdempotencyKey = idempotency_header("Retries with the same key return the same monitoring item")


# --- monitoring information (Plan §3.2, Law arts. 51–52) ---------------------------------------


@router.post("/monitoring", response_model=MonitoringOut, status_code=201)
def submit_monitoring(*, rt: RuntimeDep, me: CurrentUser, data: MonitoringIn, response: Response,
                      idempotency_key: IdempotencyKey = None) -> MonitoringOut:
    """Submit monitoring information (Plan §3.2, Law arts. 51–52); an important item goes up at
    once: a unit's to its region's offices and its sector's department (which report it on),
    another body's to the Emergency Office."""
    out = monitoring.submit(rt.uow, rt.clock, principal=me, data=data,
                            idempotency_key=idempotency_key)
    rt.wake_worker()
    response.headers["Location"] = f"/api/v1/monitoring/{out.ref}"
    return out


@router.get("/monitoring", response_model=Page[MonitoringOut])
def list_monitoring(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                    important: QueryBool | None = None, q: str | None = None):
    """Items your body submitted or received, and those of bodies in your scope (Law art. 30)."""
    return monitoring.list_items(rt.uow, principal=me, page=page, important=important, q=q)


@router.get("/monitoring/{ref}", response_model=MonitoringOut)
def get_monitoring(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> MonitoringOut:
    return monitoring.get_item(rt.uow, principal=me, ref=ref)


@router.post("/monitoring/{ref}/shares", response_model=MonitoringOut)
def share_monitoring(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ShareIn):
    """The Emergency Office shares an item across provinces and departments (Plan §3.2:
    应急办…通报); who received it is recorded."""
    out = monitoring.share(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/monitoring/{ref}/report-up", response_model=MonitoringOut)
def report_up_monitoring(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """An office or department that received a unit's important item up its chain reports it
    on to the Emergency Office (Plan §3.2); a repeat changes nothing. Any other body is refused
    (403) with the rule."""
    out = monitoring.report_up(rt.uow, rt.clock, principal=me, ref=ref)
    rt.wake_worker()
    return out


@router.post("/monitoring/{ref}/acknowledge", response_model=MonitoringOut)
def acknowledge_monitoring(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """Your body confirms it received a shared item."""
    return monitoring.acknowledge(rt.uow, rt.clock, principal=me, ref=ref)


# --- risk assessment (Law art. 54(2)) ---------------------------------------------------------


@router.post("/assessments", response_model=AssessmentOut, status_code=201)
def assess(*, rt: RuntimeDep, me: CurrentUser, data: AssessmentIn, response: Response):
    """Record likelihood, extent and degree of harm over monitoring items (Law art. 54(2));
    the answer proposes a warning level with its reasons: the level of the grade the possible
    incident would have (Plan §3.1), graded from its `facts` under the deployment's grading
    profile (Plan §1.4), or stated as `harm`; a low likelihood proposes none. A province's or
    department's assessment that proposes orange or red is reported to the Emergency Office,
    which acknowledges it by a deadline (`reports`, Plan §3.3 ¶1)."""
    out = monitoring.assess(rt.uow, rt.clock, principal=me, data=data,
                            profile=rt.settings.grading_profile)
    if out.reports:
        rt.wake_worker()
    response.headers["Location"] = f"/api/v1/assessments/{out.ref}"
    return out


@router.get("/assessments/{ref}", response_model=AssessmentOut)
def get_assessment(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> AssessmentOut:
    return monitoring.get_assessment(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/assessments/{ref}/acknowledge", response_model=AssessmentOut)
def acknowledge_assessment(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> AssessmentOut:
    """The Emergency Office confirms it received an assessment reported to it as a possible
    major incident (Plan §3.3 ¶1); its clock stops. Any other body: 403."""
    return monitoring.acknowledge_assessment(rt.uow, rt.clock, principal=me, ref=ref)


# --- warnings (Plan §3.1, §3.3–§3.5) ----------------------------------------------------------


@router.post("/warnings", response_model=WarningOut, status_code=201)
def draft_warning(*, rt: RuntimeDep, me: CurrentUser, data: WarningIn, response: Response):
    """Draft a warning for your body. Missing content (Plan §3.3 ¶3) is a 422 naming every
    field; a level or scope beyond your body's authority (Plan §3.3: red and multi-province or
    multi-sector warnings are the Emergency Office's) is a 403 whose ``reasons`` name each rule.
    Nothing is stored in either case."""
    out = warnings.draft(rt.uow, rt.clock, principal=me, data=data)
    response.headers["Location"] = f"/api/v1/warnings/{out.ref}"
    return out


@router.get("/warnings", response_model=Page[WarningSummary])
def list_warnings(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                  state: WarningState | None = None, level: WarningLevel | None = None):
    """Warnings your body issued or received, and those issued in your scope (Law art. 30)."""
    return warnings.list_warnings(rt.uow, principal=me, page=page,
                                  state=state.value if state else None,
                                  level=level.value if level else None)


@router.get("/warnings/{ref}", response_model=WarningOut)
def get_warning(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> WarningOut:
    return warnings.get_warning(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/warnings/{ref}/approve", response_model=WarningOut)
def approve_warning(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """Another member of the issuing body approves the draft (Plan §3.3; four eyes)."""
    return warnings.approve(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/warnings/{ref}/publish", response_model=WarningOut)
def publish_warning(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """The issuer publishes: the authority rules apply once more (Plan §3.3), every body in
    scope is notified and must acknowledge, and the Plan §3.4 checklist becomes tasks."""
    out = warnings.publish(rt.uow, rt.clock, principal=me, ref=ref)
    rt.wake_worker()
    return out


@router.post("/warnings/{ref}/acknowledge", response_model=WarningOut)
def acknowledge_warning(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """Your body confirms receipt; its reminder stops."""
    return warnings.acknowledge(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/warnings/{ref}/tasks/{task_id}/done", response_model=WarningOut)
def complete_task(*, rt: RuntimeDep, me: CurrentUser, ref: str, task_id: ObjectId,
                  data: TaskDoneIn):
    """Your body completes one of its Plan §3.4 response tasks, with evidence."""
    return warnings.complete_task(rt.uow, rt.clock, principal=me, ref=ref, task_id=task_id,
                                  data=data)


@router.post("/warnings/{ref}/revisions", response_model=WarningOut)
def revise_warning(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ReviseIn):
    """Change a published warning's level (Plan §3.5): a recorded revision, with the authority
    rules of Plan §3.3 applied again; every recipient is notified and acknowledges again."""
    out = warnings.revise(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/warnings/{ref}/lift", response_model=WarningOut)
def lift_warning(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: LiftIn):
    """Only the issuer lifts its warning (Plan §3.5); the lifting notice goes to every recipient
    and the open checklist tasks close."""
    out = warnings.lift(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


# --- public (Law arts. 54(3), 55) -------------------------------------------------------------


@router.get("/public/warnings", response_model=list[PublicWarning], tags=["public"])
def public_warnings(*, rt: RuntimeDep,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[PublicWarning]:
    """Published TLP:CLEAR warnings marked for the public, newest first, without an account
    and without internal detail (Law arts. 54(3), 55)."""
    return warnings.public_warnings(rt.uow, limit=limit)


@router.get("/public/warnings/{ref}", response_model=PublicWarning, tags=["public"])
def public_warning(*, rt: RuntimeDep, ref: str) -> PublicWarning:
    return warnings.public_warning(rt.uow, ref=ref)
