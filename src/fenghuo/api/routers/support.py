"""The support network over HTTP: CNCERT support-unit rounds and membership, the work log,
monthly and six-monthly obligations, 7×24 contact checks, work reports and evaluations (Support
obligations 4–9); technical support teams and experts, standby and dispatch (Plan §3.4.1 (3),
§7.2, §7.3)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.support import service as support
from fenghuo.support.schemas import (
    HALF,
    MONTH,
    AdmitIn,
    AnswerIn,
    AssignmentIn,
    AssignmentOut,
    AssignmentWorkIn,
    CheckIn,
    CheckOut,
    DecisionIn,
    DecisionOut,
    EvaluationIn,
    EvaluationOut,
    ExpertProfileIn,
    ExpertProfileOut,
    MembershipOut,
    MemberStatusOut,
    ObligationsOut,
    ReleaseIn,
    RoundIn,
    RoundOut,
    RubricOut,
    TeamOut,
    TeamProfileIn,
    WorkIn,
    WorkOut,
    WorkReportIn,
    WorkReportOut,
)

router = APIRouter(prefix="/support", tags=["support"])

Key = Annotated[str, Path(min_length=1, max_length=80, description="Body key")]
Number = Annotated[int, Path(ge=1, le=1000, description="Round number")]
Ref = Annotated[str, Path(min_length=1, max_length=64, description="e.g. SA-20261101-1A2B3C4D")]
Token = Annotated[str, Path(min_length=1, max_length=32)]
MonthQ = Annotated[str | None, Query(pattern=MONTH, description="e.g. 2026-11")]
HalfQ = Annotated[str | None, Query(pattern=HALF, description="e.g. 2026-H2")]
RefQ = Annotated[str | None, Query(min_length=1, max_length=64)]
KeyQ = Annotated[str | None, Query(min_length=1, max_length=80)]
TextQ = Annotated[str | None, Query(min_length=1, max_length=200)]
AvailabilityQ = Literal["available", "unavailable", "standby"]


# --- rounds and membership (Support obligation 9) ---------------------------------------------


@router.post("/rounds", response_model=RoundOut, status_code=201)
def create_round(*, rt: RuntimeDep, me: CurrentUser, data: RoundIn, response: Response):
    """A selection round; CNCERT's business management, by the national center (Support
    obligation 9)."""
    out = support.create_round(rt.uow, rt.clock, principal=me, data=data)
    response.headers["Location"] = f"/api/v1/support/rounds/{out.number}"
    return out


@router.get("/rounds", response_model=list[RoundOut])
def list_rounds(*, rt: RuntimeDep, me: CurrentUser):
    """The selection rounds."""
    return support.list_rounds(rt.uow, principal=me)


@router.get("/rounds/{number}/members", response_model=Page[MemberStatusOut])
def round_members(*, rt: RuntimeDep, me: CurrentUser, number: Number, page: Paging):
    """Members of a round in your scope with the current month's obligations (Support
    obligations 4–7; 4–5 as the half's progress toward the average)."""
    return support.round_status(rt.uow, rt.clock, principal=me, number=number, page=page)


@router.post("/rounds/{number}/memberships", response_model=MembershipOut, status_code=201)
def admit(*, rt: RuntimeDep, me: CurrentUser, number: Number, data: AdmitIn,
          response: Response):
    """Admit a support unit (Support obligation 9); a unit that lost its status in the previous
    round is refused (停止下一届申请资格). Loss of status is decided by an evaluation or by
    CNCERT's decision (``POST /support/decisions``)."""
    out = support.admit(rt.uow, rt.clock, principal=me, number=number, data=data)
    response.headers["Location"] = f"/api/v1/support/memberships?round={number}&unit={out.unit}"
    return out


@router.get("/memberships", response_model=Page[MembershipOut])
def memberships(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                round: Annotated[int | None, Query(ge=1, le=1000)] = None, unit: KeyQ = None):
    """Memberships of units in your scope, with CNCERT's decision when one ended the status."""
    return support.list_memberships(rt.uow, principal=me, page=page, number=round, unit=unit)


@router.post("/decisions", response_model=DecisionOut, status_code=201)
def decide(*, rt: RuntimeDep, me: CurrentUser, data: DecisionIn, response: Response):
    """CNCERT ends a unit's status at any time (Support 五 授权约定; obligation 9) on a ground
    the rubric does not compute, e.g. ``obligation_2`` (confidentiality), with the reason: the
    national center only (others are refused with the rule); the unit loses its support-unit
    rights and the next round and is notified. A unit already ended: 409."""
    out = support.decide(rt.uow, rt.clock, principal=me, data=data)
    rt.wake_worker()
    response.headers["Location"] = f"/api/v1/support/decisions?unit={out.unit}"
    return out


