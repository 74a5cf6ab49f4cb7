"""Issue 18 item 4 in Debian's Chromium against a live server: the console's main pages and the
public warnings load under the strict Content-Security-Policy (script-src 'self'; style-src
'self') without one violation, with their styles applied (from /web/static, not inline), the
error page's "back" link and the dashboard's self-refresh still work, and an injected inline
script is refused and reported (the listener would see a violation of any page).
SQLite only (see conftest.SQLITE_ONLY)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = SQLITE_ONLY
VIEWPORT = {"width": 1366, "height": 768}
#: every violation of a page, kept on the window from before the page's own scripts run
LISTEN = """document.addEventListener('securitypolicyviolation', e =>
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + (e.blockedURI || '')));"""
PAGES = ["/web/", "/web/incidents", "/web/warnings/new", "/web/directory", "/web/preparedness",
         "/web/monitoring", "/public/warnings"]


@pytest.fixture
def watched(browser):
    """``watched()``: a new page whose CSP violations (events and console reports) are kept in
    the returned list."""
    made = []

    def make():
        ctx = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        ctx.set_default_timeout(ui_timeout_ms())
        ctx.add_init_script(LISTEN)
        made.append(ctx)
        page, seen = ctx.new_page(), []
        page.on("console", lambda m: seen.append(f"console: {m.text}")
                if "Content Security Policy" in m.text else None)
        return page, seen

    yield make
    for ctx in made:
        ctx.close()


def visit(page, seen: list, url: str) -> None:
    """Open ``url`` and add its violations to ``seen``; its styles must have loaded."""
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self';" in response.headers["content-security-policy"], url
    seen += [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]
    bar = page.evaluate("getComputedStyle(document.querySelector('header.bar')).backgroundColor")
    assert bar == "rgb(29, 35, 48)", f"{url}: the stylesheet did not apply"


def file_a_report(page, seen: list, server: str) -> str:
    """The unit's reporter files through the report form (Plan §3.3: report what happened);
    returns the address of the incident's page."""
    log_in(page, server, "bj_reporter", "/web/report")
    visit(page, seen, f"{server}/web/report")
    page.select_option("#system", "core")
    page.select_option("#category", "network-attack|network-attack.phishing")
    page.fill("#title", "钓鱼邮件 CSP check")
    page.fill("#found_at", "2026-11-01T15:30")
    page.fill("#impact", "三名员工点击")
    page.fill("#measures", "重置口令")
    page.select_option("#system_loss", "serious")
    page.locator("form[action='/web/report'] button[type=submit]").click()
    page.wait_for_url(f"{server}/web/incidents/**")
    return page.url


def test_console_pages_load_under_the_policy(server, watched):
    reporter, seen = watched()
    incident = file_a_report(reporter, seen, server)
    page, seen_admin = watched()
    log_in(page, server, "bj_admin")
    for path in PAGES:
        visit(page, seen_admin, f"{server}{path}")
    visit(page, seen_admin, incident)  # an incident's page

    page.goto(f"{server}/web/incidents/NO-SUCH-REF")  # the error page: "back" is a script
    page.locator("a[data-back]").click()
    page.wait_for_url(incident)
    assert not seen + seen_admin, "\n".join(seen + seen_admin)


def test_dashboard_refreshes_itself_under_the_policy(server, watched):
    page, seen = watched()
    log_in(page, server, "bj_duty")
    page.evaluate("window.__sameDocument = true;"
                  "document.querySelector('#dash > *').setAttribute('data-old', '1')")
    with page.expect_response(f"{server}/web/dashboard/fragment") as fetched:
        page.evaluate("window.fhRefresh()")  # what the 30-second timer does
    assert fetched.value.status == 200
    page.wait_for_function("!document.querySelector('#dash [data-old]') && "
                           "document.querySelector('#dash #incidents-major') !== null")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("window.__csp || []") == [] and not seen

    # the control: an inline script injected into the page is refused, and reported
    page.evaluate("""() => { const s = document.createElement('script');
                     s.textContent = 'window.__ran = true'; document.body.append(s); }""")
    page.wait_for_function("(window.__csp || []).length > 0")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__csp")[0].startswith("script-src")
