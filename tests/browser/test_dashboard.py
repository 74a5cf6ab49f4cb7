"""Watch it escalate on the dashboard, in Debian's Chromium against a live server: a reporter
at an operator unit files a major incident through the report form, and both the provincial
duty officer's and the national Emergency Office duty officer's dashboards count it without a
reload; a warning published through the API then colours the province on both maps.
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms
from tests.conftest import PASSWORD

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}


def api_token(base: str, username: str) -> dict:
    r = httpx.post(f"{base}/api/v1/auth/token",
                   data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def national_duty_officer(base: str) -> str:
    """A duty officer of the national Emergency Office (Plan §2.2), created by its
    administrator (nat_admin in tests/conftest.py)."""
    r = httpx.post(f"{base}/api/v1/users", headers=api_token(base, "nat_admin"), json={
        "username": "cn_duty", "display_name": "国家值班员", "body": "cn.emergency-office",
        "roles": ["duty_officer"], "password": PASSWORD})
    assert r.status_code == 201, r.text
    return "cn_duty"


def publish_orange_warning(base: str) -> str:
    """Draft (bj_duty), approve (bj_admin: four eyes) and publish an orange warning for
    Beijing through the API; returns its reference."""
    now = datetime.now(UTC)
    duty = api_token(base, "bj_duty")
    r = httpx.post(f"{base}/api/v1/warnings", headers=duty, json={
        "title": "勒索软件攻击金融机构", "category": "harmful-program", "level": "orange",
        "starts_at": now.isoformat(), "jurisdictions": ["110000"], "sectors": ["finance"],
        "items": ["勒索软件利用VPN漏洞"],
        "measures": [{"text": "修补VPN", "deadline": (now + timedelta(hours=24)).isoformat()}]})
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    r = httpx.post(f"{base}/api/v1/warnings/{ref}/approve", headers=api_token(base, "bj_admin"))
    assert r.status_code == 200, r.text
    r = httpx.post(f"{base}/api/v1/warnings/{ref}/publish", headers=duty)
    assert r.status_code == 200 and r.json()["state"] == "published", r.text
    return ref


@pytest.fixture
def contexts(browser):
    made = []

    def make():
        ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        ctx.set_default_timeout(ui_timeout_ms())
        made.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in made:
        ctx.close()


def count(page, element_id: str) -> int:
    return int(page.locator(f"#{element_id}").inner_text())


def refreshed_until(page, script: str) -> None:
    """What the 30-second timer does (fetch the fragment, no reload), then wait for ``script``."""
    page.evaluate("window.fhRefresh()")
    page.wait_for_function(script)


def test_watch_it_escalate_on_the_dashboard(server, contexts):
    province = contexts()
    log_in(province, server, "bj_duty")
    national = contexts()
    log_in(national, server, national_duty_officer(server))
    assert national.locator("#user-body").inner_text() == "国家网络安全应急办公室"
    before = {p: count(p, "incidents-major") for p in (province, national)}
    for page in (province, national):
        expect(page.locator("#map-110000")).to_have_attribute("data-level", "none")
        expect(page.locator("#map-none")).to_be_visible()
    province.evaluate("window.__sameDocument = true")  # gone if the page ever reloads

    reporter = contexts()
    log_in(reporter, server, "bj_reporter", "/web/report")
    reporter.select_option("#system", "core")
    reporter.select_option("#category", "network-attack|network-attack.dos")
    reporter.fill("#title", "核心系统遭受DDoS攻击 <b>down</b>")
    reporter.fill("#found_at", "2026-11-01T09:10")
    reporter.fill("#impact", "网上银行中断")
    reporter.fill("#measures", "启用清洗")
    reporter.select_option("#system_loss", "serious")  # criterion ①: major (Plan §1.4)
    reporter.locator("form[action='/web/report'] button[type=submit]").click()
    reporter.wait_for_url(f"{server}/web/incidents/**")

    for page in (province, national):
        want = before[page] + 1
        refreshed_until(page, "document.getElementById('incidents-major').textContent.trim()"
                              f" === '{want}'")
        assert count(page, "unacknowledged") >= 1
    assert province.evaluate("window.__sameDocument") is True

    ref = publish_orange_warning(server)
    for page in (province, national):
        refreshed_until(page, "document.getElementById('map-110000')"
                              ".getAttribute('data-level') === 'orange'")
        expect(page.locator("#map-310000")).to_have_attribute("data-level", "none")
        row = page.locator("#covered-110000")
        expect(row).to_contain_text("北京市")
        expect(row).to_contain_text("橙色预警")
        expect(row.get_by_role("link", name=ref)).to_be_visible()
        expect(page.locator("#warnings-orange")).to_have_text("1")
    assert province.evaluate("window.__sameDocument") is True
    assert "橙色预警" in province.locator("#map-110000 > title").text_content()

    province.locator("#map-110000").focus()  # the tiles are links, reachable by keyboard
    province.keyboard.press("Enter")
    province.wait_for_url(f"{server}/web/warnings?state=published&region=110000")
