"""Render a sample monthly bulletin (November 2026, issued by CNCERT) as HTML and PDF and its pages
as PNG, to look at them.

Run by hand from the repository root: ``python tools/render_bulletin_sample.py OUTDIR
[--kind weekly --period 2026-W46]``. It builds the test world on a throwaway SQLite database,
seeds the month of tests/integration/test_bulletins.py (incidents of several categories, grades,
provinces and TLP labels, warnings, responses, a support unit's work) and generates the bulletin
with the same code the API, the CLI and the worker use. Needs poppler-utils and fonts-noto-cjk.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--kind", default="monthly", choices=["weekly", "monthly"])
    parser.add_argument("--period", default="2026-11")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    sys.path.insert(0, str(ROOT))  # the seeded month and the test world live with the tests
    conftest = importlib.import_module("tests.conftest")
    sample = importlib.import_module("tests.integration.test_bulletins")
    from fenghuo.common.clock import FakeClock
    from fenghuo.org.accounts import principal_for
    from fenghuo.sharing import bulletins

    args.outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        rt = conftest._runtime(f"sqlite:///{tmp}/sample.db", clock)
        conftest._seed_world(rt)
        sample.seed_month(rt)
        clock.advance(days=30)
        me = principal_for(rt.uow, username="cncert_duty")
        b = bulletins.generate(rt.uow, rt.clock, principal=me, data=bulletins.BulletinIn(
            kind=args.kind, period=args.period))
        for fmt in ("html", "pdf"):
            _, content = bulletins.get_document(rt.uow, principal=me, ref=b.ref, fmt=fmt)
            (args.outdir / f"bulletin.{fmt}").write_bytes(content)
        rt.engine.dispose()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(args.outdir / "bulletin.pdf"),
                    str(args.outdir / "page")], check=True)
    print(f"{b.ref}: wrote {args.outdir}/bulletin.html, bulletin.pdf and page-*.png")


if __name__ == "__main__":
    main()
