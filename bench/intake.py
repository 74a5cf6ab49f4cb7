"""Report intake under load, end to end: starts `fenghuo serve` (with its delivery worker) on
SQLite or PostgreSQL, drives concurrent report submissions over HTTP, and measures

  * reports/s accepted and p50/p99 latency of POST /api/v1/incidents;
  * for major incidents, p99 time from acceptance to arrival of the Emergency Office's webhook
    at a local receiver.

    python bench/intake.py --db sqlite --reports 2000 --concurrency 32
    python bench/intake.py --db postgresql --reports 2000 --concurrency 32

Prints figures; asserts nothing. PostgreSQL runs use a throwaway database on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-123"
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
  - {body: cn.emergency-office, name: Hook, channel: webhook, value: "%s"}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                arrivals.setdefault(body["ref"], time.perf_counter())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def fenghuo(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "fenghuo.cli.main", *args], env=env, check=True,
                   capture_output=True)


def start(env: dict, port: int, workdir: Path, processes: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "serve", "--port",
                             str(port), "--processes", str(processes)], env=env,
                            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def payload(i: int, major: bool) -> dict:
    return {"system": "core", "category": "network-attack", "subcategory": "network-attack.dos",
            "title": f"bench {i}", "found_at": datetime.now(UTC).isoformat(),
            "impact": "slow", "measures": "scrubbing",
            "facts": {"system_loss": "serious"} if major else {}}


def drive(base: str, token: str, n: int, concurrency: int, major_every: int):
    headers = {"Authorization": f"Bearer {token}"}
    accepted: dict[str, float] = {}
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
        r = client.post("/api/v1/incidents", json=payload(i, major),
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        done = time.perf_counter()
        with lock:
            if r.status_code != 201:
                errors += 1
                return
            latencies.append(done - t)
            if major:
                accepted[r.json()["ref"]] = done

    start_t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(n)))
    return time.perf_counter() - start_t, latencies, accepted, errors


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--major-every", type=int, default=10)
    ap.add_argument("--processes", type=int, default=1, help="server processes")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
    env.update(FENGHUO_WORKER="true", FENGHUO_ADMIN_PASSWORD=PASSWORD,
               FENGHUO_DATA_DIR=str(workdir / "data"))
    dbname = None
    if args.db == "postgresql":
        dbname = f"fenghuo_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{dbname}"')
        env["FENGHUO_DATABASE_URL"] = f"{PG}/{dbname}"
    receiver = Receiver()
    org = workdir / "org.yaml"
    org.write_text(ORG % receiver.url)
    fenghuo(env, "db", "upgrade")
    fenghuo(env, "org", "import", str(org))
    fenghuo(env, "user", "create", "bench", "--body", "bench-op", "--role",
            "operator_reporter", "--password", PASSWORD)
    port = free_port()
    proc = start(env, port, workdir, args.processes)
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "bench", "password": PASSWORD}).json()["access_token"]
        drive(base, token, 50, 4, args.major_every)  # warm up
        elapsed, lat, accepted, errors = drive(base, token, args.reports, args.concurrency,
                                               args.major_every)
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and not set(accepted) <= set(receiver.arrivals):
            time.sleep(0.05)
        delays = [receiver.arrivals[r] - t for r, t in accepted.items() if r in receiver.arrivals]
        print(f"backend: {args.db}; {args.processes} server process(es); {args.reports} "
              f"reports, concurrency {args.concurrency}, 1 in {args.major_every} major")
        print(f"throughput: {len(lat) / elapsed:.0f} reports/s ({errors} errors)")
        print(f"latency: p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
              f"mean {statistics.mean(lat) * 1000:.1f} ms")
        if delays:
            print(f"major → Emergency Office webhook: p50 {pct(delays, 50):.0f} ms, "
                  f"p99 {pct(delays, 99):.0f} ms, delivered {len(delays)}/{len(accepted)}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        receiver.server.shutdown()
        if dbname:
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                                 autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
