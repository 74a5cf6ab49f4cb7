"""An incident's path through the console in Debian's Chromium: a unit's reporter files a report
in English, fixing one error the page marks inline; it lands on the incident's page showing how
it was graded and routed; the Beijing duty officer, in Chinese, confirms receipt from that page
and sees it on the timeline and in the routing table. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def contexts(browser):
    made = []

    def make():
        ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        ctx.set_default_timeout(ui_timeout_ms())
        made.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in made:
        ctx.close()


def file_in_english(page, server: str) -> str:
    """The reporter's part; returns the new incident's ref."""
    log_in(page, server, "bj_reporter", "/web/report")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Report a network security incident")).to_be_visible()
    page.select_option("#system", "core")
    page.select_option("#category", "network-attack|network-attack.phishing")
    page.fill("#title", "Phishing wave <b>urgent</b>")
    page.fill("#found_at", "2026-11-01T15:30")
    page.fill("#measures", "passwords reset")
    page.select_option("#system_loss", "serious")
    page.locator("form[action='/web/report'] button[type=submit]").click()
    error = page.locator("#impact-error")  # the one field left empty, marked where it is
    expect(error).to_have_text("This field is required.")
    expect(page.locator("#impact")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#title")).to_have_value("Phishing wave <b>urgent</b>")  # kept
    page.fill("#impact", "three staff clicked the lure")
    page.locator("form[action='/web/report'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{server}/web/incidents/FH-[0-9A-Z-]+$"))
    expect(page.get_by_role("heading", name="Why this grade")).to_be_visible()
    expect(page.locator("#grade")).to_contain_text("major")
    routing = page.locator("#routing")
    expect(routing).to_contain_text("National Network Security Emergency Office")
    expect(routing).to_contain_text("Immediately (Plan §4.1)")
    expect(page.locator("h1")).to_contain_text("Phishing wave <b>urgent</b>")  # as text
    return page.url.rsplit("/", 1)[1]


def test_report_then_acknowledge_from_the_incident_page(server, contexts):
    ref = file_in_english(contexts(), server)

    duty = contexts()
    log_in(duty, server, "bj_duty", f"/web/incidents/{ref}")
    expect(duty.locator("#state")).to_contain_text("已报告")
    office = duty.locator("#routing").get_by_role("row", name=re.compile("北京市网信办"))
    clock = duty.locator("#clocks").get_by_role("row", name=re.compile("北京市网信办"))
    expect(clock).to_contain_text("还剩")
    expect(office).to_contain_text("尚未确认")
    duty.get_by_role("button", name="确认接收").click()
    duty.wait_for_url(f"{server}/web/incidents/{ref}#timeline")
    expect(duty.locator("#ack-done")).to_contain_text("bj_duty")
    expect(duty.locator("#state")).to_contain_text("已接收")
    entry = duty.locator("#timeline li.ev-acknowledged")
    expect(entry).to_contain_text("已确认接收")
    expect(entry).to_contain_text("bj_duty")
    expect(office).to_contain_text("bj_duty")
    expect(clock).to_contain_text("按时完成")  # its clock stopped in time
    expect(duty.get_by_role("button", name="确认接收")).to_have_count(0)
