"""Use cases of machine ingest (items 2–4): feeds and their machine tokens, taking a batch in
(parse → normalize → attribute → aggregate → store, in one transaction with its ledger row),
the rejected lines of a feed, and the search of events ("where and when was this C2 seen").

A batch is taken in once: its key is recorded in ``ingest_batches`` in the same transaction as
its events and aggregates, so a batch delivered again (an HTTP retry, a redelivered message, a
restarted file ingest) returns the first result and counts nothing twice.
"""

from __future__ import annotations

import io
import ipaddress
import itertools
import secrets
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from fenghuo.common.periods import day_of
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import (
    collector_rules,
    columns,
    fast,
    parsers,
    pipeline,
    register,
    store,
)
from fenghuo.monitoring.columns import Columns, Shape
from fenghuo.monitoring.constituency import LEVELS, AttributionIndex
from fenghuo.monitoring.events import Event, Rejected, indicator_of
from fenghuo.monitoring.models import Feed, IngestBatch, IngestReject, events
from fenghuo.monitoring.parsers import suricata
from fenghuo.monitoring.parsers.common import find_cve
from fenghuo.monitoring.schemas import (
    BatchOut,
    EventOut,
    FeedIn,
    FeedOut,
    FeedToken,
    RejectOut,
    RejectSummary,
)
from fenghuo.org import accounts, scoping
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import Permission
from fenghuo.org.service import require, visible_body

FEED_TOKEN_PREFIX = "fhf_"
RETENTION_DAYS = 183  # Law art. 21: logs kept at least six months
FUTURE_SLACK = timedelta(days=1)
MAX_REJECT_RAW = 8_000


# --- feeds -------------------------------------------------------------------------------------


def feed_out(f: Feed, body: Body, now: datetime | None = None) -> FeedOut:
    return FeedOut(code=f.code, name_zh=f.name_zh, name_en=f.name_en, body=body.key,
                   format=f.format, expected_interval_minutes=f.expected_interval_minutes,
                   token_prefix=f.token_prefix, last_received_at=f.last_received_at,
                   silent=is_silent(f, now) if now else False, active=f.active,
                   collector=collector_rules.status(f.collector_url, f.collector_interval_minutes,
                                                    f.collector_state, f.next_run_at))


def is_silent(f: Feed, now: datetime) -> bool:
    """A feed that stopped sending: nothing for longer than its expected interval."""
    if not f.expected_interval_minutes or not f.active:
        return False
    since = f.last_received_at or f.created_at
    return now - since > timedelta(minutes=f.expected_interval_minutes)


def create_feed(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                data: FeedIn) -> FeedToken:
    """Register a sensor or feed and issue its machine token (shown once)."""
    require(principal, Permission.MONITORING_SUBMIT)
    try:
        parsers.get_format(data.format)
    except ValueError as exc:
        raise ValidationFailed([FieldError("format", str(exc))]) from None
    now = clock.now()
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow() as s:
        body = visible_body(s, principal.scope, data.body)
        if s.scalar(select(Feed.id).where(Feed.code == data.code)) is not None:
            raise Conflict(f"a feed with code {data.code!r} exists")
        s.add(Feed(code=data.code, name_zh=data.name_zh, name_en=data.name_en, body_id=body.id,
                   format=data.format, expected_interval_minutes=data.expected_interval_minutes,
                   token_hash=accounts.hash_token(token), token_prefix=token[:10], active=True,
                   created_at=now, updated_at=now))
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="feed.create",
                     entity_type="feed", entity_key=data.code,
                     scope_path=body.jurisdiction.path,
                     detail={"format": data.format, "body": body.key})
    return FeedToken(feed=data.code, token=token)


def list_feeds(uow: UnitOfWork, clock: Clock, *, principal: Principal) -> list[FeedOut]:
    require(principal, Permission.MONITORING_READ)
    with uow() as s:
        rows = s.execute(select(Feed, Body).join(Body, Body.id == Feed.body_id)
                         .where(scoping.visible_bodies(principal.scope))
                         .order_by(Feed.code)).all()
        return [feed_out(f, b, clock.now()) for f, b in rows]


def get_feed(uow: UnitOfWork, clock: Clock, *, principal: Principal, code: str) -> FeedOut:
    """One feed run by a body in the caller's scope (Law art. 30); NotFound otherwise."""
    require(principal, Permission.MONITORING_READ)
    with uow() as s:
        row = s.execute(select(Feed, Body).join(Body, Body.id == Feed.body_id)
                        .where(Feed.code == code, scoping.visible_bodies(principal.scope))
                        ).first()
        if row is None:
            raise NotFound(f"no feed {code!r}")
        return feed_out(row.Feed, row.Body, clock.now())


