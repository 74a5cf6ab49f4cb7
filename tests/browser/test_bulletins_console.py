"""Bulletins in Debian's Chromium against a live server (issue 19 item 5): the Beijing duty
officer generates last week's bulletin from the console's form, the progress page follows the
generation (static script polling its status) and opens the bulletin once stored; its HTML shows
and its PDF downloads. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fenghuo.common.periods import day_of
from fenghuo.sharing import bulletin_data
from tests.browser.conftest import SQLITE_ONLY, log_in

pytestmark = SQLITE_ONLY


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  accept_downloads=True)
    yield context.new_page()
    context.close()


def test_generate_a_bulletin_wait_for_it_and_download_its_pdf(server, page, tmp_path):
    week = str(bulletin_data.last_complete("weekly", day_of(datetime.now(UTC))))
    log_in(page, server, "bj_duty")
    page.click("#nav-bulletins")
    page.wait_for_url(f"{server}/web/bulletins")
    expect(page.locator("#no-bulletins")).to_be_visible()
    expect(page.locator("#period-weekly")).to_have_value(week)
    page.check("#kind-weekly")
    page.click("#generate-button")
    # the progress page, then the bulletin itself once the script sees it stored
    page.wait_for_url(re.compile(rf"{re.escape(server)}/web/bulletins/BL-[0-9A-Z-]+$"))
    expect(page.locator("h1")).to_contain_text("网络安全信息与动态周报")
    expect(page.locator("#bulletin-tlp")).to_contain_text("TLP:GREEN 社群内")
    with page.expect_download() as info:
        page.click("#download-pdf")
    saved = tmp_path / "bulletin.pdf"
    info.value.save_as(saved)
    assert Path(saved).read_bytes().startswith(b"%PDF")
    assert info.value.suggested_filename.endswith(".pdf")
    page.click("#view-html")
    expect(page.locator("body")).to_contain_text("网络安全信息与动态周报")
    page.goto(f"{server}/web/bulletins")
    expect(page.locator("#bulletin-list")).to_contain_text(week)
