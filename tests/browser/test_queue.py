"""The duty officer's queue in Debian's Chromium: bj_reporter reports an incident through the
API; bj_duty logs in, finds it at the top of the queue and clicks through to it (issue 19).
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.browser.test_dashboard import api_token
from tests.e2e.test_api_incidents import report

pytestmark = SQLITE_ONLY


def test_the_duty_officer_sees_the_new_incident_first_and_opens_it(server, browser):
    r = httpx.post(f"{server}/api/v1/incidents", headers=api_token(server, "bj_reporter"),
                   json=report())
    assert r.status_code in (200, 201), r.text
    ref = r.json()["ref"]
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    ctx.set_default_timeout(ui_timeout_ms())
    try:
        page = ctx.new_page()
        log_in(page, server, "bj_duty")
        first = page.locator("#queue tbody tr").first.get_by_role("link")
        expect(first).to_have_text(ref)
        first.click()
        expect(page).to_have_url(re.compile(re.escape(f"/web/incidents/{ref}")))
    finally:
        ctx.close()