def feed_for_token(uow: UnitOfWork, *, token: str) -> str:
    """The code of the active feed whose machine token this is; Unauthorized otherwise."""
    with uow() as s:
        code = s.scalar(select(Feed.code).where(Feed.token_hash == accounts.hash_token(token),
                                                Feed.active.is_(True)))
    if code is None:
        raise Unauthorized("unknown or revoked feed token")
    return code


def visible_feed(uow: UnitOfWork, *, principal: Principal, code: str) -> str:
    """``code`` when the feed is run by a body in the caller's scope (to ingest in its name)."""
    require(principal, Permission.MONITORING_SUBMIT)
    with uow() as s:
        found = s.scalar(select(Feed.code).join(Body, Body.id == Feed.body_id).where(
            Feed.code == code, scoping.visible_bodies(principal.scope)))
    if found is None:
        raise NotFound(f"no feed {code!r}")
    return found


# --- taking a batch in -------------------------------------------------------------------------


@dataclass
class Chunk:
    """Lines of one batch: its idempotency key and the number of its first line."""

    key: str
    lines: Sequence[bytes]
    first_line: int = 1
    #: the lines joined by newlines, when the reader has them already (spares a second join)
    data: bytes | None = None

    def joined(self) -> bytes:
        return self.data if self.data is not None else b"\n".join(self.lines)


def _without_nul(chunk: Chunk) -> Chunk:
    """Sensor data may hold NUL characters (an attacker's payload), which PostgreSQL cannot
    store as text: they are kept as U+FFFD, raw or JSON-escaped (issue 18 item 2)."""
    data = chunk.joined()
    # a backslash is looked for first: memchr is ten times faster than a substring search
    if b"\x00" not in data and (b"\\" not in data or b"\\u0000" not in data):
        return chunk

    def clean(b: bytes) -> bytes:
        return b.replace(b"\x00", "\ufffd".encode()).replace(b"\\u0000", b"\\ufffd")

    return Chunk(chunk.key, [clean(line) for line in chunk.lines], chunk.first_line,
                 clean(data))


def classify_alert(sid: int, signature: str, category: str) -> Shape:
    """The shape of a Suricata signature's alerts: the same rules as ``parsers.suricata``."""
    kind = suricata.alert_kind(signature, category)
    family = suricata.malware_family(signature) if kind == "infected-system" else None
    probe = Event(time=datetime.min, kind=kind, feed="", malware=family,
                  signature_id=f"suricata:{sid}" if sid else None, cve=find_cve(signature))
    return Shape(kind, indicator_of(probe), cve=probe.cve, malware=family)


def _parse(fmt: str, feed: str, chunk: Chunk, now: datetime
           ) -> tuple[Columns, list[Rejected], int]:
    """(columns, rejects, skipped lines) of a chunk in format ``fmt``."""
    if fmt == "suricata":
        decoded = fast.decode_alerts(chunk.lines, chunk.first_line, classify_alert, feed)
        return decoded.columns, decoded.rejected, decoded.skipped
    events: list[Event] = []
    rejected: list[Rejected] = []
    stream = io.BytesIO(chunk.joined())
    for item in parsers.get_format(fmt).parse(stream, feed=feed, now=now):
        (events if isinstance(item, Event) else rejected).append(item)
    for r in rejected:
        r.line_no += chunk.first_line - 1
    return columns.from_events(events, _line_numbers(chunk, events)), rejected, 0


def _line_numbers(chunk: Chunk, events: list[Event]) -> list[int]:
    """The input line of each event (0 for records of a document format, such as a STIX
    bundle, that are not one line)."""
    where = {line.decode("utf-8", "replace").rstrip("\r"): no
             for no, line in enumerate(chunk.lines, chunk.first_line)}
    return [where.get(e.raw, 0) for e in events]


def _in_window(cols: Columns, now: datetime) -> np.ndarray:
    """Events inside the retention window and not in the future (beyond a day's slack)."""
    lo = columns.micros(now - timedelta(days=RETENTION_DAYS))
    hi = columns.micros(now + FUTURE_SLACK)
    return (cols.time_us >= lo) & (cols.time_us <= hi)


def _existing(s: Session, feed: Feed, key: str) -> IngestBatch | None:
    return s.scalar(select(IngestBatch).where(IngestBatch.feed_id == feed.id,
                                              IngestBatch.key == key))


def batch_out(feed: Feed, b: IngestBatch, duplicate: bool = False) -> BatchOut:
    return BatchOut(feed=feed.code, key=b.key, format=b.format, lines=b.lines, events=b.events,
                    rejected=b.rejected, skipped=b.skipped, owner=b.owner,
                    jurisdiction=b.jurisdiction, national=b.national, duplicate=duplicate)


