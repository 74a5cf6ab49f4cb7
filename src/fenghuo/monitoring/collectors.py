"""Scheduled collectors (issue 15 items 2–3): a feed with a collector is pulled every N
minutes — a URL by conditional GET, or a TAXII 2.1 collection: its objects added after the
last page taken in, every page — and what a pull brings is taken in through
``ingest.take_in`` under a key that the same pull repeats (the content's SHA-256; a TAXII
page's collection and range of dates added), so a restart neither skips nor counts twice.

A run: claim the feed (``next_run_at`` = now + interval, a conditional update, so two workers
never pull one feed at once) → fetch → take in (one transaction with its ledger rows) → save
the position and outcome in ``collector_state`` (rules in ``collector_rules``), audited when
something was taken in or a new error appeared. A crash between the take-in and the save
leaves the old position: the next run fetches the same again, finds its key in the ledger and
counts nothing twice; a TAXII run also resumes after the last page the ledger holds. A failed
pull (an HTTP error, a timeout, content that cannot be read) moves no position: it is recorded
as ``last_error`` and the next run tries the same again. Credentials are kept in the state,
never returned, logged or audited (see ``schemas.CollectorIn`` for ``env:NAME`` references).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from fenghuo import __version__
from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, DomainError, NotFound, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import chunking, ingest
from fenghuo.monitoring import collector_rules as rules
from fenghuo.monitoring.models import Feed, IngestBatch
from fenghuo.monitoring.schemas import (
    BatchOut,
    CollectorIn,
    CollectorKind,
    CollectRun,
    FeedOut,
)
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require

log = structlog.get_logger()
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
MAX_BODY = 64 << 20  # as a batch posted to the API
MAX_PAGES = 500  # TAXII pages a run reads; the next run goes on from there


class PullError(Exception):
    """A pull that failed, with the reason recorded as the collector's last error."""


# --- configuration -----------------------------------------------------------------------------


def set_collector(uow: UnitOfWork, clock: Clock, *, principal: Principal, code: str,
                  data: CollectorIn) -> FeedOut:
    """Set (or change) a feed's collector; it runs at the next check. A new URL or kind starts
    from the beginning (the ledger still counts nothing twice)."""
    code = ingest.visible_feed(uow, principal=principal, code=code)
    now = clock.now()
    with uow() as s:
        f, body = _feed(s, code)
        kind = data.kind or rules.infer_kind(data.url.strip(), f.format)
        url = rules.normalize_url(data.url, kind)
        state = rules.load_state(f.collector_state)
        auth, problems = rules.auth_of(data.username, _secret(data.password),
                                       _secret(data.token))
        problems = rules.check_url(url, kind, f.format) + problems
        if problems:
            raise ValidationFailed(problems)
        if auth is None and data.keep_credentials and f.collector_url and (
                rules.origin(f.collector_url) == rules.origin(url)):
            auth = state.get("auth")  # kept only for the same scheme, host and port
        if f.collector_url != url or state.get("kind") != kind.value:
            state = {}
        state.update(kind=kind.value, auth=auth)
        f.collector_url, f.collector_interval_minutes = url, data.interval_minutes
        f.collector_state, f.next_run_at, f.updated_at = rules.dump_state(state), now, now
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="feed.collector.set",
                     entity_type="feed", entity_key=code, scope_path=body.jurisdiction.path,
                     detail={"url": rules.redact(url), "kind": kind.value,
                             "interval_minutes": data.interval_minutes,
                             "auth": auth["type"] if auth else None})
        return ingest.feed_out(f, body, now)


def clear_collector(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                    code: str) -> FeedOut:
    """Remove a feed's collector (its batches stay in the ledger)."""
    code = ingest.visible_feed(uow, principal=principal, code=code)
    now = clock.now()
    with uow() as s:
        f, body = _feed(s, code)
        had = f.collector_url
        f.collector_url = f.collector_interval_minutes = None
        f.collector_state = f.next_run_at = None
        f.updated_at = now
        if had:
            audit.record(s, at=now, actor=audit.Actor.of(principal),
                         action="feed.collector.clear", entity_type="feed", entity_key=code,
                         scope_path=body.jurisdiction.path, detail={"url": rules.redact(had)})
        return ingest.feed_out(f, body, now)


