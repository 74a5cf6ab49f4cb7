"""The duty console in Debian's Chromium (headless, via Playwright) against a live server:
log in, Chinese by default, switch to English, and a report filed by a unit's reporter counted
on the duty officer's dashboard without a full reload. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    ctx.set_default_timeout(ui_timeout_ms())
    yield ctx
    ctx.close()


def test_dashboard_in_chinese_then_english(server, context):
    page = context.new_page()
    log_in(page, server, "bj_duty")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.get_by_role("heading", name="总览")).to_be_visible()
    expect(page.get_by_role("heading", name="未结事件（按级别）")).to_be_visible()
    assert page.locator("#user-name").inner_text() == "bj_duty"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{server}/web/")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", name="Open incidents by grade")).to_be_visible()
    expect(page.get_by_role("link", name="Incidents", exact=True)).to_be_visible()
    page.get_by_role("link", name="Incidents", exact=True).click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()  # the choice sticks
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="事件")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{server}/web/login")


def test_a_filed_report_is_counted_on_the_dashboard(server, browser, context):
    duty = context.new_page()
    log_in(duty, server, "bj_duty")
    before = int(duty.locator("#incidents-major").inner_text())

    reporter_ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        rep = reporter_ctx.new_page()
        log_in(rep, server, "bj_reporter", "/web/report")
        rep.select_option("#system", "core")
        rep.select_option("#category", "network-attack|network-attack.phishing")
        rep.fill("#title", "钓鱼邮件 Phishing wave <script>x</script>")
        rep.fill("#found_at", "2026-11-01T15:30")
        rep.fill("#impact", "三名员工点击")
        rep.fill("#measures", "重置口令")
        rep.select_option("#system_loss", "serious")
        rep.locator("form[action='/web/report'] button[type=submit]").click()
        rep.wait_for_url(f"{server}/web/incidents/**")
    finally:
        reporter_ctx.close()

    duty.evaluate("window.fhRefresh()")  # what the 30-second timer does, without a reload
    duty.wait_for_function(
        f"document.getElementById('incidents-major').textContent.trim() === '{before + 1}'")
    duty.get_by_role("link", name="重大", exact=True).click()
    duty.wait_for_url(f"{server}/web/incidents?grade=major")
    title = "钓鱼邮件 Phishing wave <script>x</script>"  # shown as text, never run
    expect(duty.get_by_role("cell", name=title)).to_be_visible()
