"""Where a bulletin's generation goes (issue 21 item 3): figures (the SQL counts and the listed
incidents), HTML, PDF, for the weekly and monthly bulletins of an instance, in-process, as the
caller would generate them over the API (``sharing.bulletins._generate`` with its progress
steps), rolled back afterwards. Prints seconds per step; asserts nothing.

    python bench/bulletin_steps.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/fenghuo_scale_1m_month \\
        --week 2026-W49 --month 2026-12 [--user bench-nat] [--runs 3]

``bench/seed_scale.py --incidents 1000000 --years 0.0068`` builds an instance whose million
incidents all fall in the current week and month.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from fenghuo import bootstrap
from fenghuo.config import Settings
from fenghuo.org import accounts
from fenghuo.org.models import Body
from fenghuo.sharing import bulletins

#: the progress steps of ``_generate`` grouped as the targets name them
PHASES = {"figures": ("incidents", "warnings", "responses", "support", "html"),
          "html": ("pdf",), "pdf": ("store",), "store": ("done",)}


def once(rt: bootstrap.Runtime, principal, kind: str, period: str) -> dict[str, float]:  # noqa: ANN001
    marks = [("start", time.perf_counter())]
    with rt.uow() as s:
        bulletins._generate(s, issuer=s.get(Body, principal.body_id), principal=principal,
                            kind=kind, period=bulletins._period(kind, period),
                            now=datetime.now(UTC), timezone="Asia/Shanghai",
                            progress=lambda _i, _n, name: marks.append(
                                (name, time.perf_counter())))
        s.rollback()
    took = {name: b[1] - a[1] for a, b in zip(marks, marks[1:], strict=False) for name in (b[0],)}
    return {phase: sum(took.get(step, 0.0) for step in steps)
            for phase, steps in PHASES.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--week", required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--user", default="bench-nat")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rt = bootstrap.build(Settings(database_url=args.database_url))
    principal = accounts.principal_for(rt.uow, username=args.user)
    print(f"{'bulletin':<10} {'figures s':>10} {'HTML s':>8} {'PDF s':>8} {'store s':>8}"
          f"  (median of {args.runs})")
    for kind, period in (("weekly", args.week), ("monthly", args.month)):
        runs = [once(rt, principal, kind, period) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in PHASES}
        print(f"{kind:<10} {med['figures']:>10.2f} {med['html']:>8.2f} {med['pdf']:>8.2f} "
              f"{med['store']:>8.2f}")


if __name__ == "__main__":
    main()