@router.get("/decisions", response_model=Page[DecisionOut])
def decisions(*, rt: RuntimeDep, me: CurrentUser, page: Paging, unit: KeyQ = None):
    """CNCERT's decisions ending a status, on units in your scope."""
    return support.list_decisions(rt.uow, principal=me, page=page, unit=unit)


# --- work log and obligations (Support obligations 4–8) ---------------------------------------


@router.post("/units/{key}/work", response_model=WorkOut, status_code=201)
def log_work(*, rt: RuntimeDep, me: CurrentUser, key: Key, data: WorkIn, response: Response):
    """Log time: an incident response linking an incident or response (Support obligation 4) or
    technical support (obligation 5), with the CNCERT center or a branch. The unit's own users,
    or CNCERT on its behalf."""
    out = support.log_work(rt.uow, rt.clock, principal=me, unit=key, data=data)
    response.headers["Location"] = f"/api/v1/support/units/{key}/work"
    return out


@router.get("/units/{key}/work", response_model=Page[WorkOut])
def list_work(*, rt: RuntimeDep, me: CurrentUser, key: Key, page: Paging,
              month: MonthQ = None):
    """The unit's work log, newest first."""
    return support.list_work(rt.uow, principal=me, unit=key, page=page, month=month)


@router.get("/units/{key}/obligations", response_model=ObligationsOut)
def obligations(*, rt: RuntimeDep, me: CurrentUser, key: Key, month: MonthQ = None,
                half: HalfQ = None):
    """Each obligation's status and reasons, month by month (Support obligations 4–7), with the
    half's average of obligations 4–5 (平均每月: judged on the half's owed months, each month
    shown as progress toward it); a half adds the work report (obligation 8)."""
    return support.obligations(rt.uow, rt.clock, principal=me, unit=key, month=month, half=half)


@router.get("/units/{key}/contact-checks", response_model=Page[CheckOut])
def list_checks(*, rt: RuntimeDep, me: CurrentUser, key: Key, page: Paging):
    """The unit's 7×24 contact checks and answer times (Support obligation 6)."""
    return support.list_checks(rt.uow, rt.clock, principal=me, unit=key, page=page)


@router.get("/units/{key}/work-reports", response_model=list[WorkReportOut])
def list_reports(*, rt: RuntimeDep, me: CurrentUser, key: Key):
    """The unit's six-monthly work reports (Support obligation 8)."""
    return support.list_reports(rt.uow, principal=me, unit=key)


@router.post("/contact-checks", response_model=CheckOut, status_code=201)
def start_check(*, rt: RuntimeDep, me: CurrentUser, data: CheckIn, response: Response):
    """CNCERT sends a token to the unit's 7×24 channel (Support obligation 6); answered within
    30 minutes passes (project's threshold)."""
    out = support.start_check(rt.uow, rt.clock, principal=me, data=data)
    rt.wake_worker()
    response.headers["Location"] = f"/api/v1/support/units/{out.unit}/contact-checks"
    return out


@router.post("/contact-checks/{token}/answer", response_model=CheckOut)
def answer_check(*, rt: RuntimeDep, me: CurrentUser, token: Token, data: AnswerIn):
    """The unit answers with the token it received (Support obligation 6)."""
    return support.answer_check(rt.uow, rt.clock, principal=me, token=token, data=data)


@router.post("/work-reports", response_model=WorkReportOut, status_code=201)
def submit_report(*, rt: RuntimeDep, me: CurrentUser, data: WorkReportIn, response: Response):
    """The six-monthly work report with its four contents (Support obligation 8), due 15 days
    after the half (project's deadline)."""
    out = support.submit_report(rt.uow, rt.clock, principal=me, data=data)
    response.headers["Location"] = f"/api/v1/support/units/{out.unit}/work-reports"
    return out


# --- evaluations (Support obligation 9) -------------------------------------------------------


@router.get("/evaluations/preview", response_model=RubricOut)
def preview_evaluation(*, rt: RuntimeDep, me: CurrentUser,
                       unit: Annotated[str, Query(min_length=1, max_length=80)],
                       half: Annotated[str, Query(pattern=HALF)],
                       cooperation: Annotated[int, Query(ge=0, le=15)] = 0):
    """The rubric for a unit's half with the proposed outcome and any grounds for loss of
    status (Support obligation 9); nothing is stored."""
    return support.preview_evaluation(rt.uow, rt.clock, principal=me, unit=unit, half=half,
                                      cooperation=cooperation)


