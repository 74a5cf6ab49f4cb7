"""The console's login page through HTTP, on both databases: one language at a time (Chinese by
default, English by Accept-Language or the switch, which keeps ``next``), the wrong-password
message in both, and ``next`` followed only to a path on this site."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_web_form import csrf

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def post_login(client, password=PASSWORD, next="/web/", headers=None, username="bj_duty"):
    page = client.get("/web/login", headers=headers)
    return client.post("/web/login", headers=headers, follow_redirects=False,
                       data={"username": username, "password": password,
                             "csrf": csrf(page.text), "next": next})


def test_the_login_page_in_chinese_and_english(client):
    zh = client.get("/web/login?next=/web/monitoring", headers=ZH)
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.text
    assert "<h1>登录</h1>" in zh.text and '<label for="username">用户名</label>' in zh.text
    assert "Log in" not in zh.text and "Username" not in zh.text  # one language at a time
    assert 'action="/web/login"' in zh.text and 'id="password"' in zh.text
    assert 'name="next" value="/web/monitoring"' in zh.text
    assert 'href="/web/incidents"' not in zh.text  # no console navigation before logging in
    en = client.get("/web/login", headers=EN)
    assert '<html lang="en">' in en.text and "<h1>Log in</h1>" in en.text
    assert '<label for="password">Password</label>' in en.text and "登录" not in en.text


def test_the_language_switch_keeps_next(client):
    page = client.get("/web/login?next=/web/monitoring", headers=ZH)
    link = re.search(r'id="lang-switch" href="([^"]+)"', page.text).group(1)
    assert link == "/web/lang?to=en&amp;next=" + quote("/web/login?next=/web/monitoring",
                                                       safe="/")
    r = client.get(link.replace("&amp;", "&"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login?next=/web/monitoring"
    again = client.get(r.headers["location"], headers=ZH)  # the cookie wins over the browser
    assert "<h1>Log in</h1>" in again.text
    assert 'name="next" value="/web/monitoring"' in again.text
    r = post_login(client, next="/web/monitoring")
    assert r.status_code == 303 and r.headers["location"] == "/web/monitoring"


def test_a_wrong_password_is_said_in_the_callers_language(client):
    r = post_login(client, password="wrong", headers=ZH, next="/web/monitoring")
    assert r.status_code == 401 and "用户名或密码错误。" in r.text and 'role="alert"' in r.text
    assert 'value="bj_duty"' in r.text and 'name="next" value="/web/monitoring"' in r.text
    assert PASSWORD not in r.text and "fh_session" not in r.headers.get("set-cookie", "")
    r = post_login(client, password="wrong", headers=EN)
    assert r.status_code == 401 and "Wrong username or password." in r.text
    assert "用户名或密码错误" not in r.text
    r = post_login(client, password="wrong", username="<b>nobody</b>", headers=EN)
    assert "&lt;b&gt;nobody&lt;/b&gt;" in r.text and "<b>nobody</b>" not in r.text
    assert client.get("/web/", follow_redirects=False).status_code == 303  # still logged out


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/x",
                                  "/\\evil.example", "javascript:alert(1)", "evil.example"])
def test_logging_in_never_sends_the_browser_elsewhere(client, evil):
    page = client.get("/web/login", params={"next": evil})
    assert 'name="next" value="/web/"' in page.text  # not even offered to the form
    r = post_login(client, next=evil)
    assert r.status_code == 303 and r.headers["location"] == "/web/"
    assert "fh_session" in r.headers["set-cookie"]  # logged in all the same


def test_every_message_of_these_pages_has_a_chinese_translation():
    """The login, monitoring and public pages, and the form's inline errors: no English left
    behind on a Chinese page because a message was missing from a catalog."""
    from babel.messages.extract import extract_python
    from jinja2.ext import babel_extract

    from fenghuo.web import i18n, monitoring_form

    web = Path(i18n.__file__).parent
    found: set = set()
    for name in ("login", "monitoring", "monitoring_item", "public_base", "public_warnings",
                 "public_warning"):
        with (web / "templates" / f"{name}.html").open("rb") as f:
            found |= {m[2][0] if isinstance(m[2], tuple) else m[2] for m in babel_extract(
                f, ("_",), [], {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"})}
    with open(monitoring_form.__file__, "rb") as f:
        found |= {m[2][0] if isinstance(m[2], tuple) else m[2]
                  for m in extract_python(f, ("t",), [], {})}
    found.discard(None)
    assert len(found) > 60
    zh = i18n.translations("zh_CN")
    missing = sorted(m for m in found if zh.gettext(m) == m)
    assert missing == []
