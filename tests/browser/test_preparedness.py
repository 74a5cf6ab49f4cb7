"""The preparedness pages in Debian's Chromium against a live server (Plan §8.1, §6.2, §7.10):
a Beijing plan evaluated thirteen months ago and no exercise make the Beijing office
non-compliant on the compliance page, with the rule and clause one click away, and the same
failures appear on the accountability page with its CSV link; a duty officer registers a plan
adopted thirteen months ago on the office's page, sees it overdue, records its yearly evaluation
and sees it ok. SQLite only (conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from fenghuo import bootstrap
from fenghuo.common.clauses import render as zh_clause
from fenghuo.common.periods import add_months, day_of
from fenghuo.config import Settings
from fenghuo.org.accounts import principal_for
from fenghuo.preparedness import service as preparedness
from fenghuo.preparedness.schemas import PlanIn
from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = SQLITE_ONLY


@pytest.fixture
def world(db_url):
    """Beijing's plan, adopted thirteen months ago and never evaluated (on the real clock)."""
    rt = bootstrap.build(Settings(database_url=db_url))
    today = datetime.now(UTC).date()
    preparedness.add_plan(rt.uow, rt.clock, principal=principal_for(rt.uow, username="bj_admin"),
                          data=PlanIn(body="110000.office", key="bj-plan", title="北京市预案",
                                      version="1.0", owner="王", document="bj-plan.pdf",
                                      adopted_on=add_months(today, -13)))
    yield rt
    rt.engine.dispose()


def test_a_non_compliant_province(world, server, browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    ctx.set_default_timeout(ui_timeout_ms())
    try:
        page = ctx.new_page()
        log_in(page, server, "bj_admin", "/web/preparedness")
        expect(page.get_by_role("link", name="预防与保障")).to_have_attribute("aria-current",
                                                                        "page")
        row = page.locator('[id="body-110000.office"]')
        expect(row).to_have_class("prep-bad")
        plan = row.locator("td.duty-plan")
        expect(plan.locator(".st")).to_have_text("已逾期")
        expect(plan.locator(".reasons")).to_be_hidden()
        plan.locator("summary").click()  # the rule and its clause, on demand
        expect(plan.locator(".reasons")).to_contain_text(zh_clause("Plan §8.1"))
        expect(row.locator("td.duty-exercise .st")).to_have_text("缺失")  # Plan §6.2
        expect(page.locator('[id="body-310000.office"]')).to_have_count(0)  # Law art. 30

        page.get_by_role("link", name="责任与奖惩").click()
        page.wait_for_url("**/web/preparedness/accountability")
        office = page.locator('[id="acc-110000.office"]')
        expect(office).to_contain_text("plan.evaluation_overdue")
        expect(office).to_contain_text(zh_clause("Plan §6.2"))
        period = page.locator("#f-period").input_value()
        expect(page.locator("#acc-csv")).to_have_attribute(
            "href", f"/web/preparedness/accountability.csv?period={period}")
        assert page.evaluate("document.documentElement.scrollWidth "
                             "- document.documentElement.clientWidth") <= 0
    finally:
        ctx.close()


def test_a_plan_registered_overdue_then_evaluated(server, browser):
    """Plan §8.1 (原则上每年评估一次): a plan adopted thirteen months ago and never evaluated is
    overdue; once its evaluation is recorded in the form it is ok, and so is the office's plan
    duty."""
    adopted = add_months(day_of(datetime.now(UTC)), -13)
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    ctx.set_default_timeout(ui_timeout_ms())
    try:
        page = ctx.new_page()
        log_in(page, server, "bj_duty", "/web/preparedness")
        page.locator('[id="body-110000.office"] th a').click()
        page.wait_for_url("**/web/preparedness/body/110000.office")
        page.get_by_text("登记预案", exact=True).click()  # the form opens
        page.fill("#plan-key", "bj-general")
        page.fill("#plan-title", "北京市网络安全事件应急预案")
        page.fill("#plan-version", "1.0")
        page.fill("#plan-owner", "网络安全处")
        page.fill("#plan-document", "bj-general.pdf")
        page.fill("#plan-adopted_on", adopted.isoformat())
        page.get_by_role("button", name="登记该预案").click()
        page.wait_for_url("**done=plan**")
        expect(page.locator("#done")).to_contain_text("预案已登记")
        row = page.locator("#plan-list tbody tr", has_text="bj-general")
        expect(row.locator(".plan-status .st")).to_have_text("已逾期")
        expect(page.locator("#duty-plan .st")).to_have_text("已逾期")

        page.get_by_text("记录预案 bj-general 的年度评估").click()
        form = page.locator("details[open] form").first
        expect(form.locator("select[name=outcome]")).to_have_value("adequate")
        form.locator("textarea[name=findings]").fill("职责分工仍然适用")
        form.get_by_role("button", name="记录评估").click()
        page.wait_for_url("**done=evaluate-**")
        expect(page.locator("#done")).to_contain_text("预案评估已记录")
        expect(row.locator(".plan-status .st")).to_have_text("符合")
        expect(page.locator("#duty-plan .st")).to_have_text("符合")
        assert page.evaluate("document.documentElement.scrollWidth "
                             "- document.documentElement.clientWidth") <= 0
    finally:
        ctx.close()
