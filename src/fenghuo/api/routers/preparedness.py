"""Prevention and safeguards over HTTP (Plan §6.2, §6.4, §7.8, §8.1; Law arts. 25, 34, 38):
emergency plans and their yearly evaluations, exercises reported to the Central Cyberspace
Office, CII risk assessments, trainings, reserves, and the compliance view of every recurring
duty. Everything stays inside the caller's scope (Law art. 30)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.common.schemas import QueryBool
from fenghuo.org.rules import BodyKind
from fenghuo.preparedness import service as prep
from fenghuo.preparedness.rules import Duty, ExerciseState, Status
from fenghuo.preparedness.schemas import (
    ActionDoneIn,
    ActionIn,
    AssessmentIn,
    AssessmentOut,
    AssessmentReportIn,
    CancelIn,
    CheckedIn,
    ComplianceRow,
    EvaluationIn,
    ExerciseIn,
    ExerciseOut,
    HeldIn,
    PlanIn,
    PlanOut,
    ReserveIn,
    ReserveOut,
    TrainingIn,
    TrainingOut,
)

router = APIRouter(prefix="/preparedness", tags=["preparedness"])

ExerciseRef = Annotated[str, Path(min_length=1, max_length=64,
                                  description="Exercise ref, e.g. EX-20261101-1A2B3C4D")]
BodyKey = Annotated[str, Path(min_length=1, max_length=80, description="Body key")]
BodyQuery = Annotated[str | None, Query(min_length=1, max_length=80,
                                        description="Only this body's (a body key)")]


def _created(response: Response, path: str) -> None:
    response.headers["Location"] = f"/api/v1/preparedness/{path}"


# --- plans (Plan §8.1, Law art. 25) -----------------------------------------------------------


@router.post("/plans", response_model=PlanOut, status_code=201)
def add_plan(*, rt: RuntimeDep, me: CurrentUser, data: PlanIn, response: Response):
    """Record the emergency plan a body in your scope keeps (Plan §8.1 各省（区、市）、各部门、
    各单位…制定…应急预案; Law art. 25 网络运营者应当制定网络安全事件应急预案). Its yearly evaluation
    falls due twelve months after adoption."""
    out = prep.add_plan(rt.uow, rt.clock, principal=me, data=data)
    _created(response, f"plans/{out.id}")
    return out


@router.get("/plans", response_model=Page[PlanOut])
def list_plans(*, rt: RuntimeDep, me: CurrentUser, page: Paging, body: BodyQuery = None,
               status: Status | None = None):
    """Plans in your scope with their evaluation status: ok, due_soon (within 30 days, the
    project's) or overdue (more than twelve months, Plan §8.1 原则上每年评估一次)."""
    return prep.list_plans(rt.uow, rt.clock, principal=me, page=page, body=body, status=status)


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(*, rt: RuntimeDep, me: CurrentUser, plan_id: ObjectId):
    """One plan with its evaluations, newest first."""
    return prep.get_plan(rt.uow, rt.clock, principal=me, plan_id=plan_id)


@router.post("/plans/{plan_id}/evaluations", response_model=PlanOut, status_code=201)
def evaluate_plan(*, rt: RuntimeDep, me: CurrentUser, plan_id: ObjectId, data: EvaluationIn,
                  response: Response):
    """Record the yearly evaluation (Plan §8.1 根据实际情况适时修订): ``adequate`` keeps the
    version, ``revised`` needs ``new_version``; both are kept with the evaluation."""
    out = prep.evaluate_plan(rt.uow, rt.clock, principal=me, plan_id=plan_id, data=data)
    _created(response, f"plans/{out.id}")
    return out


# --- exercises (Plan §6.2; Law arts. 34(4), 39(2)) --------------------------------------------


@router.post("/exercises", response_model=ExerciseOut, status_code=201)
def plan_exercise(*, rt: RuntimeDep, me: CurrentUser, data: ExerciseIn, response: Response):
    """Plan an exercise organized by a body in your scope, with its scope, scenario, form and
    participants (Plan §6.2 检验和完善预案，提高实战能力)."""
    out = prep.plan_exercise(rt.uow, rt.clock, principal=me, data=data)
    _created(response, f"exercises/{out.ref}")
    return out


@router.get("/exercises", response_model=Page[ExerciseOut])
def list_exercises(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                   state: ExerciseState | None = None, organizer: BodyQuery = None):
    """Exercises whose organizer or a participant is in your scope (Law art. 30)."""
    return prep.list_exercises(rt.uow, rt.clock, principal=me, page=page, state=state,
                               organizer=organizer)


@router.get("/exercises/{ref}", response_model=ExerciseOut)
def get_exercise(*, rt: RuntimeDep, me: CurrentUser, ref: ExerciseRef):
    return prep.get_exercise(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/exercises/{ref}/held", response_model=ExerciseOut)
def record_held(*, rt: RuntimeDep, me: CurrentUser, ref: ExerciseRef, data: HeldIn):
    """The planned exercise was held, with its findings; only a planned one can be (a refusal
    is a 403 naming the rule)."""
    return prep.record_held(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/exercises/{ref}/report", response_model=ExerciseOut)
def report_exercise(*, rt: RuntimeDep, me: CurrentUser, ref: ExerciseRef):
    """Report the held exercise to the Central Cyberspace Office (Plan §6.2 并将演练情况报中央
    网信办); a province's or department's yearly duty is met only once it is reported."""
    return prep.report(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/exercises/{ref}/cancel", response_model=ExerciseOut)
def cancel_exercise(*, rt: RuntimeDep, me: CurrentUser, ref: ExerciseRef, data: CancelIn):
    """Cancel a planned exercise, with the reason (kept in the audit trail)."""
    return prep.cancel(rt.uow, rt.clock, principal=me, ref=ref, data=data)


@router.post("/exercises/{ref}/actions", response_model=ExerciseOut, status_code=201)
def add_action(*, rt: RuntimeDep, me: CurrentUser, ref: ExerciseRef, data: ActionIn,
               response: Response):
    """A follow-up action from a held exercise's findings, with its owner and due day; one not
    done by then is flagged overdue."""
    out = prep.add_action(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    _created(response, f"exercises/{out.ref}")
    return out


@router.post("/exercises/{ref}/actions/{action_id}/done", response_model=ExerciseOut)
def complete_action(*, rt: RuntimeDep, me: CurrentUser, ref: ExerciseRef,
                    action_id: ObjectId, data: ActionDoneIn):
    return prep.complete_action(rt.uow, rt.clock, principal=me, ref=ref, action_id=action_id,
                                data=data)


# --- CII risk assessments (Law art. 38) -------------------------------------------------------


@router.post("/cii-assessments", response_model=AssessmentOut, status_code=201)
def add_assessment(*, rt: RuntimeDep, me: CurrentUser, data: AssessmentIn, response: Response):
    """Record a CII operator's yearly risk assessment (Law art. 38 每年至少进行一次检测评估) and,
    when done, its report with the improvements to the department in charge of its
    protection: a department regulating its sector in its jurisdiction or above; any other body
    is a 422 naming the rule."""
    out = prep.add_assessment(rt.uow, rt.clock, principal=me, data=data)
    _created(response, f"cii-assessments?body={out.body}")
    return out


@router.get("/cii-assessments", response_model=Page[AssessmentOut])
def list_assessments(*, rt: RuntimeDep, me: CurrentUser, page: Paging, body: BodyQuery = None):
    """CII risk assessments in your scope, newest first."""
    return prep.list_assessments(rt.uow, principal=me, page=page, body=body)


@router.post("/cii-assessments/{assessment_id}/report", response_model=AssessmentOut)
def report_assessment(*, rt: RuntimeDep, me: CurrentUser, assessment_id: ObjectId,
                      data: AssessmentReportIn):
    """Report a recorded assessment and its improvements (Law art. 38 报送相关负责关键信息基础
    设施安全保护工作的部门)."""
    return prep.report_assessment(rt.uow, rt.clock, principal=me, assessment_id=assessment_id,
                                  data=data)


# --- trainings (Plan §6.4, Law art. 34(2)) ----------------------------------------------------


@router.post("/trainings", response_model=TrainingOut, status_code=201)
def add_training(*, rt: RuntimeDep, me: CurrentUser, data: TrainingIn, response: Response):
    """Record a training (Plan §6.4 加强网络安全特别是网络安全应急预案的培训)."""
    out = prep.add_training(rt.uow, rt.clock, principal=me, data=data)
    _created(response, f"trainings?body={out.body}")
    return out


@router.get("/trainings", response_model=Page[TrainingOut])
def list_trainings(*, rt: RuntimeDep, me: CurrentUser, page: Paging, body: BodyQuery = None):
    """Trainings in your scope, newest first."""
    return prep.list_trainings(rt.uow, principal=me, page=page, body=body)


# --- reserves (Plan §7.8) ---------------------------------------------------------------------


@router.post("/reserves", response_model=ReserveOut, status_code=201)
def add_reserve(*, rt: RuntimeDep, me: CurrentUser, data: ReserveIn, response: Response):
    """Record equipment or tools held in reserve (Plan §7.8 加强对网络安全应急装备、工具的储备),
    checked every ``check_every_days`` (180 by default, the project's)."""
    out = prep.add_reserve(rt.uow, rt.clock, principal=me, data=data)
    _created(response, f"reserves?body={out.body}")
    return out


@router.get("/reserves", response_model=Page[ReserveOut])
def list_reserves(*, rt: RuntimeDep, me: CurrentUser, page: Paging, body: BodyQuery = None):
    """Reserves in your scope with their check status."""
    return prep.list_reserves(rt.uow, rt.clock, principal=me, page=page, body=body)


@router.post("/reserves/{reserve_id}/checked", response_model=ReserveOut)
def check_reserve(*, rt: RuntimeDep, me: CurrentUser, reserve_id: ObjectId, data: CheckedIn):
    """The reserve was checked (Plan §7.8 及时调整、升级软件硬件工具); audited."""
    return prep.check_reserve(rt.uow, rt.clock, principal=me, reserve_id=reserve_id, data=data)


# --- compliance -------------------------------------------------------------------------------


@router.get("/compliance", response_model=Page[ComplianceRow])
def compliance(*, rt: RuntimeDep, me: CurrentUser, page: Paging, kind: BodyKind | None = None,
               duty: Duty | None = None, status: Status | None = None,
               noncompliant: QueryBool = False):
    """One row per body in your scope with each duty that applies: plan (Plan §8.1, Law 25),
    exercise (Plan §6.2 每年至少组织一次…并将演练情况报中央网信办; Law 34(4)), CII assessment (Law
    38), reserves (Plan §7.8), training (advisory, Law 34(2)); each with its status (ok,
    due_soon, overdue, missing, not_reported, advisory), the last date and the reasons."""
    return prep.compliance(rt.uow, rt.clock, principal=me, page=page, kind=kind, duty=duty,
                           status=status, noncompliant=noncompliant)


@router.get("/compliance/{body}", response_model=ComplianceRow)
def body_compliance(*, rt: RuntimeDep, me: CurrentUser, body: BodyKey):
    """The duties of one body in your scope."""
    return prep.body_compliance(rt.uow, rt.clock, principal=me, body=body)
