"""Machine ingest through NATS JetStream (issue 15 item 5): the same Suricata EVE alerts and
register as bench/ingest.py, published to a stream (chunks of 50,000 lines, sent as messages of
FENGHUO_NATS_MESSAGE_LINES lines, zlib-compressed) and taken in by two `fenghuo ingest-worker`
processes sharing one durable consumer.

    python bench/ingest_nats.py --events 1000000 --db postgresql
    python bench/ingest_nats.py --events 200000 --db sqlite --workers 1

Prints, once a second, what has been published and taken in and the consumer lag (messages not
yet delivered, and delivered but not yet acked), then events/s from the first publish to the
last commit, the publishing rate alone and the largest lag seen. NATS must run at
FENGHUO_NATS_URL (default nats://127.0.0.1:4222) with JetStream. The alerts are timed the day
before today (China Standard Time), because the workers run on the real clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
from ingest import _chunks, _database, _seed  # noqa: E402
from monitoring_data import eve_alerts, make_register  # noqa: E402

from fenghuo import bootstrap  # noqa: E402
from fenghuo.config import Settings  # noqa: E402
from fenghuo.monitoring import store, stream  # noqa: E402
from fenghuo.monitoring.models import IngestBatch  # noqa: E402


def _taken_in(rt: bootstrap.Runtime) -> int:
    with rt.uow() as s:
        return int(s.scalar(select(func.coalesce(func.sum(IngestBatch.events), 0))))


async def _lag(js, settings: Settings) -> tuple[int, int]:  # noqa: ANN001
    try:
        info = await js.consumer_info(settings.nats_stream, settings.nats_consumer)
    except NotFoundError:
        return 0, 0
    return info.num_pending, info.num_ack_pending


async def _watch(rt: bootstrap.Runtime, settings: Settings, n: int, t0: float,
                 sent: list[int]) -> tuple[float, int]:
    """Print progress and lag once a second until ``n`` events are taken in; returns (the
    time of the last commit, the largest lag in messages)."""
    nc = await stream.connect(settings)
    js, worst = nc.jetstream(), 0
    try:
        while True:
            await asyncio.sleep(1)
            done = await asyncio.to_thread(_taken_in, rt)
            pending, unacked = await _lag(js, settings)
            worst = max(worst, pending + unacked)
            print(f"  t={time.perf_counter() - t0:6.1f} s  published {sent[0]:>10,}  taken in "
                  f"{done:>10,}  lag: {pending:>4} messages pending, {unacked:>3} unacked",
                  flush=True)
            if done >= n:
                return time.perf_counter(), worst
    finally:
        await nc.close()


def _publish(settings: Settings, data: Path, n: int, sent: list[int]) -> float:
    """Publish the file (in a thread of its own, so the lag is sampled on time); returns the
    time publishing ended."""
    def chunks():  # noqa: ANN202
        for c in _chunks(data, n):
            yield c
            sent[0] += len(c.lines)

    stream.publish(settings, feed="bench", fmt="suricata", by="bench", chunks=chunks())
    return time.perf_counter()


def _workers(count: int, env: dict[str, str], work: Path) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "ingest-worker"],
                             env=env, stdout=(work / f"worker-{i}.log").open("wb"),
                             stderr=subprocess.STDOUT) for i in range(count)]


async def _ready(settings: Settings, count: int) -> None:
    """Wait until ``count`` workers have subscribed (a fetch waiting on the consumer)."""
    nc = await stream.connect(settings)
    try:
        js = nc.jetstream()
        await stream.ensure_stream(js, settings)
        for _ in range(600):
            try:
                info = await js.consumer_info(settings.nats_stream, settings.nats_consumer)
                if info.num_waiting >= count:
                    return
            except NotFoundError:
                pass
            await asyncio.sleep(0.1)
        raise SystemExit("the ingest workers did not start; see their logs")
    finally:
        await nc.close()


async def _run(rt: bootstrap.Runtime, settings: Settings, data: Path, n: int,
               label: str) -> None:
    sent = [0]
    t0 = time.perf_counter()
    watch = asyncio.create_task(_watch(rt, settings, n, t0, sent))
    published = await asyncio.to_thread(_publish, settings, data, n, sent)
    last, worst = await watch
    wall = last - t0
    print(f"{label} via NATS, {settings.ingest_worker_batch} messages per transaction: "
          f"{n:,} events in {wall:.1f} s = {n / wall:,.0f} events/s; publishing alone "
          f"{n / (published - t0):,.0f} events/s; largest lag {worst} messages")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=20, help="messages per worker transaction")
    args = ap.parse_args()
    token = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        reg = make_register()
        data = work / "eve.json"
        day = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date().isoformat()
        with data.open("wb") as out:
            for line in eve_alerts(args.events, reg, day=day):
                out.write(line)
        url = _database(args.db, work)
        env = {**os.environ, "FENGHUO_DATABASE_URL": url,
               "FENGHUO_NATS_STREAM": f"FENGHUO_BENCH_{token}",
               "FENGHUO_NATS_SUBJECT": f"fenghuo.bench.{token}",
               "FENGHUO_NATS_CONSUMER": f"bench-{token}",
               "FENGHUO_INGEST_WORKER_BATCH": str(args.batch)}
        settings = Settings(database_url=url, nats_stream=env["FENGHUO_NATS_STREAM"],
                            nats_subject=env["FENGHUO_NATS_SUBJECT"],
                            nats_consumer=env["FENGHUO_NATS_CONSUMER"],
                            ingest_worker_batch=args.batch)
        rt = bootstrap.build(settings)
        _seed(rt, reg)
        with rt.uow() as s:  # the day's partition, which the first batch of a day creates
            store.ensure_partitions(s, [date.fromisoformat(day)], date.today())
        workers = _workers(args.workers, env, work)
        try:
            asyncio.run(_ready(settings, args.workers))
            print(f"{args.workers} workers ready; publishing {args.events:,} events")
            asyncio.run(_run(rt, settings, data, args.events,
                             f"{args.db}, {args.workers} workers"))
        finally:
            for w in workers:
                w.terminate()
            for i, w in enumerate(workers):
                w.wait(60)
                lines = (work / f"worker-{i}.log").read_text().strip().splitlines()
                print(f"  worker {i}: {lines[-1]}")
                for line in lines:
                    if "[error" in line:
                        print(f"    {line[:300]}")
            asyncio.run(_drop_stream(settings))
            rt.engine.dispose()
            _drop_database(url)


async def _drop_stream(settings: Settings) -> None:
    nc = await stream.connect(settings)
    try:
        await nc.jetstream().delete_stream(settings.nats_stream)
    finally:
        await nc.close()


def _drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
