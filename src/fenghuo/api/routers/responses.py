"""Emergency response over HTTP (Plan §4.2–§4.3, §5; City §3.3): activate a level with its
headquarters, set up the city's headquarters and field command inside it, report progress,
request support and dispatch it through the Emergency Office, end by the level's rule (who was
told is recorded), write the 30-day investigation report; 24-hour duty rosters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.common.types import Timestamp
from fenghuo.response import service as responses
from fenghuo.response.schemas import (
    ActivateIn,
    CommandIn,
    DispatchIn,
    EndIn,
    ProgressIn,
    ResponseOut,
    ResponseSummary,
    SectionsIn,
    ShiftIn,
    ShiftOut,
    SupportIn,
)

router = APIRouter(tags=["responses"])

#: references in paths are short (ER-20261101-1A2B3C4D); an absurd one is a 422, not a lookup
ResponseRef = Annotated[str, Path(min_length=1, max_length=64,
                                  description="Response ref, e.g. ER-20261101-1A2B3C4D")]
RequestRef = Annotated[str, Path(min_length=1, max_length=64,
                                 description="Support request ref, e.g. SR-20261101-1A2B3C4D")]
ResponseState = Literal["active", "end_proposed", "ended"]


# --- activation and reading (Plan §4.2) -------------------------------------------------------


@router.post("/responses", response_model=ResponseOut, status_code=201)
def activate(*, rt: RuntimeDep, me: CurrentUser, data: ActivateIn, response: Response):
    """Activate the response level matching the incident's grade (Plan §4.2): Level I by the
    Emergency Office with a named headquarters (§4.2.1), Level II by the province or
    department (§4.2.2), III and IV by the region or department (§4.2.3). Who may activate
    which level is a rule: a refusal is a 403 whose ``reasons`` name each rule, and nothing is
    stored. The bodies taking part are notified."""
    out = responses.activate(rt.uow, rt.clock, principal=me, data=data)
    rt.wake_worker()
    response.headers["Location"] = f"/api/v1/responses/{out.ref}"
    return out


@router.get("/responses", response_model=Page[ResponseSummary])
def list_responses(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                   state: ResponseState | None = None):
    """Responses your body takes part in, and (offices) those in your jurisdiction (Law art.
    30), newest first."""
    return responses.list_responses(rt.uow, principal=me, page=page, state=state)


@router.get("/responses/{ref}", response_model=ResponseOut)
def get_response(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef) -> ResponseOut:
    """The whole response: level, headquarters, participants with their duty and progress
    clocks, support requests and dispatches, ending, investigation and timeline."""
    return responses.get_response(rt.uow, rt.clock, principal=me, ref=ref)


# --- the city's headquarters and field command (City §3.3.3–3.3.4) ----------------------------


@router.post("/responses/{ref}/commands", response_model=ResponseOut, status_code=201)
def set_up_command(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, data: CommandIn):
    """Inside a running Level I or II response to an incident in your city: the city's office
    converts its coordination group into the city's emergency headquarters (``headquarters``,
    City §3.3.3); the county where it happened, or the city's office, sets up a field command
    under it (``field_command``, §3.3.4). Each takes part in the response with named members,
    who keep its duty roster and report its progress (``command`` in the progress and shift
    bodies). Refusals (Levels III/IV, a body outside the city, no headquarters yet) are 403s
    naming the rule; a second one of a kind is a 409."""
    out = responses.set_up_command(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


# --- progress and support (Plan §4.2.1–4.2.2) -------------------------------------------------


@router.post("/responses/{ref}/progress", response_model=ResponseOut)
def report_progress(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, data: ProgressIn):
    """Your body (or, with ``command``, the city headquarters or field command you are a member
    of) reports developments and handling progress to the Emergency Office, on the response's
    cadence (Plan §4.2.1; City §3.3.3–3.3.4); a missed report is flagged."""
    return responses.report_progress(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/responses/{ref}/support", response_model=ResponseOut)
def request_support(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, data: SupportIn):
    """A province or department in the response asks, through the Emergency Office, for help
    from other provinces, departments, support teams or experts (Plan §4.2.2(3))."""
    out = responses.request_support(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/responses/{ref}/support/{request_ref}/dispatches", response_model=ResponseOut)
def dispatch(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, request_ref: RequestRef,
             data: DispatchIn):
    """The Emergency Office coordinates a request and records each body or expert it sends,
    with the time (Plan §4.2.2(3)); anyone else is refused with the rule."""
    out = responses.dispatch(rt.uow, rt.clock, principal=me, ref=ref, request_ref=request_ref,
                             data=data)
    rt.wake_worker()
    return out


# --- ending (Plan §4.3) -----------------------------------------------------------------------


@router.post("/responses/{ref}/end-proposal", response_model=ResponseOut)
def propose_end(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, data: EndIn):
    """Level I: the Emergency Office proposes ending the response (Plan §4.3.1)."""
    return responses.propose_end(rt.uow, rt.clock, principal=me, ref=ref, data=data)


#: an effective time for a step recorded after the fact (issue 18 item 9)
AsOf = Annotated[Timestamp | None, Query(description=(
    "When it really happened, for a record entered after the fact: not in the future, not "
    "before the thing began; who entered it and when are recorded beside it"))]


@router.post("/responses/{ref}/end-approval", response_model=ResponseOut)
def approve_end(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, as_of: AsOf = None):
    """Level I: a member of the headquarters approves the Office's proposal, which ends the
    response; the provinces and departments are notified and the investigation falls due 30
    days later (Plan §4.3.1, §5)."""
    out = responses.approve_end(rt.uow, rt.clock, principal=me, ref=ref, as_of=as_of)
    rt.wake_worker()
    return out


@router.post("/responses/{ref}/end", response_model=ResponseOut)
def end(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef, data: EndIn):
    """End a Level II–IV response: the activating province, region or department decides
    (Plan §4.3.2; §4.2.3 for III and IV); for Level II the Emergency Office is told and relays
    the end to the provinces and departments concerned, each recorded in ``end_notices``. A
    Level I response ends only by proposal and approval, so here it is a 403 naming the steps
    missing."""
    out = responses.end(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


# --- investigation (Plan §5) ------------------------------------------------------------------


@router.put("/responses/{ref}/investigation", response_model=ResponseOut)
def write_investigation(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef,
                        data: SectionsIn):
    """The organizer writes sections of the report (cause, nature, impact, responsibility,
    handling_opinions, improvements); sections not sent are kept."""
    return responses.write_investigation(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/responses/{ref}/investigation/submit", response_model=ResponseOut)
def submit_investigation(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef,
                         as_of: AsOf = None):
    """Submit the report for review: every section must be written."""
    return responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=ref,
                                           target="submitted", as_of=as_of)


@router.post("/responses/{ref}/investigation/approve", response_model=ResponseOut)
def approve_investigation(*, rt: RuntimeDep, me: CurrentUser, ref: ResponseRef,
                          as_of: AsOf = None):
    """Approve the submitted report; its clock shows met or late against the 30-day deadline,
    judged by ``as_of`` when the approval is recorded after the fact."""
    return responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=ref,
                                           target="approved", as_of=as_of)


# --- duty rosters (24-hour duty, Plan §4.2.1) -------------------------------------------------


@router.post("/duty/shifts", response_model=ShiftOut, status_code=201)
def add_shift(*, rt: RuntimeDep, me: CurrentUser, data: ShiftIn):
    """Add a shift to your body's duty roster (or, with ``command``, to that of the city
    headquarters or field command you are a member of); one officer's shifts do not
    overlap."""
    return responses.add_shift(rt.uow, rt.clock, principal=me, data=data)


@router.get("/duty/shifts", response_model=list[ShiftOut])
def list_shifts(*, rt: RuntimeDep, me: CurrentUser,
                body: Annotated[str | None, Query(max_length=200, description=(
                    "Key of a body you can see; default: your own"))] = None):
    """A body's roster from now on, with who is on duty now."""
    return responses.list_shifts(rt.uow, rt.clock, principal=me, body=body)
