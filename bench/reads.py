"""Reads at scale (issue 21 items 2 and 3): starts ``fenghuo serve`` over an existing instance
(``bench/seed_scale.py`` builds one) and times, one client, each read the console and the API
offer: the dashboard, the incident list's first page and its filters, searches (nothing, Chinese,
English), one incident, and the weekly and monthly bulletins (generated, then their HTML and
PDF, served as stored). Prints p50 / p95 per read and the table sizes; asserts nothing.

    python bench/reads.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fenghuo_scale_1m
    python bench/reads.py --database-url … --runs 10 --only dashboard,list
    python bench/reads.py --database-url …/fenghuo_scale_1m_month --week 2026-W49 --month 2026-12

The server runs without its worker and with a statement timeout of ``--timeout`` seconds (a
read slower than that is reported as such, not waited for). A user ``bench-reads`` (national
administrator of the Emergency Office) is created, or its password reset, for the run.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

USER, PASSWORD = "bench-reads", "Scale-measure-2026!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fenghuo.cli.main", *args], env=env,
                          capture_output=True, text=True, check=False)


def start(env: dict, port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "serve", "--port",
                             str(port)], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def web_client(base: str, timeout: float) -> httpx.Client:
    """A console session: the login form with its CSRF token."""
    client = httpx.Client(base_url=base, timeout=timeout)
    page = client.get("/web/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/web/login", data={"username": USER, "password": PASSWORD, "csrf": csrf})
    if r.status_code not in (200, 303):
        raise RuntimeError(f"console login: {r.status_code}")
    return client


def timed(call: Callable[[], httpx.Response], runs: int) -> tuple[list[float], int]:
    """Seconds per run (after one warm-up), and the last status code."""
    status = call().status_code
    took = []
    for _ in range(runs):
        t0 = time.perf_counter()
        status = call().status_code
        took.append(time.perf_counter() - t0)
    return took, status


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sizes(url: str) -> list[tuple[str, int, str]]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) "
            "FROM pg_stat_user_tables WHERE n_live_tup > 1000 ORDER BY n_live_tup DESC").fetchall()


def reads(api: httpx.Client, web: httpx.Client, *, week: str | None = None,
          month: str | None = None) -> dict[str, Callable[[], httpx.Response]]:
    """The reads by name; the bulletins of ``week`` (2026-W49) and ``month`` (2026-12), by
    default last week's and last month's."""
    listed = api.get("/api/v1/incidents", params={"limit": 1}).json()
    one = listed["items"][0]["ref"] if listed.get("items") else "FH-none"
    today = datetime.now(UTC).date()
    last_week = (today - timedelta(days=7)).isocalendar()
    month = month or (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def generate(kind: str, period: str) -> Callable[[], httpx.Response]:
        return lambda: api.post("/api/v1/bulletins", json={"kind": kind, "period": period})

    made: dict[tuple[str, str], str] = {}

    def document(kind: str, period: str, fmt: str) -> Callable[[], httpx.Response]:
        """The stored bulletin's HTML or PDF (generated once, before the first call)."""
        def call() -> httpx.Response:
            if (kind, period) not in made:
                r = api.post("/api/v1/bulletins", json={"kind": kind, "period": period})
                made[kind, period] = r.json().get("ref", "none") if r.status_code < 300 else "-"
            return api.get(f"/api/v1/bulletins/{made[kind, period]}.{fmt}")
        return call

    weekly = week or f"{last_week[0]}-W{last_week[1]:02d}"
    return {
        "dashboard": lambda: web.get("/web/"),
        "list": lambda: api.get("/api/v1/incidents", params={"limit": 50}),
        "list-grade-state": lambda: api.get("/api/v1/incidents", params={
            "limit": 50, "grade": "major", "state": "handling"}),
        "list-province-sector": lambda: api.get("/api/v1/incidents", params={
            "limit": 50, "jurisdiction": "440000", "sector": "finance"}),
        "search-nothing": lambda: api.get("/api/v1/incidents", params={
            "limit": 50, "q": "zzqx-nothing-matches"}),
        "search-chinese": lambda: api.get("/api/v1/incidents", params={"limit": 50, "q": "勒索"}),
        "search-english": lambda: api.get("/api/v1/incidents", params={
            "limit": 50, "q": "ransomware"}),
        "one-incident": lambda: api.get(f"/api/v1/incidents/{one}"),
        "weekly-generate": generate("weekly", weekly),
        "weekly-html": document("weekly", weekly, "html"),
        "weekly-pdf": document("weekly", weekly, "pdf"),
        "monthly-generate": generate("monthly", month),
        "monthly-html": document("monthly", month, "html"),
        "monthly-pdf": document("monthly", month, "pdf"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300, help="statement timeout, seconds")
    ap.add_argument("--only", default="", help="comma-separated reads (default: all)")
    ap.add_argument("--week", help="the weekly bulletin's week, e.g. 2026-W49 (last week)")
    ap.add_argument("--month", help="the monthly bulletin's month, e.g. 2026-12 (last month)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
    env.update(FENGHUO_DATABASE_URL=args.database_url, FENGHUO_WORKER="false",
               FENGHUO_STATEMENT_TIMEOUT_SECONDS=str(args.timeout),
               FENGHUO_DATA_DIR=str(workdir / "data"))
    made = cli(env, "user", "create", USER, "--body", "cn.emergency-office", "--role",
               "administrator", "--password", PASSWORD)
    if made.returncode != 0:
        cli(env, "user", "passwd", USER, "--password", PASSWORD)
    port = free_port()
    proc = start(env, port, workdir)
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/api/v1/auth/token", data={
            "username": USER, "password": PASSWORD}).json()["access_token"]
        api = httpx.Client(base_url=base, timeout=args.timeout + 30,
                           headers={"Authorization": f"Bearer {token}"})
        web = web_client(base, args.timeout + 30)
        wanted = {x for x in args.only.split(",") if x}
        print(f"{'read':<22} {'p50 ms':>10} {'p95 ms':>10} {'status':>7}")
        for name, call in reads(api, web, week=args.week, month=args.month).items():
            if wanted and name not in wanted:
                continue
            took, status = timed(call, args.runs)
            print(f"{name:<22} {p(took, .5) * 1000:>10,.1f} {p(took, .95) * 1000:>10,.1f} "
                  f"{status:>7}  (mean {statistics.mean(took) * 1000:,.1f})", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    if args.database_url.startswith("postgresql"):
        print("\ntable                          rows        size")
        for name, rows, size in sizes(args.database_url):
            print(f"{name:<28} {rows:>12,} {size:>10}")


if __name__ == "__main__":
    main()
