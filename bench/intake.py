"""Report intake under load, end to end: starts `fenghuo serve` (with its delivery worker) on
SQLite or PostgreSQL, drives concurrent report submissions over HTTP, and measures

  * reports/s accepted and p50/p99 latency of POST /api/v1/incidents;
  * for major incidents, p99 time from acceptance (the incident's ``reported_at``, taken when
    the server starts the report's transaction) to arrival of the Emergency Office's webhook at
    a local receiver.

    python bench/intake.py --db sqlite --reports 2000 --concurrency 32
    python bench/intake.py --db postgresql --processes 2 --client wrk --seconds 20

The load comes from Python threads (``--client python``, the default) or, where Debian's
``wrk`` is installed (``apt-get install wrk``), from wrk with a Lua script that gives every
request its own Idempotency-Key (``--client wrk``): a C client leaves the two cores to the
server. Prints figures; asserts nothing. PostgreSQL runs use a throwaway database on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg
from aiosmtpd.controller import Controller

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "Intake-measure-2026!"
ORG = """
bodies:
  - key: bench-op
    kind: operator
    jurisdiction: "110000"
    name_zh: 压测单位
    name_en: Bench operator
    sectors: [finance]
    systems: [{key: core, name_zh: 核心, name_en: Core, important: true}]
contacts:
  - {body: cn.emergency-office, name: Hook, channel: webhook, value: "%s", priority: 0}
"""


class MailSink:
    """A mail relay that takes every message and keeps none: a scale instance's bodies have
    e-mail contacts, whose notifications are delivered as in production, not retried."""

    def __init__(self) -> None:
        self.received = 0

        sink = self

        class Handler:
            async def handle_DATA(self, _server, _session, _envelope) -> str:  # noqa: N802
                sink.received += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """The Emergency Office's webhook endpoint; records, per incident, the delay from the
    server's acceptance (``reported_at`` in the payload) to arrival here."""

    def __init__(self) -> None:
        self.delays: dict[str, float] = {}
        delays = self.delays

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                accepted = datetime.fromisoformat(body["reported_at"])
                if not body["title"].startswith("warm-up"):
                    delays.setdefault(body["ref"],
                                      (datetime.now(UTC) - accepted).total_seconds())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def fenghuo(env: dict, *args: str, check: bool = True) -> None:
    subprocess.run([sys.executable, "-m", "fenghuo.cli.main", *args], env=env, check=check,
                   capture_output=True)


def start(env: dict, port: int, workdir: Path, processes: int) -> subprocess.Popen:
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - the server's, kept for restarts
    proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "serve", "--port",
                             str(port), "--processes", str(processes)], env=env,
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def payload(i: int, major: bool, title: str = "bench") -> dict:
    return {"system": "core", "category": "network-attack", "subcategory": "network-attack.dos",
            "title": f"{title} {i}", "found_at": datetime.now(UTC).isoformat(),
            "impact": "slow", "measures": "scrubbing",
            "facts": {"system_loss": "serious"} if major else {}}


@dataclass
class Load:
    """What a client run measured: accepted reports, errors, latency percentiles (ms)."""

    seconds: float
    accepted: int
    errors: int
    p50: float
    p99: float
    majors: set[str] = field(default_factory=set)


def drive(base: str, token: str, n: int, concurrency: int, major_every: int,
          title: str = "bench") -> Load:
    headers = {"Authorization": f"Bearer {token}"}
    majors: set[str] = set()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def one(i: int) -> None:
        nonlocal errors
        client = getattr(local, "c", None) or httpx.Client(base_url=base, timeout=30)
        local.c = client
        major = i % major_every == 0
        t = time.perf_counter()
        r = client.post("/api/v1/incidents", json=payload(i, major, title),
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        done = time.perf_counter()
        with lock:
            if r.status_code != 201:
                errors += 1
                return
            latencies.append(done - t)
            if major:
                majors.add(r.json()["ref"])

    start_t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(n)))
    return Load(time.perf_counter() - start_t, len(latencies), errors, pct(latencies, 50),
                pct(latencies, 99), majors)


