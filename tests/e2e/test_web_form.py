"""The operator units' report form in the console, driven through real HTTP form posts."""

from __future__ import annotations

import re

from fenghuo.common.clauses import render as zh_clause
from tests.conftest import PASSWORD


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, username="bj_reporter"):
    page = client.get("/web/login")
    r = client.post("/web/login", data={"username": username, "password": PASSWORD,
                                        "csrf": csrf(page.text), "next": "/web/report"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r


def form_fields(html: str, **overrides) -> dict:
    fields = {"csrf": csrf(html),
              "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"',
                                           html).group(1),
              "system": "core", "category": "network-attack|network-attack.phishing",
              "title": "钓鱼邮件 Phishing wave", "found_at": "2026-11-01T15:30",
              "impact": "三名员工点击 three staff clicked", "measures": "重置口令 passwords reset",
              "description": "", "system_loss": "", "data_threat": "", "other_threat": ""}
    return {**fields, **overrides}


def test_login_is_required_and_csrf_checked(client):
    r = client.get("/web/report", follow_redirects=False)
    assert r.status_code == 303 and "/web/login" in r.headers["location"]
    r = client.post("/web/login", data={"username": "bj_reporter", "password": PASSWORD,
                                        "csrf": "forged"})
    assert r.status_code == 401
    page = client.get("/web/login")
    r = client.post("/web/login", data={"username": "bj_reporter", "password": "wrong",
                                        "csrf": csrf(page.text)})
    assert r.status_code == 401 and "用户名或密码错误" in r.text  # Chinese by default


def test_report_through_the_form(client):
    login(client)
    page = client.get("/web/report")
    assert page.status_code == 200 and "核心系统" in page.text and "网络钓鱼" in page.text
    assert 'href="/web/report" aria-current="page"' in page.text  # in the console's layout
    bad = form_fields(page.text, impact="", title="<script>alert(1)</script>")
    r = client.post("/web/report", data=bad)
    assert r.status_code == 422 and 'href="#impact"' in r.text and 'id="impact-error"' in r.text
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    good = form_fields(page.text, system_loss="serious")
    r = client.post("/web/report", data=good, follow_redirects=False)
    assert r.status_code == 303
    detail = client.get(r.headers["location"])
    assert "<strong>重大</strong>" in detail.text and "国家网络安全应急办公室" in detail.text
    assert "定级依据" in detail.text and zh_clause("Plan §1.4 (2) criterion ①") in detail.text
    again = client.post("/web/report", data=good, follow_redirects=False)
    assert again.headers["location"] == r.headers["location"]  # a double submit is one report
    ref = r.headers["location"].rsplit("/", 1)[1]
    r = client.post(f"/web/incidents/{ref}/supplement",
                    data={"text": "已恢复 recovered", "csrf": csrf(detail.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "已恢复 recovered" in client.get(f"/web/incidents/{ref}").text


def test_found_at_is_read_in_the_configured_time_zone(client, headers):
    login(client)
    page = client.get("/web/report")
    r = client.post("/web/report", data=form_fields(page.text), follow_redirects=False)
    ref = r.headers["location"].rsplit("/", 1)[1]
    got = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()
    assert got["found_at"].startswith("2026-11-01T07:30")  # 15:30 Asia/Shanghai


def test_an_unknown_incident_page_escapes_the_ref(client):
    login(client)
    r = client.get("/web/incidents/<img src=x onerror=alert(1)>")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<img" not in r.text  # never echoed as markup; the page says it in its own words
    assert "没有该编号对应的记录" in r.text
