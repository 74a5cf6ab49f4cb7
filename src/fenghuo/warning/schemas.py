"""API shapes of monitoring information, risk assessments and warnings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from fenghuo.common.types import Timestamp
from fenghuo.incident.grading import Grade
from fenghuo.incident.schemas import DeliveryOut, EventOut, FactsIn, ReasonOut
from fenghuo.warning.rules import Extent, Likelihood, Tlp, WarningLevel

IndicatorType = Literal["ip", "domain", "url", "sha256", "sha1", "md5", "cve", "email", "other"]


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: IndicatorType
    value: str = Field(min_length=1, max_length=2000)


class MonitoringIn(BaseModel):
    """Monitoring information (Plan §3.2, Law arts. 51–52): what was observed, where, what may
    be affected, and indicators."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    observed: str = Field(min_length=1, max_length=20000, description="What was observed")
    observed_at: Timestamp
    category: str | None = Field(default=None, description="Taxonomy code (Plan annex 1)")
    jurisdictions: list[str] = Field(default_factory=list, max_length=100,
                                     description="Codes of jurisdictions that may be affected")
    sectors: list[str] = Field(default_factory=list, max_length=50,
                               description="Sector codes that may be affected")
    systems: str = Field(default="", max_length=4000, description="Systems that may be affected")
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=1000)
    #: strict: a JSON 0 or "no" is a 422, not an important item silently left unshared
    important: StrictBool = Field(default=False, description="Important: goes up at once "
                                  "(Plan §3.2): a unit's to its region's offices and its "
                                  "sector's department, which report it on to the Emergency "
                                  "Office; another body's to the Emergency Office")
    tlp: Tlp = Tlp.AMBER
    unit: str | None = Field(default=None, max_length=80, description=(
        "Key of the unit the item is about, when it is another unit's (Support obligation 7): "
        "it reaches that unit and its jurisdiction's office"))


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bodies: list[str] = Field(min_length=1, max_length=200, description="Keys of the bodies")


class ShareOut(BaseModel):
    body: str
    body_name_zh: str
    body_name_en: str
    reason: str
    reason_zh: str = ""  #: the reason in words (warning.monitoring_rules.REASON_LABELS)
    reason_en: str = ""
    shared_by: str
    shared_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    #: when this body reported the item on to the Emergency Office (Plan §3.2)
    reported_up_at: datetime | None = None
    reported_up_by: str | None = None
    #: whether this body may still report it on (it holds it up a unit's chain, Plan §3.2)
    may_report_up: bool = False


class MonitoringOut(BaseModel):
    ref: str
    body: str
    body_name_zh: str
    body_name_en: str
    title: str
    observed: str
    observed_at: datetime
    category: str | None
    jurisdictions: list[str]
    sectors: list[str]
    systems: str
    indicators: list[IndicatorIn]
    important: bool
    tlp: Tlp
    created_at: datetime
    shares: list[ShareOut]
    unit: str | None = None  #: the unit the item is about (Support obligation 7)


class PossibleFactsIn(FactsIn):
    """The grading facts of the incident that may occur (Plan §1.4, annexes 2–3; CAC 2025
    grading guide): an incident report's facts, and what the register would say of a reported
    incident's system (annex 2 important system, CII)."""

    important_system: StrictBool = Field(default=False, description="the system at risk is an "
                                         "important network and information system (annex 2)")
    cii: StrictBool = Field(default=False, description="the system at risk is critical "
                            "information infrastructure")


class AssessmentIn(BaseModel):
    """A risk assessment (Law art. 54(2)) of one or more monitoring items: the likelihood and
    extent, and the degree of harm as the grade the possible incident would have (Plan §1.4):
    its grading ``facts`` (graded by the same rules as a reported incident), or the grade
    itself as ``harm``. With both, they must agree."""

    #: the schema says what ``_harm_or_facts`` does: harm or facts, and not null
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
        for name in ("harm", "facts")]})
    items: list[str] = Field(min_length=1, max_length=100, description="Monitoring item refs")
    likelihood: Likelihood = Field(description="Low proposes no warning (Plan §3.1 可能发生)")
    extent: Extent
    harm: Grade | None = Field(default=None, description="The grade of the possible incident "
                               "(Plan §1.4), when its facts are not given")
    facts: PossibleFactsIn | None = Field(default=None, description="The grading facts of the "
                                          "possible incident (Plan §1.4)")
    notes: str = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _harm_or_facts(self) -> AssessmentIn:
        if self.harm is None and self.facts is None:
            raise ValueError("give the possible incident's grading facts (facts) or its grade "
                             "(harm), Plan §1.4")
        return self


class ProposalOut(BaseModel):
    #: None: no warning proposed (a low likelihood, Plan §3.1)
    level: WarningLevel | None
    #: the grade of the possible incident (Plan §1.4) the level stands for (§3.1)
    grade: Grade | None = None
    reasons: list[ReasonOut]
    emergency_office_only: bool
    report_to_emergency_office: bool


