"""API shapes of emergency plans, exercises, CII risk assessments, trainings, reserves, the
compliance view and the responsible persons of accountability and commendation (Plan §6.2,
§6.4, §7.8, §7.10, §8.1; Law arts. 25, 34, 38)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fenghuo.common.schemas import ReasonOut  # noqa: F401 - re-exported
from fenghuo.org.schemas import Label
from fenghuo.preparedness.rules import (
    RESERVE_CHECK_DEFAULT_DAYS,
    Conduct,
    EvaluationOutcome,
    ExerciseForm,
    ReserveKind,
    Sanction,
    sanction_problem,
)

#: days the records speak of: bounded, so arithmetic on them never overflows; the schema says
#: so with a pattern (JSON Schema has no bounds for a date): years 1990 to 2199
Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2199, 12, 31), json_schema_extra={
    "pattern": r"^(199[0-9]|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"})]
_KEY = r"^[a-z0-9][a-z0-9._-]{1,79}$"
_SHA256 = r"^[0-9a-f]{64}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanIn(_In):
    """An emergency plan a body keeps (Plan §8.1, Law art. 25)."""

    body: str = Field(min_length=1, max_length=80, description="Key of the body keeping it")
    key: str = Field(pattern=_KEY, description="Stable key, unique within the body")
    title: str = Field(min_length=1, max_length=300)
    version: str = Field(min_length=1, max_length=40)
    owner: str = Field(min_length=1, max_length=200, description="Who keeps it")
    document: str = Field(min_length=1, max_length=500,
                          description="File name, URL or archive reference")
    document_sha256: str | None = Field(default=None, pattern=_SHA256)
    adopted_on: Day


class EvaluationIn(_In):
    """A yearly evaluation (Plan §8.1 原则上每年评估一次，根据实际情况适时修订)."""

    evaluated_on: Day
    outcome: EvaluationOutcome
    findings: str = Field(default="", max_length=20000)
    new_version: str | None = Field(default=None, min_length=1, max_length=40,
                                    description="The version after a revision")


class EvaluationOut(BaseModel):
    id: int
    evaluated_on: date
    evaluated_by: str
    outcome: str
    outcome_label: Label
    findings: str
    version_before: str
    version_after: str
    recorded_at: datetime



class PlanOut(BaseModel):
    id: int
    body: str
    key: str
    title: str
    version: str
    owner: str
    document: str
    document_sha256: str | None
    adopted_on: date
    last_evaluated_on: date | None
    due_on: date
    status: str
    status_label: Label
    reasons: list[ReasonOut]
    evaluations: list[EvaluationOut] = Field(default_factory=list)


class ExerciseIn(_In):
    """A planned exercise (Plan §6.2, Law arts. 34(4), 39(2))."""

    organizer: str = Field(min_length=1, max_length=80, description="Key of the organizing body")
    title: str = Field(min_length=1, max_length=300)
    scope: str = Field(min_length=1, max_length=20000,
                       description="What is exercised: systems, regions, sectors")
    scenario: str = Field(min_length=1, max_length=20000)
    form: ExerciseForm
    participants: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=200, description="Keys of the bodies taking part")
    planned_for: Day


class HeldIn(_In):
    held_on: Day
    findings: str = Field(default="", max_length=20000)


class CancelIn(_In):
    reason: str = Field(min_length=3, max_length=4000)


class ActionIn(_In):
    """A follow-up action from the exercise's findings."""

    action: str = Field(min_length=1, max_length=4000)
    owner: str = Field(min_length=1, max_length=200)
    due_on: Day | None = None


class ActionDoneIn(_In):
    done_on: Day


class ActionOut(BaseModel):
    id: int
    action: str
    owner: str
    due_on: date | None
    done_on: date | None
    overdue: bool


class ExerciseOut(BaseModel):
    ref: str
    organizer: str
    title: str
    scope: str
    scenario: str
    form: str
    form_label: Label
    state: str
    state_label: Label
    planned_for: date
    held_on: date | None
    findings: str
    participants: list[str]
    reported_at: datetime | None
    reported_by: str | None
    actions: list[ActionOut]
    created_by: str
    created_at: datetime


class AssessmentIn(_In):
    """A CII operator's risk assessment (Law art. 38)."""

    body: str = Field(min_length=1, max_length=80, description="Key of the CII operator")
    assessed_on: Day
    assessor: str = Field(min_length=1, max_length=300,
                          description="The operator itself or the service it engaged")
    findings: str = Field(min_length=1, max_length=20000)
    improvements: str = Field(min_length=1, max_length=20000)
    reported_to: str | None = Field(default=None, min_length=1, max_length=80,
                                    description="Key of the department in charge of its "
                                    "protection, when already reported")
    reported_on: Day | None = None


class AssessmentReportIn(_In):
    reported_to: str = Field(min_length=1, max_length=80)
    reported_on: Day


