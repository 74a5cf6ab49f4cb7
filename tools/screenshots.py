"""Save screenshots of the console's main pages to docs/screenshots/.

Starts a server over a fresh SQLite copy of the test world (the fixtures of tests/), fills it
through the HTTP API as real users would (incident reports of several grades by a bank's
reporter, an acknowledgement by the Beijing duty officer, an orange warning drafted by the duty
officer, approved and published by the head of office, acknowledged by the Beijing Finance Regulator
with one of its tasks done, a Level I response activated by the Emergency Office with a
headquarters, progress and a support request), then drives Debian's Chromium headless (1366×768;
detail pages whole at 1366 wide, cut at 2000 px) and writes:

    login.png            the login page
    dashboard.png        the duty officer's queue above the dashboard, in Chinese
    dashboard-en.png     the dashboard in English
    incidents.png        the incident list
    incident.png         an incident's page: grading, routing, clocks, its assignee, observables,
                         tasks and internal notes
    report.png           the report form with an inline validation error
    warning-form.png     the warning form: the levels the body may issue, and why
    warning.png          a published warning: recipients, acknowledgements, checklist progress
    response.png         a Level I response's console page
    directory.png        the directory of bodies
    preparedness.png     compliance: plans, exercises, CII assessments per body, with statuses
    accountability.png   the accountability and commendation view for the half-year
    bulletin.png         last week's bulletin in the console: figures, recipients, HTML and PDF
    tablet-incident.png  the incident page at 768×1024

Usage: python tools/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from tests.browser.conftest import CHROMIUM, log_in, start_server  # noqa: E402
from tests.conftest import PASSWORD, _runtime, _seed_world  # noqa: E402

from fenghuo.common.clock import FakeClock  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the server's zone: the forms' times are read in it
WIDE = {"width": 1366, "height": 768}
TALL = {"width": 1366, "height": 1100}
TABLET = {"width": 768, "height": 1024}
#: detail pages are shot whole, down to this height
MAX_HEIGHT = 2000


@dataclass
class Content:
    """References of what the shots show."""

    incident: str
    warning: str
    response: str
    bulletin: str


# --- content, through the API ------------------------------------------------------------------


class Api:
    """An HTTP client of the live server that logs users in once and keeps their tokens."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=f"{base}/api/v1", timeout=30)
        self.tokens: dict[str, str] = {}

    def _auth(self, username: str) -> dict:
        if username not in self.tokens:
            r = self.http.post("/auth/token", data={"username": username, "password": PASSWORD})
            r.raise_for_status()
            self.tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def post(self, username: str, path: str, json: dict | None = None) -> dict:
        r = self.http.post(path, json=json, headers=self._auth(username))
        if r.status_code >= 400:
            raise RuntimeError(f"POST {path} as {username}: {r.status_code} {r.text}")
        return r.json()

    def put(self, username: str, path: str, json: dict) -> dict:
        r = self.http.put(path, json=json, headers=self._auth(username))
        if r.status_code >= 400:
            raise RuntimeError(f"PUT {path} as {username}: {r.status_code} {r.text}")
        return r.json()


def report(api: Api, *, system: str, category: str, subcategory: str, title: str,
           found: timedelta, impact: str, measures: str, **facts) -> str:
    """A first report by the Beijing bank's reporter; returns the incident's ref."""
    return api.post("bj_reporter", "/incidents", {
        "system": system, "category": category, "subcategory": subcategory, "title": title,
        "found_at": (datetime.now(UTC) - found).isoformat(), "impact": impact,
        "measures": measures, "facts": facts})["ref"]


