"""Scale-out ingest through NATS JetStream (issue 15 item 5): an adapter, loaded only by the
commands that use it (``fenghuo ingest --via nats``, ``fenghuo ingest-worker``), so the embedded
default needs no NATS.

Publishing: an ``ingest.Chunk`` becomes a message on ``<nats_subject>.<feed>`` in the stream
``nats_stream`` (created if missing; work-queue retention, so a message leaves the stream once a
worker has acked it). The payload is the chunk's lines joined by newlines, zlib-compressed; feed,
format, key, first line, line count and sender travel in headers, and ``Nats-Msg-Id`` is
``feed:key``, so JetStream's duplicate window drops a chunk published twice. A Suricata chunk
larger than ``nats_message_lines`` lines (or than the server's max_payload) goes as parts keyed
``<key>/<first line>``, the same parts on every run over the same input.

Consuming: ``fenghuo ingest-worker`` processes share one durable pull consumer. A worker fetches
up to N messages, takes them in with one ``ingest.take_in`` per feed (a group commit, one
transaction), and acks them only after that commit; on an error it naks them with a delay, so they
come again. Delivery is at least once; the ``ingest_batches`` ledger makes a chunk delivered again
(a worker killed between its commit and its acks) a duplicate, counted once. While a batch is
being taken in its messages are kept alive (``in_progress``); a worker killed with SIGKILL stops
doing that, and JetStream gives its messages to another worker after ``nats_ack_wait_seconds``.
"""

from __future__ import annotations

import asyncio
import re
import signal
import threading
import zlib
from collections import deque
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, unquote

import nats
import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    ConsumerInfo,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from fenghuo.common.clock import Clock
from fenghuo.common.errors import DomainError, FieldError, ValidationFailed
from fenghuo.config import Settings
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import ingest, register

log = structlog.get_logger()

H_FEED, H_FORMAT, H_KEY = "Fenghuo-Feed", "Fenghuo-Format", "Fenghuo-Key"
H_FIRST, H_LINES, H_BY, H_ENCODING = ("Fenghuo-First-Line", "Fenghuo-Lines", "Fenghuo-By",
                                      "Fenghuo-Encoding")
MSG_ID = "Nats-Msg-Id"
DUPLICATE_WINDOW = 600.0  # seconds JetStream remembers a Nats-Msg-Id
NAK_DELAY = 5.0  # seconds before a batch that failed is delivered again
FETCH_SECONDS = 1.0  # a fetch waits this long for messages (and a stop request)
HEADER_ROOM = 4096  # bytes of max_payload left for the headers
IN_FLIGHT = 256  # published messages awaiting their PubAck at most
LINE_FORMATS = frozenset({"suricata"})  # formats whose lines stand alone (may be split)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def subject_for(settings: Settings, feed: str) -> str:
    """The subject of a feed's messages (the feed code itself travels in a header)."""
    return f"{settings.nats_subject}.{_UNSAFE.sub('_', feed)}"


class StreamUnavailable(DomainError):
    """The NATS server cannot be reached."""

    status = 503


async def _quiet(exc: Exception) -> None:
    """Connection errors of a short-lived publisher: raised as StreamUnavailable instead."""


async def _logged(exc: Exception) -> None:
    log.warning("ingest-worker.nats_error", error=repr(exc))


async def connect(settings: Settings, *, persistent: bool = False) -> nats.NATS:
    """A connection to NATS. ``persistent`` (a worker): wait for the server and reconnect for
    ever, logging each failure; otherwise fail at once with StreamUnavailable."""
    servers = settings.nats_url.split(",")
    if persistent:
        return await nats.connect(servers=servers, name="fenghuo-ingest-worker",
                                  max_reconnect_attempts=-1, error_cb=_logged)
    try:
        return await nats.connect(servers=servers, name="fenghuo", allow_reconnect=False,
                                  connect_timeout=5, max_reconnect_attempts=1,
                                  reconnect_time_wait=0.5, error_cb=_quiet)
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        raise StreamUnavailable(f"NATS is not reachable at {settings.nats_url}: {exc}; start "
                                "it (nats-server -js) or set FENGHUO_NATS_URL") from None


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """Create the stream if it is missing (an existing one is left as its operator set it)."""
    try:
        await js.stream_info(settings.nats_stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(
            name=settings.nats_stream, subjects=[f"{settings.nats_subject}.>"],
            retention=RetentionPolicy.WORK_QUEUE, storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW))


# --- messages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    payload: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Received:
    feed: str
    fmt: str
    by: str
    chunk: ingest.Chunk


def _message(settings: Settings, feed: str, fmt: str, by: str, chunk: ingest.Chunk) -> Message:
    payload = zlib.compress(chunk.joined(), 1)
    return Message(subject_for(settings, feed), payload, {
        MSG_ID: quote(f"{feed}:{chunk.key}", safe=""), H_FEED: quote(feed, safe=""),
        H_FORMAT: fmt, H_KEY: quote(chunk.key, safe=""), H_FIRST: str(chunk.first_line),
        H_LINES: str(len(chunk.lines)), H_BY: quote(by, safe=""), H_ENCODING: "zlib"})


