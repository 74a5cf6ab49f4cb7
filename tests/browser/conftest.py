"""A real Fenghuo server (uvicorn on a free port, with the embedded delivery worker, as
``fenghuo serve`` runs them) over a fresh copy of the seeded world, and Debian's Chromium driven
by Playwright. The tests skip, saying why, when /usr/bin/chromium is missing (``scripts/test``
installs the ``chromium`` package where it can).

The server runs in a thread of the test process rather than as ``fenghuo serve`` in a process
of its own: starting a process imports the whole application again, which cost each browser
test 5–20 s on a loaded two-core machine. ``fenghuo serve`` itself is started as a process by
tests/e2e/test_cli.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from fenghuo import bootstrap
from fenghuo import server as serving
from fenghuo.api.app import create_app
from fenghuo.config import Settings
from tests.peers import free_port
from tests.waits import scaled, wait_until

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


@contextmanager
def start_server(database_url: str, *, worker: bool | None = None,
                 **settings: object) -> Iterator[str]:
    """The server over ``database_url`` on a free port, as ``fenghuo serve`` runs it (migrated
    and seeded, the embedded worker beside it unless ``worker`` is False: a peer that only
    answers, whose worker would run the collectors the test runs itself; the requests on their
    own runtime, with its statement timeout on PostgreSQL); yields its base URL once it accepts
    requests. ``settings`` are more settings (``statement_timeout_seconds=...``)."""
    rt = bootstrap.build(Settings(database_url=database_url, access_log=False, worker=worker,
                                  **settings))
    bootstrap.upgrade_and_seed(rt)
    worker = serving.embedded_worker(rt)
    served = serving.requests_runtime(rt)
    port = free_port()
    live = uvicorn.Server(uvicorn.Config(create_app(served), host="127.0.0.1", port=port,
                                         log_level="warning", access_log=False))
    thread = threading.Thread(target=live.run, name="fenghuo-test-server", daemon=True)
    thread.start()
    try:
        wait_until(lambda: live.started, "the test server starts", seconds=60, interval=0.05,
                   abort=lambda: None if thread.is_alive() else "the server thread ended")
        yield f"http://127.0.0.1:{port}"
    finally:
        live.should_exit = True
        thread.join(timeout=scaled(30))
        if worker is not None:
            worker.stop()
        rt.engine.dispose()
        served.engine.dispose()


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    """Base URL of a live server over a fresh copy of the seeded world (``db_url``; the tests
    choose the backend with ``SQLITE_ONLY``)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(scripts/test does so as root)")
    with start_server(db_url) as base:
        yield base


@pytest.fixture(scope="module")
def module_server(module_db_url: str) -> Iterator[str]:
    """One live server for a module whose tests only read (the layout checks)."""
    with start_server(module_db_url) as base:
        yield base


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
