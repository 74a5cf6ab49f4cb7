"""Incident sharing (Plan §3.2; Law art. 29) and TLP 2.0 labels over HTTP and from the command
line, on both databases."""

from __future__ import annotations

import re

from tests.cli import fenghuo
from tests.e2e.test_api_incidents import report
from tests.e2e.test_cli import env  # noqa: F401 - a fixture

PROBLEM = "application/problem+json"


def filed(client, headers, **kw) -> dict:
    r = client.post("/api/v1/incidents", json=report(**kw), headers=headers("bj_reporter"))
    assert r.status_code == 201, r.text
    return r.json()


def test_the_reporter_chooses_tlp_and_an_office_relabels_it(client, headers):
    """TLP 2.0: AMBER by default; the reporter may choose; an office changes it with a reason."""
    assert filed(client, headers)["tlp"] == "amber"
    x = filed(client, headers, tlp="amber+strict")
    assert x["tlp"] == "amber+strict"
    assert client.post("/api/v1/incidents", json=report(tlp="purple"),
                       headers=headers("bj_reporter")).status_code == 422
    path = f"/api/v1/incidents/{x['ref']}/tlp"
    r = client.post(path, json={"tlp": "green"}, headers=headers("bj_duty"))
    assert r.status_code == 422  # the reason is required
    r = client.post(path, json={"tlp": "green", "reason": "研判后可共享 reviewed"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["tlp"] == "green"
    assert r.json()["timeline"][-1]["kind"] == "tlp_changed"
    r = client.post(path, json={"tlp": "red", "reason": "not mine"}, headers=headers("bj_fin"))
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
    assert "tlp.office_only" in r.text
    r = client.post(path, json={"tlp": "red", "reason": "not mine"}, headers=headers("sh_admin"))
    assert r.status_code == 404
    listed = client.get("/api/v1/incidents", headers=headers("bj_ro")).json()["items"]
    assert {i["ref"]: i["tlp"] for i in listed}[x["ref"]] == "green"


def test_plan_3_2_share_acknowledge_and_list_over_http(client, headers):
    x = filed(client, headers, tlp="green")
    shares = f"/api/v1/incidents/{x['ref']}/shares"
    body = {"bodies": ["310000.office", "cn.pbc"], "note": "请各地排查 please check"}
    r = client.post(shares, json=body, headers=headers("bj_admin"))
    assert r.status_code == 403 and "share.not_emergency_office" in r.text
    r = client.post(shares, json=body, headers=headers("nat_admin"))
    assert r.status_code == 201, r.text
    assert [(s["body"], s["state"]) for s in r.json()] == [
        ("310000.office", "unacknowledged"), ("cn.pbc", "unacknowledged")]

    sh = headers("sh_admin")
    assert client.get(f"/api/v1/incidents/{x['ref']}", headers=sh).status_code == 200
    waiting = client.get("/api/v1/shares?state=unacknowledged", headers=sh).json()
    assert [s["incident"] for s in waiting["items"]] == [x["ref"]]
    share_id = waiting["items"][0]["id"]
    assert client.post(f"/api/v1/shares/{share_id}/ack",
                       headers=headers("bj_admin")).status_code == 404
    r = client.post(f"/api/v1/shares/{share_id}/ack", headers=sh)
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "sh_admin"
    assert client.get("/api/v1/shares?state=unacknowledged", headers=sh).json()["total"] == 0
    listed = client.get(shares, headers=headers("nat_admin")).json()
    assert {s["body"]: s["state"] for s in listed} == {"310000.office": "acknowledged",
                                                       "cn.pbc": "unacknowledged"}
    assert client.get("/api/v1/shares?state=maybe", headers=sh).status_code == 422
    assert client.get("/api/v1/shares", headers=headers("bj_admin")).json()["total"] == 0


def test_tlp2_refusals_over_http(client, headers):
    red = filed(client, headers, tlp="red")
    r = client.post(f"/api/v1/incidents/{red['ref']}/shares",
                    json={"bodies": ["cn.mps"]}, headers=headers("nat_admin"))
    assert r.status_code == 403 and "tlp.red_no_onward" in r.text
    amber = filed(client, headers)
    r = client.post(f"/api/v1/incidents/{amber['ref']}/shares",
                    json={"bodies": ["310000.office"]}, headers=headers("nat_admin"))
    assert r.status_code == 403 and "tlp.beyond_reach" in r.text
    r = client.post(f"/api/v1/incidents/{amber['ref']}/shares",
                    json={"bodies": ["bj-bank"]}, headers=headers("nat_admin"))
    assert r.status_code == 422
    r = client.post(f"/api/v1/incidents/{amber['ref']}/shares", json={"bodies": []},
                    headers=headers("nat_admin"))
    assert r.status_code == 422
    assert client.get(f"/api/v1/incidents/{amber['ref']}",
                      headers=headers("sh_admin")).status_code == 404


def test_share_from_the_command_line(client, headers, env, tmp_path):  # noqa: F811
    x = filed(client, headers)
    run = lambda *a: fenghuo(*a, env=env, cwd=tmp_path)  # noqa: E731
    r = run("share", "incident", x["ref"], "--to", "310000.office", "--as", "nat_admin")
    assert r.returncode == 1 and "tlp.beyond_reach" in r.stderr
    r = run("share", "tlp", x["ref"], "--tlp", "green", "--reason", "研判 reviewed",
            "--as", "bj_admin")
    assert r.returncode == 0 and "TLP:GREEN" in r.stdout, r.stderr
    r = run("share", "incident", x["ref"], "--to", "310000.office", "--to", "cn.pbc",
            "--note", "请排查 please check", "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert "2 recipient(s), 2 not yet acknowledged" in r.stdout
    r = run("share", "list", "--state", "unacknowledged", "--as", "sh_admin")
    assert r.returncode == 0 and x["ref"] in r.stdout
    share_id = client.get("/api/v1/shares", headers=headers("sh_admin")).json()["items"][0]["id"]
    assert re.search(rf"\b{share_id}\b.*{x['ref']}", r.stdout), r.stdout
    r = run("share", "ack", str(share_id), "--as", "sh_admin")
    assert r.returncode == 0 and "acknowledged" in r.stdout, r.stderr
    r = run("share", "shares", x["ref"], "--as", "nat_admin")
    assert r.returncode == 0 and "not yet" in r.stdout and "sh_admin" in r.stdout
