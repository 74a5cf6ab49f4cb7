"""Save screenshots of the console's main pages (1366×768) to docs/screenshots/.

Starts a server over a fresh SQLite copy of the test world (the fixtures of tests/), drives
Debian's Chromium headless, and writes login.png, dashboard.png, dashboard-en.png and
incidents.png. Usage: python tools/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from tests.browser.conftest import CHROMIUM, start_server  # noqa: E402
from tests.conftest import PASSWORD, _runtime, _seed_world  # noqa: E402

from fenghuo.common.clock import FakeClock  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'world.db'}"
        rt = _runtime(url, FakeClock())
        _seed_world(rt)
        rt.engine.dispose()
        proc, base = start_server(url, Path(tmp) / "server.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox"])
                ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366,
                                                                     "height": 768})
                page = ctx.new_page()
                page.goto(f"{base}/web/login?next=/web/")
                page.screenshot(path=args.out / "login.png")
                page.fill("#username", "bj_duty")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/web/")
                page.screenshot(path=args.out / "dashboard.png")
                page.goto(f"{base}/web/incidents")
                page.screenshot(path=args.out / "incidents.png")
                page.goto(f"{base}/web/lang?to=en&next=/web/")
                page.screenshot(path=args.out / "dashboard-en.png")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    for name in ("login", "dashboard", "dashboard-en", "incidents"):
        print(args.out / f"{name}.png")


if __name__ == "__main__":
    main()
