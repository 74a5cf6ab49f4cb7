"""Issue 19 item 8 in Debian's Chromium: every main page of the console, the login page and the
public pages fit a 390-px phone, a 768-px tablet and a 1366-px laptop in Chinese and in English:
the document never scrolls sideways, and no element sticks out of the screen or out of its own
box, except inside a box that scrolls sideways on purpose (a wide table in ``.table-scroll``).

One live server over one seeded world for the module (an incident, a warning, a response, a
monitoring item, an interview and a public tip, filed through the API once); one browser
context per language, logged in once, whose page is resized for each width. SQLite only (see
conftest.SQLITE_ONLY)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, MODULE_SQLITE_ONLY, log_in, start_server, ui_timeout_ms
from tests.conftest import PASSWORD

pytestmark = MODULE_SQLITE_ONLY
WIDTHS = {"phone": 390, "tablet": 768, "laptop": 1366}
LANGUAGES = {"zh": "zh-CN", "en": "en"}
#: long unbroken text a user may type (a URL, a hash), which must wrap rather than widen a page
LONG_URL = "https://portal.bj-bank.example.cn/very/long/path/" + "a1b2c3d4" * 12
LONG_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#: pages of the console whose address needs no seeded ref
CONSOLE = ["/web/", "/web/incidents", "/web/report", "/web/warnings", "/web/warnings/new",
           "/web/responses", "/web/monitoring", "/web/monitoring/statistics",
           "/web/monitoring/register", "/web/monitoring/feeds", "/web/monitoring/candidates",
           "/web/monitoring/notices", "/web/preparedness", "/web/preparedness/support",
           "/web/preparedness/accountability", "/web/preparedness/body/110000.office",
           "/web/directory", "/web/directory/bj-bank", "/web/supervision",
           "/web/supervision/new", "/web/tips", "/web/protection", "/web/admin/users",
           "/web/kpi", "/web/bulletins", "/web/shares", "/web/monitoring/incoming", "/web/inbox"]
#: list pages whose first link to one of their items is followed too: (list, item address)
FIRST_OF = [("/web/monitoring/feeds", r"^/web/monitoring/feeds/[^/?#]+$"),
            ("/web/monitoring/candidates", r"^/web/monitoring/candidates/[^/?#]+$"),
            ("/web/monitoring/notices", r"^/web/monitoring/notices/[^/?#]+$"),
            ("/web/preparedness/support", r"^/web/preparedness/support/[^/?#]+$"),
            ("/web/protection", r"^/web/protection/[^/?#]+$"),
            ("/web/admin/users", r"^/web/admin/users/[^/?#]+$")]
PUBLIC = ["/web/login", "/public/warnings", "/public/tips", "/public/tips/status"]
#: what sticks out sideways: the document's own scroll, then each visible element whose box
#: passes the screen's right edge or whose content passes its own right edge, unless it lies in
#: a box that scrolls (or clips) sideways; an SVG's insides are the SVG's affair
OVERFLOWS = """() => {
  const root = document.documentElement, width = root.clientWidth, out = [], bad = [];
  if (root.scrollWidth > window.innerWidth)
    out.push(`the document scrolls sideways by ${root.scrollWidth - window.innerWidth}px`);
  /* whether a box that scrolls (or clips) sideways holds el: an absolutely placed element
     is clipped only by the boxes on its chain of containing blocks */
  const scrolls = el => { let free = getComputedStyle(el).position === 'absolute';
    for (let a = el.parentElement; a && a !== root; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (free && s.position === 'static') continue;
      if (s.overflowX !== 'visible') return true;
      free = s.position === 'absolute';
    }
    return false; };
  const classes = el => typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el);
  const text = el => (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 50);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (style.position === 'fixed') continue;
    const box = el.getBoundingClientRect();
    if ((!box.width && !box.height) || box.right < 0) continue;  /* the parked skip link */
    if (scrolls(el)) continue;  /* inside a box that scrolls (or clips) sideways on purpose */
    const extra = el.scrollWidth - el.clientWidth;
    if (box.right > width + 1)
      bad.push([el, `${name(el)} ends at ${Math.round(box.right)}px of ${width}px: ${text(el)}`]);
    else if (style.overflowX === 'visible' && style.display !== 'inline'
             && el.tagName.toLowerCase() !== 'svg' && el.clientWidth > 0 && extra > 1)
      bad.push([el, `${name(el)} holds content ${extra}px wider than itself: ${text(el)}`]);
  }
  /* the innermost offenders name the cause; their ancestors only carry it */
  for (const [el, what] of bad)
    if (!bad.some(([other]) => other !== el && el.contains(other))) out.push(what);
  return out.slice(0, 12);
}"""


def _api(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/v1/auth/token",
                       data={"username": username, "password": PASSWORD}).json()["access_token"]
    return httpx.Client(base_url=f"{base}/api/v1", timeout=60,
                        headers={"Authorization": f"Bearer {token}"})


def _created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def _seed(base: str) -> dict[str, str]:
    """The things the item pages show, filed through the API with long unbroken text; returns
    their console addresses by name."""
    now = datetime.now(UTC)
    reporter, duty = _api(base, "bj_reporter"), _api(base, "bj_duty")
    incident = _created(reporter.post("/incidents", json={
        "system": "core", "category": "harmful-program", "subcategory": "harmful-program.trojan",
        "title": f"木马 Trojan on core banking {LONG_HASH}", "found_at": now.isoformat(),
        "impact": f"两台主机 two hosts beaconing to {LONG_URL}", "measures": "隔离 isolated",
        "facts": {"system_loss": "serious"}}))["ref"]
    warning = _created(duty.post("/warnings", json={
        "title": "勒索软件攻击金融机构 Ransomware against banks", "category": "harmful-program",
        "level": "orange", "starts_at": now.isoformat(), "jurisdictions": ["110000"],
        "sectors": ["finance"], "items": [f"勒索软件利用VPN漏洞 ransomware via {LONG_URL}"],
        "measures": [{"text": "修补VPN patch the VPN",
                      "deadline": (now + timedelta(hours=24)).isoformat()}]}))["ref"]
    response = _created(duty.post("/responses", json={"incident": incident, "level": "II"}))
    item = _created(reporter.post("/monitoring", json={
        "title": "VPN漏洞被利用 VPN flaw exploited", "observed": f"扫描流量 scanning {LONG_URL}",
        "observed_at": now.isoformat(), "category": "network-attack",
        "jurisdictions": ["110000"], "sectors": ["finance"],
        "indicators": [{"type": "ip", "value": "203.0.113.7"},
                       {"type": "cve", "value": "CVE-2026-0001"}]}))["ref"]
    interview = _created(duty.post("/supervision/interviews", json={
        "unit": "bj-bank", "title": "核心系统存在高危漏洞 high-risk flaws in core banking",
        "interviewee": "张三", "interviewee_role": "legal_representative",
        "interviewed_at": (now - timedelta(hours=2)).isoformat(),
        "findings": f"未修补的远程代码执行漏洞 an unpatched RCE, see {LONG_URL}",
        "requirements": "十日内修补 patch within ten days",
        "due_at": (now + timedelta(days=10)).isoformat()}))["ref"]
    tip = _created(httpx.post(f"{base}/api/v1/public/tips", json={
        "jurisdiction": "110000", "unit_name": "北京某论坛 a Beijing forum",
        "category": "network-attack", "description": f"论坛被植入后门 a backdoor at {LONG_URL}",
        "reporter_name": "赵六", "reporter_contact": "+86 138 0000 0000"}))["ref"]
    return {"incident": f"/web/incidents/{incident}", "warning": f"/web/warnings/{warning}",
            "response": f"/web/responses/{response['ref']}",
            "response_new": f"/web/responses/new?incident={incident}",
            "monitoring": f"/web/monitoring/{item}", "interview": f"/web/supervision/{interview}",
            "tip": f"/web/tips/{tip}"}


@pytest.fixture(scope="module")
def world(module_db_url):
    """The live server's base URL and the seeded items' addresses."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    with start_server(module_db_url) as base:
        yield base, _seed(base)


