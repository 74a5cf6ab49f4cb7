"""Machine monitoring over HTTP (issue 15): the constituency register, feeds and their rejected
lines, the ingest endpoint for sensors and feeds, and the search of events.

``POST /api/v1/monitoring/events`` takes NDJSON (or any line format a feed declares), optionally
gzip-compressed, authenticated by the feed's machine token; one request is one batch, counted
once under its ``Idempotency-Key`` (else under the SHA-256 of its body).
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep, idempotency_header
from fenghuo.common.errors import PayloadTooLarge, Unauthorized, UnsupportedMediaType
from fenghuo.common.pagination import Page
from fenghuo.monitoring import ingest, register
from fenghuo.monitoring.constituency import EntryKind
from fenghuo.monitoring.schemas import (
    BatchOut,
    EntryIn,
    EntryOut,
    EventOut,
    FeedIn,
    FeedOut,
    FeedToken,
    ImportResult,
    LookupOut,
    RejectOut,
    RejectSummary,
)

router = APIRouter(tags=["monitoring (machine)"])

MAX_BATCH_BYTES = 64 << 20  # decompressed
MAX_BATCH_LINES = 500_000
_TYPES = ("application/x-ndjson", "application/json", "text/plain", "text/csv",
          "application/octet-stream")


class EntriesIn(BaseModel):
    entries: list[EntryIn] = Field(max_length=100_000)


@router.get("/monitoring/register", response_model=Page[EntryOut])
def list_entries(*, rt: RuntimeDep, me: CurrentUser, page: Paging, body: str | None = None,
                 kind: EntryKind | None = None):
    """Register entries in your scope: your own, or your jurisdiction's (Law art. 30)."""
    return register.list_entries(rt.uow, principal=me, page=page, body=body, kind=kind)


@router.post("/monitoring/register", response_model=EntryOut, status_code=201)
def put_entry(*, rt: RuntimeDep, me: CurrentUser, data: EntryIn) -> EntryOut:
    """Register a prefix, AS number or domain a body holds (or update its verification)."""
    return register.put_entry(rt.uow, rt.clock, principal=me, data=data)


@router.post("/monitoring/register/import", response_model=ImportResult)
def import_entries(*, rt: RuntimeDep, me: CurrentUser, data: EntriesIn) -> ImportResult:
    """Import entries: all or none; an error names the row and field."""
    return register.import_entries(rt.uow, rt.clock, principal=me, rows=data.entries)


@router.get("/monitoring/register/lookup", response_model=LookupOut)
def lookup(*, rt: RuntimeDep, me: CurrentUser,
           q: Annotated[str, Query(min_length=1, max_length=253)]) -> LookupOut:
    """Where an event naming this address, domain or AS<number> would be attributed."""
    return register.lookup(rt.uow, principal=me, query=q)


@router.delete("/monitoring/register/entries/{entry_id}", status_code=204)
def delete_entry(*, rt: RuntimeDep, me: CurrentUser, entry_id: ObjectId) -> Response:
    register.delete_entry(rt.uow, rt.clock, principal=me, entry_id=entry_id)
    return Response(status_code=204)


@router.get("/monitoring/feeds", response_model=list[FeedOut])
def list_feeds(*, rt: RuntimeDep, me: CurrentUser) -> list[FeedOut]:
    """Feeds run by bodies in your scope; ``silent`` when one stopped sending."""
    return ingest.list_feeds(rt.uow, rt.clock, principal=me)


@router.post("/monitoring/feeds", response_model=FeedToken, status_code=201)
def create_feed(*, rt: RuntimeDep, me: CurrentUser, data: FeedIn) -> FeedToken:
    """Register a sensor or feed; the answer carries its machine token, shown once."""
    return ingest.create_feed(rt.uow, rt.clock, principal=me, data=data)


