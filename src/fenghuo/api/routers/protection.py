"""Important-event protection periods over HTTP (Plan §6.5): the Emergency Office declares a
period, requires the red-warning response of the bodies in scope, ends it early; the bodies in
scope see it and complete their tasks. Reads are limited to the caller's place (Law art. 30)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.warning import protection
from fenghuo.warning.protection_rules import Phase
from fenghuo.warning.protection_schemas import (
    EndIn,
    ProtectionIn,
    ProtectionOut,
    ProtectionSummary,
)
from fenghuo.warning.schemas import TaskDoneIn

router = APIRouter(prefix="/protection-periods", tags=["protection periods"])


@router.post("", response_model=ProtectionOut, status_code=201)
def declare(*, rt: RuntimeDep, me: CurrentUser, data: ProtectionIn,
            response: Response) -> ProtectionOut:
    """The Emergency Office declares a protection period for an important national event or
    meeting (Plan §6.5). Anyone else gets a 403 naming the rule; an end not after the start, an
    end already past, or a scope naming nothing is a 422 naming the field. Nothing is stored in
    either case."""
    out = protection.declare(rt.uow, rt.clock, principal=me, data=data)
    response.headers["Location"] = f"/api/v1/protection-periods/{out.ref}"
    return out


@router.get("", response_model=Page[ProtectionSummary])
def list_periods(*, rt: RuntimeDep, me: CurrentUser, page: Paging, phase: Phase | None = None):
    """The periods concerning your place and sectors, latest start first; ``phase`` keeps the
    scheduled, active or ended ones."""
    return protection.list_periods(rt.uow, rt.clock, principal=me, page=page, phase=phase)


@router.get("/{ref}", response_model=ProtectionOut)
def get_period(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> ProtectionOut:
    """One period: its scope, the bodies in scope and the red-response tasks you may see."""
    return protection.get_period(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/{ref}/red-response", response_model=ProtectionOut)
def require_red(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> ProtectionOut:
    """The Emergency Office requires the red-warning response of the bodies in scope while the
    period runs (Plan §6.5): the red checklist of Plan §3.4.1 becomes their tasks and each is
    notified. Once per period (409 after that, or outside the period)."""
    out = protection.require_red(rt.uow, rt.clock, principal=me, ref=ref)
    rt.wake_worker()
    return out


@router.post("/{ref}/end", response_model=ProtectionOut)
def end_period(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: EndIn) -> ProtectionOut:
    """The Emergency Office ends a period early (or calls off one not begun): open tasks close
    and the bodies in scope are told at once; 409 if it has ended already."""
    out = protection.end(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/{ref}/tasks/{task_id}/done", response_model=ProtectionOut)
def complete_task(*, rt: RuntimeDep, me: CurrentUser, ref: str, task_id: ObjectId,
                  data: TaskDoneIn) -> ProtectionOut:
    """Your body completes one of its red-response tasks, with evidence."""
    return protection.complete_task(rt.uow, rt.clock, principal=me, ref=ref, task_id=task_id,
                                    data=data)
