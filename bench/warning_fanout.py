"""A national red warning fanning out to ten thousand units (issue 16 item 1): how long
publishing takes (recipients, checklist tasks and outbox messages written in one transaction)
and how long the delivery worker takes to deliver every message to a local webhook receiver.

    python bench/warning_fanout.py --units 10000 --db postgresql
    python bench/warning_fanout.py --units 2000 --db sqlite

Each operating unit has one webhook contact pointing at a local threaded HTTP server that
answers 200; the worker runs as `fenghuo worker` does (its threads, its claims). Prints the
figures and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select

from fenghuo import bootstrap
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange
from fenghuo.org.accounts import principal_for, put_user
from fenghuo.org.schemas import UserIn
from fenghuo.warning import service as warnings
from fenghuo.warning.schemas import WarningIn
from fenghuo.workers.dispatch import Worker

PROVINCES = ("110000", "310000", "440000", "510000", "140000")
SECTORS = ("finance", "energy", "telecom", "transport", "water")
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


class _Receiver(BaseHTTPRequestHandler):
    """Answers every POST with 200 and counts them; GET answers the count. Run in its own
    process (``python bench/warning_fanout.py --receive``), as a unit's server would be."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver
    count = 0
    seen: set[str] = set()  # delivery ids: a second POST of one is a duplicate delivery
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Receiver.lock:
            _Receiver.count += 1
            _Receiver.seen.add(self.headers.get("X-Fenghuo-Delivery") or "")
        self._answer(b"")

    def do_GET(self) -> None:  # noqa: N802
        self._answer(f"{_Receiver.count} {len(_Receiver.seen)}".encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _receive() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def _receiver() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, __file__, "--receive"], stdout=subprocess.PIPE,
                            text=True)
    try:
        yield f"http://127.0.0.1:{proc.stdout.readline().strip()}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _received(base: str) -> tuple[int, int]:
    """POSTs received, and distinct delivery ids among them."""
    posts, distinct = httpx.get(base + "/count").text.split()
    return int(posts), int(distinct)


def _database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'fanout.db'}"
    name = f"fenghuo_fanout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _units(n: int, url: str) -> interchange.OrgDocument:
    doc = interchange.OrgDocument()
    for i in range(n):
        doc.add("bodies", "bench", i, {
            "key": f"unit-{i}", "kind": "operator", "jurisdiction": PROVINCES[i % len(PROVINCES)],
            "name_zh": f"运营单位{i}", "name_en": f"Operator {i}", "cii": i % 10 == 0,
            "sectors": [SECTORS[i % len(SECTORS)]]})
        doc.add("contacts", "bench", i, {"name": "Duty", "channel": "webhook", "value": url,
                                         "is_24x7": True}, body=f"unit-{i}")
    return doc


def _seed(rt: bootstrap.Runtime, n: int, url: str) -> None:
    bootstrap.upgrade_and_seed(rt)
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=_units(n, url))
    with rt.uow() as s:
        for name in ("eo_duty", "eo_head"):
            put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
                username=name, display_name=name, body="cn.emergency-office",
                roles=["duty_officer"], password="bench-password-1"))


def _red(rt: bootstrap.Runtime) -> str:
    w = warnings.draft(rt.uow, rt.clock, principal=principal_for(rt.uow, username="eo_duty"),
                       data=WarningIn(
        title="全国性勒索软件攻击 Nationwide ransomware", category="harmful-program",
        level="red", starts_at=NOW, jurisdictions=["CN"],
        items=["勒索软件利用VPN漏洞 ransomware via a VPN flaw"],
        measures=[{"text": "修补VPN patch the VPN", "deadline": NOW + timedelta(hours=12)}]))
    warnings.approve(rt.uow, rt.clock, principal=principal_for(rt.uow, username="eo_head"),
                     ref=w.ref)
    return w.ref


def run(units: int, db: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp, _receiver() as base:
        db_url = _database(db, Path(tmp))
        rt = bootstrap.build(Settings(database_url=db_url), clock=FakeClock(NOW))
        _seed(rt, units, base + "/hook")
        ref = _red(rt)
        t0 = time.perf_counter()
        out = warnings.publish(rt.uow, rt.clock, principal=principal_for(
            rt.uow, username="eo_duty"), ref=ref)
        enqueue = time.perf_counter() - t0
        with rt.uow() as s:
            messages = s.scalar(select(func.count()).select_from(OutboxMessage))
            # the webhooks that reach the local receiver (the seeded offices' e-mail does not)
            hooks = s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.channel == "webhook"))
        worker = Worker.from_runtime(rt)
        t1 = time.perf_counter()
        thread = worker.start_thread()
        mark = t1
        while (got := _received(base)[1]) < hooks and time.perf_counter() - t1 < 600:
            time.sleep(0.1)
            if time.perf_counter() - mark >= 10:
                mark = time.perf_counter()
                print(f"  {mark - t1:5.1f} s: {got:,} delivered", flush=True)
        deliver = time.perf_counter() - t1
        worker.stop()
        posts, got = _received(base)
        thread.join(timeout=30)
        rt.engine.dispose()
        if db == "postgresql":
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                                 autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {db_url.rsplit('/', 1)[1]}")
    return {"db": db, "units": units, "recipients": out.recipient_count,
            "tasks": out.task_count, "messages": messages, "webhooks": hooks, "publish_s": enqueue,
            "delivered": got, "duplicates": posts - got, "deliver_s": deliver,
            "delivered_per_s": got / deliver if deliver else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.receive:
        _receive()
        return
    r = run(args.units, args.db)
    print(f"{r['db']}: a national red warning to {r['recipients']:,} recipients "
          f"({r['tasks']:,} tasks, {r['messages']:,} messages) published in "
          f"{r['publish_s']:.2f} s; {r['delivered']:,} webhooks delivered in "
          f"{r['deliver_s']:.1f} s ({r['delivered_per_s']:,.0f}/s, "
          f"{r['duplicates']} delivered twice)")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
