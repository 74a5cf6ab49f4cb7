"""Issue 6 item 8 in a real browser: the console's main pages fit a 1366×768 screen and a
tablet (768 px) without sideways scrolling of the page (wide tables scroll inside their own
box), every form control has a label, and the skip link is the first stop of the keyboard."""

from __future__ import annotations

import pytest

from tests.browser.conftest import MODULE_SQLITE_ONLY, log_in, ui_timeout_ms

pytestmark = MODULE_SQLITE_ONLY
PAGES = ["/web/", "/web/incidents", "/web/report", "/web/monitoring", "/web/warnings",
         "/web/warnings/new", "/web/responses", "/web/directory", "/web/admin/users",
         "/web/preparedness", "/web/preparedness/support", "/web/preparedness/accountability",
         "/web/preparedness/body/110000.office"]
#: form controls the user can reach that have no accessible name
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !el.disabled && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768},
                                      {"width": 768, "height": 1024}], ids=["laptop", "tablet"])
def test_main_pages_fit_and_label_every_control(module_server, browser, viewport):
    server = module_server  # the pages are only read: one server for both screens
    ctx = browser.new_context(locale="zh-CN", viewport=viewport)
    ctx.set_default_timeout(ui_timeout_ms())
    try:
        page = ctx.new_page()
        log_in(page, server, "bj_admin")
        problems = []
        for path in PAGES:
            response = page.goto(f"{server}{path}")
            assert response.status == 200, path
            if (extra := page.evaluate(OVERFLOW)) > 0:
                problems.append(f"{path}: the page scrolls sideways by {extra}px")
            problems += [f"{path}: no label: {html}" for html in page.evaluate(UNLABELLED)]
        assert not problems, "\n".join(problems)
        page.goto(f"{server}/web/incidents")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#content"
    finally:
        ctx.close()
