"""How the preparedness views behave as the tree grows: the compliance view, the accountability
and commendation view and the reminder sweep, over thousands of operator units (every one must
keep a plan; one in ten is CII and must also exercise and assess its risks).

    python bench/preparedness_scale.py --bodies 5000                 # embedded SQLite
    python bench/preparedness_scale.py --bodies 5000 --db postgresql+psycopg://postgres@127.0.0.1/bench

A third of the units get a plan (some overdue); the Beijing office holds an exercise. Prints
figures; asserts nothing. The PostgreSQL database given must exist and be empty.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from org_scale import build_document, timed
from sqlalchemy import select

from fenghuo import bootstrap
from fenghuo.common.pagination import PageParams
from fenghuo.common.periods import Half, day_of, window
from fenghuo.config import Settings
from fenghuo.org import accounts, interchange
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.schemas import UserIn
from fenghuo.preparedness import accountability
from fenghuo.preparedness import service as preparedness
from fenghuo.preparedness.models import EmergencyPlan
from fenghuo.support import service as support


def add_plans(rt: bootstrap.Runtime) -> int:
    """A plan for every third operator, adopted 6–18 months ago (so some are overdue)."""
    now = rt.clock.now()
    with rt.uow() as s:
        ids = s.scalars(select(Body.id).where(Body.kind == "operator").order_by(Body.id)).all()
        for n, body_id in enumerate(ids[::3]):
            s.add(EmergencyPlan(body_id=body_id, key="plan", title="预案", version="1",
                                owner="bench", document="bench.pdf",
                                adopted_on=day_of(now) - timedelta(days=180 + n % 365),
                                created_at=now, updated_at=now))
        return len(ids[::3])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bodies", type=int, default=5000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    rt = bootstrap.build(Settings(database_url=url))
    bootstrap.upgrade_and_seed(rt)
    with rt.uow() as s:  # the provinces with GB/T 2260 codes (not the XPCC)
        provinces = [c for c in s.scalars(select(Jurisdiction.code).where(
            Jurisdiction.level == "province")) if c.isdigit()]
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=build_document(args.bodies, list(provinces)))
    plans = add_plans(rt)
    with rt.uow() as s:
        for name, body in (("nat", "cn.emergency-office"), ("bj", "110000.office")):
            accounts.put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
                username=name, display_name=name, body=body, roles=["administrator"],
                password="bench-password-123"))
        n_bodies = s.query(Body).count()
    nat = accounts.principal_for(rt.uow, username="nat")
    bj = accounts.principal_for(rt.uow, username="bj")
    since, until = window(Half.of(date.today()), ZoneInfo("Asia/Shanghai"))
    print(f"{n_bodies} bodies, {plans} plans, database {url.split(':')[0]}")
    cases = {
        "national compliance, first 50 rows": lambda: preparedness.compliance(
            rt.uow, rt.clock, principal=nat, page=PageParams(limit=50)),
        "national compliance, non-compliant only": lambda: preparedness.compliance(
            rt.uow, rt.clock, principal=nat, page=PageParams(limit=50), noncompliant=True),
        "province compliance, first 50 rows": lambda: preparedness.compliance(
            rt.uow, rt.clock, principal=bj, page=PageParams(limit=50)),
        "province accountability, this half-year": lambda: accountability.accountability(
            rt.uow, rt.clock, principal=bj, since=since, until=until),
        "national accountability, this half-year": lambda: accountability.accountability(
            rt.uow, rt.clock, principal=nat, since=since, until=until),
    }
    for label, fn in cases.items():
        median, worst = timed(fn, repeat=5)
        print(f"{label:45s} median {median:8.1f} ms   max {worst:8.1f} ms")
    t = time.perf_counter()
    with rt.uow() as s:
        due = [*preparedness.reminders_due(s, day_of(rt.clock.now())),
               *support.reminders_due(s, day_of(rt.clock.now()))]
    elapsed = (time.perf_counter() - t) * 1000
    print(f"{'reminders due, whole tree':45s} {len(due)} in {elapsed:.1f} ms")


if __name__ == "__main__":
    main()
