"""Machine ingest throughput (issue 15): Suricata EVE alerts parsed, attributed against a
register of 100,000 prefixes and 50,000 domains, aggregated and stored, through the same use
case as `fenghuo ingest` (chunks of 50,000 lines, ten chunks per transaction).

    python bench/ingest.py --events 1000000 --db postgresql
    python bench/ingest.py --events 200000 --db sqlite
    python bench/ingest.py --events 1000000 --decoder msgspec   # as without a C compiler

Prints events/s (wall), the ingest process's CPU seconds and events per CPU second, the peak
memory (RSS) and the rate of each successive million. The register's owners are mapped onto the
seeded bodies (the lookup work is the same whoever the owners are).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_data import eve_alerts, make_register  # noqa: E402

from fenghuo import bootstrap  # noqa: E402
from fenghuo.common.clock import FakeClock  # noqa: E402
from fenghuo.config import Settings  # noqa: E402
from fenghuo.monitoring import chunking, fast, ingest, register  # noqa: E402
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
    """The first ``n`` lines of ``path`` as `fenghuo ingest` cuts them."""
    with path.open("rb") as fp:
        for chunk in chunking.line_chunks(fp, "bench", chunk_lines=CHUNK):
            if chunk.first_line > n:
                return
            keep = n - chunk.first_line + 1
            yield chunk if keep >= len(chunk.lines) else ingest.Chunk(
                chunk.key, chunk.lines[:keep], chunk.first_line)


def _backend_cpu(rt: bootstrap.Runtime) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend of the runtime's pooled connection
    (the one the ingest uses: the pool holds one idle connection between transactions)."""
    if rt.engine.dialect.name != "postgresql":
        return None
    with rt.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ingest(rt: bootstrap.Runtime, data: Path, events: int) -> int:
    """As `fenghuo ingest` does: groups of GROUP chunks, read lazily, a transaction each."""
    done, mark, million = 0, time.perf_counter(), 1
    for group in chunking.groups(_chunks(data, events), GROUP):
        done += sum(b.events for b in ingest.take_in(
            rt.uow, rt.clock, feed="bench", fmt=None, chunks=group, received_by="bench"))
        while done >= million * 1_000_000:
            now = time.perf_counter()
            print(f"  million {million}: {1_000_000 / (now - mark):,.0f} /s", flush=True)
            mark, million = now, million + 1
    return done


def run(events: int, db: str) -> dict:
    """Ingest ``events`` generated alerts into a new database; the figures as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        reg = make_register()
        data = work / "eve.json"
        with data.open("wb") as out:
            for line in eve_alerts(events, reg):
                out.write(line)
        url = _database(db, work)
        rt = bootstrap.build(Settings(database_url=url),
                             clock=FakeClock(datetime(2026, 12, 1, tzinfo=UTC)))
        _seed(rt, reg)
        with rt.uow() as s:
            register.index(s)  # built once per process, as a running server keeps it
        pg0 = _backend_cpu(rt)
        t0, c0 = time.perf_counter(), time.process_time()
        done = _ingest(rt, data, events)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        pg = None if pg0 is None else (_backend_cpu(rt) or 0) - pg0
        rt.engine.dispose()
        if db == "postgresql":
            _drop(url)
    return {"tool": "fenghuo", "db": db, "events": done, "wall_s": wall,
            "events_per_s": done / wall, "ingest_cpu_s": cpu, "events_per_cpu_s": done / cpu,
            "postgres_cpu_s": pg,
            "events_per_total_cpu_s": done / (cpu + pg) if pg else None,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument("--decoder", choices=("compiled", "msgspec"), default="compiled",
                    help="the fast path's decoder (msgspec: as where no C compiler was found)")
    args = ap.parse_args()
    if args.decoder == "msgspec":
        fast._eve = None
    elif fast._eve is None:
        sys.exit("the compiled EVE decoder was not built (pip install -e . needs gcc)")
    r = run(args.events, args.db)
    pg = (f"; PostgreSQL backend CPU {r['postgres_cpu_s']:.1f} s, "
          f"{r['events_per_total_cpu_s']:,.0f} events per CPU second of both"
          if r["postgres_cpu_s"] else "")
    print(f"{r['db']}: {r['events']:,} events in {r['wall_s']:.1f} s = "
          f"{r['events_per_s']:,.0f} events/s; ingest CPU {r['ingest_cpu_s']:.1f} s = "
          f"{r['events_per_cpu_s']:,.0f} events per CPU second{pg}; peak RSS "
          f"{r['peak_rss_mb']:,.0f} MB")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