WRK_SCRIPT = """
local counter = 0
-- each thread's own prefix, a global of its Lua state (a chunk-level local would shadow it);
-- the run's id in it too: math.random is not seeded, so the numbers repeat from run to run and
-- a second run on the same database would reuse the first's keys (409s)
function setup(thread) thread:set("tid", "%(run)s" .. tostring(math.random(1, 1e9))) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  counter = counter + 1
  local facts = (counter %% %(major_every)d == 0) and '{"system_loss":"serious"}' or '{}'
  -- visible ASCII only (an Idempotency-Key with a space is refused: issue 18)
  wrk.headers["Idempotency-Key"] = string.format("%%s-%%d", tid, counter)
  local body = string.format('{"system":"core","category":"network-attack",' ..
    '"subcategory":"network-attack.dos","title":"bench %%d","found_at":"%(found)s",' ..
    '"impact":"slow","measures":"scrubbing","facts":%%s}', counter, facts)
  return wrk.format(nil, "/api/v1/incidents", nil, body)
end
"""


def drive_wrk(base: str, token: str, seconds: int, concurrency: int, major_every: int,
              workdir: Path) -> Load:
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT % {"token": token, "major_every": major_every,
                                    "run": uuid.uuid4().hex[:8],
                                    "found": datetime.now(UTC).isoformat()})
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency",
                          "-s", str(script), base], capture_output=True, text=True,
                         check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return Load(seconds, total - errors, errors, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"))


def _wrk_ms(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--client", choices=["python", "wrk"], default="python")
    ap.add_argument("--reports", type=int, default=1000, help="python client: reports to send")
    ap.add_argument("--seconds", type=int, default=15, help="wrk client: duration")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--major-every", type=int, default=10)
    ap.add_argument("--processes", type=int, default=1, help="server processes")
    ap.add_argument("--cpu-hogs", type=int, default=0,
                    help="busy processes beside the server during the load (a starved machine)")
    ap.add_argument("--database-url", default=None,
                    help="an existing PostgreSQL database, e.g. a scale instance of "
                    "bench/seed_scale.py (kept; the bench unit, its user and the webhook "
                    "contact are added or updated); default: a new database, dropped after")
    ap.add_argument("--healthcheck-seconds", type=int, default=60,
                    help="FENGHUO_WORKER_HEALTHCHECK_SECONDS of the server (uvicorn's own: 5)")
    args = ap.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk), or use --client python")
    workdir = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
    env["FENGHUO_WORKER_HEALTHCHECK_SECONDS"] = str(args.healthcheck_seconds)
    env.update(FENGHUO_WORKER="true", FENGHUO_ADMIN_PASSWORD=PASSWORD,
               FENGHUO_DATA_DIR=str(workdir / "data"))
    dbname = None
    if args.database_url:
        env["FENGHUO_DATABASE_URL"] = args.database_url
    elif args.db == "postgresql":
        dbname = f"fenghuo_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{dbname}"')
        env["FENGHUO_DATABASE_URL"] = f"{PG}/{dbname}"
    receiver = Receiver()
    mail = MailSink()
    env.update(FENGHUO_SMTP_HOST="127.0.0.1", FENGHUO_SMTP_PORT=str(mail.port))
    if args.database_url:  # earlier runs' receivers are gone: their hooks point here now
        _query(args.database_url, workdir, _REUSE_HOOK, receiver.url, commit=True)
    org = workdir / "org.yaml"
    org.write_text(ORG % receiver.url)
    fenghuo(env, "db", "upgrade")
    fenghuo(env, "org", "import", str(org))
    fenghuo(env, "user", "create", "bench", "--body", "bench-op", "--role",
            "operator_reporter", "--password", PASSWORD, check=not args.database_url)
    pg_url = env.get("FENGHUO_DATABASE_URL")
    before = _incidents(pg_url, workdir)
    port = free_port()
    proc = start(env, port, workdir, args.processes)
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "bench", "password": PASSWORD}).json()["access_token"]
        drive(base, token, 50, 4, args.major_every, title="warm-up")
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(args.cpu_hogs)]
        if args.client == "wrk":
            load = drive_wrk(base, token, args.seconds, args.concurrency, args.major_every,
                             workdir)
        else:
            load = drive(base, token, args.reports, args.concurrency, args.major_every)
        for hog in hogs:
            hog.kill()
        expected = _majors(pg_url, workdir, load, after_id=before["max_id"])
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and len(receiver.delays) < expected:
            time.sleep(0.05)
        delays = list(receiver.delays.values())
        print(f"backend: {'postgresql' if pg_url else args.db}; {args.processes} server "
              f"process(es); client {args.client}, concurrency {args.concurrency}; 1 in "
              f"{args.major_every} major; {before['count']:,} incidents before")
        print(f"throughput: {load.accepted / load.seconds:.0f} reports/s "
              f"({load.accepted} accepted, {load.errors} errors)")
        print(f"latency: p50 {load.p50:.1f} ms, p99 {load.p99:.1f} ms")
        server_log = (workdir / "server.log").read_text(errors="replace")
        restarts = server_log.count(" died")
        if load.errors:  # what the server said about them
            failures = Counter(line.strip() for line in server_log.splitlines()
                               if re.match(r"\s*\w+(\.\w+)*(Error|Exception|Failed)\b", line))
            for line, n in failures.most_common(5):
                print(f"  server log, {n}×: {line[:160]}")
        print(f"server processes restarted by uvicorn's health check: {restarts} "
              f"(health timeout {env.get('FENGHUO_WORKER_HEALTHCHECK_SECONDS', '60')} s, "
              f"{args.cpu_hogs} busy processes beside)")
        if delays:
            print(f"major → Emergency Office webhook: p50 {pct(delays, 50):.0f} ms, "
                  f"p99 {pct(delays, 99):.0f} ms, delivered {len(delays)}/{expected}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        receiver.server.shutdown()
        mail.controller.stop()
        if dbname:
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                                 autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


#: the first run's hook contact points at this run's receiver; any others are put out of the way
_REUSE_HOOK = """
UPDATE contacts SET
  value = CASE WHEN contacts.id = first.id THEN ?
               ELSE 'http://127.0.0.1:9/old-hook-' || contacts.id END,
  priority = CASE WHEN contacts.id = first.id THEN 0 ELSE 1000 END
FROM (SELECT min(id) AS id FROM contacts WHERE name = 'Hook' AND channel = 'webhook') AS first
WHERE contacts.name = 'Hook' AND contacts.channel = 'webhook'
"""


def _query(pg_url: str | None, workdir: Path, sql: str, *params, commit: bool = False
           ) -> tuple | None:
    if pg_url:
        with psycopg.connect(pg_url.replace("+psycopg", "")) as c:
            cur = c.execute(sql.replace("?", "%s"), params)
            return None if commit else cur.fetchone()
    with sqlite3.connect(workdir / "data" / "fenghuo.db") as c:
        return c.execute(sql, params).fetchone()


def _incidents(pg_url: str | None, workdir: Path) -> dict:
    """How many incidents the database holds before the load, and the highest id."""
    count, max_id = _query(pg_url, workdir, "SELECT count(*), coalesce(max(id), 0) FROM incidents")
    return {"count": count, "max_id": max_id}


def _majors(pg_url: str | None, workdir: Path, load: Load, *, after_id: int) -> int:
    """How many major incidents this run got accepted (wrk does not read answers: ask the
    database)."""
    if load.majors:
        return len(load.majors)
    time.sleep(1)  # requests in flight when wrk stopped may still commit
    return _query(pg_url, workdir, "SELECT count(*) FROM incidents WHERE grade = 'major' AND "
                  "title NOT LIKE ? AND id > ?", "warm-up%", after_id)[0]


if __name__ == "__main__":
    main()