def _secret(value: Any) -> str | None:
    return None if value is None else value.get_secret_value()


def _feed(s: Session, code: str) -> tuple[Feed, Body]:
    row = s.execute(select(Feed, Body).join(Body, Body.id == Feed.body_id)
                    .where(Feed.code == code)).first()
    if row is None:
        raise NotFound(f"no feed {code!r}")
    return row[0], row[1]


# --- running -----------------------------------------------------------------------------------


@dataclass
class _Job:
    """What a run needs, read when it claimed the feed."""

    feed_id: int
    code: str
    fmt: str
    url: str
    kind: CollectorKind
    auth: dict | None
    state: dict[str, Any]
    scope_path: str


@dataclass
class _Tally:
    batches: int = 0
    duplicates: int = 0
    lines: int = 0
    events: int = 0
    rejected: int = 0
    #: the position to save when the run ends
    cursor: dict[str, Any] = field(default_factory=dict)

    def add(self, outs: list[BatchOut]) -> None:
        for b in outs:
            if b.duplicate:
                self.duplicates += 1
                continue
            self.batches += 1
            self.lines, self.events = self.lines + b.lines, self.events + b.events
            self.rejected += b.rejected


def due(uow: UnitOfWork, clock: Clock, *, principal: Principal | None = None) -> list[str]:
    """Codes of the active feeds whose collector is due (in the caller's scope, if given)."""
    query = (select(Feed.code).join(Body, Body.id == Feed.body_id)
             .where(Feed.collector_url.is_not(None), Feed.active.is_(True),
                    or_(Feed.next_run_at.is_(None), Feed.next_run_at <= clock.now()))
             .order_by(Feed.next_run_at, Feed.code))
    if principal is not None:
        require(principal, Permission.MONITORING_SUBMIT)
        query = query.where(scoping.visible_bodies(principal.scope))
    with uow() as s:
        return list(s.scalars(query))


def collect_due(uow: UnitOfWork, clock: Clock, *, client: httpx.Client | None = None,
                env: Mapping[str, str] | None = None) -> list[CollectRun]:
    """Run every due collector once (the worker's job, about every minute). A collector that
    fails is recorded and the others run; nothing here raises for one feed."""
    runs = []
    with _client(client) as http:
        for code in due(uow, clock):
            try:
                runs.append(run(uow, clock, code=code, client=http, env=env))
            except Exception:  # noqa: BLE001 - e.g. the database gone mid-run: the next goes on
                log.exception("collector run failed", feed=code)
    return runs


def run(uow: UnitOfWork, clock: Clock, *, code: str, principal: Principal | None = None,
        force: bool = False, client: httpx.Client | None = None,
        env: Mapping[str, str] | None = None) -> CollectRun:
    """Run one feed's collector: when due, or now with ``force``. With a ``principal``, only a
    feed in their scope (404 otherwise). A failed pull is recorded, not raised."""
    if principal is not None:
        code = ingest.visible_feed(uow, principal=principal, code=code)
    job = _claim(uow, clock, code, force)
    if job is None:
        return CollectRun(feed=code, kind=None, outcome="not-due")
    tally, error = _Tally(), None
    with _client(client) as http:
        try:
            pull = _pull_taxii if job.kind is CollectorKind.TAXII else _pull_url
            pull(uow, clock, job, http, os.environ if env is None else env, tally)
        except Exception as exc:  # noqa: BLE001 - recorded as the last error, retried next run
            error = _describe(exc)
    return _finish(uow, clock, job, tally, error, audit.Actor.of(principal))


@contextmanager
def _client(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                      headers={"User-Agent": f"fenghuo/{__version__} collector"}) as http:
        yield http


