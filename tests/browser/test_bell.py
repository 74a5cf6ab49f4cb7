"""The notice bell in Debian's Chromium (issue 19 item 7): the Beijing duty officer's console,
polling every second (``?bell_poll=1``), shows the badge rise when a unit's reporter files an
incident through the API, beeps and shows a desktop notice when the toggle is on, and opening
the drop-down sets it back to nothing; the dashboard's own refresh keeps working beside it.
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.browser.test_dashboard import api_token

pytestmark = SQLITE_ONLY

#: stand-ins for the browser's Notification and AudioContext that record what the page asks
#: (an init script: it runs before the page's own, whatever the page's CSP)
RECORDERS = """
window.__notices = []; window.__beeps = 0;
window.Notification = function (title, opts) { window.__notices.push([title, opts && opts.body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
window.AudioContext = function () {
  var node = function () { return {connect: function () {}, frequency: {},
    gain: {setValueAtTime: function () {}, exponentialRampToValueAtTime: function () {}},
    start: function () { window.__beeps += 1; }, stop: function () {}}; };
  return {currentTime: 0, destination: {}, createOscillator: node, createGain: node,
          close: function () {}};
};
"""


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    ctx.set_default_timeout(ui_timeout_ms())
    ctx.add_init_script(RECORDERS)
    yield ctx.new_page()
    ctx.close()


def report(base: str) -> str:
    r = httpx.post(f"{base}/api/v1/incidents", headers=api_token(base, "bj_reporter"), json={
        "system": "core", "category": "network-attack", "subcategory": "network-attack.dos",
        "title": "铃声测试 bell test", "impact": "慢", "measures": "清洗",
        "found_at": (datetime.now(UTC) - timedelta(minutes=20)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def test_the_badge_rises_on_a_new_incident_and_opening_the_list_clears_it(server, page):
    log_in(page, server, "bj_duty")
    page.goto(f"{server}/web/?bell_poll=1")
    badge, menu = page.locator("#bell-count"), page.locator("#bell-menu")
    expect(page.locator("#bell")).to_have_attribute("data-poll-seconds", "30")
    page.locator("#bell-link").click()  # whatever the seeded world holds: read
    expect(menu).to_be_visible()
    expect(badge).to_have_text("")
    page.locator("#bell-alerts").check()
    assert page.evaluate("localStorage.getItem('fh-bell-alerts')") == "1"
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    with page.expect_response("**/web/bell.json"):
        pass  # a poll after the seen mark
    page.evaluate("window.__sameDocument = true")
    before_unack = int(page.locator("#unacknowledged").inner_text())

    ref = report(server)
    expect(badge).to_have_text("1")  # the 1-second poll, no reload
    page.wait_for_function("window.__notices.length === 1")
    assert page.evaluate("window.__beeps") >= 1
    assert ref in page.evaluate("window.__notices[0][1]")
    assert page.evaluate("window.__notices[0][0]") == "烽火通知"

    page.locator("#bell-link").click()
    expect(menu).to_be_visible()
    row = page.locator("#bell-list li.unread", has_text=ref)
    expect(row).to_contain_text("新路由事件")
    expect(row.get_by_role("link")).to_have_attribute("href", f"/web/incidents/{ref}")
    expect(badge).to_have_text("")
    with page.expect_response("**/web/bell.json"):
        pass
    expect(badge).to_have_text("")  # the server agrees: seen

    page.evaluate("window.fhRefresh()")  # the dashboard's refresh, beside the bell
    page.wait_for_function("Number(document.getElementById('unacknowledged').textContent)"
                           f" === {before_unack + 1}")
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("window.__notices.length") == 1  # no new notice after seen


def test_without_javascript_the_bell_is_a_link_to_the_inbox(server, browser):
    ctx = browser.new_context(locale="zh-CN", java_script_enabled=False)
    ctx.set_default_timeout(ui_timeout_ms())
    p = ctx.new_page()
    try:
        log_in(p, server, "bj_duty")
        p.locator("#bell-link").click()
        p.wait_for_url(f"{server}/web/inbox")
        expect(p.get_by_role("heading", name="通知")).to_be_visible()
    finally:
        ctx.close()
