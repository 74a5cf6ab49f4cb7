"""A Level I response walked in Debian's Chromium against a live server (Plan §4.2.1, §4.3.1,
§5): the Emergency Office activates it from the form with a named headquarters, reports
progress and proposes the end; a member of the headquarters approves it; the investigation
report falls due 30 days later. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fenghuo import bootstrap
from fenghuo.config import Settings
from fenghuo.incident import service as incidents
from fenghuo.incident.schemas import ReportIn
from fenghuo.org.accounts import principal_for
from fenghuo.response.models import Response
from fenghuo.web import i18n
from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.e2e.test_api_responses import hq_member

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}
TITLE = "核心系统勒索 Ransomware <img src=x onerror=alert(1)>"


@pytest.fixture
def world(db_url):
    """The seeded world with a headquarters member (hq_lead) and an especially major incident
    at the Beijing bank, filed through the service on the real clock; yields the runtime and
    the incident's ref."""
    rt = bootstrap.build(Settings(database_url=db_url))
    hq_member(rt)
    out = incidents.report(rt.uow, rt.clock, principal=principal_for(rt.uow,
                                                                     username="bj_reporter"),
                           profile=rt.settings.grading_profile, data=ReportIn(
        system="core", category="harmful-program", subcategory="harmful-program.trojan",
        title=TITLE, found_at=datetime.now(UTC) - timedelta(hours=1), impact="核心系统停摆",
        measures="隔离", facts={"system_loss": "especially_serious"}))
    assert out.grade == "especially_major"
    yield rt, out.ref
    rt.engine.dispose()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    ctx.set_default_timeout(ui_timeout_ms())
    yield ctx
    ctx.close()


def test_level_one_from_the_form_to_the_investigation(world, server, browser, context):
    rt, inc = world
    office = context.new_page()
    log_in(office, server, "nat_admin", f"/web/responses/new?incident={inc}")
    expect(office.get_by_role("heading", name="启动应急响应")).to_be_visible()
    expect(office.locator("#incident-summary")).to_contain_text(TITLE)  # text, never markup
    expect(office.get_by_label("Ⅰ级响应")).to_be_checked()
    expect(office.get_by_label("Ⅱ级响应")).to_be_disabled()
    office.get_by_role("button", name="启动", exact=True).click()  # no headquarters yet
    expect(office.locator("#err-headquarters")).to_contain_text("§4.2.1")
    office.get_by_label("姓名 1", exact=True).fill("总指挥 Commander")
    office.get_by_label("用户名 1", exact=True).fill("hq_lead")
    office.get_by_label("姓名 2", exact=True).fill("北京联络员")
    office.get_by_label("单位标识 2", exact=True).fill("110000.office")
    office.get_by_role("button", name="启动", exact=True).click()
    office.wait_for_url(f"{server}/web/responses/ER-*")
    ref = office.url.split("/web/responses/")[1].split("?")[0]
    expect(office.get_by_role("status")).to_contain_text("应急响应已启动")
    expect(office.locator("#response-state")).to_have_text("响应中")
    expect(office.locator("#headquarters")).to_contain_text("总指挥 Commander")

    # the Office reports progress (Plan §4.2.1 ¶3), keyboard only
    office.get_by_label("事态发展").fill("加密扩散已停止")
    office.get_by_label("处置进展").fill("正在从备份恢复")
    office.get_by_label("处置进展").press("Tab")
    office.keyboard.press("Enter")  # the focused "submit the progress report" button
    office.wait_for_url(f"{server}/web/responses/{ref}?done=progress#progress")
    expect(office.get_by_role("status")).to_contain_text("进展报告已提交")
    expect(office.locator("#progress li.resp-report").first).to_contain_text("加密扩散已停止")

    # the Office proposes the end; the headquarters member approves it (Plan §4.3.1)
    expect(office.locator("#approve")).to_contain_text("end.approve_not_headquarters")
    office.get_by_label("可以结束的理由").fill("系统已恢复")
    office.locator("#propose").get_by_role("button", name="提出结束建议").click()
    expect(office.locator("#response-state")).to_have_text("已建议结束")
    expect(office.locator("#end-proposed")).to_contain_text("nat_admin")

    lead_ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        lead = lead_ctx.new_page()
        log_in(lead, server, "hq_lead", f"/web/responses/{ref}")
        expect(lead.locator("#end")).to_contain_text("role.permission")  # reads only
        lead.get_by_role("button", name="批准结束").click()
        lead.wait_for_url(f"{server}/web/responses/{ref}?done=approve#approve")
        expect(lead.locator("#response-state")).to_have_text("已结束")
    finally:
        lead_ctx.close()

    # the investigation: due 30 days after the end (Plan §5), organized by the Office
    with rt.uow() as s:
        ended_at = s.scalar(select(Response.ended_at).where(Response.ref == ref))
    i18n.activate("zh_CN", rt.settings.timezone)
    office.reload()
    expect(office.locator("#investigation-due")).to_contain_text(
        i18n.format_dt(ended_at + timedelta(days=30)))
    expect(office.locator("#investigation-due")).to_contain_text("待完成")
    expect(office.locator("#investigation").get_by_label("起因")).to_be_editable()
    office.get_by_role("link", name="全部应急响应").click()
    expect(office.locator(f"#row-{ref}")).to_contain_text("已结束")
