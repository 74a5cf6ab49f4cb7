"""Casework on the incident page in Debian's Chromium (issue 19): the reporter drops a file on
the evidence zone and sees the SHA-256 computed in the browser, then the server's beside it,
matching; the duty officer, in Chinese, adds an observable, a task and an internal note.
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import hashlib

from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in
from tests.browser.test_incidents import contexts, file_in_english  # noqa: F401 - a fixture

pytestmark = SQLITE_ONLY
CONTENT = "suspicious payload 可疑载荷\n"


def test_drop_a_file_and_add_casework(server, contexts):  # noqa: F811 - the fixture
    page = contexts()
    ref = file_in_english(page, server)
    zone = page.locator("#evidence-drop")
    expect(zone).to_be_visible()
    dt = page.evaluate_handle(
        """(text) => { const dt = new DataTransfer();
             dt.items.add(new File([text], "payload.txt", {type: "text/plain"})); return dt; }""",
        CONTENT)
    zone.dispatch_event("drop", {"dataTransfer": dt})
    digest = hashlib.sha256(CONTENT.encode()).hexdigest()
    expect(page.locator("#evidence-local-sha")).to_have_text(digest)
    expect(page.locator("#evidence-server-sha")).to_have_text(digest)
    expect(page.locator("#evidence-verdict")).to_have_text("The hashes match.")

    duty = contexts()
    log_in(duty, server, "bj_duty", f"/web/incidents/{ref}")
    expect(duty.locator("#evidence")).to_contain_text("payload.txt")
    duty.fill("#obs-value", "203.0.113.9")
    duty.locator("#observable-form button[type=submit]").click()
    expect(duty.locator("#observable-table")).to_contain_text("IP地址")
    expect(duty.locator("#observable-table")).to_contain_text("203.0.113.9")
    duty.fill("#task-title", "封禁地址 block the address")
    duty.select_option("#task-owner", "bj_analyst")
    duty.fill("#task-due", "2026-12-31T18:00")
    duty.locator("#task-form button[type=submit]").click()
    expect(duty.locator("#task-table")).to_contain_text("封禁地址 block the address")
    duty.fill("#comment-text", "已通知运营商 carrier told")
    duty.locator("#comment-form button[type=submit]").click()
    expect(duty.locator("#comment-list")).to_contain_text("已通知运营商 carrier told")
