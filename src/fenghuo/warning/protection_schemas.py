"""API shapes of important-event protection periods (Plan §6.5)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fenghuo.common.schemas import Label
from fenghuo.common.types import Timestamp
from fenghuo.warning.protection_rules import Phase
from fenghuo.warning.schemas import PlaceOut, TaskOut


class ProtectionIn(BaseModel):
    """A protection period for an important national event or meeting (Plan §6.5)."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str = Field(min_length=1, max_length=300, description="The event's name in Chinese")
    name_en: str = Field(min_length=1, max_length=300, description="The event's name in English")
    jurisdictions: list[str] = Field(default_factory=list, max_length=100, description=(
        "Codes of the jurisdictions covered; none with sectors named: the whole country"))
    sectors: list[str] = Field(default_factory=list, max_length=50,
                               description="Sector codes covered; none: every sector")
    starts_at: Timestamp
    ends_at: Timestamp
    reason: str = Field(min_length=3, max_length=4000, description="Why the period is declared")


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=4000, description="Why it ends early")


class ProtectionSummary(BaseModel):
    ref: str
    name_zh: str
    name_en: str
    phase: Phase
    phase_label: Label
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    red_required_at: datetime | None
    jurisdictions: list[PlaceOut]
    sectors: list[PlaceOut]


class ProtectionOut(ProtectionSummary):
    reason: str
    declared_by: str
    declared_at: datetime
    declarer: str
    declarer_name_zh: str
    declarer_name_en: str
    red_required_by: str | None
    ended_by: str | None
    end_reason: str | None
    start_notified_at: datetime | None
    end_notified_at: datetime | None
    #: the provinces and departments in scope (Plan §6.5 有关省（区、市）、部门), by key
    bodies_in_scope: list[str]
    #: the red checklist's tasks of the bodies the caller may see (Law art. 30)
    tasks: list[TaskOut]