@router.get("/monitoring/feeds/{code}/rejects", response_model=list[RejectOut])
def feed_rejects(*, rt: RuntimeDep, me: CurrentUser, code: Annotated[str, Path(max_length=80)],
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    """The latest lines of a feed that could not be read, with their reasons (newest first;
    ``offset`` pages back)."""
    return ingest.rejects(rt.uow, principal=me, feed=code, limit=limit, offset=offset)


@router.get("/monitoring/feeds/{code}/rejects/summary", response_model=RejectSummary)
def feed_reject_summary(*, rt: RuntimeDep, me: CurrentUser,
                        code: Annotated[str, Path(max_length=80)]):
    """How many lines of the feed were kept aside, from how many batches, and the commonest
    reasons."""
    return ingest.reject_summary(rt.uow, principal=me, feed=code)


@router.get("/monitoring/events", response_model=list[EventOut])
def search_events(
    *, rt: RuntimeDep, me: CurrentUser,
    ip: Annotated[str | None, Query(max_length=45)] = None,
    domain: Annotated[str | None, Query(max_length=253)] = None,
    hash: Annotated[str | None, Query(max_length=64)] = None,
    cve: Annotated[str | None, Query(max_length=30)] = None,
    since: datetime | None = None, until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=ingest.SEARCH_LIMIT)] = 100,
) -> list[EventOut]:
    """Where and when an address, domain, hash or CVE was seen, newest first, in your scope."""
    return ingest.search_events(rt.uow, principal=me, ip=ip, domain=domain, hash=hash, cve=cve,
                                since=since, until=until, limit=limit)


async def _body(request: Request) -> bytes:
    """The request body, decompressed when gzip, refused beyond MAX_BATCH_BYTES."""
    gz = request.headers.get("content-encoding", "").lower() == "gzip"
    inflate = zlib.decompressobj(wbits=31) if gz else None
    parts, size = [], 0
    try:
        async for piece in request.stream():
            if inflate is not None:
                piece = inflate.decompress(piece, MAX_BATCH_BYTES + 1 - size)
            size += len(piece)
            if size > MAX_BATCH_BYTES:
                raise PayloadTooLarge(f"a batch holds at most {MAX_BATCH_BYTES >> 20} MB of "
                                      "data (after decompression); send smaller batches")
            parts.append(piece)
    except zlib.error as exc:
        raise UnsupportedMediaType(f"the body is not valid gzip: {exc}") from None
    return b"".join(parts)


IdempotencyKey = idempotency_header("Retries with the same key are taken in once")


@router.post("/monitoring/events", response_model=BatchOut,
             responses={200: {"description": "the batch had been taken in before"}},
             status_code=201)
async def ingest_events(
    request: Request, response: Response, rt: RuntimeDep,
    authorization: Annotated[str | None, Header(description="Bearer <the feed's token>")] = None,
    fmt: Annotated[str | None, Query(alias="format", max_length=30,
                                     description="default: the feed's format")] = None,
    idempotency_key: IdempotencyKey = None,
) -> BatchOut:
    """Take a batch of sensor or feed data in: one record per line (NDJSON for Suricata EVE),
    optionally gzip-compressed; malformed lines are counted and kept aside with their reasons
    (``GET /monitoring/feeds/{code}/rejects``)."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token.startswith(ingest.FEED_TOKEN_PREFIX):
        raise Unauthorized("send the feed's machine token: 'Authorization: Bearer fhf_…'")
    ctype = request.headers.get("content-type", "application/x-ndjson").split(";")[0].strip()
    if ctype not in _TYPES:
        raise UnsupportedMediaType(f"content type {ctype!r}; send {', '.join(_TYPES)}")
    feed = await run_in_threadpool(ingest.feed_for_token, rt.uow, token=token)
    data = await _body(request)
    lines = data.splitlines()
    if len(lines) > MAX_BATCH_LINES:
        raise PayloadTooLarge(f"a batch holds at most {MAX_BATCH_LINES} lines")
    key = idempotency_key or "sha256:" + hashlib.sha256(data).hexdigest()
    [out] = await run_in_threadpool(lambda: ingest.take_in(
        rt.uow, rt.clock, feed=feed, fmt=fmt, chunks=[ingest.Chunk(key, lines)],
        received_by=f"feed:{feed}"))
    if out.duplicate:
        response.status_code = 200
    return out