def _claim(uow: UnitOfWork, clock: Clock, code: str, force: bool) -> _Job | None:
    """The feed's job, with its next run moved on; None when not due (or another run has it)."""
    now = clock.now()
    with uow() as s:
        f, body = _feed(s, code)
        if not f.collector_url or not f.collector_interval_minutes:
            raise Conflict(f"feed {code!r} has no collector; set one first")
        if not f.active:
            raise Conflict(f"feed {code!r} is not active")
        claim = update(Feed).where(Feed.id == f.id).values(
            next_run_at=rules.next_run(now, f.collector_interval_minutes))
        if not force:
            claim = claim.where(or_(Feed.next_run_at.is_(None), Feed.next_run_at <= now))
        if s.execute(claim.execution_options(synchronize_session=False)).rowcount != 1:
            return None
        state = rules.load_state(f.collector_state)
        kind = state.get("kind")
        return _Job(feed_id=f.id, code=f.code, fmt=f.format, url=f.collector_url,
                    kind=CollectorKind(kind) if kind in set(CollectorKind) else
                    CollectorKind.URL, auth=state.get("auth"), state=state,
                    scope_path=body.jurisdiction.path)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PullError | rules.PagingError | LookupError | ValueError):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, DomainError):
        return exc.detail
    return f"{type(exc).__name__}: {exc}"


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def _auth(job: _Job, env: Mapping[str, str]) -> httpx.Auth | None:
    a = job.auth
    if not isinstance(a, dict):
        return None
    if a.get("type") == "bearer":
        return _Bearer(rules.resolve_secret(str(a.get("token", "")), env))
    if a.get("type") == "basic":
        return httpx.BasicAuth(str(a.get("username", "")),
                               rules.resolve_secret(str(a.get("password", "")), env))
    return None


def _get(http: httpx.Client, url: str, *, headers: dict[str, str],
         params: Mapping[str, str] | None = None,
         auth: httpx.Auth | None) -> tuple[httpx.Response, bytes]:
    """The answer and its body (at most MAX_BODY); PullError for an HTTP error status."""
    with http.stream("GET", url, params=params, headers=headers,
                     auth=auth or httpx.USE_CLIENT_DEFAULT) as r:
        if r.status_code == 304:
            return r, b""
        if not r.is_success:
            raise PullError(f"HTTP {r.status_code} {r.reason_phrase} from {rules.redact(url)}")
        parts, size = [], 0
        for piece in r.iter_bytes():
            size += len(piece)
            if size > MAX_BODY:
                raise PullError(f"the answer is larger than {MAX_BODY >> 20} MB")
            parts.append(piece)
    return r, b"".join(parts)


def _pull_url(uow: UnitOfWork, clock: Clock, job: _Job, http: httpx.Client,
              env: Mapping[str, str], tally: _Tally) -> None:
    """GET the URL (conditional on the last content's validators) and take the content in."""
    r, data = _get(http, job.url, headers=rules.conditional_headers(job.state),
                   auth=_auth(job, env))
    if r.status_code == 304:
        return
    data = rules.inflate(data, MAX_BODY)
    # keys from the content's SHA-256 (per piece of a line format): the same content pulled
    # again is the same batch
    chunks = list(chunking.chunks(io.BytesIO(data), "pull", job.fmt)) if data.strip() else []
    if chunks:
        tally.add(ingest.take_in(uow, clock, feed=job.code, fmt=job.fmt, chunks=chunks,
                                 received_by=f"collector:{job.code}"))
    tally.cursor = {"etag": r.headers.get("etag"), "last_modified":
                    r.headers.get("last-modified"), "digest": hashlib.sha256(data).hexdigest()}


