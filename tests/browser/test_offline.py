"""Issue 19 item 9 in Debian's Chromium against a live server: air-gapped, nothing is loaded from
the internet. A duty officer (bj_duty) and the national office's administrator (nat_admin) walk
every page of their console's navigation and the main pages of tests/browser/test_layout.py,
the public pages and the interactive API documentation; every request the browser makes goes
to the server on 127.0.0.1. Requests elsewhere are refused here as an air gap would: /docs
must still render Swagger UI's operations (its script and style are served from the
``fastapi-offline`` package at /docs/assets, not from a CDN), under its own policy without one
violation. SQLite only (see conftest.MODULE_SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.conftest import MODULE_SQLITE_ONLY, log_in, ui_timeout_ms
from tests.browser.test_content_security_policy import LISTEN
from tests.browser.test_layout import PAGES as LAYOUT_PAGES
from tests.conftest import PASSWORD

pytestmark = MODULE_SQLITE_ONLY
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: schemes whose "requests" never reach a network
LOCAL_SCHEMES = {"data", "blob", "about"}
PUBLIC_PAGES = ["/public/warnings", "/public/tips", "/public/tips/status", "/web/login"]
#: the console's navigation, as the user sees it (pages a user may open differ by role)
NAV_LINKS = "els => els.map(a => a.getAttribute('href'))"
#: list pages whose first item's page is visited too (when the seeded world has one)
LISTS = {"/web/incidents": "/web/incidents/", "/web/warnings": "/web/warnings/",
         "/web/responses": "/web/responses/", "/public/warnings": "/public/warnings/"}


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="module")
def reported(module_server) -> str:
    """An incident the unit's reporter filed, so that an incident's page is walked too."""
    api = f"{module_server}/api/v1"
    token = httpx.post(f"{api}/auth/token", data={"username": "bj_reporter",
                                                  "password": PASSWORD}).json()["access_token"]
    found = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = httpx.post(f"{api}/incidents", headers={"Authorization": f"Bearer {token}"}, json={
        "system": "core", "category": "harmful-program",
        "subcategory": "harmful-program.trojan", "title": "木马 offline check",
        "found_at": found, "impact": "two hosts", "measures": "isolated"})
    assert r.status_code == 201, r.text
    return r.json()["ref"]


@pytest.fixture
def offline(browser):
    """``offline()``: a new page whose every request is kept in the returned list; a request
    off the machine is aborted, as it would fail on an air-gapped network."""
    made = []

    def make():
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
        ctx.set_default_timeout(ui_timeout_ms())
        ctx.add_init_script(LISTEN)
        made.append(ctx)
        seen: list[str] = []
        ctx.on("request", lambda request: seen.append(request.url))
        ctx.route("**/*", lambda route: route.continue_() if is_local(route.request.url)
                  else route.abort("internetdisconnected"))
        return ctx.new_page(), seen

    yield make
    for ctx in made:
        ctx.close()


def visit(page, url: str) -> None:
    response = page.goto(url)  # waits for "load": the page's own scripts have run
    assert response is not None and response.status == 200, url


def first_item(page, prefix: str) -> str | None:
    hrefs = page.eval_on_selector_all(f"main a[href^='{prefix}']", NAV_LINKS)
    return next((h for h in hrefs if h.rstrip("/") != prefix.rstrip("/")
                 and not h.endswith("/new") and "?" not in h), None)


def walk_console(page, server: str, username: str) -> list[str]:
    """Logs ``username`` in, opens every page of the navigation and the layout test's main
    pages (those the user may open) and the first item of each list; returns the paths."""
    log_in(page, server, username)
    nav = page.eval_on_selector_all("header nav a[href]", NAV_LINKS)
    assert "/web/incidents" in nav, nav
    paths = list(dict.fromkeys(nav + LAYOUT_PAGES))
    for path in paths:
        response = page.goto(f"{server}{path}")
        if response.status == 403 and path not in nav:  # a main page not for this role
            continue
        assert response.status == 200, f"{username} {path}: {response.status}"
        if path in LISTS and (item := first_item(page, LISTS[path])):
            visit(page, f"{server}{item}")
            paths.append(item)
    return paths


@pytest.mark.parametrize("username", ["bj_duty", "nat_admin"])
def test_no_console_page_loads_anything_from_off_the_machine(module_server, reported, offline,
                                                              username):
    page, seen = offline()
    walked = walk_console(page, module_server, username)
    page.wait_for_load_state("networkidle")  # what the last page's scripts fetch is recorded
    assert len(walked) >= 10, walked
    if username == "bj_duty":  # the Beijing office handles the unit's report
        assert f"/web/incidents/{reported}" in walked
    assert page.evaluate("window.__csp || []") == []
    off = [url for url in seen if not is_local(url)]
    assert not off, f"{username}: requests off the machine:\n" + "\n".join(off)
    assert any(urlsplit(url).path.startswith("/web/static/") for url in seen)  # recorded


def test_public_pages_and_the_api_docs_work_offline(module_server, offline):
    page, seen = offline()
    for path in PUBLIC_PAGES:
        visit(page, f"{module_server}{path}")
    page.goto(f"{module_server}/public/warnings")
    if item := first_item(page, LISTS["/public/warnings"]):
        visit(page, f"{module_server}{item}")

    visit(page, f"{module_server}/docs")
    off = [url for url in seen if not is_local(url)]
    assert not off, "requests off the machine:\n" + "\n".join(off)
    page.locator(".opblock").first.wait_for(state="visible")  # Swagger UI rendered the API
    assert page.locator(".opblock").count() > 50
    assert page.evaluate("window.__csp || []") == [], "/docs broke its own policy"
    assert any(urlsplit(url).path.startswith("/docs/assets/") for url in seen)
