"""Preparedness over HTTP (Plan §6.2, §7.8, §8.1; Law arts. 30, 38), on both databases."""

from __future__ import annotations

P = "/api/v1/preparedness"

PLAN = {"body": "bj-bank", "key": "main", "title": "应急预案 Incident plan", "version": "1.0",
        "owner": "王伟", "document": "plans/main.pdf", "adopted_on": "2025-09-01"}


def test_plan_created_listed_and_evaluated(client, headers):
    """Plan §8.1: adopted fourteen months ago and never evaluated → overdue; evaluated → ok."""
    h = headers("bj_reporter")
    r = client.post(f"{P}/plans", json=PLAN, headers=h)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert r.headers["Location"] == f"{P}/plans/{plan['id']}"
    assert plan["status"] == "overdue" and plan["status_label"]["zh"] == "已逾期"
    assert plan["reasons"][0]["source"] == "Plan §8.1"
    r = client.get(f"{P}/plans", params={"status": "overdue"}, headers=headers("bj_admin"))
    assert [p["key"] for p in r.json()["items"]] == ["main"]
    assert client.get(f"{P}/plans/{plan['id']}", headers=headers("sh_admin")).status_code == 404
    r = client.post(f"{P}/plans/{plan['id']}/evaluations", headers=h,
                    json={"evaluated_on": "2026-10-30", "outcome": "revised"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "new_version"
    r = client.post(f"{P}/plans/{plan['id']}/evaluations", headers=h,
                    json={"evaluated_on": "2026-10-30", "outcome": "revised",
                          "new_version": "2.0"})
    assert r.status_code == 201 and r.json()["status"] == "ok"
    assert r.json()["evaluations"][0]["version_after"] == "2.0"
    r = client.post(f"{P}/plans", json={**PLAN, "body": "bj-telco"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    assert client.post(f"{P}/plans", json={**PLAN, "key": "x2"},
                       headers=headers("bj_ro")).status_code == 403


def test_exercise_lifecycle_and_compliance(client, headers):
    """Plan §6.2: the Beijing office is non-compliant until an exercise is held and reported."""
    h = headers("bj_duty")

    def office_exercise() -> dict:
        r = client.get(f"{P}/compliance/110000.office", headers=h)
        assert r.status_code == 200
        return next(d for d in r.json()["duties"] if d["duty"] == "exercise")

    assert office_exercise()["status"] == "missing"
    r = client.post(f"{P}/exercises", headers=h, json={
        "organizer": "110000.office", "title": "演练 drill", "scope": "finance",
        "scenario": "DDoS", "form": "functional", "participants": ["bj-bank"],
        "planned_for": "2026-10-20"})
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert r.headers["Location"] == f"{P}/exercises/{ref}"
    r = client.post(f"{P}/exercises/{ref}/report", headers=h)
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "exercise.report_not_held"
    r = client.post(f"{P}/exercises/{ref}/held", headers=h,
                    json={"held_on": "2026-10-20", "findings": "slow escalation"})
    assert r.status_code == 200 and r.json()["state_label"]["en"] == "held"
    assert office_exercise()["status"] == "not_reported"
    assert client.post(f"{P}/exercises/{ref}/report", headers=h).status_code == 200
    assert office_exercise()["status"] == "ok"
    r = client.post(f"{P}/exercises/{ref}/actions", headers=h,
                    json={"action": "update call tree", "owner": "duty desk",
                          "due_on": "2026-12-01"})
    assert r.status_code == 201 and r.json()["actions"][0]["overdue"] is False
    action = r.json()["actions"][0]["id"]
    r = client.post(f"{P}/exercises/{ref}/actions/{action}/done", headers=h,
                    json={"done_on": "2026-10-31"})
    assert r.json()["actions"][0]["done_on"] == "2026-10-31"
    # the participant reads it; another province does not see it
    assert client.get(f"{P}/exercises/{ref}", headers=headers("bj_reporter")).status_code == 200
    assert client.get(f"{P}/exercises/{ref}", headers=headers("sh_admin")).status_code == 404

    r = client.get(f"{P}/compliance", params={"duty": "exercise", "noncompliant": True,
                                              "limit": 500}, headers=headers("nat_admin"))
    keys = {row["body"] for row in r.json()["items"]}
    assert "310000.office" in keys and "110000.office" not in keys
    r = client.get(f"{P}/compliance", headers=headers("bj_reporter")).json()
    assert [row["body"] for row in r["items"]] == ["bj-bank"] and r["total"] == 1


def test_assessment_recipient_and_reserves(client, headers):
    """Law art. 38 (the department in charge) and Plan §7.8 (reserves checked)."""
    h = headers("bj_reporter")
    r = client.post(f"{P}/cii-assessments", headers=h, json={
        "body": "bj-bank", "assessed_on": "2026-10-01", "assessor": "self",
        "findings": "ok", "improvements": "more MFA", "reported_to": "bj-telco",
        "reported_on": "2026-10-02"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reported_to"
    r = client.post(f"{P}/cii-assessments", headers=h, json={
        "body": "bj-bank", "assessed_on": "2026-10-01", "assessor": "self",
        "findings": "ok", "improvements": "more MFA", "reported_to": "bj-finance-reg",
        "reported_on": "2026-10-02"})
    assert r.status_code == 201 and r.json()["reported_to"] == "bj-finance-reg"
    r = client.post(f"{P}/reserves", headers=h, json={
        "body": "bj-bank", "key": "kit", "name": "取证工具 kit", "kind": "tool",
        "last_checked_on": "2026-01-01"})
    assert r.status_code == 201 and r.json()["status"] == "overdue"
    rid = r.json()["id"]
    r = client.post(f"{P}/reserves/{rid}/checked", headers=h, json={"checked_on": "2026-11-01"})
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert client.post(f"{P}/reserves/{rid}/checked", headers=headers("sh_admin"),
                       json={"checked_on": "2026-11-01"}).status_code == 404
    r = client.post(f"{P}/trainings", headers=h, json={
        "body": "bj-bank", "title": "培训 training", "held_on": "2026-10-10", "hours": 3,
        "participants": 20})
    assert r.status_code == 201
    assert client.get(f"{P}/trainings", headers=h).json()["total"] == 1