def _pull_taxii(uow: UnitOfWork, clock: Clock, job: _Job, http: httpx.Client,
                env: Mapping[str, str], tally: _Tally) -> None:
    """The collection's objects added after the position, page by page; each page one STIX
    bundle batch, the position saved after its take-in."""
    prefix = rules.taxii_prefix(job.url)
    after = rules.later(job.state.get("added_after"), _ledger_last(uow, job.feed_id, prefix))
    query = {"added_after": after} if after else {}
    auth = _auth(job, env)
    for _ in range(MAX_PAGES):
        r, data = _get(http, rules.objects_url(job.url), params=query, auth=auth,
                       headers={"Accept": rules.TAXII_MEDIA})
        try:
            envelope = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise PullError(f"the TAXII answer is not JSON: {exc}") from None
        objects = rules.envelope_objects(envelope)
        first, last = (r.headers.get("X-TAXII-Date-Added-First"),
                       r.headers.get("X-TAXII-Date-Added-Last"))
        if objects:
            if not rules.instant(first) or not rules.instant(last):
                raise PullError("the TAXII server sent objects without X-TAXII-Date-Added-"
                                "First/Last (TAXII 2.1 requires them); nothing taken in")
            key = rules.taxii_key(prefix, first, last)
            tally.add(ingest.take_in(uow, clock, feed=job.code, fmt="stix", chunks=[
                ingest.Chunk(key, rules.bundle_lines(key, objects))],
                received_by=f"collector:{job.code}"))
            after = rules.later(after, last)
            tally.cursor = {"added_after": after}
            _save_cursor(uow, job, tally.cursor)
        following = rules.next_query(query, envelope, last)
        if following is None:
            return
        query = following
    log.info("collector page limit reached; the next run goes on", feed=job.code,
             pages=MAX_PAGES)


def _ledger_last(uow: UnitOfWork, feed_id: int, prefix: str) -> str | None:
    """The X-TAXII-Date-Added-Last of the collection's last page in the ledger: a page taken in
    whose position was never saved (a crash in between) is not fetched again."""
    with uow() as s:
        key = s.scalar(select(IngestBatch.key).where(
            IngestBatch.feed_id == feed_id, IngestBatch.key.startswith(prefix, autoescape=True))
            .order_by(IngestBatch.id.desc()).limit(1))
    return rules.last_of_key(key, prefix)


def _save_cursor(uow: UnitOfWork, job: _Job, cursor: Mapping[str, Any]) -> None:
    """Save a position, unless the collector was set anew meanwhile (then it starts afresh)."""
    with uow() as s:
        f = s.get(Feed, job.feed_id)
        if f is not None and f.collector_url == job.url:
            state = rules.load_state(f.collector_state)
            f.collector_state = rules.dump_state(state | dict(cursor))


def _finish(uow: UnitOfWork, clock: Clock, job: _Job, tally: _Tally, error: str | None,
            actor: audit.Actor) -> CollectRun:
    """Save the position and the outcome; audit what was taken in and a new error."""
    now = clock.now()
    outcome = "failed" if error else "taken" if tally.batches else "unchanged"
    with uow() as s:
        f = s.get(Feed, job.feed_id)
        current = f is not None and f.collector_url == job.url
        if current:
            state = rules.load_state(f.collector_state)
            before = state.get("last_error")
            state |= tally.cursor | rules.outcome(state, now, error)
            f.collector_state = rules.dump_state(state)
            if tally.batches or (error and error != before):
                audit.record(s, at=now, actor=actor, action="feed.collect.failed" if error
                             else "feed.collect", entity_type="feed", entity_key=job.code,
                             scope_path=job.scope_path, detail=_detail(job, tally, error))
        next_at = f.next_run_at if f is not None else None
    (log.warning if error else log.info)(
        "collector", feed=job.code, kind=job.kind.value, url=rules.redact(job.url),
        outcome=outcome, batches=tally.batches, events=tally.events, error=error)
    return CollectRun(feed=job.code, kind=job.kind, outcome=outcome, batches=tally.batches,
                      duplicates=tally.duplicates, lines=tally.lines, events=tally.events,
                      rejected=tally.rejected, error=error, next_run_at=next_at)


def _detail(job: _Job, tally: _Tally, error: str | None) -> dict:
    detail = {"kind": job.kind.value, "url": rules.redact(job.url), "batches": tally.batches,
              "events": tally.events, "rejected": tally.rejected}
    return detail | {"error": error} if error else detail
