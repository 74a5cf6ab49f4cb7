"""Issue 19 item 3 in Debian's Chromium, in Chinese: typing an outage duration into the report
form shows, next to the field, the CAC 2025 threshold it crosses and the provisional grade with
its reasons (computed by the server, report.js under the strict CSP, no violation); the filed
incident shows the facts and the TLP chosen. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.browser.test_content_security_policy import LISTEN

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    ctx.set_default_timeout(ui_timeout_ms())
    ctx.add_init_script(LISTEN)
    yield ctx.new_page()
    ctx.close()


def test_typing_an_outage_shows_the_threshold_and_the_provisional_grade(server, page):
    log_in(page, server, "bj_reporter", "/web/report")
    expect(page.get_by_role("heading", name="报告网络安全事件")).to_be_visible()
    expect(page.locator("#provisional-grade")).to_have_text("暂定级别：一般（IV级）")
    page.select_option("#system", "core")
    page.locator("#outage_hours").press_sequentially("1")
    crossed = page.locator("#outage_hours-crossed")
    # bj-bank is CII: 1 h reaches only the draft's 30 minutes (较大)
    expect(crossed.locator("mark")).to_have_count(1)
    expect(crossed).to_contain_text("≥ 0.5 小时：较大（III级）")
    expect(page.locator("#provisional-grade")).to_have_text(
        "暂定级别：较大（III级）（仅依据征求意见稿数值，终稿未确认）")
    page.locator("#outage_hours").press_sequentially("0")  # 10 h: the final text's 6 h
    expect(crossed).to_contain_text(
        "≥ 6 小时：特别重大（I级），依据 《网络安全事件分级指南》（2025年正式版）特别重大第2项")
    expect(page.locator("#provisional-grade")).to_have_text("暂定级别：特别重大（I级）")
    expect(page.locator("#provisional-chip")).to_have_class("chip c-especially_major")
    expect(page.locator("#provisional-reasons")).to_contain_text("关键信息基础设施整体中断运行6小时以上")
    page.locator("#outage_hours ~ details.thresholds summary").first.click()  # the list of them
    listed = page.locator("#outage_hours-thresholds")
    expect(listed.locator("li[data-reason='cac2025.cii_outage.especially_major'] mark")
           ).to_be_visible()  # crossed, marked
    expect(listed.locator("li[data-reason='cac2025.portal_outage.especially_major'] mark")
           ).to_have_count(0)  # bj-bank's core system is no government portal
    page.screenshot(path="/tmp/report-form.png", full_page=True)
    page.locator("#people_affected").fill("abc")
    expect(page.locator("#people_affected-crossed")).to_have_text("请输入整数。")
    page.locator("#people_affected").fill("")
    expect(page.locator("#people_affected-crossed")).to_have_text("")

    page.select_option("#category", "network-attack|network-attack.dos")
    page.fill("#title", "核心系统遭拒绝服务攻击")
    page.fill("#found_at", "2026-11-01T15:30")
    page.fill("#impact", "核心系统中断10小时")
    page.fill("#measures", "启用备用线路")
    page.select_option("#tlp", "red")
    page.locator("form[action='/web/report'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{server}/web/incidents/FH-[0-9A-Z-]+$"))
    expect(page.locator("#grade")).to_contain_text("特别重大")
    expect(page.locator("#tlp")).to_have_text("TLP:RED 仅限指定接收者")
    expect(page.locator("#fact-outage_hours")).to_have_text("10 小时")
    expect(page.locator("#grade-reasons")).to_contain_text("关键信息基础设施整体中断运行6小时以上")
    assert page.evaluate("window.__csp || []") == []
