"""Casework on an incident over HTTP (issue 19), on both databases: observables (checked,
normalised, feeding the STIX and MISP exports), tasks with owners and due times, internal notes
seen exactly by those who see the incident (Law art. 30)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.incident import casework
from fenghuo.incident.models import Incident, IncidentEvent
from fenghuo.sharing import stix
from tests.e2e.test_api_incidents import report

PROBLEM = "application/problem+json"


def filed(client, headers, **kw) -> str:
    r = client.post("/api/v1/incidents", json=report(**kw), headers=headers("bj_reporter"))
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def test_observables_are_checked_normalised_and_feed_both_exports(client, headers, rt,
                                                                   principal):
    ref = filed(client, headers, tlp="green")
    path = f"/api/v1/incidents/{ref}/observables"
    h = headers("bj_duty")
    r = client.post(path, json={"value": "Evil.Example.COM"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "domain" and r.json()["value"] == "evil.example.com"
    assert r.json()["kind_label"] == {"zh": "域名", "en": "Domain"}
    for body in ({"value": "203.0.113.7", "kind": "ip"},
                 {"value": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
                 {"value": "cve-2024-3094"}):
        assert client.post(path, json=body, headers=h).status_code == 201
    bad = client.post(path, json={"value": "999.1.1.1", "kind": "ip"}, headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert "IPv4 or IPv6" in bad.text
    assert client.post(path, json={"value": "abc", "kind": "sha256"},
                       headers=h).status_code == 422
    assert client.post(path, json={"value": "EVIL.example.com"}, headers=h).status_code == 409
    listed = client.get(path, headers=headers("bj_analyst")).json()
    assert [o["kind"] for o in listed] == ["domain", "ipv4", "sha256", "cve"]
    assert listed[3]["value"] == "CVE-2024-3094"

    misp_doc = client.get("/api/v1/misp/events", params={"ref": ref},
                          headers=headers("bj_admin")).json()
    [event] = misp_doc  # a list of {"Event": …} (issue 20 item 3)
    attrs = {(a["type"], a["value"]) for a in [
        *event["Event"]["Attribute"],
        *(a for o in event["Event"].get("Object", []) for a in o["Attribute"])]}
    # a trojan's address is a host it contacts: ip-dst, with the domain in a domain-ip object
    assert {("domain", "evil.example.com"), ("ip-dst", "203.0.113.7"),
            ("vulnerability", "CVE-2024-3094"),
            ("sha256", listed[2]["value"])} <= attrs

    bundle = stix.export_bundle(rt.uow, rt.clock, principal=principal("bj_admin"),
                                incidents=[ref], warnings=[], monitoring=[]).bundle
    patterns = {o["pattern"] for o in bundle["objects"] if o["type"] == "indicator"}
    assert "[domain-name:value = 'evil.example.com']" in patterns
    assert "[ipv4-addr:value = '203.0.113.7']" in patterns
    assert [o["name"] for o in bundle["objects"] if o["type"] == "vulnerability"] == [
        "CVE-2024-3094"]
    assert any(o["type"] == "relationship" and o["target_ref"].startswith("incident--")
               for o in bundle["objects"])

    outside = client.get("/api/v1/misp/events", headers=headers("sh_admin"))
    assert outside.status_code == 200 and "evil.example.com" not in outside.text
    sh = stix.export_bundle(rt.uow, rt.clock, principal=principal("sh_admin"),
                            warnings=[], monitoring=[]).bundle
    assert "evil.example.com" not in str(sh)

    # removing one takes it out of the exports too
    r = client.delete(f"{path}/{listed[0]['id']}", headers=h)
    assert r.status_code == 204
    again = client.get("/api/v1/misp/events", params={"ref": ref},
                       headers=headers("bj_admin")).json()[0]
    assert "evil.example.com" not in {a["value"] for a in [
        *again["Event"]["Attribute"],
        *(a for o in again["Event"].get("Object", []) for a in o["Attribute"])]}
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        kinds = s.scalars(select(IncidentEvent.kind).join(
            Incident, Incident.id == IncidentEvent.incident_id).where(
            Incident.ref == ref, IncidentEvent.kind.like("observable_%"))).all()
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_key == ref, AuditEntry.action.like("incident.observable.%"))
            ).all()
    assert sorted(kinds) == ["observable_added"] * 4 + ["observable_removed"]
    assert sorted(actions) == ["incident.observable.add"] * 4 + ["incident.observable.remove"]


def test_out_of_scope_callers_cannot_see_or_add_casework(client, headers):
    ref = filed(client, headers)
    for sub in ("observables", "tasks", "comments"):
        path = f"/api/v1/incidents/{ref}/{sub}"
        assert client.get(path, headers=headers("sh_admin")).status_code == 404
    assert client.post(f"/api/v1/incidents/{ref}/observables", json={"value": "1.1.1.1"},
                       headers=headers("sh_admin")).status_code == 404
    assert client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "peek"},
                       headers=headers("sh_admin")).status_code == 404
    assert client.post(f"/api/v1/incidents/{ref}/tasks", json={"title": "x"},
                       headers=headers("sh_admin")).status_code == 404
    assert client.post(f"/api/v1/incidents/{ref}/observables", json={"value": "1.1.1.1"},
                       headers=headers("bj_ro")).status_code == 403


def test_tasks_with_owners_due_times_done_and_reopened(client, headers, rt, principal):
    ref = filed(client, headers)
    path = f"/api/v1/incidents/{ref}/tasks"
    h = headers("bj_duty")
    now = rt.clock.now()
    due = (now + timedelta(hours=4)).isoformat()
    past = client.post(path, json={"title": "核查 check", "owner": "bj_analyst",
                                   "due_at": (now - timedelta(hours=1)).isoformat()}, headers=h)
    assert past.status_code == 422 and "past" in past.text
    stranger = client.post(path, json={"title": "核查 check", "owner": "sh_admin"}, headers=h)
    assert stranger.status_code == 422 and "sh_admin" in stranger.text
    r = client.post(path, json={"title": "核查日志 check logs", "owner": "bj_analyst",
                                "due_at": due}, headers=h)
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["owner"] == "bj_analyst" and not task["overdue"] and task["done_at"] is None
    # the subject unit's own users may own tasks too
    assert client.post(path, json={"title": "加固 harden", "owner": "bj_reporter"},
                       headers=h).status_code == 201
    later = client.post(path, json={"title": "later", "owner": "bj_analyst",
                                    "due_at": (now + timedelta(hours=9)).isoformat()},
                        headers=h).json()

    mine = casework.open_tasks_for(rt.uow, principal("bj_analyst"))
    assert [t.id for t in mine] == [task["id"], later["id"]]
    assert mine[0].incident_ref == ref and mine[0].incident_title.startswith("木马")
    assert casework.open_tasks_for(rt.uow, principal("bj_duty")) == []

    done = client.post(f"{path}/{task['id']}/done", headers=h)
    assert done.status_code == 200 and done.json()["done_by"] == "bj_duty"
    assert client.post(f"{path}/{task['id']}/done", headers=h).status_code == 409
    assert [t.id for t in casework.open_tasks_for(rt.uow, principal("bj_analyst"))] == [
        later["id"]]
    reopened = client.post(f"{path}/{task['id']}/done", json={"done": False}, headers=h)
    assert reopened.status_code == 200 and reopened.json()["done_at"] is None
    assert client.post(f"{path}/99999/done", headers=h).status_code == 404


def test_a_task_past_its_due_time_is_marked_overdue(client, headers, rt):
    ref = filed(client, headers)
    path = f"/api/v1/incidents/{ref}/tasks"
    due = rt.clock.now() + timedelta(minutes=30)
    r = client.post(path, json={"title": "t", "due_at": due.isoformat()},
                    headers=headers("bj_duty"))
    assert r.status_code == 201 and not r.json()["overdue"]
    rt.clock.advance(hours=2)
    [t] = client.get(path, headers=headers("bj_duty")).json()
    assert t["overdue"] is True


def test_comments_are_internal_newest_last_and_never_exported(client, headers, rt, principal):
    ref = filed(client, headers, tlp="green")
    path = f"/api/v1/incidents/{ref}/comments"
    assert client.post(path, json={"text": "  "}, headers=headers("bj_duty")).status_code == 422
    assert client.post(path, json={"text": "第一条 first note"},
                       headers=headers("bj_duty")).status_code == 201
    rt.clock.advance(minutes=5)
    assert client.post(path, json={"text": "第二条 secret second"},
                       headers=headers("bj_analyst")).status_code == 201
    notes = client.get(path, headers=headers("bj_ro")).json()
    assert [(n["author"], n["text"]) for n in notes] == [
        ("bj_duty", "第一条 first note"), ("bj_analyst", "第二条 secret second")]
    misp_doc = client.get("/api/v1/misp/events", params={"ref": ref},
                          headers=headers("bj_admin")).text
    assert "secret second" not in misp_doc
    bundle = stix.export_bundle(rt.uow, rt.clock, principal=principal("bj_admin"),
                                incidents=[ref], warnings=[], monitoring=[]).bundle
    assert "secret second" not in str(bundle)