def incidents(api: Api) -> str:
    """Four reports of different grades; the duty officer acknowledges the major one, whose
    ref is returned."""
    report(api, system="www", category="network-attack", subcategory="network-attack.dos",
           title="门户网站遭受DDoS攻击 DDoS against the website", found=timedelta(hours=6),
           impact="门户访问缓慢约40分钟 website slow for 40 minutes",
           measures="启用流量清洗 traffic scrubbing enabled", system_loss="minor")
    report(api, system="core", category="network-attack",
           subcategory="network-attack.phishing",
           title="仿冒网银钓鱼邮件 Phishing mail imitating online banking",
           found=timedelta(hours=4), impact="三名员工点击链接 three staff clicked the link",
           measures="重置口令、拦截发件域 passwords reset, sender domain blocked",
           system_loss="relatively_serious")
    major = report(api, system="core", category="harmful-program",
                   subcategory="harmful-program.trojan",
                   title="核心系统发现木马 Trojan found on core banking", found=timedelta(hours=2),
                   impact="两台应用服务器失陷，交易未中断 two application servers compromised; "
                          "transactions not interrupted",
                   measures="隔离主机、切换备用节点 hosts isolated, standby nodes in use",
                   system_loss="serious")
    api.post("bj_duty", f"/incidents/{major}/acknowledge")
    casework(api, major)
    return major


def casework(api: Api, ref: str) -> None:
    """The duty officer takes the incident, records what is known and sets a task."""
    api.put("bj_duty", f"/incidents/{ref}/assignee", {"username": "bj_duty"})
    for value in ("198.51.100.23", "update-check.example.net",
                  "44d88612fea8a8f36de82e1278abb02f"):
        api.post("bj_duty", f"/incidents/{ref}/observables", {"value": value})
    api.post("bj_duty", f"/incidents/{ref}/tasks", {
        "title": "提取失陷主机内存镜像 image the memory of the compromised hosts",
        "owner": "bj_analyst", "due_at": (datetime.now(UTC) + timedelta(hours=6)).isoformat()})
    api.post("bj_duty", f"/incidents/{ref}/comments", {
        "text": "已电话通知银行信息科技部 the bank's IT department was told by phone"})


def warning(api: Api) -> str:
    """An orange warning to Beijing's finance sector: drafted by the duty officer, approved and
    published by the head of office (four eyes), acknowledged by the Finance Regulator."""
    now = datetime.now(UTC)
    ref = api.post("bj_duty", "/warnings", {
        "title": "勒索软件攻击金融机构 Ransomware against banks", "category": "harmful-program",
        "level": "orange", "starts_at": now.isoformat(), "jurisdictions": ["110000"],
        "sectors": ["finance"],
        "items": ["勒索软件利用VPN漏洞入侵 ransomware enters through a VPN flaw",
                  "攻击者在加密前窃取数据 data is stolen before encryption"],
        "measures": [{"text": "修补VPN网关 patch the VPN gateways",
                      "deadline": (now + timedelta(hours=24)).isoformat()},
                     {"text": "检查离线备份 check offline backups",
                      "deadline": (now + timedelta(hours=48)).isoformat()}]})["ref"]
    api.post("bj_admin", f"/warnings/{ref}/approve")
    api.post("bj_admin", f"/warnings/{ref}/publish")
    tasks = api.post("bj_fin", f"/warnings/{ref}/acknowledge")["tasks"]
    first = next(t["id"] for t in tasks if t["body"] == "bj-finance-reg")
    api.post("bj_fin", f"/warnings/{ref}/tasks/{first}/done",
             {"evidence": "已启动行业预案并通知各银行 sector plan started, banks notified"})
    return ref


