"""Pydantic schemas of the reporting chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from fenghuo.common.types import Timestamp
from fenghuo.incident.grading import Degree
from fenghuo.incident.owner_rules import MAX_AFFECTED
from fenghuo.sharing.tlp import Tlp


class FactsIn(BaseModel):
    """What is known of the incident's effects, for grading (Plan §1.4, annexes 2–3; CAC 2025
    grading guide). Every field is optional; unknown facts may follow in supplementary reports.
    Numbers must be finite: an infinite loss would grade especially major yet be stored as null."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    system_loss: Degree | None = Field(
        default=None, description="criterion ①: loss suffered by the affected system (annex 3)")
    data_threat: Degree | None = Field(
        default=None, description="criterion ②: threat from secret, sensitive or key data lost, "
        "stolen, tampered or counterfeited")
    other_threat: Degree | None = Field(
        default=None, description="criterion ③: other threat to national security, social "
        "order, economy or public interest")
    outage_hours: float | None = Field(default=None, ge=0, le=100000)
    people_affected: int | None = Field(default=None, ge=0)
    personal_records_leaked: int | None = Field(default=None, ge=0)
    direct_loss_yuan: float | None = Field(default=None, ge=0)
    defacement_exposure: int | None = Field(default=None, ge=0)
    provincial_portal: StrictBool = Field(default=False, description="the affected system is a "
                                    "provincial-or-above Party or government portal")
    prefectural_portal: StrictBool = Field(default=False, description="the affected system is a "
                                     "prefecture-level Party or government portal")
    main_function_outage_hours: float | None = Field(default=None, ge=0, le=100000)
    province_population_pct: float | None = Field(default=None, ge=0, le=100)
    prefecture_population_pct: float | None = Field(default=None, ge=0, le=100)
    defacement_homepage_hours: float | None = Field(default=None, ge=0, le=100000)
    defacement_other_page_hours: float | None = Field(default=None, ge=0, le=100000)
    defacement_reposts: int | None = Field(default=None, ge=0)


class PersonalInfoIn(BaseModel):
    """Personal information leaked, damaged or lost (Law art. 42 ¶2): the unit tells its users
    in time; whether it must, and the clock for it (``FENGHUO_PI_INFORM_HOURS``)."""

    #: the schema says what ``_reason_when_not_informing`` does
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"inform_users": {"const": True}}},
        {"required": ["reason"], "properties": {"reason": {"type": "string",
                                                           "pattern": r"\S"}}}]})
    records: int = Field(ge=1, le=10**11, description="Personal-information records leaked, "
                         "damaged or lost")
    inform_users: StrictBool = Field(default=True, description="Whether the affected users must be "
                               "informed (Law art. 42 ¶2: 按照规定及时告知用户)")
    reason: str | None = Field(default=None, max_length=4000, description="Why the users need "
                               "not be informed; required when inform_users is false")

    @model_validator(mode="after")
    def _reason_when_not_informing(self) -> PersonalInfoIn:
        if not self.inform_users and not (self.reason and self.reason.strip()):
            raise ValueError("say why the users need not be informed (reason)")
        return self


class IncidentFieldsIn(BaseModel):
    """What a report says of the incident itself (CAC 2025 art. 7)."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(description="Taxonomy code (Plan annex 1), see GET /taxonomy")
    subcategory: str | None = None
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20000)
    found_at: Timestamp = Field(description="When the incident was found (with time zone)")
    impact: str = Field(min_length=1, max_length=20000, description="Impact so far")
    measures: str = Field(min_length=1, max_length=20000, description="Measures taken")
    facts: FactsIn = Field(default_factory=FactsIn)
    tlp: Tlp = Field(default=Tlp.AMBER, description="TLP 2.0 label: who may receive it in "
                     "shares and exports (clear, green, amber, amber+strict, red)")


class ReportIn(IncidentFieldsIn):
    """A first report: at least what CAC 2025 Measures art. 7 require first."""

    unit: str | None = Field(default=None, description="Key of the unit where it happened; "
                             "defaults to the reporter's own unit")
    system: str | None = Field(default=None, description="Key of the affected system in the "
                               "unit's register")
    personal_information: PersonalInfoIn | None = None


AffectedKeys = Annotated[list[Annotated[str, Field(min_length=1, max_length=120)]],
                         Field(min_length=1, max_length=MAX_AFFECTED)]


class ParentIn(IncidentFieldsIn):
    """One incident at many units (a botnet, an exploitation wave): each affected unit gets an
    incident of its own, routed along its own chain; the parent rolls them up."""

    units: AffectedKeys = Field(description="Keys of the affected units (at most 2000 a request)")


class AffectedIn(BaseModel):
    """More affected units of a parent incident."""

    model_config = ConfigDict(extra="forbid")
    units: AffectedKeys


class InformedIn(BaseModel):
    """The affected users were told (Law art. 42 ¶2): when, how and how many."""

    model_config = ConfigDict(extra="forbid")
    at: Timestamp
    how: str = Field(min_length=1, max_length=300, description="How: SMS, e-mail, in-app "
                     "notice, public announcement…")
    count: int = Field(ge=0, le=10**11, description="How many users were told")


class SupplementIn(BaseModel):
    """A supplementary report (补报, CAC 2025 art. 7(2)); new facts regrade the incident."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)
    impact: str | None = Field(default=None, max_length=20000)
    measures: str | None = Field(default=None, max_length=20000)
    facts: FactsIn | None = None
    personal_information: PersonalInfoIn | None = None
    found_at: Timestamp | None = Field(
        default=None, description="When your unit itself found the incident, if it did before "
        "it was told (an incident another body reported; Plan §7.10 counts the omission from "
        "then)")


class RegradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facts: FactsIn
    reason: str = Field(min_length=3, max_length=4000)


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["handling", "resolved", "closed"]
    note: str = Field(default="", max_length=4000)
    #: how it was resolved (Plan §4.4; the final report within 30 days, CAC 2025 art. 8)
    resolution: str | None = Field(default=None, max_length=4000)


class AssigneeIn(BaseModel):
    """Whom the incident is assigned to: a user of a body handling it; null unassigns."""

    model_config = ConfigDict(extra="forbid")
    username: str | None = Field(max_length=80)


class AssigneeOut(BaseModel):
    username: str
    display_name: str


class FindingIn(BaseModel):
    """An office's finding that a report was false (谎报) or concealing (瞒报), Plan §7.10."""

    model_config = ConfigDict(extra="forbid")
    finding: Literal["false", "concealed"]
    reason: str = Field(min_length=3, max_length=4000)


class ReasonOut(BaseModel):
    code: str
    grade: str | None = None
    source: str
    text_zh: str
    text_en: str
    confirmed: bool = True


class RouteOut(BaseModel):
    body: str
    body_name_zh: str
    body_name_en: str
    reasons: list[ReasonOut]
    immediate: bool
    routed_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class DutyOut(BaseModel):
    id: int
    body: str
    kind: str
    source: str
    starts_at: datetime
    due_at: datetime
    done_at: datetime | None
    state: str


class DeliveryOut(BaseModel):
    id: int
    incident: str | None = None
    created_at: datetime | None = None
    body: str | None
    channel: str
    address: str = Field(description="In full only for a reader who may manage the receiving "
                         "body's channels (org:write over it); otherwise masked: a URL by its "
                         "host, an email as z***@example.cn, a number by its last digits")
    #: True when ``address`` and ``last_error`` are masked for this reader (issue 18 item 5)
    address_masked: bool = False
    state: str
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class EventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    detail: dict


class IncidentSummary(BaseModel):
    ref: str
    title: str
    unit: str
    unit_name_zh: str
    unit_name_en: str
    category: str
    category_label: dict
    subcategory: str | None
    grade: str
    grade_label: dict
    state: str
    found_at: datetime
    reported_at: datetime
    source: str
    tlp: Tlp


class RollupOut(BaseModel):
    """A parent's affected units together (issue 16 item 5)."""

    total: int
    by_state: dict[str, int]
    open: int
    worst_grade: str | None
    worst_grade_label: dict | None
    all_closed: bool


class PersonalInfoOut(BaseModel):
    """Personal information in the incident (Law art. 42 ¶2) and the clock to tell the users."""

    records: int
    inform_users: bool
    reason: str | None
    state: str
    state_label: dict
    due_at: datetime | None
    informed_at: datetime | None
    informed_how: str | None
    informed_count: int | None
    source: str


class AffectedOut(BaseModel):
    """A parent incident's affected units: the roll-up and each unit's incident."""

    parent: str
    rollup: RollupOut
    units: list[IncidentSummary]


class IncidentOut(IncidentSummary):
    system: str | None
    system_important: bool | None
    sector: str | None
    cii: bool
    description: str
    impact: str
    measures: str
    facts: dict
    grading_profile: str
    grade_reasons: list[ReasonOut]
    report_finding: str | None
    routes: list[RouteOut]
    duties: list[DutyOut]
    deliveries: list[DeliveryOut]
    timeline: list[EventOut]
    #: the body that reported it when that is not the unit itself (it discovered it)
    discovered_by: str | None = None
    #: the parent incident when this is one affected unit of many
    parent: str | None = None
    #: the roll-up of the affected units when this is a parent
    rollup: RollupOut | None = None
    personal_information: PersonalInfoOut | None = None
    #: how it was resolved, recorded when it became resolved or closed (Plan §4.4)
    resolution: str | None = None
    #: the person of a handling body it is assigned to (issue 19 item 1)
    assignee: AssigneeOut | None = None
