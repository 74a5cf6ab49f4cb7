"""API shapes of emergency responses, duty rosters, progress, support and investigations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fenghuo.common.types import Timestamp
from fenghuo.incident.schemas import EventOut, ReasonOut


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    body: str | None = Field(default=None, description="Key of the member's body")
    username: str | None = Field(default=None, description="The member's user, who may then "
                                 "approve the ending of a Level I response")


class ActivateIn(BaseModel):
    """Activate a response for an incident (Plan §4.2)."""

    model_config = ConfigDict(extra="forbid")
    incident: str = Field(description="Incident ref")
    level: str = Field(pattern="^(I|II|III|IV)$", description="I, II, III or IV")
    headquarters: list[MemberIn] = Field(default_factory=list, max_length=100,
                                         description="Named members (Level I, Plan §4.2.1)")
    progress_every_minutes: int | None = Field(default=None, ge=15, le=7 * 24 * 60)


def _command_field() -> Any:
    """A city headquarters or field command the caller is a member of, to act for (City
    §3.3.3–3.3.4)."""
    return Field(default=None, max_length=80, description=(
        "Key of a city headquarters or field command you are a member of, to act for it "
        "instead of your own body (City §3.3.3–3.3.4)"))


class CommandIn(BaseModel):
    """Set up the city's headquarters or a field command inside a Level I or II response (City
    §3.3.3–3.3.4)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern="^(headquarters|field_command)$",
                      description="headquarters (the city office) or field_command (the county "
                                  "where it happened, or the city office)")
    members: list[MemberIn] = Field(min_length=1, max_length=100,
                                    description="Named members; those with a username keep its "
                                                "duty roster and report its progress")


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    developments: str = Field(min_length=1, max_length=20000)
    progress: str = Field(min_length=1, max_length=20000)
    command: str | None = _command_field()


class SupportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    needs: str = Field(min_length=3, max_length=20000,
                       description="What help is needed: teams, experts, skills, where")


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str | None = Field(default=None, description="Key of a body (team, province…)")
    expert: str | None = Field(default=None, description="Key of an expert")
    note: str = Field(default="", max_length=4000)


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=4000)
    as_of: Timestamp | None = Field(default=None, description=(
        "When it really ended, for an end recorded after the fact: not in the future, not "
        "before the response began; the investigation's 30 days run from it (Plan §5)"))


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer: str = Field(min_length=1, max_length=120)
    contact: str = Field(default="", max_length=300)
    starts_at: Timestamp
    ends_at: Timestamp
    handover_note: str = Field(default="", max_length=20000)
    command: str | None = _command_field()


class SectionsIn(BaseModel):
    """Sections of the investigation report (Plan §5): cause, nature, impact, responsibility,
    handling opinions, improvements."""

    model_config = ConfigDict(extra="forbid")
    sections: dict[str, str] = Field(max_length=20)


class MemberOut(BaseModel):
    name: str
    title: str
    body: str | None
    username: str | None
    #: the city headquarters or field command the member belongs to; None: the response's own
    command: str | None = None
    added_at: datetime


class EndNoticeOut(BaseModel):
    """A body told of the end, by whom and how (Plan §4.3; ``ending.NOTICE_KIND_LABELS``)."""

    body: str
    body_name_zh: str
    body_name_en: str
    kind: str
    sent_by: str
    at: datetime
    #: messages the outbox took for the body's first contacts (0: no contact to reach)
    messages: int


class ParticipantOut(BaseModel):
    body: str
    body_name_zh: str
    body_name_en: str
    role: str
    duty_24h: bool
    joined_at: datetime
    last_progress_at: datetime | None
    next_progress_due: datetime
    progress_state: str
    on_duty: list[str]


class ProgressOut(BaseModel):
    body: str
    reported_by: str
    at: datetime
    developments: str
    progress: str


class DispatchOut(BaseModel):
    body: str | None
    expert: str | None
    dispatched_by: str
    dispatched_at: datetime
    note: str


class SupportOut(BaseModel):
    ref: str
    requesting_body: str
    requested_by: str
    needs: str
    state: str
    coordinator: str | None
    note: str | None
    created_at: datetime
    dispatches: list[DispatchOut]


class InvestigationOut(BaseModel):
    organizer: str
    organizer_body: str
    file_with_emergency_office: bool
    due_at: datetime
    state: str
    clock: str
    sections: dict[str, str]
    missing_sections: list[str]
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    #: who recorded the last filing step and when (its effective time may be earlier: as_of)
    filed_entered_at: datetime | None = None
    filed_entered_by: str | None = None


class ResponseSummary(BaseModel):
    ref: str
    incident: str
    level: str
    level_label: dict
    state: str
    activated_by: str
    activated_at: datetime
    ended_at: datetime | None


class ResponseOut(ResponseSummary):
    activation: list[ReasonOut]
    effects: list[ReasonOut]
    headquarters: list[MemberOut]
    participants: list[ParticipantOut]
    progress: list[ProgressOut]
    support: list[SupportOut]
    end_proposed_by: str | None
    end_proposed_at: datetime | None
    end_approved_by: str | None
    end_approved_at: datetime | None
    end_reason: str | None
    #: who recorded the end and when (``ended_at`` is its effective time, maybe an as-of time)
    end_entered_at: datetime | None = None
    end_entered_by: str | None = None
    end_notices: list[EndNoticeOut]
    investigation: InvestigationOut | None
    timeline: list[EventOut]


class ShiftOut(BaseModel):
    id: int
    body: str
    officer: str
    contact: str
    starts_at: datetime
    ends_at: datetime
    handover_note: str
    on_duty_now: bool