@dataclass
class _Prepared:
    """A chunk parsed, windowed and attributed: what is left is to write it."""

    cols: Columns
    att: pipeline.Attributed
    rejected: list[Rejected]
    skipped: int


def _prepare(fmt: str, feed: str, chunk: Chunk, now: datetime,
             index: AttributionIndex) -> _Prepared:
    """The CPU part of a chunk, with no database: it runs in a thread beside the writes."""
    cols, rejected, skipped = _parse(fmt, feed, chunk, now)
    window = _in_window(cols, now)
    if not window.all():
        for i in np.flatnonzero(~window):
            no = int(cols.line_no[i])
            rejected.append(Rejected(line_no=no, reason="time outside the retention window "
                                     "or in the future", raw=_line(chunk, no)))
        cols = columns.select(cols, window)
    return _Prepared(cols, pipeline.attribute(cols, index), rejected, skipped)


def _write(s: Session, feed: Feed, fmt: str, chunk: Chunk, p: _Prepared, now: datetime,
           by: str, agg: pipeline.Aggregator) -> IngestBatch:
    """One prepared chunk into the open transaction ``s``; its keys go to ``agg``."""
    levels = np.bincount(p.att.level, minlength=3).tolist()
    batch = IngestBatch(feed_id=feed.id, key=chunk.key, format=fmt, received_at=now,
                        received_by=by, lines=len(chunk.lines), events=p.cols.n,
                        rejected=len(p.rejected), skipped=p.skipped, owner=levels[0],
                        jurisdiction=levels[1], national=levels[2])
    s.add(batch)
    s.flush()
    store.write_raw(s, batch.id, chunk.lines, chunk.first_line, chunk.joined())
    store.write_events(s, feed.id, batch.id, p.cols, p.att, day_of(now))
    s.add_all(IngestReject(feed_id=feed.id, batch_id=batch.id, line_no=r.line_no,
                           reason=r.reason[:500], raw=r.raw[:MAX_REJECT_RAW])
              for r in p.rejected)
    agg.add(p.cols, p.att)
    return batch


def _line(chunk: Chunk, no: int) -> str:
    idx = no - chunk.first_line
    if 0 <= idx < len(chunk.lines):
        return chunk.lines[idx].decode("utf-8", "replace")
    return ""


def take_in(uow: UnitOfWork, clock: Clock, *, feed: str, fmt: str | None,
            chunks: Iterable[Chunk], received_by: str) -> list[BatchOut]:
    """Take ``chunks`` in, in one transaction (a group commit): events, raw lines, rejects,
    ledger rows and the aggregates of them all. A chunk already taken in is returned as a
    duplicate and counted once. The next chunk is parsed in a thread while this one is
    written, so the parsing and the database work overlap."""
    now = clock.now()
    out: list[BatchOut] = []
    with uow() as s, ThreadPoolExecutor(max_workers=1) as pool:
        f = s.scalar(select(Feed).where(Feed.code == feed))
        if f is None:
            raise NotFound(f"no feed {feed!r}")
        fmt = fmt or f.format
        try:
            parsers.get_format(fmt)
        except ValueError as exc:
            raise ValidationFailed([FieldError("format", str(exc))]) from None
        index, agg, first = register.index(s), pipeline.Aggregator(), None
        pending: tuple[Chunk, Future[_Prepared]] | None = None
        for chunk in itertools.chain(map(_without_nul, chunks), [None]):
            if chunk is not None and (done := _existing(s, f, chunk.key)) is not None:
                out.append(batch_out(f, done, duplicate=True))
                continue
            ahead = None if chunk is None else (chunk, pool.submit(
                _prepare, fmt, f.code, chunk, now, index))
            if pending is not None:
                batch = _write(s, f, fmt, pending[0], pending[1].result(), now, received_by,
                               agg)
                first = first or batch.id
                out.append(batch_out(f, batch))
            pending = ahead
        if first is not None:
            rows = agg.rows()
            store.write_aggregates(s, first, rows, _paths(s, rows.body_id))
            f.last_received_at, f.silent_since = now, None  # a silent feed sends again
    return out


def _paths(s: Session, body_ids: Iterable[int | None]) -> dict[int, str]:
    """Jurisdiction path of each attributed body (for scoped reads of aggregates)."""
    ids = sorted({b for b in body_ids if b is not None})
    return dict(s.execute(select(Body.id, Jurisdiction.path)
                          .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                          .where(Body.id.in_(ids))).all()) if ids else {}


