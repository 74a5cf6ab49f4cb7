"""Pydantic shapes of candidate monitoring items (issue 15 item 6): what the API, the console
and the command line show, and what an analyst sends to confirm or dismiss one."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CandidateState = Literal["open", "confirmed", "dismissed"]


class CandidateOut(BaseModel):
    ref: str
    rule: str
    rule_label_zh: str
    rule_label_en: str
    kind: str
    kind_label_zh: str
    kind_label_en: str
    indicator: str
    window_start: datetime
    window_end: datetime
    #: the body the candidate is for: the Emergency Office or a province office
    target: str
    target_name_zh: str
    target_name_en: str
    #: "national", or the code of the province the finding is confined to
    scope: str
    state: CandidateState
    #: counts, distinct hosts, days, baseline, top units and provinces, sample events
    evidence: dict[str, Any]
    #: Law art. 54(2): likelihood, extent, harm, the proposed level and the reasons
    assessment: dict[str, Any]
    detected_at: datetime
    updated_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    #: ref of the monitoring item a confirmation created
    monitoring_item: str | None = None


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=300,
                              description="Title of the monitoring item; default: generated")


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=4000, description="Why it is not worth an item")


class DetectOut(BaseModel):
    """What one detection run did: candidates opened, open ones whose evidence it refreshed,
    and findings left without a target body (no such office in the tree)."""

    opened: list[str] = Field(default_factory=list)
    refreshed: list[str] = Field(default_factory=list)
    untargeted: list[str] = Field(default_factory=list)
