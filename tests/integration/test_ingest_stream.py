"""Scale-out ingest through NATS JetStream (issue 15 item 5), against the real server at
127.0.0.1:4222, on SQLite and PostgreSQL: chunks published to the stream are taken in by
``fenghuo ingest-worker`` processes; a worker killed with SIGKILL in the middle of a batch loses
nothing and counts nothing twice, and a chunk published twice is counted once.

Every test has its own stream, subjects and consumer, so parallel test workers do not collide.
The worker processes run on the real clock, so the events are timed an hour before the real now
(inside the retention window whatever the date).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import uuid
from datetime import UTC, datetime, timedelta

import nats
import pytest
from sqlalchemy import func, select

from fenghuo.config import Settings
from fenghuo.monitoring import ingest, register, stream
from fenghuo.monitoring.constituency import EntryKind
from fenghuo.monitoring.models import Aggregate, IngestBatch, events
from fenghuo.monitoring.schemas import EntryIn, FeedIn
from fenghuo.org.models import Body
from tests.cli import clean_env, fenghuo
from tests.servers import Process
from tests.waits import wait_until

NATS_HOST, NATS_PORT = "127.0.0.1", 4222


def _nats_reachable() -> bool:
    try:
        socket.create_connection((NATS_HOST, NATS_PORT), timeout=2).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _nats_reachable(), reason=f"NATS (with JetStream) is not reachable at {NATS_HOST}:"
    f"{NATS_PORT}; scripts/test starts it: nats-server -a 127.0.0.1 -p 4222 -js")

FEED = "ids-nats"
CHUNKS, LINES = 40, 500  # 20,000 events in 40 chunks
BANK_EVERY = 4  # every fourth event comes from bj-bank's prefix


def _alert(ts: datetime, src: str, dst: str) -> bytes:
    return json.dumps({"timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
                       "event_type": "alert", "src_ip": src, "src_port": 4444, "dest_ip": dst,
                       "dest_port": 80, "proto": "TCP",
                       "alert": {"signature_id": 2024217,
                                 "signature": "ET MALWARE Win32/Emotet CnC Activity",
                                 "category": "A Network Trojan was Detected",
                                 "severity": 1}}).encode()


def _chunks(n: int, lines: int, label: str = "eve") -> list[ingest.Chunk]:
    """``n`` chunks of ``lines`` alerts each, timed an hour before the real now."""
    at = datetime.now(UTC) - timedelta(hours=1)
    out = []
    for c in range(n):
        first = c * lines + 1
        out.append(ingest.Chunk(f"{label}:{first}", [
            _alert(at + timedelta(milliseconds=i),
                   f"61.135.{i % 200}.{i % 250 + 1}" if i % BANK_EVERY == 0 else
                   f"1.{c}.{i % 200}.{i % 250 + 1}", "8.8.8.8")
            for i in range(first, first + lines)], first))
    return out


@pytest.fixture
def names(db_url: str):
    """Settings and a worker environment with this test's own stream, subject and consumer;
    the stream is deleted afterwards."""
    token = uuid.uuid4().hex[:12]
    conf = {"FENGHUO_DATABASE_URL": db_url, "FENGHUO_NATS_URL": f"nats://{NATS_HOST}:{NATS_PORT}",
            "FENGHUO_NATS_STREAM": f"FENGHUO_TEST_{token}",
            "FENGHUO_NATS_SUBJECT": f"fenghuo.test.{token}",
            "FENGHUO_NATS_CONSUMER": f"ingest-{token}", "FENGHUO_NATS_ACK_WAIT_SECONDS": "2",
            "FENGHUO_INGEST_WORKER_BATCH": "2"}
    settings = Settings(**{k.removeprefix("FENGHUO_").lower(): v for k, v in conf.items()})
    yield settings, clean_env(**conf)
    stream.run_sync(_delete_stream(settings))


async def _delete_stream(settings: Settings) -> None:
    nc = await nats.connect(settings.nats_url)
    try:
        await nc.jetstream().delete_stream(settings.nats_stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


@pytest.fixture
def feed(rt, principal):
    register.put_entry(rt.uow, rt.clock, principal=principal("bj_admin"), data=EntryIn(
        body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16"))
    ingest.create_feed(rt.uow, rt.clock, principal=principal("nat_admin"), data=FeedIn(
        code=FEED, name_zh="传感器", name_en="sensor", body="cn.cncert", format="suricata"))
    return FEED


def _ledger(rt) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(IngestBatch))


def _lag(settings: Settings):
    return stream.run_sync(stream.consumer_lag(settings))


def _counted(rt) -> dict[str, int]:
    """What the database holds: ledger rows and distinct keys, events in the ledger, stored
    events, the sum of the aggregates, bj-bank's share of them."""
    with rt.uow() as s:
        bank = s.scalar(select(Body.id).where(Body.key == "bj-bank"))
        return {
            "batches": s.scalar(select(func.count()).select_from(IngestBatch)),
            "keys": s.scalar(select(func.count(func.distinct(IngestBatch.key)))),
            "ledger_events": s.scalar(select(func.sum(IngestBatch.events))),
            "rejected": s.scalar(select(func.sum(IngestBatch.rejected))),
            "stored": s.scalar(select(func.count()).select_from(events)),
            "aggregated": s.scalar(select(func.sum(Aggregate.count))),
            "bank": s.scalar(select(func.sum(Aggregate.count)).where(Aggregate.body_id == bank)),
        }


