"""The reporting chain over HTTP: idempotent intake, problem+json errors, supplementary reports,
evidence with custody, public tips — on both databases (accountability: test_api_accountability)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from fenghuo.notify import outbox

PROBLEM = "application/problem+json"


def report(**kw) -> dict:
    base = {"system": "core", "category": "harmful-program",
            "subcategory": "harmful-program.trojan", "title": "木马 Trojan on core",
            "found_at": (datetime(2026, 11, 1, 7, 30, tzinfo=UTC)).isoformat(),
            "impact": "two hosts", "measures": "isolated"}
    return {**base, **kw}


def test_taxonomy_is_served(client, headers):
    cats = client.get("/api/v1/taxonomy", headers=headers("bj_ro")).json()
    assert [c["name_zh"] for c in cats][:2] == ["有害程序事件", "网络攻击事件"]
    assert len(cats) == 7


def test_report_with_idempotency_key(client, headers):
    h = {**headers("bj_reporter"), "Idempotency-Key": "k-1"}
    r1 = client.post("/api/v1/incidents", json=report(), headers=h)
    assert r1.status_code == 201, r1.text
    assert r1.headers["location"].endswith(r1.json()["ref"])
    r2 = client.post("/api/v1/incidents", json=report(), headers=h)
    assert r2.status_code == 201 and r2.json()["ref"] == r1.json()["ref"]
    r3 = client.post("/api/v1/incidents", json=report(title="other"), headers=h)
    assert r3.status_code == 409 and r3.headers["content-type"] == PROBLEM
    listed = client.get("/api/v1/incidents", headers=headers("bj_admin")).json()
    assert listed["total"] == 1


def test_bad_report_is_problem_json_naming_fields(client, headers):
    bad = report(found_at="2026-11-01T07:30:00", impact="", category="nope")
    r = client.post("/api/v1/incidents", json=bad, headers=headers("bj_reporter"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert {e["field"] for e in r.json()["errors"]} == {"found_at", "impact"}
    r = client.post("/api/v1/incidents", json=report(category="nope", subcategory=None),
                    headers=headers("bj_reporter"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "category"
    assert client.get("/api/v1/incidents", headers=headers("bj_admin")).json()["total"] == 0


def test_read_only_cannot_report(client, headers):
    r = client.post("/api/v1/incidents", json=report(), headers=headers("bj_ro"))
    assert r.status_code == 403


def test_supplement_regrade_acknowledge_and_states(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    r = client.post(f"/api/v1/incidents/{ref}/supplements",
                    json={"text": "更多主机 more hosts", "facts": {"system_loss": "serious"}},
                    headers=headers("bj_reporter"))
    assert r.status_code == 200 and r.json()["grade"] == "major"
    r = client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    r = client.post(f"/api/v1/incidents/{ref}/state", json={"state": "closed"},
                    headers=headers("bj_duty"))
    assert r.status_code == 422 and "cannot become closed" in r.json()["errors"][0]["message"]
    for state in ("handling", "resolved", "closed"):
        done = {"resolution": "主机已清除 cleaned"} if state == "resolved" else {}
        r = client.post(f"/api/v1/incidents/{ref}/state", json={"state": state, **done},
                        headers=headers("bj_duty"))
        assert r.status_code == 200, r.text
    final = [d for d in r.json()["duties"] if d["kind"] == "final_report"]
    assert final and final[0]["source"].startswith("CAC 2025 art. 8")
    kinds = [e["kind"] for e in r.json()["timeline"]]
    assert kinds.count("state") == 3 and "supplementary" in kinds and "regraded" in kinds


def test_evidence_with_hash_and_custody(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    pcap = b"\xd4\xc3\xb2\xa1" + b"\x00" * 60
    r = client.post(f"/api/v1/incidents/{ref}/evidence",
                    files={"file": ("capture.pcap", pcap, "application/vnd.tcpdump.pcap")},
                    headers=headers("bj_reporter"))
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(pcap).hexdigest()
    ev = r.json()["id"]
    r = client.post(f"/api/v1/incidents/{ref}/evidence",
                    files={"file": ("fake.png", b"not a png", "image/png")},
                    headers=headers("bj_reporter"))
    assert r.status_code == 422 and "does not look like image/png" in r.text
    r = client.post(f"/api/v1/incidents/{ref}/evidence",
                    files={"file": ("x.exe", b"MZ...", "application/x-msdownload")},
                    headers=headers("bj_reporter"))
    assert r.status_code == 422
    got = client.get(f"/api/v1/incidents/{ref}/evidence/{ev}/content", headers=headers("bj_duty"))
    assert got.content == pcap and got.headers["x-content-sha256"] == r.json().get(
        "sha256", hashlib.sha256(pcap).hexdigest())
    listed = client.get(f"/api/v1/incidents/{ref}/evidence", headers=headers("bj_admin")).json()
    custody = [(c["actor"], c["action"]) for c in listed[0]["custody"]]
    assert custody == [("bj_reporter", "added"), ("bj_duty", "downloaded"),
                       ("bj_admin", "viewed")]
    r = client.get(f"/api/v1/incidents/{ref}/evidence/{ev}/content", headers=headers("sh_admin"))
    assert r.status_code == 404


def test_public_tip_keeps_the_reporter_confidential(client, headers):
    tip = {"jurisdiction": "110000", "unit_name": "某网站 a website",
           "description": "首页被篡改 the homepage was defaced", "reporter_name": "张三",
           "reporter_contact": "13800000000"}
    r = client.post("/api/v1/public/tips", json=tip)
    assert r.status_code == 201 and r.json()["received_by_zh"].startswith("北京市")
    ref = r.json()["ref"]
    seen = client.get(f"/api/v1/tips/{ref}", headers=headers("bj_duty")).json()
    assert seen["reporter_name"] == "张三"  # the receiving office's incident handler
    seen = client.get(f"/api/v1/tips/{ref}", headers=headers("bj_ro")).json()
    assert seen["reporter_name"] is None and seen["description"]
    seen = client.get(f"/api/v1/tips/{ref}", headers=headers("nat_admin")).json()
    assert seen["reporter_name"] is None  # in scope, but not the receiving office
    assert client.get(f"/api/v1/tips/{ref}", headers=headers("sh_admin")).status_code == 404
    r = client.post("/api/v1/public/tips", json={**tip, "description": "short"})
    assert r.status_code == 422


def test_a_tip_becomes_an_incident_without_the_tipster(client, headers):
    tip = {"jurisdiction": "110000", "unit_name": "北京某银行", "description": "网银页面被篡改 "
           "online banking page defaced", "reporter_name": "李四", "reporter_contact": "li@x.cn"}
    ref = client.post("/api/v1/public/tips", json=tip).json()["ref"]
    body = report(unit="bj-bank")
    assert client.post(f"/api/v1/tips/{ref}/convert", json=body,
                       headers=headers("nat_admin")).status_code == 403  # not the receiver
    assert client.post(f"/api/v1/tips/{ref}/convert", json=body,
                       headers=headers("bj_fin")).status_code == 404  # cannot see tips at all
    r = client.post(f"/api/v1/tips/{ref}/convert", json=body, headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["source"] == "public" and "李四" not in r.text
    assert any(e["kind"] == "from_tip" for e in incident["timeline"])
    again = client.post(f"/api/v1/tips/{ref}/convert", json=body, headers=headers("bj_duty"))
    # a tip filed as an incident is finished: acting on it again conflicts with its state
    assert again.status_code == 409 and "already converted" in again.text
    assert client.get(f"/api/v1/tips/{ref}", headers=headers("bj_duty")).json()["state"] == (
        "converted")


def test_dead_letters_can_be_listed_and_retried(client, headers, rt, clock):
    client.post("/api/v1/bodies/110000.office/contacts", headers=headers("bj_admin"), json={
        "name": "Hook", "channel": "webhook", "value": "http://127.0.0.1:9/nowhere"})
    client.post("/api/v1/incidents", json=report(), headers=headers("bj_reporter"))
    [claimed] = outbox.claim(rt.uow, now=clock.now(), limit=5)
    outbox.complete(rt.uow, now=clock.now(), claimed=claimed, error="410 gone", retryable=False)
    dead = client.get("/api/v1/deliveries", headers=headers("bj_duty")).json()
    assert [(d["channel"], d["state"], d["last_error"]) for d in dead] == [
        ("webhook", "dead", "410 gone")]
    assert client.get("/api/v1/deliveries", headers=headers("sh_admin")).json() == []
    assert client.post(f"/api/v1/deliveries/{dead[0]['id']}/retry",
                       headers=headers("sh_admin")).status_code == 404
    assert client.post(f"/api/v1/deliveries/{dead[0]['id']}/retry",
                       headers=headers("bj_duty")).status_code == 204
    assert client.get("/api/v1/deliveries", params={"state": "pending"},
                      headers=headers("bj_duty")).json()[0]["attempts"] == 0
    assert client.post(f"/api/v1/deliveries/{dead[0]['id']}/retry",
                       headers=headers("bj_duty")).status_code == 422