def rejects(uow: UnitOfWork, *, principal: Principal, feed: str, limit: int = 100,
            offset: int = 0) -> list[RejectOut]:
    """The latest lines of a feed that could not be read, with their reasons (newest first,
    ``offset`` lines skipped)."""
    visible_feed(uow, principal=principal, code=feed)
    with uow() as s:
        rows = s.execute(select(IngestReject, IngestBatch.key)
                         .join(IngestBatch, IngestBatch.id == IngestReject.batch_id)
                         .where(IngestReject.feed_id == _feed_id(s, feed))
                         .order_by(IngestReject.id.desc()).offset(offset).limit(limit)).all()
        return [RejectOut(batch=k, line_no=r.line_no, reason=r.reason, raw=r.raw)
                for r, k in rows]


def reject_summary(uow: UnitOfWork, *, principal: Principal, feed: str,
                   top: int = 5) -> RejectSummary:
    """How many lines of a feed were kept aside, from how many batches, and why (commonest
    reasons first)."""
    visible_feed(uow, principal=principal, code=feed)
    with uow() as s:
        fid = _feed_id(s, feed)
        total, batches = s.execute(select(func.count(), func.count(
            IngestReject.batch_id.distinct())).where(IngestReject.feed_id == fid)).one()
        reasons = s.execute(select(IngestReject.reason, func.count().label("n"))
                            .where(IngestReject.feed_id == fid).group_by(IngestReject.reason)
                            .order_by(func.count().desc(), IngestReject.reason)
                            .limit(top)).all()
    return RejectSummary(total=total, batches=batches, reasons=[(r, n) for r, n in reasons])


def _feed_id(s: Session, code: str) -> int:
    return s.scalar(select(Feed.id).where(Feed.code == code))


def feed_format(uow: UnitOfWork, *, code: str) -> str:
    with uow() as s:
        fmt = s.scalar(select(Feed.format).where(Feed.code == code))
    if fmt is None:
        raise NotFound(f"no feed {code!r}")
    return fmt


# --- search (item 4: "where and when was this C2 seen") -----------------------------------------

SEARCH_LIMIT = 500


def search_events(uow: UnitOfWork, *, principal: Principal, ip: str | None = None,
                  domain: str | None = None, hash: str | None = None, cve: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  limit: int = 100) -> list[EventOut]:
    """Events naming an address (source or destination), a domain, a hash or a CVE, newest
    first, in the caller's scope (Law art. 30: the national queue only for a national scope)."""
    require(principal, Permission.MONITORING_READ)
    query = _search_query(principal, ip, domain, hash, cve, since, until)
    with uow() as s:
        rows = s.execute(query.order_by(events.c.observed_at.desc())
                         .limit(min(limit, SEARCH_LIMIT))).all()
        raw = store.raw_lines(s, {(r.batch_id, r.line_no) for r in rows})
        return [_event_out(r, raw.get((r.batch_id, r.line_no))) for r in rows]


def _search_query(principal: Principal, ip: str | None, domain: str | None, hash: str | None,
                  cve: str | None, since: datetime | None, until: datetime | None):  # noqa: ANN202
    problems = []
    conds = []
    if ip:
        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            problems.append(FieldError("ip", "not an IP address"))
        else:
            conds.append(or_(events.c.source_ip == ip, events.c.destination_ip == ip))
    if domain:
        conds.append(events.c.domain == domain.strip().lower().rstrip("."))
    if hash:
        conds.append(events.c.hash == hash.strip().lower())
    if cve:
        conds.append(events.c.cve == cve.strip().upper())
    if problems:
        raise ValidationFailed(problems)
    if not conds:
        raise ValidationFailed([FieldError("ip", "give an ip, domain, hash or cve to search")])
    query = (select(events, Feed.code.label("feed"), Body.key.label("body"),
                    IngestBatch.key.label("batch"))
             .join(Feed, Feed.id == events.c.feed_id)
             .join(IngestBatch, IngestBatch.id == events.c.batch_id)
             .outerjoin(Body, Body.id == events.c.body_id).where(*conds))
    visible = events.c.body_id.in_(select(Body.id).where(scoping.visible_bodies(principal.scope)))
    query = query.where(or_(visible, events.c.body_id.is_(None)) if principal.scope.is_national
                        else visible)
    if since:
        query = query.where(events.c.observed_at >= since)
    if until:
        query = query.where(events.c.observed_at < until)
    return query


def _event_out(r, raw: str | None) -> EventOut:  # noqa: ANN001
    return EventOut(observed_at=r.observed_at, kind=r.kind, feed=r.feed, body=r.body,
                    level=LEVELS[r.level].value, source_ip=_text(r.source_ip),
                    source_port=r.source_port, destination_ip=_text(r.destination_ip),
                    destination_port=r.destination_port, domain=r.domain, url=r.url,
                    hash=r.hash, cve=r.cve, malware=r.malware, batch=r.batch,
                    line_no=r.line_no, raw=raw)


def _text(address: object) -> str | None:
    return None if address is None else str(address)
