"""The machine-monitoring pages in Debian's Chromium against a live server, in Chinese (issue 15):
the Emergency Office registers a domain for a bank in the constituency register, looks up where
a name below it lands and deletes the entry after confirming; opens the national sensor's page
and reads the line it could not parse; then confirms the spread candidate that detection opened,
follows it to the monitoring item it became and on to the warning form. SQLite only
(conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from fenghuo import bootstrap
from fenghuo.config import Settings
from fenghuo.monitoring import candidates
from fenghuo.org.accounts import principal_for
from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.e2e.test_web_monitoring_candidates import seed

pytestmark = SQLITE_ONLY


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(ui_timeout_ms())
    yield context.new_page()
    context.close()


def _seeded(db_url: str) -> str:
    """The world of tests/e2e/test_web_monitoring_candidates.py a few hours ago (real time);
    returns the ref of the national spread candidate."""
    rt = bootstrap.build(Settings(database_url=db_url))
    try:
        seed(rt, datetime.now(UTC))
        nat = principal_for(rt.uow, username="nat_admin")
        [ref] = [c.ref for c in candidates.list_candidates(rt.uow, principal=nat)
                 if c.rule == "spread" and c.indicator == "malware:emotet"]
        return ref
    finally:
        rt.engine.dispose()


def test_register_feed_rejects_and_candidate_confirm_in_chinese(server, db_url, page):
    ref = _seeded(db_url)
    log_in(page, server, "nat_admin")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.click("#nav-monitoring-register")
    page.wait_for_url(f"{server}/web/monitoring/register")
    expect(page.locator("h1")).to_have_text("网络归属登记")
    page.select_option("#body", "bj-bank")
    page.select_option("#kind", "domain")
    page.fill("#value", "bank.example.com.cn")
    page.fill("#verified_by", "备案核实")
    page.locator("#add-entry button[type=submit]").click()
    page.wait_for_url(f"{server}/web/monitoring/register?done=added")
    expect(page.locator("#register-done")).to_have_text("已登记。")
    row = page.locator("#entries tr[data-value='bank.example.com.cn']")
    expect(row).to_contain_text("北京某银行")
    expect(row).to_contain_text("备案核实")
    page.fill("#lookup-q", "www.bank.example.com.cn")
    page.locator("#lookup-form button[type=submit]").click()
    expect(page.locator("#lookup-body")).to_have_text("北京某银行")
    expect(page.locator("#lookup-why")).to_contain_text("bank.example.com.cn")
    row = page.locator("#entries tr[data-value='bank.example.com.cn']")
    row.locator("summary").click()  # the confirmation opens in the row
    row.get_by_role("button", name="确认删除").click()
    page.wait_for_url(f"{server}/web/monitoring/register?done=deleted")
    expect(page.locator("#register-done")).to_have_text("已删除该登记。")
    expect(page.locator("#entries tr[data-value='bank.example.com.cn']")).to_have_count(0)

    page.click("#nav-monitoring-feeds")
    page.wait_for_url(f"{server}/web/monitoring/feeds")
    expect(page.locator("h1")).to_have_text("传感器与数据源")
    page.get_by_role("link", name="国家传感器").click()
    page.wait_for_url(f"{server}/web/monitoring/feeds/ids-1")
    expect(page.locator("#reject-counts")).to_have_text("单独保存 1 行，来自 1 个批次。")
    expect(page.locator("#rejects .reject-raw")).to_have_text("not an alert")
    expect(page.locator("#rejects .reject-line")).to_have_text("9")

    page.click("#nav-monitoring-candidates")
    page.wait_for_url(f"{server}/web/monitoring/candidates")
    expect(page.locator("h1")).to_have_text("候选监测信息")
    expect(page.locator(f"#candidate-{ref} .cd-provinces")).to_have_text("3")
    page.get_by_role("link", name=ref).click()
    page.wait_for_url(f"{server}/web/monitoring/candidates/{ref}")
    expect(page.locator("#ev-count")).to_have_text("6")
    # a relatively major spread over 3 provinces: yellow, the level of its grade (Plan §3.1)
    expect(page.locator("#as-level")).to_contain_text("黄色")
    expect(page.locator("#ev-unit-bj-bank")).to_contain_text("北京某银行")
    page.fill("#title", "Emotet 多省扩散")
    page.click("#confirm-button")
    page.wait_for_url(f"{server}/web/monitoring/candidates/{ref}?done=confirmed")
    expect(page.locator("#candidate-state")).to_have_text("已确认")
    page.click("#item-link")
    page.wait_for_url(f"{server}/web/monitoring/MI-*")
    expect(page.locator("h1")).to_contain_text("Emotet 多省扩散")
    page.click("#draft-warning")
    page.wait_for_url(f"{server}/web/warnings/new")
