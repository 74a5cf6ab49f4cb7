"""Pydantic shapes of incident sharing and TLP labelling (Plan §3.2; TLP 2.0). Bulletins, STIX,
TAXII and MISP keep their shapes in their own modules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fenghuo.sharing.tlp import Tlp

BodyKey = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class IncidentShareIn(BaseModel):
    """The Emergency Office shares an incident with chosen provinces (their provincial office)
    and departments (Plan §3.2 组织跨省（区、市）、跨部门通报)."""

    model_config = ConfigDict(extra="forbid")
    bodies: list[BodyKey] = Field(min_length=1, max_length=100,
                                  description="Keys of the provincial offices and departments, "
                                  "e.g. 310000.office, cn.pbc")
    note: str = Field(default="", max_length=4000, description="What the recipients should do "
                      "with it")


class TlpIn(BaseModel):
    """An office handling the incident relabels it; the reason is kept on the timeline and in
    the audit trail."""

    model_config = ConfigDict(extra="forbid")
    tlp: Tlp
    reason: str = Field(min_length=3, max_length=4000)


class IncidentShareOut(BaseModel):
    id: int
    incident: str
    incident_title: str
    grade: str
    tlp: Tlp
    body: str
    body_name_zh: str
    body_name_en: str
    shared_by_body: str
    shared_by: str
    shared_at: datetime
    note: str
    state: Literal["acknowledged", "unacknowledged"]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
