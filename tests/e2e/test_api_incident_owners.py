"""Incidents with many owners and personal information over HTTP and in the console (issue 16
items 5 and 6), on both databases: a parent with its affected units, the refusal naming the
out-of-scope unit, the roll-up, and recording that the users were told (Law art. 42 ¶2)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.test_web_form import csrf, login

PROBLEM = "application/problem+json"
FOUND = datetime(2026, 11, 1, 7, 0, tzinfo=UTC).isoformat()


def wave(**kw) -> dict:
    return {"category": "network-attack", "subcategory": "network-attack.vulnerability",
            "title": "漏洞利用潮 Exploitation wave", "found_at": FOUND,
            "impact": "网关被控 gateways taken", "measures": "下线 taken offline", **kw}


def test_a_parent_with_units_in_two_provinces(client, headers):
    h = {**headers("cncert_duty"), "Idempotency-Key": "wave-1"}
    r = client.post("/api/v1/incidents/parents", json=wave(units=["bj-bank", "sh-bank"]),
                    headers=h)
    assert r.status_code == 201, r.text
    parent = r.json()
    assert r.headers["location"].endswith(parent["ref"])
    assert parent["rollup"]["total"] == 2 and parent["rollup"]["by_state"] == {"reported": 2}
    again = client.post("/api/v1/incidents/parents", json=wave(units=["bj-bank", "sh-bank"]),
                        headers=h)
    assert again.status_code == 201 and again.json()["ref"] == parent["ref"]
    ref = parent["ref"]
    listed = client.get(f"/api/v1/incidents/{ref}/affected", headers=h).json()
    assert {u["unit"] for u in listed["units"]} == {"bj-bank", "sh-bank"}
    more = client.post(f"/api/v1/incidents/{ref}/affected", json={"units": ["bj-telco"]},
                       headers=h)
    assert more.status_code == 200 and more.json()["rollup"]["total"] == 3
    child = client.get(f"/api/v1/incidents/{listed['units'][0]['ref']}", headers=h).json()
    assert child["parent"] == ref and child["discovered_by"] == "cn.cncert"


def test_an_out_of_scope_unit_is_refused_with_the_rule(client, headers):
    r = client.post("/api/v1/incidents/parents", json=wave(units=["bj-bank", "sh-bank"]),
                    headers=headers("bj_duty"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    [reason] = r.json()["reasons"]
    assert reason["code"] == "report_about.out_of_scope" and "sh-bank" in reason["text_zh"]
    assert client.get("/api/v1/incidents", headers=headers("nat_admin")).json()["total"] == 0


def test_recording_that_the_users_were_told(client, headers):
    h = headers("bj_reporter")
    r = client.post("/api/v1/incidents", headers=h, json={
        "category": "information-destruction", "subcategory": "information-destruction.leak",
        "title": "客户信息泄露 PI leak", "found_at": FOUND, "impact": "外泄", "measures": "封堵",
        "personal_information": {"records": 1200}})
    assert r.status_code == 201, r.text
    ref, pi = r.json()["ref"], r.json()["personal_information"]
    assert (pi["records"], pi["state"], pi["source"]) == (1200, "due", "Law art. 42 ¶2")
    url = f"/api/v1/incidents/{ref}/personal-information/informed"
    bad = client.post(url, json={"at": "2030-01-01T00:00:00+08:00", "how": "短信", "count": 1},
                      headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "at"
    ok = client.post(url, json={"at": FOUND, "how": "短信 SMS", "count": 1150}, headers=h)
    assert ok.status_code == 200 and ok.json()["personal_information"]["state"] == "informed"
    assert client.post(url, json={"at": FOUND, "how": "邮件", "count": 1},
                       headers=h).status_code == 409
    without = client.post("/api/v1/incidents", headers=h, json={
        "category": "other", "title": "t", "found_at": FOUND, "impact": "i", "measures": "m",
        "personal_information": {"records": 5, "inform_users": False}})
    assert without.status_code == 422  # not telling the users needs a reason


def test_the_console_shows_the_units_and_records_users_informed(client, headers):
    parent = client.post("/api/v1/incidents/parents", json=wave(units=["bj-bank", "sh-bank"]),
                         headers=headers("cncert_duty")).json()["ref"]
    login(client, "cncert_duty")
    page = client.get(f"/web/incidents/{parent}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "受影响单位" in page.text and "北京某银行" in page.text and "上海某银行" in page.text
    leak = client.post("/api/v1/incidents", headers=headers("bj_reporter"), json={
        "category": "information-destruction", "title": "泄露", "found_at": FOUND,
        "impact": "i", "measures": "m", "personal_information": {"records": 30}}).json()["ref"]
    reporter = client.__class__(client.app)
    login(reporter, "bj_reporter")
    page = reporter.get(f"/web/incidents/{leak}", headers={"Accept-Language": "en"})
    assert "Personal information" in page.text and 'id="informed-form"' in page.text
    r = reporter.post(f"/web/incidents/{leak}/informed", data={
        "csrf": csrf(page.text), "at": "2026-11-01T15:30", "how": "短信", "count": "30"},
        follow_redirects=False)
    assert r.status_code == 303
    page = reporter.get(f"/web/incidents/{leak}", headers={"Accept-Language": "en"})
    assert "users informed in time" in page.text and 'id="informed-form"' not in page.text