def _kill_mid_batch(rt, settings, env, tmp_path) -> int:
    """Start a worker and SIGKILL it once it has committed a batch and holds fetched,
    unacked messages; retried (a few times) if the kill fell between two batches. Returns
    how many messages it held unacked."""
    for attempt in range(5):
        worker = Process(["ingest-worker"], env=env, cwd=tmp_path,
                         log=tmp_path / f"killed-{attempt}.log")
        seen = _ledger(rt)
        wait_until(lambda s=seen: _ledger(rt) > s, "the worker commits a batch", seconds=60,
                   interval=0.01, abort=worker.exited, detail=worker.output)
        assert worker.stop(kill=True) == -signal.SIGKILL
        lag = _lag(settings)
        if lag.num_ack_pending:
            return lag.num_ack_pending
        assert lag.num_pending, "the worker took everything in before it could be killed"
    pytest.fail("no SIGKILL in five landed while the worker held a batch")


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(
        rt, feed, names, tmp_path):
    settings, env = names
    chunks = _chunks(CHUNKS, LINES)
    sent = stream.publish(settings, feed=feed, fmt="suricata", by="nat_admin", chunks=chunks)
    assert (sent.chunks, sent.messages, sent.lines, sent.duplicates) == (
        CHUNKS, CHUNKS, CHUNKS * LINES, 0)

    held = _kill_mid_batch(rt, settings, env, tmp_path)
    assert 0 < held <= 2  # the batch in hand (FENGHUO_INGEST_WORKER_BATCH=2) was not acked
    before = _ledger(rt)
    assert before < CHUNKS

    with Process(["ingest-worker"], env=env, cwd=tmp_path, log=tmp_path / "w.log") as worker:
        wait_until(lambda: _ledger(rt) == CHUNKS and not _lag(settings).num_ack_pending
                   and not _lag(settings).num_pending, "the restarted worker takes in the rest",
                   seconds=120, interval=0.2, abort=worker.exited, detail=worker.output)
        assert worker.stop() == 0  # SIGTERM: it finishes the batch in hand and exits cleanly
    summary = re.search(r"(\d+) messages: (\d+) batches taken in \((\d+) events\), (\d+) "
                        r"already taken in, (\d+) redelivered", (tmp_path / "w.log").read_text())
    assert summary, (tmp_path / "w.log").read_text()
    messages, taken, _, again, redelivered = map(int, summary.groups())
    # the killed worker's batch came again (its commit, if it made one, found in the ledger)
    assert redelivered == held
    assert (taken + again, before + taken) == (messages, CHUNKS)

    total, bank = CHUNKS * LINES, CHUNKS * LINES // BANK_EVERY
    assert _counted(rt) == {"batches": CHUNKS, "keys": CHUNKS, "ledger_events": total,
                            "rejected": 0, "stored": total, "aggregated": total, "bank": bank}
    lag = _lag(settings)
    assert (lag.num_pending, lag.num_ack_pending) == (0, 0)


