"""Login protection through HTTP (issue 18 item 1; GB/T 22239-2019 8.1.4.1 b) 登录失败处理,
OWASP ASVS V2.2.1), on both databases: a locked account answers 429 problem+json with
``Retry-After`` at the API's token endpoint and at TAXII Basic, the console's login page says so
in both languages, and a password the policy refuses is a 422 naming the field."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_web_form import csrf

TOKEN = "/api/v1/auth/token"
TAXII = "/taxii2/"


def _lock(client, username="bj_duty"):
    for _ in range(10):
        r = client.post(TOKEN, data={"username": username, "password": "wrong-password"})
        assert r.status_code == 401


def test_the_token_endpoint_answers_429_with_retry_after(client, clock):
    _lock(client)
    r = client.post(TOKEN, data={"username": "bj_duty", "password": PASSWORD})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "900"
    body = r.json()
    assert body["status"] == 429 and body["title"] == "Too many failed logins"
    assert "access_token" not in body
    clock.advance(minutes=15)
    r = client.post(TOKEN, data={"username": "bj_duty", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["access_token"]


def test_taxii_basic_answers_429_once_locked(client, clock):
    assert client.get(TAXII, auth=("bj_duty", PASSWORD)).status_code == 200
    for _ in range(10):
        assert client.get(TAXII, auth=("bj_duty", "wrong-password")).status_code == 401
    r = client.get(TAXII, auth=("bj_duty", PASSWORD))
    assert r.status_code == 429 and r.headers["retry-after"] == "900"
    # a TAXII error message (TAXII 2.1 §3.6.1, issue 20 item 4)
    assert r.headers["content-type"].startswith("application/taxii+json")
    assert r.json()["http_status"] == "429"
    # the API's login and TAXII count for one account: it is locked at the token endpoint too
    assert client.post(TOKEN, data={"username": "bj_duty",
                                    "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize(("lang", "text"), [
    ("zh-CN,zh;q=0.9", "此账户或此地址登录失败次数过多，登录已暂停，请 15 分钟后再试。"),
    ("en-GB,en;q=0.9", "Too many failed log-ins for this account or from this address: logging "
                       "in is paused. Try again in 15 min."),
])
def test_the_console_says_the_account_is_locked(client, lang, text):
    _lock(client)
    page = client.get("/web/login", headers={"Accept-Language": lang})
    r = client.post("/web/login", headers={"Accept-Language": lang}, follow_redirects=False,
                    data={"username": "bj_duty", "password": PASSWORD,
                          "csrf": csrf(page.text)})
    assert r.status_code == 429 and r.headers["retry-after"] == "900"
    assert text in r.text and 'role="alert"' in r.text
    assert "fh_session" not in r.headers.get("set-cookie", "")


def test_a_refused_password_is_a_422_naming_the_field(client, headers):
    r = client.post("/api/v1/users", headers=headers("bj_admin"), json={
        "username": "new_analyst", "display_name": "x", "body": "110000.office",
        "roles": ["analyst"], "password": "password2026!"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "password", "message": (
        "is one of the most common passwords (or one with digits or signs added)")}]