def encode(settings: Settings, *, feed: str, fmt: str, by: str, chunk: ingest.Chunk,
           max_payload: int) -> list[Message]:
    """The messages of a chunk: one if it fits, else (line formats only) parts of at most
    ``nats_message_lines`` lines, halved again while one is over ``max_payload`` compressed."""
    limit = max_payload - HEADER_ROOM
    step = settings.nats_message_lines
    if len(chunk.lines) <= step:
        whole = _message(settings, feed, fmt, by, chunk)
        if len(whole.payload) <= limit:
            return [whole]
        step = max(1, len(chunk.lines) // 2)
    if fmt not in LINE_FORMATS:
        raise ValidationFailed([FieldError("file", f"a {fmt} input goes as one message and must "
                                           f"fit the NATS server's max_payload "
                                           f"({max_payload} bytes) compressed")])
    return _parts(settings, feed, fmt, by, chunk, step, limit)


def _parts(settings: Settings, feed: str, fmt: str, by: str, chunk: ingest.Chunk, step: int,
           limit: int) -> list[Message]:
    out: list[Message] = []
    for i in range(0, len(chunk.lines), step):
        first = chunk.first_line + i
        part = ingest.Chunk(f"{chunk.key}/{first}", chunk.lines[i:i + step], first)
        m = _message(settings, feed, fmt, by, part)
        if len(m.payload) <= limit or len(part.lines) == 1:
            out.append(m)
        else:
            out.extend(_parts(settings, feed, fmt, by, ingest.Chunk(chunk.key, part.lines, first),
                              max(1, len(part.lines) // 2), limit))
    return out


def decode(msg: Msg) -> Received:
    """The chunk a message carries; ValueError (or KeyError, zlib.error) if it is not one."""
    h = msg.headers or {}
    data = zlib.decompress(msg.data) if h.get(H_ENCODING) == "zlib" else msg.data
    n = int(h[H_LINES])
    lines = data.split(b"\n") if n else []
    if len(lines) != n:
        raise ValueError(f"{len(lines)} lines in a message that announces {n}")
    return Received(unquote(h[H_FEED]), h[H_FORMAT], unquote(h.get(H_BY, "ingest-worker")),
                    ingest.Chunk(unquote(h[H_KEY]), lines, int(h[H_FIRST]), bytes(data)))


# --- publishing --------------------------------------------------------------------------------


@dataclass
class Published:
    chunks: int = 0
    messages: int = 0
    lines: int = 0
    duplicates: int = 0  # messages JetStream dropped: published before, within its window


async def publish_async(settings: Settings, *, feed: str, fmt: str, by: str,
                        chunks: Iterable[ingest.Chunk]) -> Published:
    """Publish ``chunks`` of ``feed`` and wait until JetStream has stored every message."""
    done = Published()
    nc = await connect(settings)
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings)
        waiting: deque[asyncio.Future] = deque()
        for chunk in chunks:
            done.chunks += 1
            done.lines += len(chunk.lines)
            for m in encode(settings, feed=feed, fmt=fmt, by=by, chunk=chunk,
                            max_payload=nc.max_payload):
                waiting.append(await js.publish_async(m.subject, m.payload, headers=m.headers,
                                                      stream=settings.nats_stream))
                done.messages += 1
                while len(waiting) > IN_FLIGHT:
                    done.duplicates += bool((await waiting.popleft()).duplicate)
        for ack in await asyncio.gather(*waiting):
            done.duplicates += bool(ack.duplicate)
    finally:
        await nc.close()
    return done


T = TypeVar("T")


def publish(settings: Settings, *, feed: str, fmt: str, by: str,
            chunks: Iterable[ingest.Chunk]) -> Published:
    return run_sync(publish_async(settings, feed=feed, fmt=fmt, by=by, chunks=chunks))


def run_sync(coro: Coroutine[object, object, T]) -> T:
    """``asyncio.run``, in a thread of its own when this thread already runs an event loop (a
    caller inside async code; Playwright's sync API holds one for a whole test session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# --- consuming ---------------------------------------------------------------------------------


@dataclass
class Totals:
    messages: int = 0
    batches: int = 0  # chunks taken in by this worker
    duplicates: int = 0  # chunks that had been taken in before (redelivered, republished)
    events: int = 0
    redelivered: int = 0  # messages delivered more than once
    failed: int = 0  # messages nak'd after an error (they come again)
    bad: int = 0  # messages that are no chunk (terminated, logged)
    pending: int = 0  # consumer lag: messages in the stream not yet delivered


def consumer_config(settings: Settings) -> ConsumerConfig:
    return ConsumerConfig(durable_name=settings.nats_consumer, ack_policy=AckPolicy.EXPLICIT,
                          ack_wait=settings.nats_ack_wait_seconds,
                          filter_subject=f"{settings.nats_subject}.>")


async def consumer_lag(settings: Settings) -> ConsumerInfo:
    """The shared consumer's state: ``num_pending`` (not yet delivered), ``num_ack_pending``
    (with a worker, not acked), ``num_redelivered``."""
    nc = await connect(settings)
    try:
        return await nc.jetstream().consumer_info(settings.nats_stream, settings.nats_consumer)
    finally:
        await nc.close()


class IngestWorker:
    """One ``fenghuo ingest-worker``: fetch, take in (in a thread), ack; ``stop`` ends it after
    the batch in hand."""

    def __init__(self, uow: UnitOfWork, clock: Clock, settings: Settings, *,
                 batch: int | None = None) -> None:
        self.uow, self.clock, self.settings = uow, clock, settings
        self.batch = batch or settings.ingest_worker_batch
        self.stop = asyncio.Event()
        self.totals = Totals()

    async def run(self, *, once: bool = False) -> Totals:
        """Consume until stopped (or, with ``once``, until a fetch finds nothing)."""
        s = self.settings
        nc = await connect(s, persistent=True)
        try:
            js = nc.jetstream()
            await ensure_stream(js, s)
            sub = await js.pull_subscribe(f"{s.nats_subject}.>", durable=s.nats_consumer,
                                          stream=s.nats_stream, config=consumer_config(s))
            await asyncio.to_thread(self._warm)
            log.info("ingest-worker.started", stream=s.nats_stream, consumer=s.nats_consumer,
                     batch=self.batch)
            while not self.stop.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=FETCH_SECONDS)
                except (NatsTimeout, TimeoutError):  # nats-py raises either when idle
                    if once:
                        break
                    continue
                await self.handle(msgs)
        finally:
            await nc.close()
        return self.totals

    def _warm(self) -> None:
        """Build the register's attribution index now, not in the first batch."""
        with self.uow() as s:
            register.index(s)

    async def handle(self, msgs: list[Msg]) -> None:
        """Take a fetched batch in, one transaction per feed, and ack what was committed."""
        groups: dict[tuple[str, str, str], list[tuple[Msg, ingest.Chunk]]] = {}
        for m in msgs:
            try:
                r = decode(m)
            except (KeyError, ValueError, zlib.error) as exc:
                log.error("ingest-worker.bad_message", subject=m.subject, error=str(exc))
                self.totals.bad += 1
                await m.term()
                continue
            groups.setdefault((r.feed, r.fmt, r.by), []).append((m, r.chunk))
        for (feed, fmt, by), items in groups.items():
            await self._take(feed, fmt, by, items)
        t = self.totals
        t.messages += len(msgs)
        t.redelivered += sum(m.metadata.num_delivered > 1 for m in msgs)
        t.pending = msgs[-1].metadata.num_pending
        log.info("ingest-worker.batch", messages=len(msgs), batches=t.batches,
                 duplicates=t.duplicates, events=t.events, redelivered=t.redelivered,
                 failed=t.failed, pending=t.pending)

    async def _take(self, feed: str, fmt: str, by: str,
                    items: list[tuple[Msg, ingest.Chunk]]) -> None:
        msgs = [m for m, _ in items]
        alive = asyncio.create_task(_keep_alive(msgs, self.settings.nats_ack_wait_seconds / 3))
        try:
            out = await asyncio.to_thread(ingest.take_in, self.uow, self.clock, feed=feed,
                                          fmt=fmt, chunks=[c for _, c in items], received_by=by)
        except Exception as exc:  # noqa: BLE001 - nak'd: delivered again, nothing lost
            log.error("ingest-worker.failed", feed=feed, messages=len(msgs), error=repr(exc))
            self.totals.failed += len(msgs)
            for m in msgs:
                await m.nak(delay=NAK_DELAY)
            return
        finally:
            alive.cancel()
        for m in msgs:
            await m.ack()
        self.totals.batches += sum(not b.duplicate for b in out)
        self.totals.duplicates += sum(b.duplicate for b in out)
        self.totals.events += sum(b.events for b in out if not b.duplicate)


async def _keep_alive(msgs: list[Msg], every: float) -> None:
    """Tell JetStream these messages are still being worked on (a long transaction is not a
    dead worker)."""
    while True:
        await asyncio.sleep(every)
        for m in msgs:
            await m.in_progress()


async def _run_until_signalled(worker: IngestWorker, once: bool) -> Totals:
    loop = asyncio.get_running_loop()
    if threading.current_thread() is threading.main_thread():  # (signals reach only it)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop.set)
    return await worker.run(once=once)


def run_worker(uow: UnitOfWork, clock: Clock, settings: Settings, *, batch: int | None = None,
               once: bool = False) -> Totals:
    """Run an ingest worker until SIGTERM or SIGINT (it finishes the batch in hand first)."""
    worker = IngestWorker(uow, clock, settings, batch=batch)
    return run_sync(_run_until_signalled(worker, once))
