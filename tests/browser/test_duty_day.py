"""A duty officer's day in Debian's Chromium against a live server (issue 19, "Done when"):
the Beijing office's duty officer finds a bank's new report at the top of their queue, assigns
it to themselves, adds evidence, an observable and a task, regrades it, acknowledges it,
activates the response its grade calls for, ends it (the incident becomes resolved, Plan
§4.3), and closes the incident with a resolution. The head of office approves a warning
waiting for them and publishes it after the confirmation says who will be told; a weekly
bulletin is generated and its PDF downloaded; the Emergency Office relabels the incident
TLP:GREEN with a reason and shares it with a province it finds by typing the name. In Chinese
throughout. SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.browser.test_dashboard import api_token
from tests.e2e.test_api_incidents import report

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 900}
EVIDENCE = "恶意样本 malicious sample\n"


def _api(server: str, user: str, path: str, payload: dict) -> dict:
    r = httpx.post(f"{server}{path}", headers=api_token(server, user), json=payload)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _world(server: str) -> tuple[str, str]:
    """A general incident at the Beijing bank (a minor system loss), reported now, and a warning
    the duty officer drafted for the head of office to approve."""
    found = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    incident = _api(server, "bj_reporter", "/api/v1/incidents", report(
        found_at=found, title="网银木马 Trojan in online banking", facts={"system_loss": "minor"}))
    assert incident["grade"] == "general", incident["grade"]
    now = datetime.now(UTC)
    warning = _api(server, "bj_duty", "/api/v1/warnings", {
        "title": "网银木马扩散 Banking trojan spreading", "category": "harmful-program",
        "level": "yellow", "starts_at": now.isoformat(), "jurisdictions": ["110000"],
        "sectors": ["finance"], "items": ["网银木马 banking trojan"],
        "measures": [{"text": "排查终端 check the desktops",
                      "deadline": (now + timedelta(days=1)).isoformat()}]})
    return incident["ref"], warning["ref"]


def _page(browser, **kw):
    ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT, **kw)
    ctx.set_default_timeout(ui_timeout_ms())
    return ctx, ctx.new_page()


def _casework(page) -> None:  # noqa: ANN001 - a Playwright page
    """Evidence dropped on the page (SHA-256 in the browser, then the server's), an observable
    and a task for the officer themselves."""
    dt = page.evaluate_handle(
        """(text) => { const dt = new DataTransfer();
             dt.items.add(new File([text], "sample.txt", {type: "text/plain"})); return dt; }""",
        EVIDENCE)
    page.locator("#evidence-drop").dispatch_event("drop", {"dataTransfer": dt})
    digest = hashlib.sha256(EVIDENCE.encode()).hexdigest()
    expect(page.locator("#evidence-server-sha")).to_have_text(digest)
    page.fill("#obs-value", "evil.example.com")
    page.locator("#observable-form button[type=submit]").click()
    expect(page.locator("#observable-table")).to_contain_text("evil.example.com")
    expect(page.locator("#observable-table")).to_contain_text("域名")
    page.fill("#task-title", "排查网银终端 check the banking desktops")
    page.select_option("#task-owner", "bj_duty")
    due = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    page.fill("#task-due", due.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#task-form button[type=submit]").click()
    expect(page.locator("#task-table")).to_contain_text("排查网银终端")


def _respond(page, server: str, ref: str) -> None:  # noqa: ANN001 - a Playwright page
    """Regrade to relatively major, acknowledge, activate the Level III response its grade
    calls for (Plan §4.2), end it: the incident is resolved by the end (Plan §4.3)."""
    page.locator("#grading summary").click()
    page.select_option("#rg-system_loss", "relatively_serious")
    page.fill("#rg-reason", "影响扩大到网银系统 the online bank is affected")
    page.locator("#regrade-form button[type=submit]").click()
    expect(page.locator("#grade-reasons")).to_contain_text("较大")
    page.locator("#acknowledge").click()
    expect(page.locator("#ack-done")).to_be_visible()
    page.click("#activate")
    page.wait_for_url(re.compile(r".*/web/responses/new\?incident="))
    expect(page.get_by_label("Ⅲ级响应")).to_be_checked()
    page.get_by_role("button", name="启动", exact=True).click()
    page.wait_for_url(re.compile(rf"{re.escape(server)}/web/responses/ER-[^/?]+"))
    expect(page.locator("#response-state")).to_have_text("响应中")
    page.fill("#end-reason", "木马已清除 the trojan is removed")
    page.locator("#end").get_by_role("button", name="结束响应").click()
    expect(page.locator("#response-state")).to_have_text("已结束")
    page.goto(f"{server}/web/incidents/{ref}")
    expect(page.locator("#state")).to_contain_text("已处置")


def test_a_duty_officers_day(server, browser, tmp_path):
    ref, warning = _world(server)
    ctx, duty = _page(browser, accept_downloads=True)
    try:
        log_in(duty, server, "bj_duty")
        first = duty.locator("#queue tbody tr").first.get_by_role("link").first
        expect(first).to_have_text(ref)
        first.click()
        duty.wait_for_url(f"{server}/web/incidents/{ref}")
        duty.click("#assign-me")
        expect(duty.locator("#assignee")).to_contain_text("bj_duty")
        _casework(duty)
        _respond(duty, server, ref)
        duty.select_option("#st-state", "closed")
        duty.fill("#st-resolution", "木马已清除，网银恢复 removed, online banking restored")
        duty.click("#change-state")
        expect(duty.locator("#state")).to_contain_text("已关闭")
        duty.goto(f"{server}/web/incidents?assignee=me&state=closed")
        expect(duty.locator("main").locator(f"a[href='/web/incidents/{ref}']")).to_be_visible()

        # the weekly bulletin, generated and downloaded
        duty.click("#nav-bulletins")
        duty.check("#kind-weekly")
        duty.click("#generate-button")
        duty.wait_for_url(re.compile(rf"{re.escape(server)}/web/bulletins/BL-[0-9A-Z-]+$"))
        with duty.expect_download() as info:
            duty.click("#download-pdf")
        saved = tmp_path / "bulletin.pdf"
        info.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
    finally:
        ctx.close()

    ctx, head = _page(browser)
    try:
        log_in(head, server, "bj_admin", "/web/warnings")
        head.locator(f"#awaiting-list tr[data-ref='{warning}'] a").first.click()
        head.wait_for_url(f"{server}/web/warnings/{warning}")
        head.locator("#approve").click()
        head.wait_for_url(f"{server}/web/warnings/{warning}?done=approve")
        head.locator("#publish").click()
        dialog = head.locator("#confirm-publish")
        expect(dialog.locator("#publish-recipients li[data-body=bj-finance-reg]")).to_be_visible()
        dialog.locator("#publish-confirmed").click()
        head.wait_for_url(f"{server}/web/warnings/{warning}?done=publish")
        expect(head.locator("#w-state")).to_have_text("已发布")
    finally:
        ctx.close()

    # the Emergency Office shares the incident with Shanghai, found by typing its name (Plan §3.2)
    ctx, office = _page(browser)
    try:
        log_in(office, server, "nat_admin", f"/web/incidents/{ref}")
        # AMBER stays within Beijing's reach (TLP 2.0): the Office relabels it first, with a reason
        office.select_option("#tlp-value", "green")
        office.fill("#tlp-reason", "供各省防范 for the provinces' prevention")
        office.click("#change-tlp")
        expect(office.locator("#tlp")).to_contain_text("TLP:GREEN")
        office.locator("#share-details summary").click()
        office.fill("#share-search", "上海")
        expect(office.locator("#share-list label:visible")).to_have_count(1)
        expect(office.locator("#share-list label[for='share-310000.office']")).to_be_visible()
        office.check("#share-310000\\.office")
        office.click("#share-submit")
        expect(office.locator("#share-rows")).to_contain_text("上海")
    finally:
        ctx.close()