def response(api: Api) -> str:
    """A Level I response to an especially major incident: the Emergency Office activates it
    with a headquarters (whose leader is a user created for it), Beijing reports progress and
    asks for support."""
    api.post("nat_admin", "/users", {
        "username": "hq_lead", "display_name": "总指挥 Commander",
        "body": "cn.emergency-office", "roles": ["read_only"], "password": PASSWORD})
    inc = report(api, system="core", category="harmful-program",
                 subcategory="harmful-program.blended",
                 title="核心系统遭勒索软件加密 Ransomware encrypts core banking",
                 found=timedelta(hours=1), impact="核心交易全部中断 all core transactions down",
                 measures="断开外联、启动灾备 external links cut, disaster recovery started",
                 system_loss="especially_serious")
    ref = api.post("nat_admin", "/responses", {
        "incident": inc, "level": "I", "progress_every_minutes": 60, "headquarters": [
            {"name": "总指挥 Commander", "title": "指挥部总指挥 head of headquarters",
             "username": "hq_lead"},
            {"name": "北京联络员 Beijing liaison", "title": "联络员 liaison",
             "body": "110000.office"}]})["ref"]
    api.post("bj_duty", f"/responses/{ref}/progress", {
        "developments": "加密扩散已停止 encryption no longer spreading",
        "progress": "正在从离线备份恢复 restoring from offline backups"})
    api.post("bj_duty", f"/responses/{ref}/support", {
        "needs": "需要取证队伍到场 forensics team needed on site"})
    return ref


def preparedness(api: Api) -> None:
    """Beijing's plan, last evaluated thirteen months ago (overdue, Plan §8.1), the bank's plan
    and a commendation (Plan §7.10)."""
    today = datetime.now(SHANGHAI).date()
    for body, key, title, adopted in (
            ("110000.office", "bj-plan", "北京市网络安全事件应急预案", today - timedelta(days=400)),
            ("bj-bank", "bank-plan", "北京某银行网络安全事件应急预案", today - timedelta(days=90))):
        api.post("bj_duty", "/preparedness/plans", {
            "body": body, "key": key, "title": title, "version": "2025", "owner": "应急处",
            "document": f"{key}.pdf", "adopted_on": adopted.isoformat()})
    api.post("bj_duty", "/commendations", {
        "body": "bj-support", "reason": "协助处置勒索事件 helped handle the ransomware case"})


def bulletin(api: Api) -> str:
    """This week's bulletin of the Beijing office (Support rights 2), sent to its recipients."""
    week = datetime.now(SHANGHAI).isocalendar()
    ref = api.post("bj_duty", "/bulletins", {
        "kind": "weekly", "period": f"{week.year}-W{week.week:02d}"})["ref"]
    api.post("bj_duty", f"/bulletins/{ref}/send", {"recipients": []})
    return ref


def build_content(base: str) -> Content:
    api = Api(base)
    try:
        published = warning(api)  # first, so the incidents are reported while it is in effect
        content = Content(incident=incidents(api), warning=published, response=response(api),
                          bulletin="")
        preparedness(api)
        content.bulletin = bulletin(api)
        return content
    finally:
        api.http.close()


# --- shots --------------------------------------------------------------------------------------


def open_as(browser: Browser, base: str, username: str | None, path: str,
            viewport: dict = WIDE) -> Page:
    """A new Chinese browser at ``path``, logged in as ``username`` (None: not logged in);
    an error page is an error here, never a screenshot."""
    ctx = browser.new_context(locale="zh-CN", viewport=viewport)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    if username:
        log_in(page, base, username)
    visit(page, f"{base}{path}")
    return page


def visit(page: Page, url: str) -> None:
    r = page.goto(url)
    if r is None or not r.ok:
        raise RuntimeError(f"GET {url}: {r and r.status} {r and r.text()[:500]}")


def shoot(page: Page, out: Path, name: str, full_page: bool = False) -> Path:
    """The viewport, or (``full_page``) the whole page cut at MAX_HEIGHT."""
    path = out / f"{name}.png"
    if full_page:
        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
        page.screenshot(path=path, full_page=True, clip={
            "x": 0, "y": 0, "width": page.viewport_size["width"], "height": height})
    else:
        page.screenshot(path=path)
    return path


def shot_login(browser: Browser, base: str, out: Path) -> Path:
    page = open_as(browser, base, None, "/web/login?next=/web/")
    return shoot(page, out, "login")


