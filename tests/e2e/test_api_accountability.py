"""The accountability and commendation view over HTTP (Plan §7.10), on both databases: the
reporting record, preparedness and commendations per body and period, as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.e2e.test_api_incidents import report

# the test clock starts at 2026-11-01 08:00 UTC (16:00 in Beijing)
PERIOD = {"period": "2026-11"}


def _rows(client, headers, user, **params) -> dict:
    r = client.get("/api/v1/accountability", params=params or PERIOD, headers=headers(user))
    assert r.status_code == 200, r.text
    return {row["body"]: row for row in r.json()["rows"]}


def test_a_late_report_and_a_missing_exercise_are_accounted(client, headers, clock):
    """迟报 (Plan §7.10) from the reporting chain; no exercise in twelve months (Plan §6.2)."""
    r = client.post("/api/v1/incidents", json=report(
        found_at=(clock.now() - timedelta(hours=5)).isoformat()), headers=headers("bj_reporter"))
    assert r.status_code == 201, r.text
    rows = _rows(client, headers, "bj_admin")
    assert rows["bj-bank"]["late"] == 1 and rows["bj-bank"]["incidents"] == 1
    office = rows["110000.office"]
    assert any("§6.2" in x["source"] for x in office["preparedness"]), office
    assert "sh-bank" not in rows and "310000.office" not in rows  # Law art. 30: scope
    since = (clock.now() - timedelta(days=1)).isoformat()
    until = (clock.now() + timedelta(days=1)).isoformat()
    explicit = _rows(client, headers, "bj_admin", since=since, until=until)
    assert explicit["bj-bank"]["late"] == 1


def test_the_view_exports_as_csv(client, headers, clock):
    client.post("/api/v1/incidents", json=report(
        found_at=(clock.now() - timedelta(hours=5)).isoformat()), headers=headers("bj_reporter"))
    r = client.get("/api/v1/accountability", params={**PERIOD, "format": "csv"},
                   headers=headers("bj_admin"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "accountability-2026-11.csv" in r.headers["content-disposition"]
    assert r.text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert table[0][:2] == ["机构 body", "名称"] and "迟报 late" in table[0]
    bank = next(row for row in table[1:] if row[0] == "bj-bank")
    assert bank[table[0].index("迟报 late")] == "1"


def test_bad_periods_are_422(client, headers):
    for params in ({"period": "2026-13"}, {"period": "11-2026"}, {},
                   {"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}):
        r = client.get("/api/v1/accountability", params=params, headers=headers("bj_admin"))
        assert r.status_code == 422, (params, r.text)


def test_offices_commend_and_the_commendation_shows(client, headers):
    """Plan §7.10: outstanding contributions are commended — by offices, groups, departments
    and CNCERT, within their scope; an operator unit does not commend."""
    body = {"body": "bj-support", "reason": "协助处置勒索事件 helped with the ransomware case"}
    r = client.post("/api/v1/commendations", json=body, headers=headers("bj_reporter"))
    assert r.status_code == 403
    assert [x["code"] for x in r.json()["reasons"]] == ["commend.not_authority"]
    assert client.post("/api/v1/commendations", json=body,
                       headers=headers("sh_admin")).status_code == 404  # not in its scope
    r = client.post("/api/v1/commendations", json=body, headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    assert r.json()["given_by_body"] == "110000.office"
    assert client.post("/api/v1/commendations", json={**body, "given_on": "2030-01-01"},
                       headers=headers("bj_duty")).status_code == 422
    praised = _rows(client, headers, "bj_admin")["bj-support"]["commendations"]
    assert [c["reason"] for c in praised] == [body["reason"]]
    listed = client.get("/api/v1/commendations", headers=headers("bj_ro")).json()
    assert listed["total"] == 1
    assert client.get("/api/v1/commendations", headers=headers("sh_admin")).json()["total"] == 0


def test_a_decision_about_a_responsible_person_over_http(client, headers):
    """处分 (Plan §7.10): recorded by the deciding body, over bodies under its authority; the
    refusal names the rule; the view and the list show it."""
    body = {"name": "张三", "position": "信息科技部总经理", "body": "bj-bank",
            "matter": "未按规定开展演练 no exercise held", "conduct": "no_exercise",
            "sanction": "warning", "reason": "全年未开展演练 none held this year"}
    r = client.post("/api/v1/accountability/decisions", json=body, headers=headers("sh_admin"))
    assert r.status_code == 403
    assert [x["code"] for x in r.json()["reasons"]] == ["accountability.outside_authority"]
    r = client.post("/api/v1/accountability/decisions", json={**body, "sanction": "other"},
                    headers=headers("bj_duty"))
    assert r.status_code == 422, r.text  # another decision is said in words
    r = client.post("/api/v1/accountability/decisions", json=body, headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    assert r.json()["decided_by_body"] == "110000.office"
    assert r.json()["sanction_label"] == {"zh": "警告", "en": "warning"}
    [shown] = _rows(client, headers, "bj_admin")["bj-bank"]["decisions"]
    assert shown["name"] == "张三" and shown["conduct"] == "no_exercise"
    listed = client.get("/api/v1/accountability/decisions?body=bj-bank",
                        headers=headers("bj_ro")).json()
    assert listed["total"] == 1
    assert client.get("/api/v1/accountability/decisions",
                      headers=headers("sh_admin")).json()["total"] == 0


def test_a_commendation_names_persons_over_http(client, headers):
    """先进个人 (Plan §7.10): the persons come back with their bodies and show in the view."""
    r = client.post("/api/v1/commendations", json={
        "body": "bj-support", "reason": "协助处置勒索事件 ransomware case",
        "persons": [{"name": "李四", "position": "安全工程师"}]}, headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    assert r.json()["persons"] == [{"name": "李四", "position": "安全工程师",
                                    "body": "bj-support"}]
    r = client.post("/api/v1/commendations", json={
        "body": "bj-support", "reason": "协助处置 helped",
        "persons": [{"name": "王五", "position": "工程师", "body": "sh-bank"}]},
        headers=headers("bj_duty"))
    assert r.status_code == 403
    praised = _rows(client, headers, "bj_admin")["bj-support"]["commendations"]
    assert [[p["name"] for p in c["persons"]] for c in praised] == [["李四"]]


def test_an_omission_shows_its_ground_over_http(client, headers, clock):
    """漏报重要情况 (Plan §7.10): the unit's supplementary report makes its incident major two
    hours after its one-hour clock ran out; the view says which ground applies."""
    r = client.post("/api/v1/incidents", json=report(), headers=headers("bj_reporter"))
    ref = r.json()["ref"]
    clock.advance(hours=2)
    r = client.post(f"/api/v1/incidents/{ref}/supplements", json={
        "text": "核心系统瘫痪 core down", "facts": {"system_loss": "serious"}},
        headers=headers("bj_reporter"))
    assert r.status_code == 200, r.text
    bank = _rows(client, headers, "bj_admin")["bj-bank"]
    assert bank["omitted"] == 1
    [o] = bank["omissions"]
    assert o["ref"] == ref
    assert [g["code"] for g in o["grounds"]] == ["omission.omitted_circumstances"]
