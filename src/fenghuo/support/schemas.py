"""API shapes of the support network: rounds, membership, the work log, obligations, contact
checks, work reports, evaluations (Support), team and expert profiles and dispatch (Plan §7.2,
§7.3). Inputs are strict and refuse unknown fields; outputs carry zh/en labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from fenghuo.common.schemas import Label, ReasonOut  # noqa: F401 - re-exported

KEY = Field(min_length=1, max_length=80)
REF = Field(default=None, min_length=1, max_length=64)
#: the years parse_period takes (1900–2199), so the schema says what the use cases check
HALF = r"^(19[0-9]{2}|2[01][0-9]{2})-[Hh][12]$"
MONTH = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- inputs -----------------------------------------------------------------------------------


class RoundIn(_In):
    """A selection round of support units (Support preamble)."""

    number: int = Field(ge=1, le=1000)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    starts_on: date = Field(description="ISO date, e.g. 2026-01-01")
    ends_on: date | None = None


class AdmitIn(_In):
    unit: str = Field(min_length=1, max_length=80, description="Key of a support_unit body")
    admitted_on: date | None = Field(default=None, description="Default: today")


class WorkIn(_In):
    """Time a support unit (or an expert on an assignment) spent (Support obligations 4–5)."""

    kind: Literal["incident_response", "technical_support"]
    worked_on: date
    minutes: int = Field(ge=-100_000, le=100_000, description="More than 0; a day holds 24 h")
    with_body: str | None = Field(
        default=None, max_length=80, description="Key of the CNCERT center or branch the work "
        "was with (default: the caller's body when it is a cert)")
    incident: str | None = REF
    response: str | None = REF
    warning: str | None = REF
    task: str | None = Field(default=None, max_length=2000, description="A free-text task")
    description: str = Field(default="", max_length=20000)


class AssignmentWorkIn(_In):
    """Time spent on an assignment (Plan §7.2, §7.3)."""

    worked_on: date
    minutes: int = Field(ge=-100_000, le=100_000)
    description: str = Field(default="", max_length=20000)


class CheckIn(_In):
    unit: str = Field(min_length=1, max_length=80)
    #: bounded as every id is (api.deps.MAX_ID): 2**62 was past what JSON carries exactly
    contact_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="Default: the unit's first 7×24 contact")


class AnswerIn(_In):
    note: str = Field(default="", max_length=2000)


class WorkReportIn(_In):
    """Support obligation 8: bids_and_publicity, services, center_cooperation, own_cases."""

    unit: str = Field(min_length=1, max_length=80)
    half: str = Field(pattern=HALF, description="e.g. 2026-H2")
    sections: dict[str, str] = Field(max_length=10)


class EvaluationIn(_In):
    """Support obligation 9: the evaluator's cooperation score; disqualify needs confirm."""

    unit: str = Field(min_length=1, max_length=80)
    half: str = Field(pattern=HALF)
    cooperation: int = Field(ge=0, le=15, description="Judgement criterion, 0–15")
    note: str = Field(default="", max_length=4000)
    disqualify: StrictBool = False
    confirm: StrictBool = False


class DecisionIn(_In):
    """CNCERT ends a unit's status (Support 五 授权约定; obligation 9): the ground it cites
    (obligation_1, obligation_2, obligation_3, obligation_7, obligation_9 or authorization)
    and why."""

    unit: str = Field(min_length=1, max_length=80)
    ground: str = Field(min_length=1, max_length=30, description="e.g. obligation_2 "
                        "(confidentiality)")
    reason: str = Field(min_length=1, max_length=4000)


class TeamProfileIn(_In):
    """Plan §7.2: skills, regions (jurisdiction codes) and availability."""

    skills: list[str] = Field(default_factory=list, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=100)
    availability: Literal["available", "unavailable"] = "available"
    members: int | None = Field(default=None, ge=0, le=100_000)


class ExpertProfileIn(_In):
    """Plan §7.3: regions and availability (skills are the expert's specialties)."""

    regions: list[str] = Field(default_factory=list, max_length=100)
    availability: Literal["available", "unavailable"] = "available"


class AssignmentIn(_In):
    """Dispatch a team or support unit (``body``) or an ``expert`` to one target."""

    body: str | None = Field(default=None, max_length=80)
    expert: str | None = Field(default=None, max_length=80)
    incident: str | None = REF
    warning: str | None = REF
    response: str | None = REF
    task: str = Field(min_length=1, max_length=4000)


class ReleaseIn(_In):
    outcome: str = Field(min_length=1, max_length=20000)


