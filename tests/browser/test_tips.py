"""A public tip in Debian's Chromium against a live server (Law art. 14): a tipster sends it from
the public form without an account and copies the receipt code; a Beijing duty officer transfers
it from the console to the public security organ; the tipster enters the code on the status page
and reads "transferred to the competent authority — the public security organ", nothing more.
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = SQLITE_ONLY
REASON = "涉嫌违法犯罪，属公安机关管辖 suspected crime"


@pytest.fixture
def page_of(browser):
    made = []

    def make():
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(ui_timeout_ms())
        made.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in made:
        ctx.close()


def test_a_tip_sent_transferred_and_looked_up(server, page_of):
    tipster = page_of()
    tipster.goto(f"{server}/public/tips")
    tipster.select_option("#t-jurisdiction", "110000")
    tipster.fill("#t-unit", "北京某购物网站")
    tipster.fill("#t-description", "网站支付页面被植入恶意脚本 a skimmer on the payment page")
    tipster.fill("#t-name", "周九")
    tipster.get_by_role("button", name="提交举报").click()
    expect(tipster.get_by_role("heading", name="举报已收到")).to_be_visible()
    code = tipster.locator("#receipt-code").inner_text()
    ref = tipster.locator("#tip-ref").inner_text()

    officer = page_of()
    log_in(officer, server, "bj_duty", "/web/tips")
    officer.get_by_role("link", name=ref).click()
    expect(officer.locator("#tipster")).to_contain_text("周九")
    officer.select_option("#x-to", "cn.mps")
    officer.fill("#x-reason", REASON)
    officer.locator("#transfer").click()
    expect(officer.locator("#holder")).to_contain_text("公安部")
    expect(officer.locator("#tipster")).to_have_count(0)

    tipster.get_by_role("link", name="查询举报办理状态").click()
    tipster.fill("#s-code", code.lower())
    tipster.get_by_role("button", name="查询").click()
    status = tipster.locator("#tip-status")
    expect(status).to_contain_text("已移送有权处理的部门")
    expect(status).to_contain_text("公安机关")
    for internal in (REASON, "公安部", "bj_duty", "周九"):
        expect(tipster.locator("main")).not_to_contain_text(internal)
    tipster.fill("#s-code", "AAAAA-AAAAA-AAAAA-AAAAA")
    tipster.get_by_role("button", name="查询").click()
    expect(tipster.locator("#no-tip")).to_be_visible()
