"""Pydantic schemas of machine monitoring: register entries, feeds, batch results, rejects."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool

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


class CollectorKind(StrEnum):
    """How a scheduled collector pulls (``monitoring.collectors``)."""

    URL = "url"  # HTTP GET of a URL (conditional: ETag, Last-Modified)
    TAXII = "taxii"  # a TAXII 2.1 collection: its objects after added_after, every page


class CollectorOut(BaseModel):
    """A feed's scheduled collector: where it pulls from (the URL without credentials or
    query), how often, when next, and how the last pulls went. Credentials are never shown:
    ``auth`` only says which kind is set."""

    url: str
    kind: CollectorKind
    interval_minutes: int
    auth: str | None = Field(description="basic, bearer or none (null); never the secret")
    next_run_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int = Field(description="failed pulls in a row")
    added_after: str | None = Field(description="TAXII: where the next pull starts "
                                    "(the X-TAXII-Date-Added-Last of the last page taken in)")


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
    collector: CollectorOut | None = None


class CollectorIn(BaseModel):
    """A feed's scheduled collector. ``kind`` defaults to taxii for a feed of format ``stix``
    whose URL is a TAXII 2.1 collection (``…/collections/{id}/``), else url. Credentials:
    ``username`` + ``password`` (HTTP Basic) or ``token`` (Bearer); a password or token of the
    form ``env:NAME`` is read from the collecting process's environment variable NAME at each
    pull, so the secret need not be stored. Without credentials, those already set are kept
    while the URL's scheme, host and port stay the same (``keep_credentials`` false drops
    them)."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=1000, description="http(s) URL to pull, or the "
                     "TAXII 2.1 collection URL")
    interval_minutes: int = Field(ge=1, le=100_000, description="minutes between pulls")
    kind: CollectorKind | None = None
    username: str | None = Field(default=None, min_length=1, max_length=200)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    token: SecretStr | None = Field(default=None, min_length=1, max_length=4000)
    keep_credentials: StrictBool = True


class CollectRun(BaseModel):
    """What one run of a collector did: ``outcome`` taken (new batches), unchanged (nothing
    new: 304, the same content, no objects after added_after), failed (``error``, retried at
    the next run) or not-due (another run had it, or it is not due yet)."""

    feed: str
    kind: CollectorKind | None
    outcome: str
    batches: int = 0
    duplicates: int = 0
    lines: int = 0
    events: int = 0
    rejected: int = 0
    error: str | None = None
    next_run_at: datetime | None = None


class FeedToken(BaseModel):
    """A feed's machine token, shown once."""

    feed: str
    token: str


class RejectOut(BaseModel):
    batch: str
    line_no: int
    reason: str
    raw: str


class RejectSummary(BaseModel):
    """A feed's rejected lines in all: how many, from how many batches, the commonest reasons."""

    total: int
    batches: int
    reasons: list[tuple[str, int]]


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