# --- outputs ----------------------------------------------------------------------------------




class RoundOut(BaseModel):
    number: int
    name_zh: str
    name_en: str
    starts_on: date
    ends_on: date | None
    members: int


class DecisionOut(BaseModel):
    """CNCERT's decision ending a unit's status, with the ground's clause."""

    round: int
    unit: str
    ground: str
    ground_label: Label
    source: str
    reason: str
    decided_on: date
    decided_by: str
    decided_by_body: str
    decided_at: datetime


class MembershipOut(BaseModel):
    round: int
    unit: str
    name_zh: str
    name_en: str
    status: str
    status_label: Label
    admitted_on: date
    ended_on: date | None
    ended_reason: str | None
    barred_from_next_round: bool
    #: CNCERT's decision that ended the status, if one did (else an evaluation, or none)
    decision: DecisionOut | None = None


class WorkOut(BaseModel):
    id: int
    unit: str | None
    expert: str | None
    kind: str
    kind_label: Label
    with_body: str | None
    incident: str | None
    response: str | None
    warning: str | None
    assignment: str | None
    task: str | None
    worked_on: date
    minutes: int
    description: str
    recorded_by: str
    recorded_at: datetime


class ObligationOut(BaseModel):
    code: str
    obligation: int
    source: str
    label_zh: str
    label_en: str
    status: str
    status_label: Label
    value: float | None
    required: float | None
    reasons: list[ReasonOut]


class MonthOut(BaseModel):
    month: str
    complete: bool
    obligations: list[ObligationOut]


class AveragesOut(BaseModel):
    """Support obligations 4–5 say 平均每月 (on average per month): judged on the half's owed
    months, with the average so far and each obligation's verdict or progress."""

    half: str
    months: int = Field(description="Owed months of the half begun so far")
    owed_months: int = Field(description="Months of the half the membership owes")
    responses_per_month: float
    hours_per_month: float
    obligations: list[ObligationOut] = Field(
        description="Obligations 4 and 5 over the half: met, unmet (the owed months are over) "
        "or in progress with what the remaining months must bring")


class ObligationsOut(BaseModel):
    unit: str
    name_zh: str
    name_en: str
    period: str
    months: list[MonthOut]
    averages: AveragesOut | None = None
    work_report: ObligationOut | None = None


class MemberStatusOut(BaseModel):
    unit: str
    name_zh: str
    name_en: str
    status: str
    status_label: Label
    month: str
    obligations: list[ObligationOut]


class CheckOut(BaseModel):
    id: int
    unit: str
    channel: str
    value: str
    checked_by: str
    sent_at: datetime
    answered_at: datetime | None
    answered_by: str | None
    state: str
    state_label: Label
    minutes_to_answer: float | None


class WorkReportOut(BaseModel):
    unit: str
    half: str
    sections: dict[str, str]
    section_labels: dict[str, Label]
    submitted_by: str
    submitted_at: datetime
    due_on: date
    on_time: bool


class ScoreOut(BaseModel):
    code: str
    label_zh: str
    label_en: str
    source: str
    max: int
    score: int
    basis: str
    judged: bool


class RubricOut(BaseModel):
    unit: str
    half: str
    scores: list[ScoreOut]
    total: int
    max: int
    grounds: list[ReasonOut]
    proposed: str
    proposed_label: Label


class EvaluationOut(BaseModel):
    unit: str
    half: str
    scores: list[ScoreOut]
    total: int
    outcome: str
    outcome_label: Label
    grounds: list[ReasonOut]
    note: str
    evaluated_by: str
    evaluated_at: datetime


class TeamOut(BaseModel):
    body: str
    name_zh: str
    name_en: str
    kind: str
    kind_label: Label
    skills: list[str]
    regions: list[str]
    members: int | None
    availability: str
    availability_label: Label
    standby: list[str] = Field(description="Refs of the red warnings holding it on standby")
    reasons: list[ReasonOut]


class ExpertProfileOut(BaseModel):
    expert: str
    name: str
    body: str
    skills: list[str]
    regions: list[str]
    availability: str
    availability_label: Label
    standby: list[str]
    reasons: list[ReasonOut]


class AssignmentOut(BaseModel):
    ref: str
    body: str | None
    expert: str | None
    name: str
    incident: str | None
    warning: str | None
    response: str | None
    dispatched_by_body: str
    dispatched_by: str
    dispatched_at: datetime
    task: str
    state: str
    state_label: Label
    released_at: datetime | None
    outcome: str | None
    hours: float