class AssessmentOut(BaseModel):
    id: int
    body: str
    assessed_on: date
    assessor: str
    findings: str
    improvements: str
    reported_to: str | None
    reported_on: date | None
    recorded_by: str
    recorded_at: datetime


class TrainingIn(_In):
    """A training session (Plan §6.4, Law art. 34(2))."""

    body: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=300)
    held_on: Day
    hours: int = Field(ge=1, le=1000)
    participants: int = Field(ge=1, le=1_000_000)
    topics: str = Field(default="", max_length=20000)


class TrainingOut(BaseModel):
    id: int
    body: str
    title: str
    held_on: date
    hours: int
    participants: int
    topics: str
    recorded_by: str
    recorded_at: datetime


class ReserveIn(_In):
    """Equipment or tools held in reserve (Plan §7.8)."""

    body: str = Field(min_length=1, max_length=80)
    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1, max_length=300)
    kind: ReserveKind
    quantity: int = Field(default=1, ge=0, le=10_000_000)
    location: str = Field(default="", max_length=300)
    check_every_days: int = Field(default=RESERVE_CHECK_DEFAULT_DAYS, ge=1, le=3650)
    last_checked_on: Day | None = None
    note: str = Field(default="", max_length=20000)


class CheckedIn(_In):
    checked_on: Day
    note: str = Field(default="", max_length=20000)


class ReserveOut(BaseModel):
    id: int
    body: str
    key: str
    name: str
    kind: str
    kind_label: Label
    quantity: int
    location: str
    check_every_days: int
    last_checked_on: date | None
    due_on: date
    status: str
    status_label: Label
    note: str


class DutyOut(BaseModel):
    duty: str
    duty_label: Label
    status: str
    status_label: Label
    compliant: bool
    last_on: date | None
    due_on: date | None
    items: list[str]
    reasons: list[ReasonOut]


class ComplianceRow(BaseModel):
    body: str
    name_zh: str
    name_en: str
    kind: str
    jurisdiction: str
    cii: bool
    status: str
    status_label: Label
    compliant: bool
    duties: list[DutyOut]


# --- responsible persons (Plan §7.10) ----------------------------------------------------------

_NAME = Field(min_length=1, max_length=200, description="The person's name")
_POSITION = Field(min_length=1, max_length=200, description="The person's post (职务)")


class PersonIn(_In):
    """A person a commendation names (先进个人, Plan §7.10)."""

    name: str = _NAME
    position: str = _POSITION
    body: str | None = Field(default=None, min_length=1, max_length=80,
                             description="Key of the body the person serves in; default: the "
                                         "body commended")


class PersonOut(BaseModel):
    name: str
    position: str
    body: str


class DecisionIn(_In):
    """A decision holding a responsible person to account (处分, Plan §7.10), about an incident
    or another matter; your body is the deciding body and records it."""

    #: the schema says what ``_what_and_which`` does: an incident or a matter in words, and
    #: the decision in words when the sanction is 'other'
    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"anyOf": [{"required": ["incident"], "properties": {"incident": {"type": "string"}}},
                   {"required": ["matter"], "properties": {"matter": {
                       "type": "string", "pattern": r"\S"}}}]},
        {"anyOf": [{"properties": {"sanction": {"not": {"const": "other"}}}},
                   {"required": ["sanction_text"], "properties": {"sanction_text": {
                       "type": "string", "pattern": r"\S"}}}]}]})

    name: str = _NAME
    position: str = _POSITION
    body: str = Field(min_length=1, max_length=80, description="Key of the body the person "
                      "serves in; it must be under your body's authority")
    incident: str | None = Field(default=None, min_length=1, max_length=24,
                                 description="Reference of the incident it is about")
    matter: str | None = Field(default=None, min_length=1, max_length=4000,
                               description="The matter, when it is not (only) an incident")
    conduct: Conduct = Field(description="What the person is held to account for (Plan §7.10)")
    sanction: Sanction = Field(description="The decision (处分)")
    sanction_text: str | None = Field(default=None, max_length=4000,
                                      description="The decision in words; required for 'other'")
    decided_on: Day | None = Field(default=None, description="Default: today")
    reason: str = Field(min_length=4, max_length=4000)

    @model_validator(mode="after")
    def _what_and_which(self) -> DecisionIn:
        if not (self.incident or (self.matter and self.matter.strip())):
            raise ValueError("name the incident or the matter the decision is about")
        problem = sanction_problem(self.sanction, self.sanction_text)
        if problem:
            raise ValueError(problem)
        return self


class DecisionOut(BaseModel):
    id: int
    name: str
    position: str
    body: str
    incident: str | None
    matter: str | None
    conduct: str
    conduct_label: Label
    sanction: str
    sanction_label: Label
    sanction_text: str | None
    decided_by_body: str
    decided_on: date
    reason: str
    recorded_by: str
