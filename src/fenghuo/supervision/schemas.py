"""Input and output of supervision (Law arts. 55, 56): a directive, an interview record, the
unit's acknowledgement and rectification report, the issuer's verification or reopening, and
what each party sees of an item."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fenghuo.common.schemas import Label
from fenghuo.common.types import Timestamp
from fenghuo.supervision.rules import IntervieweeRole

UNIT = Field(min_length=1, max_length=80, description="Key of the unit, e.g. bj-bank")


class DirectiveIn(BaseModel):
    """责令限期采取措施 (Law art. 55): the unit takes the measures by the time limit."""

    model_config = ConfigDict(extra="forbid")
    unit: str = UNIT
    title: str = Field(min_length=2, max_length=300)
    findings: str = Field(default="", max_length=10000,
                          description="The risk or incident that calls for the measures")
    requirements: str = Field(min_length=2, max_length=10000,
                              description="The measures the unit is to take")
    due_at: Timestamp | None = Field(default=None, description="The time limit (required)")


class InterviewIn(BaseModel):
    """约谈 (Law art. 56): the interview held with the unit's legal representative or principal
    person in charge, what was found and the rectification required by a deadline."""

    model_config = ConfigDict(extra="forbid")
    unit: str = UNIT
    title: str = Field(min_length=2, max_length=300)
    interviewee: str = Field(min_length=1, max_length=200,
                             description="The person interviewed")
    interviewee_role: IntervieweeRole = Field(
        description="legal_representative (法定代表人) or principal (主要负责人)")
    interviewed_at: Timestamp | None = Field(default=None, description="When it was held")
    findings: str = Field(min_length=2, max_length=10000,
                          description="The large security risk or incident found")
    requirements: str = Field(min_length=2, max_length=10000,
                              description="The rectification required (整改要求)")
    due_at: Timestamp | None = Field(default=None,
                                     description="The rectification deadline (required)")


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000)


class RectificationIn(BaseModel):
    """The unit's report (整改情况): what it did and the evidence, in text and, optionally, as
    references to evidence preserved with an incident (``FH-…/12``)."""

    model_config = ConfigDict(extra="forbid")
    measures: str = Field(min_length=2, max_length=10000, description="What the unit did")
    evidence: str = Field(min_length=2, max_length=10000,
                          description="The evidence of it (test results, configurations…)")
    attachments: list[str] = Field(
        default_factory=list, max_length=20,
        description="Evidence preserved with an incident the unit sees: INCIDENT_REF/ID")


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000,
                             description="The verification's finding")


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=4000,
                        description="What is still wanting; the unit reads it")
    due_at: Timestamp | None = Field(default=None, description="A new deadline; by default "
                                     "the current one stays")


class AttachmentOut(BaseModel):
    ref: str
    evidence: int
    filename: str
    sha256: str


class RectificationOut(BaseModel):
    reported_at: datetime
    reported_by: str
    measures: str
    evidence: str
    attachments: list[AttachmentOut] = Field(default_factory=list)


class EventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    body: str
    detail: dict


class ItemOut(BaseModel):
    ref: str
    kind: str  # supervision.rules.Kind
    kind_label: Label
    source: str  # the clause
    title: str
    issuer: str
    issuer_name_zh: str
    issuer_name_en: str
    issued_by: str
    unit: str
    unit_name_zh: str
    unit_name_en: str
    findings: str
    requirements: str
    interviewee: str | None = None
    interviewee_role: str | None = None
    interviewee_role_label: Label | None = None
    interviewed_at: datetime | None = None
    state: str  # supervision.rules.State
    state_label: Label
    due_at: datetime
    clock: str  # supervision.rules.ClockState: met, late, due, overdue
    clock_label: Label
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    reported_at: datetime | None = None
    closed_at: datetime | None = None
    #: what the caller may do now (supervision.rules.Action values)
    actions: list[str] = Field(default_factory=list)
    #: on an item's own page (not in lists)
    rectifications: list[RectificationOut] = Field(default_factory=list)
    history: list[EventOut] = Field(default_factory=list)


class UnitOut(BaseModel):
    """A unit the caller's body may direct, and whether it may also interview it."""

    key: str
    name_zh: str
    name_en: str
    kind: str
    interview: bool
