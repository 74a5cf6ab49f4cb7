"""A real Fenghuo server in a subprocess over a fresh copy of the seeded world, and Debian's
Chromium driven by Playwright. The tests skip, saying why, when /usr/bin/chromium is missing
(``scripts/test`` installs the ``chromium`` package where it can)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
#: the browser tests run on SQLite only, to stay quick: they check the pages, and the services
#: under those pages run on SQLite and PostgreSQL in tests/e2e (test_web_console.py and others)
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    """``fenghuo serve`` on a free port; returns once /healthz answers."""
    port = free_port()
    env = {**os.environ, "FENGHUO_DATABASE_URL": database_url, "FENGHUO_ACCESS_LOG": "false"}
    out = log.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "serve", "--host",
                             "127.0.0.1", "--port", str(port)], env=env, stdout=out,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the server did not answer /healthz in 30 s: {log.read_text()}")


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Base URL of a live server over a fresh copy of the seeded world (``db_url``; the tests
    choose the backend with ``SQLITE_ONLY``)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(scripts/test does so as root)")
    proc, base = start_server(db_url, tmp_path / "server.log")
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

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
