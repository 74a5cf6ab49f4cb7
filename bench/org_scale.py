"""How the organization layer behaves as it grows: import rate, scoped reads, audit verification.

    python bench/org_scale.py --bodies 20000                       # embedded SQLite in a temp dir
    python bench/org_scale.py --bodies 20000 --db postgresql+psycopg://postgres@127.0.0.1/bench

Creates cities and operator units under every province, then times what callers do most. Prints
figures; asserts nothing. The PostgreSQL database given must exist and be empty.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fenghuo import bootstrap
from fenghuo.audit import service as audit
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.org import accounts, bodies, interchange
from fenghuo.org.schemas import UserIn

SECTORS = ["telecom", "energy", "transport", "water", "finance", "public-services",
           "e-government"]


def build_document(n_bodies: int, provinces: list[str]) -> interchange.OrgDocument:
    doc = interchange.OrgDocument()
    per_province = max(1, n_bodies // len(provinces))
    for p in provinces:
        city = f"{p[:2]}0100"
        doc.add("jurisdictions", "bench", 0, {"code": city, "parent": p, "level": "city",
                                              "name_zh": f"{p}市", "name_en": f"City of {p}"})
        for i in range(per_province):
            doc.add("bodies", "bench", i, {
                "key": f"op-{p}-{i}", "kind": "operator", "jurisdiction": city,
                "name_zh": f"运营单位{p}-{i}", "name_en": f"Operator {p}-{i}",
                "sectors": [SECTORS[i % len(SECTORS)]], "cii": i % 10 == 0})
    return doc


def timed(fn, repeat: int = 20) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bodies", type=int, default=20000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    rt = bootstrap.build(Settings(database_url=url))
    bootstrap.upgrade_and_seed(rt)
    provinces = [f"{c}0000" for c in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                                      41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64,
                                      65)]
    doc = build_document(args.bodies, provinces)
    n = len(doc.rows["bodies"])
    t = time.perf_counter()
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    elapsed = time.perf_counter() - t
    print(f"backend: {rt.engine.dialect.name}")
    print(f"import: {n} operator units in {elapsed:.1f}s = {n / elapsed:.0f} bodies/s "
          "(each audited)")
    with rt.uow() as s:
        accounts.put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="bench-bj", display_name="b", body="110000.office", roles=["analyst"]))
        accounts.put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="bench-nat", display_name="n", body="cn.emergency-office",
            roles=["analyst"]))
    bj = accounts.principal_for(rt.uow, username="bench-bj")
    nat = accounts.principal_for(rt.uow, username="bench-nat")
    page = PageParams(limit=50)
    for label, fn in [
        ("province list, 50 per page", lambda: bodies.list_bodies(rt.uow, principal=bj, page=page)),
        ("national list, filtered by sector",
         lambda: bodies.list_bodies(rt.uow, principal=nat, page=page, sector="finance")),
        ("national list, name search",
         lambda: bodies.list_bodies(rt.uow, principal=nat, page=page, q="Operator 320000-1")),
        ("fetch one body, province scope",
         lambda: bodies.get_body(rt.uow, principal=bj, key="op-110000-7")),
        ("province tree with bodies", lambda: bodies.org_tree(rt.uow, principal=bj)),
    ]:
        med, worst = timed(fn)
        print(f"{label}: median {med:.1f} ms, max {worst:.1f} ms")
    t = time.perf_counter()
    result = audit.verify(rt.uow)
    elapsed = time.perf_counter() - t
    print(f"audit verify: {result.rows} rows in {elapsed:.1f}s = {result.rows / elapsed:.0f} "
          f"rows/s, intact={result.ok}")
    rt.engine.dispose()


if __name__ == "__main__":
    main()
