"""Pydantic shapes of owner notices (通报) and the units' answers (处置反馈), issue 16 item 2."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from fenghuo.common.schemas import Label, ReasonOut
from fenghuo.monitoring.notice_rules import NoticeState


class FeedbackIn(BaseModel):
    """What the unit did (处置反馈, Law art. 25): found, fixed, blocked, cleaned…"""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=4, max_length=8000)


class ContestIn(BaseModel):
    """The unit says an event is not its own: the address, prefix or domain it names goes back
    to whoever registered it (the register's owner) and to the unit's office."""

    model_config = ConfigDict(extra="forbid")
    address: str = Field(min_length=1, max_length=253, description="An address of the events, "
                         "or the registered prefix or domain that attributed them")
    indicator: str | None = Field(default=None, max_length=300,
                                  description="One of the notice's indicators, if it is one")
    reason: str = Field(min_length=4, max_length=4000)


class Resolution(StrEnum):
    KEPT = "kept"  # the attribution stands: the unit answers the notice after all
    WITHDRAWN = "withdrawn"  # the attribution was wrong: the notice is withdrawn


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Resolution
    note: str = Field(min_length=4, max_length=4000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000)


class SendIn(BaseModel):
    """Send a unit's pending digest now (an office or CERT, for a unit in its scope)."""

    model_config = ConfigDict(extra="forbid")
    unit: str = Field(min_length=1, max_length=80)


class NoticeItemOut(BaseModel):
    day: date
    kind: str
    kind_label: Label
    indicator: str
    count: int
    first_seen: datetime
    last_seen: datetime


class ContestOut(BaseModel):
    address: str
    entry: str | None  # the register entry that attributed it, kind:value
    indicator: str | None
    reason: str
    by: str
    at: datetime
    #: the bodies told: the entry's registrant (and verifier) and the unit's office
    told: list[str] = []
    resolution: str | None = None
    resolution_note: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None


class NoticeOut(BaseModel):
    ref: str
    unit: str
    unit_name_zh: str
    unit_name_en: str
    sender: str
    office: str | None
    mode: str
    mode_label: Label
    state: NoticeState
    state_label: Label
    tlp: str
    reasons: list[ReasonOut]
    period_start: datetime
    period_end: datetime
    events_total: int
    items: list[NoticeItemOut] = []
    created_at: datetime
    sent_at: datetime | None
    deadline_at: datetime | None
    #: the deadline passed with no handling feedback (Plan §7.10)
    overdue: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    feedback: str | None
    feedback_at: datetime | None
    feedback_by: str | None
    contest: ContestOut | None
    closed_at: datetime | None
    closed_by: str | None
    close_note: str | None
    reminders: int
    office_told_at: datetime | None
    #: the unit's own page of these events (n6-like), and the same as JSON
    page: str
    events: str


class GenerateOut(BaseModel):
    """What one run of the notice job did."""

    batches: int = 0
    immediate: list[str] = []  # notices sent at once
    digests_collecting: list[str] = []  # digests that took events in this run
    digests_sent: list[str] = []
    reminded: list[str] = []
    offices_told: list[str] = []