def shot_dashboards(browser: Browser, base: str, out: Path) -> list[Path]:
    page = open_as(browser, base, "bj_duty", "/web/")
    page.wait_for_selector("#map-110000:not([data-level=none])")
    shots = [shoot(page, out, "dashboard")]
    visit(page, f"{base}/web/lang?to=en&next=/web/")
    page.wait_for_selector("#map-110000")
    return [*shots, shoot(page, out, "dashboard-en")]


def shot_incidents(browser: Browser, base: str, out: Path) -> Path:
    page = open_as(browser, base, "bj_duty", "/web/incidents")
    return shoot(page, out, "incidents")


def shot_incident(browser: Browser, base: str, out: Path, ref: str, name: str = "incident",
                  viewport: dict = TALL) -> Path:
    page = open_as(browser, base, "bj_duty", f"/web/incidents/{ref}", viewport)
    return shoot(page, out, name, full_page=viewport is TALL)


def shot_report_form(browser: Browser, base: str, out: Path) -> Path:
    """The report form sent without the impact: the error is shown beside the field."""
    page = open_as(browser, base, "bj_reporter", "/web/report", TALL)
    page.select_option("#system", "www")
    page.select_option("#category", "information-destruction|information-destruction.tampering")
    page.fill("#title", "门户网站首页被篡改 Website homepage defaced")
    page.fill("#found_at", datetime.now(SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#measures", "页面已下线 page taken offline")
    page.locator("form[action='/web/report'] button[type=submit]").click()
    page.wait_for_selector("#impact-error")
    return shoot(page, out, "report")


def shot_warning_form(browser: Browser, base: str, out: Path) -> Path:
    page = open_as(browser, base, "bj_duty", "/web/warnings/new", TALL)
    return shoot(page, out, "warning-form")


def shot_warning(browser: Browser, base: str, out: Path, ref: str) -> Path:
    page = open_as(browser, base, "bj_duty", f"/web/warnings/{ref}", TALL)
    return shoot(page, out, "warning", full_page=True)


def shot_response(browser: Browser, base: str, out: Path, ref: str) -> Path:
    page = open_as(browser, base, "nat_admin", f"/web/responses/{ref}", TALL)
    return shoot(page, out, "response", full_page=True)


def shot_directory(browser: Browser, base: str, out: Path) -> Path:
    page = open_as(browser, base, "bj_duty", "/web/directory")
    return shoot(page, out, "directory")


def shot_preparedness(browser: Browser, base: str, out: Path) -> list[Path]:
    page = open_as(browser, base, "bj_duty", "/web/preparedness", TALL)
    first = shoot(page, out, "preparedness", full_page=True)
    page = open_as(browser, base, "bj_duty", "/web/preparedness/accountability", TALL)
    return [first, shoot(page, out, "accountability", full_page=True)]


def shot_bulletin(browser: Browser, base: str, out: Path, ref: str) -> Path:
    page = open_as(browser, base, "bj_duty", f"/web/bulletins/{ref}", TALL)
    return shoot(page, out, "bulletin", full_page=True)


def take_shots(base: str, out: Path, content: Content) -> list[Path]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])
        try:
            return [shot_login(browser, base, out),
                    *shot_dashboards(browser, base, out),
                    shot_incidents(browser, base, out),
                    shot_incident(browser, base, out, content.incident),
                    shot_report_form(browser, base, out),
                    shot_warning_form(browser, base, out),
                    shot_warning(browser, base, out, content.warning),
                    shot_response(browser, base, out, content.response),
                    shot_directory(browser, base, out),
                    *shot_preparedness(browser, base, out),
                    shot_bulletin(browser, base, out, content.bulletin),
                    shot_incident(browser, base, out, content.incident, "tablet-incident",
                                  TABLET)]
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'world.db'}"
        rt = _runtime(url, FakeClock())
        _seed_world(rt)
        rt.engine.dispose()
        with start_server(url) as base:
            shots = take_shots(base, args.out, build_content(base))
    for path in shots:
        print(path)


if __name__ == "__main__":
    main()
