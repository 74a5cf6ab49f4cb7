"""The duty console through HTTP: login redirect, dashboard numbers from the services, the
language switch and its safe redirect, Accept-Language negotiation, escaping."""

from __future__ import annotations

import re

import pytest

from fenghuo.web import i18n
from tests.conftest import PASSWORD
from tests.e2e.test_web_form import form_fields, login


def _count(html: str, element_id: str) -> int:
    return int(re.search(rf'id="{element_id}">(\d+)<', html).group(1))


def test_dashboard_needs_a_login(client):
    r = client.get("/web/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/web/login?next=/web/")
    assert client.get("/web/dashboard/fragment").status_code == 401
    assert client.get("/web/incidents", follow_redirects=False).status_code == 303


def test_dashboard_language_and_counts(client):
    login(client, "bj_duty")
    zh = client.get("/web/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.text
    assert "未结事件（按级别）" in zh.text and "跳到正文" in zh.text
    assert 'href="/web/lang?to=en&amp;next=/web/"' in zh.text
    assert 'name="csrf"' in zh.text and 'action="/web/logout"' in zh.text
    en = client.get("/web/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.text and "Open incidents by grade" in en.text
    before = _count(en.text, "incidents-major")

    reporter = client.__class__(client.app)  # a second browser: the unit's reporter
    login(reporter)
    page = reporter.get("/web/report")
    r = reporter.post("/web/report", data=form_fields(page.text, system_loss="serious",
                                                      title="<b>bold</b> outage"),
                      follow_redirects=False)
    assert r.status_code == 303
    frag = client.get("/web/dashboard/fragment", headers={"Accept-Language": "en"})
    assert frag.status_code == 200 and frag.headers["cache-control"] == "no-store"
    assert _count(frag.text, "incidents-major") == before + 1
    assert _count(frag.text, "unacknowledged") >= 1
    listed = client.get("/web/incidents?grade=major&state=reported")
    assert "&lt;b&gt;bold&lt;/b&gt; outage" in listed.text and "<b>bold</b>" not in listed.text


def test_language_switch_sets_a_cookie_and_redirects_only_locally(client):
    login(client, "bj_duty")
    r = client.get("/web/lang?to=en&next=/web/incidents", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/incidents"
    assert "lang=en" in r.headers["set-cookie"]
    page = client.get("/web/incidents", headers={"Accept-Language": "zh-CN"})
    assert "Reference" in page.text and "Grade" in page.text  # the cookie wins
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        r = client.get("/web/lang", params={"to": "zh_CN", "next": evil},
                       follow_redirects=False)
        assert r.headers["location"] == "/web/"
    client.get("/web/lang?to=zh_CN&next=/web/")
    assert "事件" in client.get("/web/warnings").text


@pytest.mark.parametrize(("header", "want"), [
    (None, "zh_CN"), ("", "zh_CN"), ("zh-CN,zh;q=0.9", "zh_CN"), ("zh-TW", "zh_CN"),
    ("en-US,en;q=0.9", "en"), ("fr-FR,zh;q=0.5", "en"), ("en;q=0.2,zh-CN;q=0.8", "zh_CN"),
    ("*;q=0", "zh_CN"),
])
def test_accept_language(header, want):
    assert i18n.from_accept_language(header) == want


def test_catalogs_translate_and_dates_use_the_time_zone():
    from datetime import UTC, datetime
    i18n.activate("zh_CN", "Asia/Shanghai")
    assert i18n.translations("zh_CN").gettext("Dashboard") == "总览"
    assert "16:00" in i18n.format_dt(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    i18n.activate("en", "Asia/Shanghai")
    assert "4:00" in i18n.format_dt(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))


def test_a_missing_or_stale_mo_is_compiled_from_the_po(tmp_path, monkeypatch):
    import shutil

    po_dir = tmp_path / "zh_CN" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    shutil.copy(i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po", po_dir)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("zh_CN").gettext("Warnings") == "预警"
        assert (po_dir / "messages.mo").stat().st_size > 0
    finally:
        i18n.translations.cache_clear()


def test_logging_in_lands_on_the_dashboard_with_the_forms_in_reach(client):
    page = client.get("/web/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/web/login", data={"username": "bj_duty", "password": PASSWORD,
                                        "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/"
    r = client.get("/web/", headers={"Accept-Language": "zh-CN"})
    assert 'href="/web/report"' in r.text and "上报事件" in r.text
    assert 'href="/web/monitoring"' in r.text