@pytest.fixture(scope="module")
def pages(world, browser):
    """``pages[lang]``: (a page logged in as the Beijing administrator, an anonymous page) in
    that language, chosen by the browser's Accept-Language as a user's browser would."""
    base, _ = world
    made, out = [], {}
    for lang, tag in LANGUAGES.items():
        pair = []
        for signed_in in (True, False):
            ctx = browser.new_context(locale=tag, viewport={"width": 1366, "height": 900})
            ctx.set_default_timeout(ui_timeout_ms())
            made.append(ctx)
            page = ctx.new_page()
            if signed_in:
                log_in(page, base, "bj_admin")
            pair.append(page)
        out[lang] = tuple(pair)
    yield out
    for ctx in made:
        ctx.close()


@pytest.fixture(scope="module")
def addresses(world, pages) -> list[str]:
    """The console's pages to check: the fixed ones, the seeded items and the first item of
    each list in FIRST_OF (found on the list itself)."""
    base, seeded = world
    page = pages["en"][0]
    found = []
    for listing, pattern in FIRST_OF:
        page.goto(f"{base}{listing}")
        hrefs = page.eval_on_selector_all("#content a[href]",
                                          "els => els.map(a => a.getAttribute('href'))")
        found += [h for h in hrefs if re.match(pattern, h)][:1]
    return CONSOLE + list(seeded.values()) + found


def _problems(page, url: str) -> list[str]:
    """Loads ``url`` once and checks it at every width (the layout follows the viewport's
    width through media queries, so a resize re-lays the page out as a load would)."""
    response = page.goto(url)
    assert response.status == 200, url
    out = []
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        out += [f"{url} at {width}px ({name}): {p}" for p in page.evaluate(OVERFLOWS)]
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_main_page_fits_the_screen(world, pages, addresses, lang):
    """Every main page at 390, 768 and 1366 px (issue 19 item 8), in Chinese and English."""
    base, _ = world
    console, anonymous = pages[lang]
    problems = []
    for path in addresses:
        problems += _problems(console, f"{base}{path}")
    for path in PUBLIC:
        problems += _problems(anonymous, f"{base}{path}")
    assert console.evaluate("document.documentElement.lang") == LANGUAGES[lang]
    assert not problems, f"{len(problems)} overflows in {lang}:\n" + "\n".join(problems)
