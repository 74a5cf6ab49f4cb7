"""Directives and interviews over HTTP (Law arts. 55, 56): an office or a sector department
directs a unit to take measures within a time limit or records an interview (约谈) with
rectification requirements; the unit acknowledges and reports its rectification (整改) with
evidence; the issuer verifies and closes it, or reopens it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.common.schemas import QueryBool
from fenghuo.supervision import queries, service
from fenghuo.supervision.rules import Kind, State
from fenghuo.supervision.schemas import (
    AcknowledgeIn,
    DirectiveIn,
    InterviewIn,
    ItemOut,
    RectificationIn,
    ReopenIn,
    UnitOut,
    VerifyIn,
)

router = APIRouter(prefix="/supervision", tags=["supervision"])


@router.post("/directives", response_model=ItemOut, status_code=201)
def issue_directive(*, rt: RuntimeDep, me: CurrentUser, data: DirectiveIn):
    """责令限期采取措施 (Law art. 55): the unit is notified of the measures and the time limit
    (``due_at``, required). An office directs the units of its jurisdiction, a department the
    operator units of its sectors there; anything else is refused with the rule."""
    out = service.issue_directive(rt.uow, rt.clock, principal=me, data=data)
    rt.wake_worker()
    return out


@router.post("/interviews", response_model=ItemOut, status_code=201)
def record_interview(*, rt: RuntimeDep, me: CurrentUser, data: InterviewIn):
    """约谈 (Law art. 56): record the interview of the unit's legal representative or principal
    person in charge, the findings and the rectification required by ``due_at``. Offices and
    departments at the provincial level or above."""
    out = service.record_interview(rt.uow, rt.clock, principal=me, data=data)
    rt.wake_worker()
    return out


@router.get("", response_model=Page[ItemOut])
def list_items(*, rt: RuntimeDep, me: CurrentUser, page: Paging, kind: Kind | None = None,
               state: State | None = None,
               unit: Annotated[str | None, Query(max_length=80)] = None,
               overdue: Annotated[QueryBool, Query(description="Only those still owed past their "
                                                          "deadline")] = False):
    """What your body issued and the items of the units in your scope; a unit sees its own."""
    return queries.list_items(rt.uow, rt.clock, principal=me, page=page,
                              kind=kind.value if kind else None,
                              state=state.value if state else None, unit=unit, overdue=overdue)


@router.get("/units", response_model=list[UnitOut])
def units(*, rt: RuntimeDep, me: CurrentUser):
    """The units your body may direct, and whether it may interview them too."""
    return queries.units(rt.uow, principal=me)


@router.get("/{ref}", response_model=ItemOut)
def get_item(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """One item with the unit's rectification reports, its history and your actions."""
    return queries.get_item(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/{ref}/acknowledge", response_model=ItemOut)
def acknowledge(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: AcknowledgeIn | None = None):
    """签收, by the unit."""
    return service.acknowledge(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/{ref}/rectification", response_model=ItemOut)
def report(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: RectificationIn):
    """报告整改情况, by the unit: what it did and the evidence; the issuer is notified. On a
    closed item: 409."""
    out = service.report(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/{ref}/verify", response_model=ItemOut)
def verify(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: VerifyIn | None = None):
    """核验办结, by the issuer, after the unit reported."""
    out = service.verify(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/{ref}/reopen", response_model=ItemOut)
def reopen(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ReopenIn):
    """退回重新整改, by the issuer, with the reason and optionally a new deadline."""
    out = service.reopen(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out
