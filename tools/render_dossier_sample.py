"""Render a sample dossier and the PNG of its first page (docs/screenshots/dossier-page1.png).

Run by hand from the repository root: ``python tools/render_dossier_sample.py [--pdf FILE]``.
It builds the test world on a throwaway SQLite database, plays the scenario of
tests/integration/test_dossier.py (a major incident, a Level II response with progress, support,
ending and investigation, a preserved packet capture), and renders the dossier with the same
code the API and the CLI use. Needs poppler-utils (pdftoppm) and fonts-noto-cjk.
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
PNG = ROOT / "docs" / "screenshots" / "dossier-page1.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, help="also keep the whole sample PDF here")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    sys.path.insert(0, str(ROOT))  # the scenario and the test world live with the tests
    conftest = importlib.import_module("tests.conftest")
    sample = importlib.import_module("tests.integration.test_dossier")
    from fenghuo import dossier
    from fenghuo.common.clock import FakeClock
    from fenghuo.org.accounts import principal_for

    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        rt = conftest._runtime(f"sqlite:///{tmp}/sample.db", clock)
        conftest._seed_world(rt)
        principal = lambda username: principal_for(rt.uow, username=username)  # noqa: E731
        sc = sample.scenario(rt, principal, clock)
        d = dossier.build(rt.uow, rt.clock, principal=principal("bj_duty"), ref=sc.incident)
        pdf = Path(tmp) / "dossier.pdf"
        pdf.write_bytes(dossier.to_pdf(d))
        if args.pdf:
            shutil.copyfile(pdf, args.pdf)
        PNG.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(PNG.with_suffix(""))], check=True)
        rt.engine.dispose()
    print(f"{sc.incident}: wrote {PNG.relative_to(ROOT)}" + (f" and {args.pdf}" if args.pdf
                                                              else ""))


if __name__ == "__main__":
    main()
