"""Handling an incident on its page in Debian's Chromium (issue 19 items 1–3): the Beijing duty
officer, in Chinese, opens an incident routed to the office, assigns it to self, changes its
TLP label with a reason, resolves it (first without a resolution, which the page refuses) and
finds it under "mine". SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in
from tests.browser.test_incidents import contexts, file_in_english  # noqa: F401 - a fixture

pytestmark = SQLITE_ONLY


def test_assign_relabel_resolve_and_find_it_under_mine(server, contexts):  # noqa: F811
    ref = file_in_english(contexts(), server)
    duty = contexts()
    log_in(duty, server, "bj_duty", f"/web/incidents/{ref}")
    expect(duty.locator("#assignee")).to_contain_text("尚未指派")
    duty.locator("#assign-me").click()
    expect(duty.locator("#assignee")).to_contain_text("承办人: bj_duty")
    expect(duty.locator("#assign-me")).to_have_count(0)

    duty.select_option("#tlp-value", "red")
    duty.fill("#tlp-reason", "涉及敏感信息 sensitive")
    duty.locator("#change-tlp").click()
    expect(duty.locator("#tlp")).to_have_text("TLP:RED 仅限指定接收者")
    expect(duty.locator("#tlp")).to_have_css("color", "rgb(255, 43, 43)")
    expect(duty.locator("#timeline")).to_contain_text("涉及敏感信息 sensitive")

    duty.select_option("#st-state", "resolved")
    duty.locator("#change-state").click()
    expect(duty.locator("#state-resolution-error")).to_have_text("请填写处置结果。")
    expect(duty.locator("#state")).to_contain_text("已报告")
    duty.select_option("#st-state", "resolved")
    duty.fill("#st-resolution", "钓鱼邮件已清除 lures removed")
    duty.locator("#change-state").click()
    expect(duty.locator("#state")).to_contain_text("已处置")
    expect(duty.locator("#resolution")).to_contain_text("钓鱼邮件已清除 lures removed")

    duty.goto(f"{server}/web/incidents")
    duty.locator("#f-mine").check()
    duty.locator("form.filters button[type=submit]").click()
    expect(duty).to_have_url(re.compile(r"[?&]assignee=me$"))
    expect(duty.locator("#f-mine")).to_be_checked()
    expect(duty.get_by_role("link", name=ref)).to_be_visible()