async def _republish(settings: Settings, chunk: ingest.Chunk) -> bool:
    """Publish ``chunk`` again under a new message id (as after JetStream's duplicate window):
    the stream keeps it; True if it was stored."""
    [m] = stream.encode(settings, feed=FEED, fmt="suricata", by="nat_admin", chunk=chunk,
                        max_payload=1 << 20)
    nc = await nats.connect(settings.nats_url)
    try:
        ack = await nc.jetstream().publish(m.subject, m.payload, stream=settings.nats_stream,
                                           headers={**m.headers, stream.MSG_ID: uuid.uuid4().hex})
    finally:
        await nc.close()
    return not ack.duplicate


def test_a_chunk_published_twice_is_counted_once(rt, feed, names, tmp_path):
    settings, env = names
    chunks = _chunks(3, 50)
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(line for c in chunks for line in c.lines) + b"\n")
    args = ("ingest", str(eve), "--feed", feed, "--as", "nat_admin", "--via", "nats")

    first = fenghuo(*args, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "published 1 chunks (150 lines) in 1 messages" in first.stdout
    again = fenghuo(*args, env=env, cwd=tmp_path)  # JetStream drops it: same Nats-Msg-Id
    assert again.returncode == 0, again.stderr
    assert "1 dropped as already published" in again.stdout
    assert stream.run_sync(_stored(settings)) == 1

    worker = fenghuo("ingest-worker", "--once", env=env, cwd=tmp_path)
    assert worker.returncode == 0, worker.stderr
    assert "1 messages: 1 batches taken in (150 events), 0 already taken in" in worker.stdout

    # the same chunk once more, past the duplicate window: the ledger makes it a duplicate
    [key] = _keys(rt)
    copy = ingest.Chunk(key, [line for c in chunks for line in c.lines], 1)
    assert stream.run_sync(_republish(settings, copy))
    worker = fenghuo("ingest-worker", "--once", env=env, cwd=tmp_path)
    assert worker.returncode == 0, worker.stderr
    assert "1 messages: 0 batches taken in (0 events), 1 already taken in" in worker.stdout
    counted = _counted(rt)
    assert (counted["batches"], counted["stored"], counted["aggregated"]) == (1, 150, 150)
    with rt.uow() as s:
        assert s.scalar(select(IngestBatch.received_by)) == "nat_admin"


async def _stored(settings: Settings) -> int:
    nc = await nats.connect(settings.nats_url)
    try:
        return (await nc.jetstream().stream_info(settings.nats_stream)).state.messages
    finally:
        await nc.close()


def _keys(rt) -> list[str]:
    with rt.uow() as s:
        return list(s.scalars(select(IngestBatch.key)))


def test_an_unreachable_server_is_a_clear_error(rt, feed, db_url, tmp_path):
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(_chunks(1, 3)[0].lines) + b"\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = clean_env(FENGHUO_DATABASE_URL=db_url, FENGHUO_NATS_URL=f"nats://127.0.0.1:{closed}")
    ran = fenghuo("ingest", str(eve), "--feed", feed, "--as", "nat_admin", "--via", "nats",
                  env=env, cwd=tmp_path)
    assert ran.returncode == 1
    assert "NATS is not reachable" in ran.stderr
    assert _ledger(rt) == 0
