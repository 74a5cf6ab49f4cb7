"""Security headers and cookies (issue 18 item 4, README "Behind a TLS reverse proxy"): every
answer (API, console, public pages, /docs, files) carries nosniff, the referrer policy, DENY
framing and a Content-Security-Policy fitting what it is; the console's cookies are HttpOnly
and SameSite always, Secure with ``FENGHUO_COOKIE_SECURE``; HSTS with ``FENGHUO_HSTS``. The
page policy holds because no template has inline script or style (checked here too)."""

from __future__ import annotations

import re
from pathlib import Path

import fenghuo.web
from fenghuo.api.security_headers import DATA_CSP, DOCUMENT_CSP, PAGE_CSP, docs_policy
from tests.e2e.test_web_form import csrf, login

TEMPLATES = Path(fenghuo.web.__file__).parent / "templates"
#: what ``script-src 'self'; style-src 'self'`` blocks: inline blocks, attributes, URLs
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


def assert_common(r, csp: str) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == csp
    assert "frame-ancestors 'none'" in csp
    assert "strict-transport-security" not in r.headers  # FENGHUO_HSTS is off by default


def test_every_kind_of_answer_has_its_headers(client, headers):
    """An API answer, an error, a console page, the public warnings, /docs, a static file."""
    api = client.get("/api/v1/incidents", headers=headers("bj_duty"))
    assert api.status_code == 200
    assert_common(api, DATA_CSP)
    assert_common(client.get("/api/v1/incidents"), DATA_CSP)  # a 401 problem too
    login(client, "bj_duty")
    page = client.get("/web/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert_common(page, PAGE_CSP)
    assert "script-src 'self';" in PAGE_CSP and "'unsafe-inline'" not in PAGE_CSP
    public = client.get("/public/warnings")
    assert public.status_code == 200
    assert_common(public, PAGE_CSP)
    assert_common(client.get("/public/warnings.atom"), DATA_CSP)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert_common(docs, docs_policy(re.findall(r"<script>(.*?)</script>", docs.text, re.S)))
    docs_csp = docs.headers["content-security-policy"]  # issue 19 item 9: nothing off the site
    assert "http" not in docs_csp and "'unsafe-inline'" not in docs_csp
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'; style-src 'self';", docs_csp)
    assert re.findall(r'(?:src|href)="([^"]*)"', docs.text) == [
        "/docs/assets/swagger-ui.css", "/docs/assets/favicon.png",
        "/docs/assets/swagger-ui-bundle.js"]
    for asset in ("swagger-ui.css", "favicon.png", "swagger-ui-bundle.js"):
        assert client.get(f"/docs/assets/{asset}").status_code == 200, asset
    css = client.get("/web/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert_common(css, DATA_CSP)
    assert 'href="/web/static/console.css?v=' in page.text
    assert '<script src="/web/static/console.js?v=' in page.text
    assert 'href="/web/static/public.css?v=' in public.text


def test_the_html_bulletin_may_use_inline_styles_and_no_script(rt, clock, client, headers):
    """Plan §3.2: the bulletin's template styles itself inline; its own policy allows that only."""
    clock.advance(days=30)
    me = headers("bj_duty")
    r = client.post("/api/v1/bulletins", json={"kind": "monthly", "period": "2026-11"},
                    headers=me)
    assert r.status_code == 201, r.text
    html = client.get(f"/api/v1/bulletins/{r.json()['ref']}.html", headers=me)
    assert html.status_code == 200 and "<style>" in html.text
    assert_common(html, DOCUMENT_CSP)
    assert "script-src" not in DOCUMENT_CSP and DOCUMENT_CSP.startswith("default-src 'none'")


def test_no_template_has_inline_script_or_style():
    """The page policy (script-src 'self'; style-src 'self') would block them."""
    found = [f"{p.name}: {m.group(0).strip()}" for p in sorted(TEMPLATES.glob("*.html"))
             for m in INLINE.finditer(p.read_text(encoding="utf-8"))]
    assert not found, found


def cookies(r) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}


def test_cookies_are_httponly_samesite_and_secure_only_when_set(rt, client, monkeypatch):
    page = client.get("/web/login")
    csrf_cookie = cookies(page)["fh_csrf"]
    assert "HttpOnly" in csrf_cookie and "SameSite=strict" in csrf_cookie
    assert "Secure" not in csrf_cookie  # the embedded default is plain http://127.0.0.1
    session = cookies(login(client, "bj_duty"))["fh_session"]
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session

    monkeypatch.setattr(rt.settings, "cookie_secure", True)  # behind TLS
    monkeypatch.setattr(rt.settings, "hsts", True)
    tls = client.__class__(client.app, base_url="https://testserver")  # as the proxy forwards
    page = tls.get("/web/login")
    assert "; Secure" in cookies(page)["fh_csrf"]
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    session = cookies(login(tls, "bj_duty"))["fh_session"]
    assert "; Secure" in session and "HttpOnly" in session and "SameSite=lax" in session
    assert tls.get("/web/", follow_redirects=False).status_code == 200  # sent back over TLS
    lang = cookies(tls.get("/web/lang?to=en", follow_redirects=False))["lang"]
    assert "; Secure" in lang and "HttpOnly" in lang
    out = tls.post("/web/logout", data={"csrf": csrf(tls.get("/web/").text)},
                   follow_redirects=False)
    gone = cookies(out)["fh_session"]
    assert out.status_code == 303 and "Max-Age=0" in gone and "; Secure" in gone
    assert tls.get("/web/", follow_redirects=False).status_code == 303  # logged out