@router.post("/evaluations", response_model=EvaluationOut, status_code=201)
def evaluate(*, rt: RuntimeDep, me: CurrentUser, data: EvaluationIn, response: Response):
    """Record the six-monthly evaluation (Support obligation 9): commended units get a
    commendation; disqualification needs grounds and ``confirm`` (视情取消) and bars the next
    round. One per unit and half (409)."""
    out = support.evaluate(rt.uow, rt.clock, principal=me, data=data)
    response.headers["Location"] = f"/api/v1/support/evaluations?unit={out.unit}"
    return out


@router.get("/evaluations", response_model=Page[EvaluationOut])
def list_evaluations(*, rt: RuntimeDep, me: CurrentUser, page: Paging, unit: KeyQ = None):
    """Evaluations of units in your scope."""
    return support.list_evaluations(rt.uow, principal=me, page=page, unit=unit)


# --- teams and experts (Plan §7.2, §7.3) ------------------------------------------------------


@router.get("/teams", response_model=Page[TeamOut])
def search_teams(*, rt: RuntimeDep, me: CurrentUser, page: Paging, skill: TextQ = None,
                 region: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
                 availability: AvailabilityQ | None = None):
    """Technical support teams and support units by skill, region and availability; standby
    during a red warning (Plan §3.4.1 (3), §7.2)."""
    return support.search_teams(rt.uow, principal=me, page=page, skill=skill, region=region,
                                availability=availability)


@router.get("/teams/{key}", response_model=TeamOut)
def get_team(*, rt: RuntimeDep, me: CurrentUser, key: Key):
    """A team's profile and standing (Plan §7.2)."""
    return support.get_team(rt.uow, principal=me, key=key)


@router.put("/teams/{key}", response_model=TeamOut)
def put_team(*, rt: RuntimeDep, me: CurrentUser, key: Key, data: TeamProfileIn):
    """Set a team's skills, regions and availability (Plan §7.2)."""
    return support.put_team(rt.uow, rt.clock, principal=me, key=key, data=data)


@router.get("/experts", response_model=Page[ExpertProfileOut])
def search_experts(*, rt: RuntimeDep, me: CurrentUser, page: Paging, skill: TextQ = None,
                   region: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
                   availability: AvailabilityQ | None = None):
    """Experts by skill, region and availability; standby during a red warning (Plan §3.4.1
    (3), §7.3)."""
    return support.search_experts(rt.uow, principal=me, page=page, skill=skill, region=region,
                                  availability=availability)


@router.put("/experts/{key}", response_model=ExpertProfileOut)
def put_expert(*, rt: RuntimeDep, me: CurrentUser, key: Key, data: ExpertProfileIn):
    """Set an expert's regions and availability (Plan §7.3)."""
    return support.put_expert(rt.uow, rt.clock, principal=me, key=key, data=data)


# --- assignments (Plan §7.2, §7.3) ------------------------------------------------------------


@router.post("/assignments", response_model=AssignmentOut, status_code=201)
def dispatch(*, rt: RuntimeDep, me: CurrentUser, data: AssignmentIn, response: Response):
    """Dispatch a team, support unit or expert to one incident, warning or response in your
    scope (Plan §7.2, §7.3); an unavailable one is refused with the rule."""
    out = support.dispatch(rt.uow, rt.clock, principal=me, data=data)
    response.headers["Location"] = f"/api/v1/support/assignments?ref={out.ref}"
    return out


@router.get("/assignments", response_model=Page[AssignmentOut])
def list_assignments(*, rt: RuntimeDep, me: CurrentUser, page: Paging, response: RefQ = None,
                     incident: RefQ = None, warning: RefQ = None,
                     state: Literal["dispatched", "released"] | None = None):
    """Assignments in your scope with their hours, by what they were sent to."""
    return support.list_assignments(rt.uow, principal=me, page=page, response=response,
                                    incident=incident, warning=warning, state=state)


@router.post("/assignments/{ref}/release", response_model=AssignmentOut)
def release(*, rt: RuntimeDep, me: CurrentUser, ref: Ref, data: ReleaseIn):
    """Release a dispatched team or expert with the outcome (Plan §7.2, §7.3)."""
    return support.release(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/assignments/{ref}/work", response_model=WorkOut, status_code=201)
def log_assignment_work(*, rt: RuntimeDep, me: CurrentUser, ref: Ref, data: AssignmentWorkIn,
                        response: Response):
    """Time spent on an assignment (Plan §7.2, §7.3)."""
    out = support.log_assignment_work(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    response.headers["Location"] = f"/api/v1/support/assignments?ref={ref}"
    return out
