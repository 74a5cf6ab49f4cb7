"""The KPI page in Debian's Chromium against a live server (issue 19 item 10): a report of
bj-bank, found 30 minutes before it was filed and acknowledged by the Beijing office; the
office's console shows the table and the server-drawn SVG charts (per body and over eight
periods) in Chinese and in English, and nothing sticks out sideways at 390 or 1366 px.
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from fenghuo import bootstrap
from fenghuo.config import Settings
from fenghuo.incident import handling, service
from fenghuo.org.accounts import principal_for
from tests.browser.conftest import SQLITE_ONLY, log_in
from tests.browser.test_widths import OVERFLOWS
from tests.integration.test_reporting_chain import report_data

pytestmark = SQLITE_ONLY


class _Now:
    def now(self) -> datetime:
        return datetime.now(UTC)


def seed(db_url: str) -> None:
    rt = bootstrap.build(Settings(database_url=db_url))
    out = service.report(rt.uow, rt.clock, principal=principal_for(rt.uow, username="bj_reporter"),
                         data=report_data(_Now(), found_at=datetime.now(UTC)
                                          - timedelta(minutes=30)), profile="cac2025")
    handling.acknowledge(rt.uow, rt.clock, principal=principal_for(rt.uow, username="bj_admin"),
                         ref=out.ref)
    rt.engine.dispose()


@pytest.mark.parametrize(("locale", "title", "kpi"), [
    ("zh-CN", "关键绩效指标", "报告用时"),
    ("en-GB", "Key performance indicators", "Time to report")])
def test_the_kpi_page_draws_its_charts(server, db_url, browser, locale, title, kpi):
    seed(db_url)
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        log_in(page, server, "bj_admin")
        page.click("#nav-kpi")
        page.wait_for_url(f"{server}/web/kpi")
        expect(page.locator("h1")).to_contain_text(title)
        expect(page.locator("#h-kpi-report")).to_have_text(kpi)
        expect(page.locator("#kpi-report-bj-bank .kpi-n")).to_have_text("1")
        expect(page.locator("#kpi-report-bj-bank .kpi-median")).to_have_text("0.50")
        bars = page.locator("svg#kpi-bars-report")
        expect(bars).to_be_visible()
        expect(bars.locator("g.kpi-group[data-body='bj-bank'] rect.kpi-median")).to_have_count(1)
        assert int(bars.locator("rect.kpi-median").first.get_attribute("width")) > 0
        expect(page.locator("svg#kpi-bars-acknowledge g.kpi-group[data-body='110000.office']")
               ).to_have_count(1)
        expect(page.locator("svg#kpi-trend-report g.kpi-point")).to_have_count(8)
        box = page.locator("svg#kpi-trend-report").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 10
        expect(page.locator("#kpi-csv")).to_have_attribute("href", "/web/kpi.csv?period="
                                                            + page.locator("#period").inner_text())
        for width in (390, 1366):  # nothing sticks out sideways on a phone or a laptop
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            assert page.evaluate(OVERFLOWS) == [], width
    finally:
        context.close()
