"""A warning's whole life in Debian's Chromium against a live server (Plan §3.3–§3.5): officer A
drafts it in the form, officer B of the same body approves and publishes it (four eyes), a
receiving department acknowledges it in English, the issuer lifts it and the list shows it lifted.
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}
TITLE = "勒索软件攻击金融机构 <b>Ransomware</b> against banks"


@pytest.fixture
def contexts(browser):
    """One browser context per person, in Chinese at 1366×768, closed afterwards."""
    made = []

    def make():
        ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        ctx.set_default_timeout(ui_timeout_ms())
        made.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in made:
        ctx.close()


def test_draft_approve_publish_acknowledge_lift(server, contexts):
    officer_a = contexts()
    log_in(officer_a, server, "bj_duty", "/web/warnings")
    officer_a.get_by_role("link", name="新建预警").click()
    officer_a.wait_for_url(f"{server}/web/warnings/new")
    powers = officer_a.locator("#powers-levels")
    expect(powers.locator("tr[data-level=red]")).to_contain_text("红色预警由应急办确定和发布")
    expect(officer_a.locator("#level-red")).to_be_disabled()

    deadline = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    officer_a.fill("#title", TITLE)
    officer_a.select_option("#category", "harmful-program")
    officer_a.check("#level-orange")
    expect(officer_a.locator("#region-110000")).to_be_checked()  # picked by name, not typed
    officer_a.check("#sector-finance")
    officer_a.fill("#items", "勒索软件利用VPN漏洞 ransomware via a VPN flaw")
    officer_a.fill("#measure_text_0", "修补VPN patch the VPN")
    officer_a.fill("#measure_deadline_0", deadline.strftime("%Y-%m-%dT%H:%M"))
    officer_a.get_by_role("button", name="保存草稿").click()
    officer_a.wait_for_url(re.compile(r".*/web/warnings/WN-[^?]+\?done=drafted$"))
    ref = re.search(r"/web/warnings/([^?]+)", officer_a.url).group(1)
    expect(officer_a.get_by_role("heading", level=1)).to_have_text(TITLE)  # text, never markup
    expect(officer_a.locator("#approve-refused")).to_contain_text("起草人不能审批自己起草的预警")
    detail = f"/web/warnings/{ref}"

    officer_b = contexts()
    log_in(officer_b, server, "bj_admin", detail)
    officer_b.get_by_role("button", name="审核通过").click()
    officer_b.wait_for_url(f"{server}{detail}?done=approve")
    expect(officer_b.locator("#w-approved")).to_contain_text("bj_admin")
    officer_b.get_by_role("button", name="发布", exact=True).click()
    dialog = officer_b.locator("#confirm-publish")  # who will be notified, before it is sent
    expect(dialog.locator("#publish-recipients li[data-body=bj-finance-reg]")).to_be_visible()
    dialog.get_by_role("button", name="确认发布").click()
    officer_b.wait_for_url(f"{server}{detail}?done=publish")
    expect(officer_b.locator("#w-state")).to_have_text("已发布")

    recipient = contexts()
    log_in(recipient, server, "bj_fin", detail)
    recipient.get_by_role("link", name="English").click()
    recipient.wait_for_url(f"{server}{detail}")
    assert recipient.locator("html").get_attribute("lang") == "en"
    expect(recipient.locator("#lift-refused")).to_contain_text("only the issuer may lift")
    recipient.get_by_role("button", name="Acknowledge receipt").click()
    recipient.wait_for_url(f"{server}{detail}?done=acknowledge")
    expect(recipient.get_by_role("status")).to_have_text("Receipt acknowledged.")
    expect(recipient.locator("#recipients tr[data-body=bj-finance-reg]")).to_contain_text(
        "Receipt confirmed")

    officer_a.goto(f"{server}{detail}")
    row = officer_a.locator("#recipients tr[data-body=bj-finance-reg]")
    expect(row).to_contain_text("已确认")
    expect(row).to_contain_text("bj_fin")
    expect(officer_a.locator("#progress tr[data-body=bj-finance-reg]")).to_contain_text("0 / 3")
    officer_a.fill("#lift-reason", "漏洞已修补 the flaw is patched")
    officer_a.get_by_role("button", name="解除预警").click()
    officer_a.locator("#confirm-lift").get_by_role("button", name="确认解除").click()
    officer_a.wait_for_url(f"{server}{detail}?done=lift")
    expect(officer_a.locator("#w-state")).to_have_text("已解除")

    officer_a.get_by_role("link", name="预警", exact=True).first.click()
    officer_a.wait_for_url(f"{server}/web/warnings")
    officer_a.select_option("#f-state", "lifted")
    officer_a.get_by_role("button", name="筛选").click()
    listed = officer_a.locator(f"#warnings tr[data-ref='{ref}']")
    expect(listed).to_contain_text("已解除")
    expect(listed).to_contain_text(TITLE)
