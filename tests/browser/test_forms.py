"""The older console pages in Debian's Chromium (headless, via Playwright) against a live server:
the login page switched to English keeps where it was going, the monitoring form shows an error
next to its field and, once fixed, lands on the item's page in English; the public warnings page
opens without logging in, in Chinese for a Chinese browser. SQLite only (conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, ui_timeout_ms
from tests.conftest import PASSWORD
from tests.e2e.test_web_public import public_warning

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    ctx.set_default_timeout(ui_timeout_ms())
    yield ctx
    ctx.close()


def test_log_in_in_english_and_submit_monitoring_information(server, context):
    page = context.new_page()
    page.goto(f"{server}/web/monitoring")  # not logged in: to the login page, coming back here
    page.wait_for_url(f"{server}/web/login?next=/web/monitoring")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{server}/web/login?next=/web/monitoring")  # the switch kept `next`
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.fill("#username", "bj_reporter")
    page.fill("#password", "not the password")
    page.locator("form[action='/web/login'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    page.fill("#password", PASSWORD)
    page.locator("form[action='/web/login'] button[type=submit]").click()
    page.wait_for_url(f"{server}/web/monitoring")

    expect(page.get_by_role("heading", name="Submit monitoring information")).to_be_visible()
    page.fill("#observed", "Scanning traffic against the VPN gateway")
    page.fill("#observed_at", "2026-11-01T22:15")
    page.select_option("#category", "network-attack")
    page.fill("#jurisdictions", "110000")
    page.fill("#indicators", "ip:203.0.113.7\nnot an indicator")
    page.check("#important")
    page.get_by_role("button", name="Submit").click()  # no title, a bad indicator line
    expect(page.locator("#title-error")).to_have_text("This field is required.")
    expect(page.locator("#indicators-error")).to_contain_text("Line 2: expected type:value")
    assert page.locator("#title").get_attribute("aria-invalid") == "true"
    expect(page.locator("#observed")).to_have_value("Scanning traffic against the VPN gateway")
    expect(page.locator("#important")).to_be_checked()  # what was typed is kept
    page.get_by_role("link", name="Title").click()  # the summary leads to the field
    page.keyboard.type("VPN flaw exploited <b>")
    page.fill("#indicators", "ip:203.0.113.7\ncve:CVE-2026-0001")
    page.get_by_role("button", name="Submit").click()

    page.wait_for_url(re.compile(rf"{re.escape(server)}/web/monitoring/MI-\d{{8}}-[0-9A-F]{{8}}$"))
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", level=1)).to_contain_text("VPN flaw exploited <b>")
    expect(page.get_by_role("status")).to_contain_text("important")
    expect(page.get_by_role("heading", name="Shared with")).to_be_visible()
    # Plan §3.2: a unit's important item goes to its region's office, which reports it on
    expect(page.locator("#shares")).to_contain_text("to its region's cyberspace office")
    expect(page.get_by_role("cell", name="ip:203.0.113.7 cve:CVE-2026-0001")).to_be_visible()
    page.reload()  # stored: the same item, read back
    expect(page.get_by_role("heading", level=1)).to_contain_text("VPN flaw exploited")


def test_public_warnings_in_chinese_without_logging_in(server, context, rt, principal, clock):
    w = public_warning(rt, principal, clock, title="公开预警 Public ransomware warning")
    page = context.new_page()
    page.goto(f"{server}/public/warnings")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.get_by_role("heading", name="网络安全预警")).to_be_visible()
    expect(page.get_by_role("columnheader", name="发布机关")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=w.ref)
    expect(row).to_contain_text("橙色预警")
    expect(row).to_contain_text(w.issuer_name_zh)
    page.get_by_role("link", name="公开预警 Public ransomware warning").click()
    page.wait_for_url(f"{server}/public/warnings/{w.ref}")
    expect(page.get_by_role("heading", name="警示事项")).to_be_visible()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{server}/public/warnings/{w.ref}")
    expect(page.get_by_role("heading", name="Warning items")).to_be_visible()
    assert "/web/login" not in page.url
