"""Pydantic schemas of machine monitoring: register entries, feeds, batch results, rejects."""

from __future__ import annotations

from datetime import date, datetime

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


class EventOut(BaseModel):
    """One stored event, with the raw line it came from."""

    observed_at: datetime
    kind: str
    feed: str
    body: str | None  # None: the national queue
    level: str
    source_ip: str | None
    source_port: int | None
    destination_ip: str | None
    destination_port: int | None
    domain: str | None
    url: str | None
    hash: str | None
    cve: str | None
    malware: str | None
    batch: str
    line_no: int
    raw: str | None


# --- monitoring statistics (item 7) ------------------------------------------------------------


class StatChange(BaseModel):
    """A figure of the period against the previous one (``pct`` None when it was zero)."""

    count: int
    previous: int
    delta: int
    pct: int | None


class StatisticFigure(BaseModel):
    """One statistic: its headline (``measure``: distinct hosts or distinct indicators — pages,
    websites, CVE ids), distinct hosts, distinct indicators and events, each against the
    previous period. ``domestic``: only what is hosted in the country (境内) counts."""

    key: str
    name_zh: str
    name_en: str
    measure: str
    domestic: bool
    value: StatChange
    hosts: StatChange
    indicators: StatChange
    events: StatChange


class BreakdownRow(BaseModel):
    """Infected hosts of a province, sector, malware family or unit."""

    code: str
    name_zh: str
    name_en: str
    hosts: StatChange
    events: StatChange


class SeverityRow(BaseModel):
    """Vulnerabilities collected (distinct CVE ids) in a CVSS severity band."""

    band: str
    name_zh: str
    name_en: str
    vulnerabilities: StatChange


class TrendPoint(BaseModel):
    """One week of the eight-week trend: each statistic's headline value and events."""

    week: str
    first_day: date
    values: dict[str, int]
    events: dict[str, int]


class ScopeLabel(BaseModel):
    key: str
    name_zh: str
    name_en: str


class MonitoringStatistics(BaseModel):
    """The monitoring statistics of a period (an ISO week or a month, China Standard Time
    days) in the caller's scope (Law art. 30), compared with the previous period."""

    period: str
    previous_period: str
    first_day: date
    last_day: date
    previous_first_day: date
    previous_last_day: date
    scope: ScopeLabel
    statistics: list[StatisticFigure]
    provinces: list[BreakdownRow]
    sectors: list[BreakdownRow]
    families: list[BreakdownRow]
    units: list[BreakdownRow]
    severities: list[SeverityRow]
    trend: list[TrendPoint]
