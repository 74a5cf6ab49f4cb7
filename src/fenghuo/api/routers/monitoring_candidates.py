"""Candidate monitoring items over HTTP (issue 15 item 6): what detection over the monitoring
aggregates opened for the Emergency Office or a province office, and the analyst's decision —
confirm (it becomes a monitoring item, Plan §3.2) or dismiss with a reason. Registered before
the warnings router, whose ``/monitoring/{ref}`` would otherwise take ``/monitoring/candidates``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.monitoring import candidates
from fenghuo.monitoring.candidate_schemas import CandidateOut, CandidateState, ConfirmIn, DismissIn

router = APIRouter(prefix="/monitoring/candidates", tags=["monitoring"])


@router.get("", response_model=list[CandidateOut])
def list_candidates(*, rt: RuntimeDep, me: CurrentUser, state: CandidateState | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[CandidateOut]:
    """Candidates for bodies in your scope, newest first: the Emergency Office sees the
    national ones, a province office its own (Law art. 30)."""
    return candidates.list_candidates(rt.uow, principal=me, state=state, limit=limit)


@router.get("/{ref}", response_model=CandidateOut)
def get_candidate(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> CandidateOut:
    """One candidate with its evidence (counts, distinct hosts, top units and provinces,
    sample events) and pre-filled risk assessment (Law art. 54(2))."""
    return candidates.get_candidate(rt.uow, principal=me, ref=ref)


@router.post("/{ref}/confirm", response_model=CandidateOut)
def confirm_candidate(*, rt: RuntimeDep, me: CurrentUser, ref: str, response: Response,
                      data: ConfirmIn | None = None) -> CandidateOut:
    """Confirm: the candidate becomes a monitoring item of your body, with the evidence as its
    text and indicators (``Location`` names it); 409 when it was already decided."""
    item = candidates.confirm(rt.uow, rt.clock, principal=me, ref=ref,
                              title=data.title if data else None)
    rt.wake_worker()
    response.headers["Location"] = f"/api/v1/monitoring/{item}"
    return candidates.get_candidate(rt.uow, principal=me, ref=ref)


@router.post("/{ref}/dismiss", response_model=CandidateOut)
def dismiss_candidate(*, rt: RuntimeDep, me: CurrentUser, ref: str,
                      data: DismissIn) -> CandidateOut:
    """Dismiss with the reason, which is recorded; 409 when it was already decided."""
    return candidates.dismiss(rt.uow, rt.clock, principal=me, ref=ref, reason=data.reason)
