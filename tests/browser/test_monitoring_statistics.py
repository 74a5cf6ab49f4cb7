"""The monitoring statistics page in Debian's Chromium against a live server (issue 15 item 7):
Suricata alerts about units in Beijing and Shanghai are ingested over two weeks; the Beijing
office's duty console shows, in Chinese, its own infected hosts with the change against the
previous week, Beijing's tile on the map, the top family and unit, and the eight-week trend; the
period selector moves to the previous week. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from fenghuo import bootstrap
from fenghuo.common.periods import CST, Week, day_of
from fenghuo.config import Settings
from fenghuo.monitoring import ingest, register
from fenghuo.monitoring.constituency import EntryKind
from fenghuo.monitoring.schemas import EntryIn, FeedIn
from fenghuo.org.accounts import principal_for
from tests.browser.conftest import SQLITE_ONLY, log_in
from tests.integration.test_monitoring_statistics import alert

pytestmark = SQLITE_ONLY


def _ts(moment: datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S")


def seed(db_url: str) -> Week:
    """Beijing: three hosts this week (one twice), one the week before; Shanghai: one host this
    week. Returns this week (the week of the events, a few hours ago)."""
    rt = bootstrap.build(Settings(database_url=db_url))
    now = datetime.now(UTC) - timedelta(hours=2)
    this, before = _ts(now), _ts(now - timedelta(days=7))
    bj, sh, nat = (principal_for(rt.uow, username=u) for u in ("bj_admin", "sh_admin",
                                                                 "nat_admin"))
    register.put_entry(rt.uow, rt.clock, principal=bj, data=EntryIn(
        body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16"))
    register.put_entry(rt.uow, rt.clock, principal=sh, data=EntryIn(
        body="sh-bank", kind=EntryKind.PREFIX, value="58.246.0.0/16"))
    ingest.create_feed(rt.uow, rt.clock, principal=nat, data=FeedIn(
        code="ids-1", name_zh="传感器", name_en="sensor", body="cn.cncert", format="suricata"))
    lines = [alert(this, "61.135.1.1"), alert(this, "61.135.1.1"), alert(this, "61.135.1.2"),
             alert(this, "61.135.1.3"), alert(before, "61.135.1.9"), alert(this, "58.246.1.1")]
    [out] = ingest.take_in(rt.uow, rt.clock, feed="ids-1", fmt="suricata",
                           chunks=[ingest.Chunk("b1", lines)], received_by="test")
    assert (out.events, out.rejected) == (6, 0)
    rt.engine.dispose()
    return Week.of(day_of(now))


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


def test_the_office_sees_its_statistics_in_chinese(server, db_url, page):
    week = seed(db_url)
    log_in(page, server, "bj_admin")
    page.click("#nav-monitoring-statistics")
    page.wait_for_url(f"{server}/web/monitoring/statistics")
    page.select_option("#period-select", str(week))
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(f"{server}/web/monitoring/statistics?period={week}")
    expect(page.locator("h1")).to_contain_text("监测统计")
    card = page.locator("#stat-infected_hosts")
    expect(card.locator("h2")).to_have_text("感染主机")
    expect(card.locator(".ms-value")).to_have_text("3")
    expect(card.locator(".ms-prev")).to_have_text("1")
    expect(card).to_contain_text("▲ 2 (200%)")
    expect(page.locator("#map-110000")).to_have_attribute("data-hosts", "3")
    expect(page.locator("#map-310000")).to_have_attribute("data-hosts", "0")  # not in scope
    expect(page.locator("#province-110000 .ms-hosts")).to_have_text("3")
    expect(page.locator("#province-110000 th")).to_have_text("北京市")
    expect(page.locator("#family-emotet .ms-events")).to_have_text("4")
    expect(page.locator("#unit-bj-bank th")).to_have_text("北京某银行")
    expect(page.locator(f"#trend-{week} td").first).to_have_text("3")
    page.click("#period-previous")
    page.wait_for_url(f"{server}/web/monitoring/statistics?period={week.previous()}")
    expect(page.locator("#stat-infected_hosts .ms-value")).to_have_text("1")
