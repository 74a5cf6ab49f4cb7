"""Public tips over HTTP (Law art. 14): the account-free channel and status look-up under
``/public/tips``, and, for the bodies handling them, the list with clocks, a tip's page with its
history, accept, transfer (移送), close, and filing a tip as an incident."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.common.errors import TooManyRequests
from fenghuo.common.pagination import Page
from fenghuo.common.ratelimit import limit_of
from fenghuo.common.schemas import QueryBool
from fenghuo.incident import tip_handling, tips
from fenghuo.incident.schemas import IncidentOut, ReportIn
from fenghuo.incident.tip_rules import TipState
from fenghuo.incident.tip_schemas import (
    AcceptIn,
    CloseIn,
    DismissIn,
    PublicTipStatus,
    ReceiptCodeIn,
    TargetOut,
    TipIn,
    TipOut,
    TipReceipt,
    TransferIn,
)

router = APIRouter(tags=["tips"])
#: per client address and minute: tips sent (shared with the web form) and status look-ups
SUBMIT_PER_MINUTE, LOOKUP_PER_MINUTE = 10, 30


def _limit(request: Request, name: str, per_minute: int, message: str) -> None:
    key = request.client.host if request.client else "?"
    if not limit_of(request.app.state, name, per_minute).allow(key):
        raise TooManyRequests(message)


@router.post("/public/tips", response_model=TipReceipt, status_code=201, tags=["public"])
def submit_tip(*, rt: RuntimeDep, request: Request, data: TipIn) -> TipReceipt:
    """Anyone may report (Law art. 14), without an account. Your name and contact are optional
    and are shown only to the incident handlers of the body handling the tip. The answer holds
    a **receipt code**, shown this once: keep it to see the tip's status."""
    _limit(request, "tip.submit", SUBMIT_PER_MINUTE,
           "too many tips from your address; try again in a minute")
    out = tips.submit(rt.uow, rt.clock, data=data, settings=tips.settings_of(rt.settings))
    rt.wake_worker()
    return out


@router.post("/public/tips/status", response_model=PublicTipStatus, tags=["public"])
def tip_status(*, rt: RuntimeDep, request: Request, data: ReceiptCodeIn) -> PublicTipStatus:
    """The status of your tip for its receipt code: when it was received, whether it is being
    handled, transferred to a competent authority (its kind) or closed (with the outcome).
    A wrong code gets the same 404 as a missing one."""
    _limit(request, "tip.status", LOOKUP_PER_MINUTE,
           "too many look-ups from your address; try again in a minute")
    return tips.public_status(rt.uow, code=data.code)


@router.get("/tips", response_model=Page[TipOut])
def list_tips(*, rt: RuntimeDep, me: CurrentUser, page: Paging, state: TipState | None = None,
              overdue: Annotated[QueryBool, Query(description="Only tips whose clock ran out")]
              = False):
    """Tips you hold, held, or whose region is in your scope, newest first, with clocks."""
    return tips.list_tips(rt.uow, rt.clock, principal=me, page=page,
                          state=state.value if state else None, overdue=overdue)


@router.get("/tips/{ref}", response_model=TipOut)
def get_tip(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    return tips.get_tip(rt.uow, rt.clock, principal=me, ref=ref)


@router.get("/tips/{ref}/targets", response_model=list[TargetOut])
def transfer_targets(*, rt: RuntimeDep, me: CurrentUser, ref: str):
    """The bodies you may transfer the tip to (Law art. 14), when your body holds it."""
    return tip_handling.transfer_targets(rt.uow, principal=me, ref=ref)


@router.post("/tips/{ref}/accept", response_model=TipOut)
def accept_tip(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: AcceptIn | None = None):
    """Accept (受理): the clock to decide stops and the clock to close starts."""
    return tip_handling.accept(rt.uow, rt.clock, principal=me, ref=ref, data=data,
                               settings=tips.settings_of(rt.settings))


@router.post("/tips/{ref}/transfer", response_model=TipOut)
def transfer_tip(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: TransferIn):
    """Transfer (移送) to the competent department or another region's office, which is
    notified and takes it over; refused, with the rule, for any other body."""
    out = tip_handling.transfer(rt.uow, rt.clock, principal=me, ref=ref, data=data,
                                settings=tips.settings_of(rt.settings))
    rt.wake_worker()
    return out


@router.post("/tips/{ref}/close", response_model=TipOut)
def close_tip(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: CloseIn):
    """Close (办结) with the outcome the tipster reads; the note stays internal."""
    return tip_handling.close(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/tips/{ref}/convert", response_model=IncidentOut, status_code=201)
def convert_tip(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ReportIn):
    """The holder files a verified tip as an incident (source "public")."""
    out = tip_handling.convert(rt.uow, rt.clock, principal=me, ref=ref, data=data,
                               profile=rt.settings.grading_profile)
    rt.wake_worker()
    return out


@router.post("/tips/{ref}/dismiss", response_model=TipOut)
def dismiss_tip(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: DismissIn):
    """Close a tip that needs no action; the reason is an internal note."""
    return tip_handling.dismiss(rt.uow, rt.clock, principal=me, ref=ref, reason=data.reason)
