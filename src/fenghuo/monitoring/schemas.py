"""Pydantic schemas of machine monitoring: register entries, feeds, batch results, rejects."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fenghuo.monitoring.constituency import EntryKind, Role


class EntryIn(BaseModel):
    """A network a body holds (item 1). ``value``: a prefix (``10.1.0.0/16``), an AS number
    (``AS64500`` or ``64500``) or a domain (``example.com.cn``)."""

    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=80, description="key of the holding body")
    kind: EntryKind
    value: str = Field(min_length=1, max_length=253)
    role: Role = Role.OWNER
    verified_by: str | None = Field(default=None, max_length=200)
    verified_at: datetime | None = None
    note: str | None = Field(default=None, max_length=500)


class EntryOut(BaseModel):
    id: int
    body: str
    body_name_zh: str
    body_name_en: str
    kind: EntryKind
    value: str
    role: Role
    verified_by: str | None
    verified_at: datetime | None
    note: str | None
    created_by: str
    updated_at: datetime


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int


class LookupOut(BaseModel):
    """Where an address, domain or AS number would be attributed."""

    query: str
    level: str  # owner, jurisdiction, national
    matched: str | None
    body: str | None
    body_name_zh: str | None
    body_name_en: str | None


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=80, description="key of the body running it")
    format: str = Field(min_length=1, max_length=30)
    expected_interval_minutes: int | None = Field(default=None, ge=1, le=100_000)


class FeedOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    body: str
    format: str
    expected_interval_minutes: int | None
    token_prefix: str | None
    last_received_at: datetime | None
    silent: bool
    active: bool


class FeedToken(BaseModel):
    """A feed's machine token, shown once."""

    feed: str
    token: str


class RejectOut(BaseModel):
    batch: str
    line_no: int
    reason: str
    raw: str


class BatchOut(BaseModel):
    """What one batch brought in: lines read, events kept, rejects, skipped lines, and where
    the events were attributed. ``duplicate`` is true when the batch had been taken in
    before (its first result is returned, nothing is counted twice)."""

    feed: str
    key: str
    format: str
    lines: int
    events: int
    rejected: int
    skipped: int
    owner: int
    jurisdiction: int
    national: int
    duplicate: bool = False
