"""Machine ingest throughput (issue 15): Suricata EVE alerts parsed, attributed against a
register of 100,000 prefixes and 50,000 domains, aggregated and stored, through the same use
case as `fenghuo ingest` (chunks of 50,000 lines, ten chunks per transaction).

    python bench/ingest.py --events 1000000 --db postgresql
    python bench/ingest.py --events 200000 --db sqlite

Prints events/s (wall), the ingest process's CPU seconds and events per CPU second, the peak
memory (RSS) and the rate of each successive million. The register's owners are mapped onto the
seeded bodies (the lookup work is the same whoever the owners are).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_data import eve_alerts, make_register  # noqa: E402

from fenghuo import bootstrap  # noqa: E402
from fenghuo.common.clock import FakeClock  # noqa: E402
from fenghuo.config import Settings  # noqa: E402
from fenghuo.monitoring import ingest, register  # noqa: E402
from fenghuo.monitoring.models import ConstituencyEntry, Feed  # noqa: E402
from fenghuo.org.models import Body  # noqa: E402

CHUNK, GROUP = 50_000, 10


def _database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    name = f"fenghuo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _seed(rt: bootstrap.Runtime, reg) -> None:  # noqa: ANN001
    bootstrap.upgrade_and_seed(rt)
    now = rt.clock.now()
    with rt.uow() as s:
        bodies = s.scalars(select(Body.id).order_by(Body.id)).all()
        rows = [{"body_id": bodies[o % len(bodies)], "kind": "prefix", "value": v,
                 "role": "owner", "created_by": "bench", "created_at": now, "updated_at": now}
                for v, o in reg.prefixes]
        rows += [{"body_id": bodies[o % len(bodies)], "kind": "domain", "value": v,
                  "role": "owner", "created_by": "bench", "created_at": now, "updated_at": now}
                 for v, o in reg.domains]
        s.execute(insert(ConstituencyEntry), rows)
        register._bump(s)
        s.add(Feed(code="bench", name_zh="基准", name_en="bench", body_id=bodies[0],
                   format="suricata", active=True, created_at=now, updated_at=now))


def _chunks(path: Path, n: int):  # noqa: ANN202
    with path.open("rb") as fp:
        first = 1
        while first <= n:
            lines = [fp.readline().rstrip(b"\n") for _ in range(min(CHUNK, n - first + 1))]
            yield ingest.Chunk(f"bench:{first}", lines, first)
            first += len(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        reg = make_register()
        data = work / "eve.json"
        with data.open("wb") as out:
            for line in eve_alerts(args.events, reg):
                out.write(line)
        from datetime import UTC, datetime
        rt = bootstrap.build(Settings(database_url=_database(args.db, work)),
                             clock=FakeClock(datetime(2026, 12, 1, tzinfo=UTC)))
        _seed(rt, reg)
        with rt.uow() as s:
            register.index(s)  # built once per process, as a running server keeps it
        t0, c0, done, mark = time.perf_counter(), time.process_time(), 0, time.perf_counter()
        group = []
        for chunk in _chunks(data, args.events):
            group.append(chunk)
            if len(group) == GROUP:
                done += sum(b.events for b in ingest.take_in(
                    rt.uow, rt.clock, feed="bench", fmt=None, chunks=group, received_by="bench"))
                group = []
                if done % 1_000_000 == 0:
                    now = time.perf_counter()
                    print(f"  million {done // 1_000_000}: {1_000_000 / (now - mark):,.0f} /s")
                    mark = now
        if group:
            done += sum(b.events for b in ingest.take_in(
                rt.uow, rt.clock, feed="bench", fmt=None, chunks=group, received_by="bench"))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.db}: {done:,} events in {wall:.1f} s = {done / wall:,.0f} events/s; "
              f"ingest CPU {cpu:.1f} s = {done / cpu:,.0f} events per CPU second; "
              f"peak RSS {rss:,.0f} MB")
        rt.engine.dispose()


if __name__ == "__main__":
    main()
