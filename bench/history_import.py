"""Importing 5,000 historical incidents (issue 18 item 9): how long `fenghuo incidents import`'s
use case takes for a FIR-style CSV and a TheHive-style JSON file of that size, the first time
(everything written) and again (everything skipped as imported before), and that none of them
counts as late in the accountability view (Plan §7.10).

    python bench/history_import.py --rows 5000 --db postgresql
    python bench/history_import.py --rows 5000 --db sqlite

Fifty Beijing operating units; each row names one by key. Prints the figures and one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from fenghuo import bootstrap
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from fenghuo.incident import accountability, history
from fenghuo.org import interchange
from fenghuo.org.accounts import principal_for, put_user
from fenghuo.org.schemas import UserIn

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
UNITS = 50
CATEGORIES = ("Phishing", "Malware", "DDoS", "Defacement", "Vulnerability", "Data leak",
              "Ransomware", "Scan", "Compromised host", "Account compromise")
ADMIN = "bench_admin"
PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'history.db'}"
    name = f"fenghuo_history_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _seed(rt: bootstrap.Runtime) -> None:
    bootstrap.upgrade_and_seed(rt)
    doc = interchange.OrgDocument()
    for i in range(UNITS):
        doc.add("bodies", "bench", i, {
            "key": f"unit-{i}", "kind": "operator", "jurisdiction": "110000",
            "name_zh": f"运营单位{i}", "name_en": f"Operator {i}", "sectors": ["finance"]})
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username=ADMIN, display_name=ADMIN, body="110000.office", roles=["administrator"],
            password="bench-password-1"))


def fir_csv(rows: int) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id", "date", "subject", "description", "category", "status", "severity",
                "actor", "plan", "is_major", "confidentiality", "detection",
                "concerned_business_lines", "acknowledged_date", "closed_date"])
    start = NOW - timedelta(days=4 * 365)
    for i in range(rows):
        opened = start + timedelta(minutes=317 * i)
        w.writerow([i, opened.strftime("%Y-%m-%d %H:%M:%S"), f"Incident {i}",
                    "From the FIR bench file", CATEGORIES[i % 10], "C" if i % 5 else "O",
                    1 + i % 4, "CERT", "Blocking", i % 50 == 0, f"C{i % 4}", "CERT",
                    f"unit-{i % UNITS}",
                    (opened + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
                    (opened + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S") if i % 5 else ""])
    return out.getvalue()


def thehive_json(rows: int) -> str:
    start = NOW - timedelta(days=4 * 365)
    ms = lambda d: int(d.timestamp() * 1000)  # noqa: E731
    return json.dumps([{
        "_id": f"~{i}", "title": f"Case {i}", "description": "From the TheHive bench file",
        "severity": 1 + i % 4, "startDate": ms(start + timedelta(minutes=317 * i)),
        "createdAt": ms(start + timedelta(minutes=317 * i + 30)),
        "endDate": ms(start + timedelta(minutes=317 * i, days=3)) if i % 5 else None,
        "status": "Resolved" if i % 5 else "Open", "tags": [CATEGORIES[i % 10].lower()],
        "tlp": 2, "pap": 2, "owner": "analyst@bench",
        "customFields": {"unit": {"string": f"unit-{i % UNITS}", "order": 0}}}
        for i in range(rows)])


def run(rows: int, db: str) -> dict:
    figures: dict = {"db": db, "rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        db_url = _database(db, Path(tmp))
        rt = bootstrap.build(Settings(database_url=db_url), clock=FakeClock(NOW))
        _seed(rt)
        me = principal_for(rt.uow, username=ADMIN)
        for fmt, text in (("fir-csv", fir_csv(rows)), ("thehive-json", thehive_json(rows))):
            for attempt in ("first", "again"):
                t0 = time.perf_counter()
                out = history.import_history(rt.uow, rt.clock, principal=me, fmt=fmt,
                                             text=text, profile=rt.settings.grading_profile)
                took = time.perf_counter() - t0
                figures[f"{fmt}_{attempt}_s"] = round(took, 3)
                figures[f"{fmt}_{attempt}_imported"] = out.imported
                print(f"  {db:10} {fmt:12} {attempt:5}: {out.imported:5} imported, "
                      f"{out.skipped:5} skipped in {took:6.2f} s"
                      + (f" ({out.imported / took:,.0f}/s)" if out.imported else ""),
                      flush=True)
        t0 = time.perf_counter()
        rows_ = accountability.reporting(rt.uow, rt.clock, principal=me,
                                         since=NOW - timedelta(days=5 * 365), until=NOW)
        figures["late"] = sum(r.late for r in rows_)
        figures["overdue_duties"] = sum(r.overdue_duties for r in rows_)
        print(f"  {db:10} accountability view over the imported history: "
              f"{figures['late']} late, {figures['overdue_duties']} overdue duties "
              f"({time.perf_counter() - t0:.2f} s)", flush=True)
        rt.engine.dispose()
        if db == "postgresql":
            with psycopg.connect(PG, autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {db_url.rsplit('/', 1)[1]} WITH (FORCE)")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        print(json.dumps(run(args.rows, db)), flush=True)


if __name__ == "__main__":
    main()
