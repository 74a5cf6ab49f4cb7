"""The support network over HTTP (Support obligations 4–9; Plan §7.2, §7.3)."""

from __future__ import annotations


def test_round_admission_work_and_obligations_over_http(client, headers):
    cncert = headers("cncert_duty")
    r = client.post("/api/v1/support/rounds", headers=cncert, json={
        "number": 4, "name_zh": "第四届", "name_en": "Round 4", "starts_on": "2026-01-01"})
    assert r.status_code == 201 and r.headers["Location"] == "/api/v1/support/rounds/4"
    r = client.post("/api/v1/support/rounds", headers=headers("bj_cert"), json={
        "number": 5, "name_zh": "第五届", "name_en": "Round 5", "starts_on": "2026-01-01"})
    assert r.status_code == 403
    assert r.json()["reasons"][0]["code"] == "manage.not_national_cert"
    r = client.post("/api/v1/support/rounds/4/memberships", headers=cncert,
                    json={"unit": "bj-support", "admitted_on": "2026-10-01"})
    assert r.status_code == 201 and r.json()["status_label"] == {"zh": "有效", "en": "active"}
    for day in ("2026-10-02", "2026-10-03", "2026-10-04"):
        r = client.post("/api/v1/support/units/bj-support/work", headers=headers("bj_support"),
                        json={"kind": "technical_support", "worked_on": day, "minutes": 13 * 60,
                              "with_body": "110000.cncert"})
        assert r.status_code == 201, r.text
    r = client.get("/api/v1/support/units/bj-support/obligations?month=2026-10",
                   headers=headers("bj_ro"))
    hours = {o["code"]: o for o in r.json()["months"][0]["obligations"]}["hours"]
    # 平均每月: October counts toward 2026-H2's average (October to December owed: 120 h)
    assert (hours["status"], hours["value"], hours["source"]) == (
        "in_progress", 39, "Support obligation 5")
    assert hours["status_label"] == {"zh": "进行中", "en": "in progress"}
    assert "needs another 81h of technical support in the remaining 2 month(s)" in \
        hours["reasons"][1]["text_en"]
    assert r.json()["averages"]["obligations"][1]["required"] == 120
    r = client.post("/api/v1/support/units/bj-support/work", headers=headers("bj_support"),
                    json={"kind": "technical_support", "worked_on": "2026-12-01", "minutes": 0,
                          "with_body": "110000.cncert"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"minutes", "worked_on"}
    r = client.get("/api/v1/support/units/bj-support/obligations?half=2026-H2",
                   headers=headers("bj_ro"))
    # admitted on 1 October: October to December are owed, October and November have begun
    assert r.status_code == 200 and len(r.json()["months"]) == 3
    assert r.json()["averages"]["months"] == 2
    assert client.get("/api/v1/support/units/bj-support/obligations",
                      headers=headers("sh_admin")).status_code == 404
    r = client.get("/api/v1/support/rounds/4/members", headers=headers("bj_ro"))
    assert r.json()["total"] == 1 and r.json()["items"][0]["month"] == "2026-11"
    r = client.get("/api/v1/support/evaluations/preview?unit=bj-support&half=2026-H2",
                   headers=cncert)
    assert r.status_code == 200 and r.json()["max"] == 100


def test_work_report_and_assignments_over_http(client, headers):
    r = client.post("/api/v1/support/work-reports", headers=headers("bj_support"), json={
        "unit": "bj-support", "half": "2026-H2", "sections": {"services": "x"}})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {
        "sections.bids_and_publicity", "sections.center_cooperation", "sections.own_cases"}
    sections = {k: "内容 content" for k in ("bids_and_publicity", "services",
                                            "center_cooperation", "own_cases")}
    r = client.post("/api/v1/support/work-reports", headers=headers("bj_support"), json={
        "unit": "bj-support", "half": "2026-H2", "sections": sections})
    assert r.status_code == 201 and r.json()["due_on"] == "2027-01-15"
    r = client.post("/api/v1/support/work-reports", headers=headers("bj_support"), json={
        "unit": "bj-support", "half": "2026-H2", "sections": sections})
    assert r.status_code == 409
    r = client.put("/api/v1/support/teams/bj-support", headers=headers("bj_support"), json={
        "skills": ["渗透测试 pentest"], "regions": ["110000"], "availability": "unavailable"})
    assert r.status_code == 200 and r.json()["availability"] == "unavailable"
    r = client.get("/api/v1/support/teams?availability=unavailable&region=110000",
                   headers=headers("bj_duty"))
    assert [t["body"] for t in r.json()["items"]] == ["bj-support"]
    r = client.get("/api/v1/support/assignments?response=ER-20260101-00000000",
                   headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["total"] == 0
    r = client.post("/api/v1/support/assignments", headers=headers("bj_ro"), json={
        "body": "bj-support", "incident": "FH-20260101-00000000", "task": "x"})
    assert r.status_code == 403


def test_cncert_ends_a_status_over_http(client, headers):
    """Support 五 (CNCERT有权随时终止授权…取消其资格), obligation 9: the national center only
    (403 with the rule), a bad ground 422, then 201 with the decision, the membership shows it,
    a second decision 409."""
    cncert = headers("cncert_duty")
    client.post("/api/v1/support/rounds", headers=cncert, json={
        "number": 4, "name_zh": "第四届", "name_en": "Round 4", "starts_on": "2026-01-01"})
    client.post("/api/v1/support/rounds/4/memberships", headers=cncert,
                json={"unit": "bj-support", "admitted_on": "2026-10-01"})
    body = {"unit": "bj-support", "ground": "obligation_2", "reason": "泄露客户数据 leaked data"}
    r = client.post("/api/v1/support/decisions", headers=headers("bj_cert"), json=body)
    assert r.status_code == 403
    assert r.json()["reasons"][0]["code"] == "manage.not_national_cert"
    r = client.post("/api/v1/support/decisions", headers=cncert,
                    json={**body, "ground": "obligation_5"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ground"
    r = client.post("/api/v1/support/decisions", headers=cncert, json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/api/v1/support/decisions?unit=bj-support"
    assert (r.json()["ground"], r.json()["source"]) == ("obligation_2", "Support obligation 2")
    r = client.get("/api/v1/support/memberships?unit=bj-support", headers=headers("bj_ro"))
    m = r.json()["items"][0]
    assert m["status_label"] == {"zh": "已取消资格", "en": "disqualified"}
    assert m["decision"]["reason"] == "泄露客户数据 leaked data"
    assert client.post("/api/v1/support/decisions", headers=cncert,
                       json=body).status_code == 409
    r = client.get("/api/v1/support/decisions?unit=bj-support", headers=headers("sh_admin"))
    assert r.status_code == 200 and r.json()["total"] == 0  # Law art. 30
