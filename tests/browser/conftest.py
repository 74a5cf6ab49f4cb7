"""A real Fenghuo server in a subprocess over a fresh copy of the seeded world, and Debian's
Chromium driven by Playwright. The tests skip, saying why, when /usr/bin/chromium is missing
(``scripts/test`` installs the ``chromium`` package where it can)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import clean_env
from tests.servers import Server
from tests.waits import scaled

CHROMIUM = "/usr/bin/chromium"
#: the browser tests run on SQLite only, to stay quick: they check the pages, and the services
#: under those pages run on SQLite and PostgreSQL in tests/e2e (test_web_console.py and others)
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
#: the same for a module's shared world (``module_db_url``, ``module_server``)
MODULE_SQLITE_ONLY = pytest.mark.parametrize("module_db_url", ["sqlite"], indirect=True)


def ui_timeout_ms() -> float:
    """Playwright's bound on each action, wait and ``expect`` (30 s on an idle machine, scaled
    to its load); its timeout error names the selector or URL it waited for."""
    return scaled(30) * 1000


def start_server(database_url: str, log: Path) -> Server:
    """``fenghuo serve`` on a free port over ``database_url``; returns once /healthz answers."""
    env = {**clean_env(FENGHUO_DATABASE_URL=database_url), "FENGHUO_ACCESS_LOG": "false"}
    return Server(env=env, cwd=log.parent, log=log)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Base URL of a live server over a fresh copy of the seeded world (``db_url``; the tests
    choose the backend with ``SQLITE_ONLY``)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(scripts/test does so as root)")
    with start_server(db_url, tmp_path / "server.log") as live:
        yield live.base


@pytest.fixture(scope="module")
def module_server(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One live server for a module whose tests only read (the layout checks)."""
    with start_server(module_db_url, tmp_path_factory.mktemp("server") / "server.log") as live:
        yield live.base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ui_timeout_ms())
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def log_in(page, base: str, username: str, next_path: str = "/web/") -> None:
    """Log ``username`` in through the login page (by field ids, so in either language) and
    wait until the browser lands on ``next_path``."""
    from tests.conftest import PASSWORD

    page.goto(f"{base}/web/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form[action='/web/login'] button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")