class AssessmentReportOut(BaseModel):
    """The assessment reported to the Emergency Office as a possible major-or-graver incident
    (Plan §3.3 ¶1), and the Office's acknowledgement."""

    body: str
    body_name_zh: str
    body_name_en: str
    source: str
    reported_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    reminded_at: datetime | None
    state: Literal["acknowledged", "due", "overdue"]


class AssessmentOut(BaseModel):
    ref: str
    body: str
    assessed_by: str
    items: list[str]
    likelihood: Likelihood
    extent: Extent
    harm: Grade
    #: the grading facts of the possible incident, when given, and the profile they were graded by
    facts: PossibleFactsIn | None = None
    grading_profile: str | None = None
    notes: str
    proposal: ProposalOut
    created_at: datetime
    #: to the Emergency Office (Plan §3.3 ¶1), when the assessment proposes orange or red
    reports: list[AssessmentReportOut] = []


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(default="", max_length=4000)
    deadline: Timestamp | None = None


class WarningIn(BaseModel):
    """A warning draft. Every field of Plan §3.3's required content is checked by the domain,
    which names all that are missing at once; nothing is stored until all are there."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    category: str | None = None
    level: WarningLevel | None = None
    starts_at: Timestamp | None = None
    jurisdictions: list[str] = Field(default_factory=list, max_length=100,
                                     description="Codes of the jurisdictions in scope")
    sectors: list[str] = Field(default_factory=list, max_length=50,
                               description="Sector codes in scope; none means every sector")
    items: list[str] = Field(default_factory=list, max_length=100, description="Warning items")
    measures: list[MeasureIn] = Field(default_factory=list, max_length=100,
                                      description="Measures to take, each with a time limit")
    tlp: Tlp = Tlp.AMBER
    public: StrictBool = Field(default=False, description="Also publish to the public page "
                               "and feeds (needs TLP:CLEAR; Law arts. 54(3), 55)")
    assessment: str | None = Field(default=None, description="Ref of the risk assessment")
    support_units: StrictBool = Field(default=False, description="Also reach the support "
                                      "units in scope (Support §4), besides the offices, "
                                      "departments, operating units and CNCERT branches")


class ReviseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: WarningLevel
    reason: str = Field(min_length=3, max_length=4000)


class LiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=4000)


class TaskDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence: str = Field(min_length=3, max_length=20000,
                          description="What was done, as evidence of completion")


class PlaceOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class RecipientOut(BaseModel):
    body: str
    body_name_zh: str
    body_name_en: str
    notified_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    reminded_at: datetime | None
    state: Literal["acknowledged", "due", "overdue"]


class TaskOut(BaseModel):
    id: int
    body: str
    code: str
    owner: str
    source: str
    title_zh: str
    title_en: str
    due_at: datetime
    state: str
    done_at: datetime | None
    done_by: str | None
    evidence: str | None


class MeasureOut(BaseModel):
    text: str
    deadline: datetime | None


class WarningSummary(BaseModel):
    ref: str
    title: str
    state: str
    level: WarningLevel
    level_label: dict
    category: str
    issuer: str
    issuer_name_zh: str
    issuer_name_en: str
    starts_at: datetime
    published_at: datetime | None
    lifted_at: datetime | None
    tlp: Tlp
    public: bool
    revision: int


class ProvinceWarnings(BaseModel):
    """A province-level jurisdiction under published warnings: the gravest level (Plan §3.1)
    and the warnings covering it, newest first."""

    code: str
    name_zh: str
    name_en: str
    level: WarningLevel
    level_label: dict
    refs: list[str]


class WarningOut(WarningSummary):
    category_label: dict
    support_units: bool = False
    #: how many recipients, tasks and deliveries there are in all (the lists hold at most 500;
    #: a unit sees only its own)
    recipient_count: int = 0
    task_count: int = 0
    delivery_count: int = 0
    jurisdictions: list[PlaceOut]
    sectors: list[PlaceOut]
    items: list[str]
    measures: list[MeasureOut]
    assessment: str | None
    drafted_by: str
    approved_by: str | None
    approved_at: datetime | None
    lift_reason: str | None
    authority: list[ReasonOut]
    recipients: list[RecipientOut]
    tasks: list[TaskOut]
    deliveries: list[DeliveryOut]
    timeline: list[EventOut]


class PublicWarning(BaseModel):
    """What the public sees (Law arts. 54(3), 55): no internal detail."""

    ref: str
    title: str
    state: str
    level: WarningLevel
    level_label: dict
    category: str
    category_label: dict
    issuer_name_zh: str
    issuer_name_en: str
    starts_at: datetime
    published_at: datetime
    lifted_at: datetime | None
    #: last change (a revision of the level, lifting), for feed readers
    updated_at: datetime
    revision: int
    jurisdictions: list[PlaceOut]
    sectors: list[PlaceOut]
    items: list[str]
    measures: list[MeasureOut]
