"""Issue 19: an incident handled through to resolved, with its resolution recorded."""

from tests.e2e.test_api_incidents import PROBLEM, report


def test_resolution_recorded_on_resolve(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    r = client.post(f"/api/v1/incidents/{ref}/state", json={"state": "handling"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["resolution"] is None
    r = client.post(f"/api/v1/incidents/{ref}/state",
                    json={"state": "resolved", "resolution": "  主机已隔离 hosts isolated "},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "resolved" and body["resolution"] == "主机已隔离 hosts isolated"
    assert body["timeline"][-1]["detail"]["resolution"] == "主机已隔离 hosts isolated"
    again = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_duty")).json()
    assert again["resolution"] == "主机已隔离 hosts isolated"


def test_resolving_over_the_api_needs_a_resolution(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    r = client.post(f"/api/v1/incidents/{ref}/state", json={"state": "resolved"},
                    headers=headers("bj_duty"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert [e["field"] for e in r.json()["errors"]] == ["resolution"]
    assert client.get(f"/api/v1/incidents/{ref}",
                      headers=headers("bj_duty")).json()["state"] == "reported"
    r = client.post(f"/api/v1/incidents/{ref}/state",
                    json={"state": "resolved", "resolution": "已修复 fixed"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    # closing keeps the resolution recorded when it was resolved
    r = client.post(f"/api/v1/incidents/{ref}/state", json={"state": "closed"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["resolution"] == "已修复 fixed"


def test_assign_over_the_api_and_list_mine(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    other = client.post("/api/v1/incidents", json=report(title="另一起 another"),
                        headers=headers("bj_reporter")).json()["ref"]
    r = client.put(f"/api/v1/incidents/{ref}/assignee", json={"username": "sh_admin"},
                   headers=headers("bj_duty"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "username"
    r = client.put(f"/api/v1/incidents/{ref}/assignee", json={"username": "bj_duty"},
                   headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    assert r.json()["assignee"]["username"] == "bj_duty" and r.json()["assignee"]["display_name"]
    assert r.json()["timeline"][-1]["kind"] == "assigned"
    listed = client.get("/api/v1/incidents", params={"assignee": "bj_duty"},
                        headers=headers("bj_admin")).json()
    assert [i["ref"] for i in listed["items"]] == [ref] and other != ref
    assert client.put(f"/api/v1/incidents/{ref}/assignee", json={"username": "bj_duty"},
                      headers=headers("bj_ro")).status_code == 403
    assert client.put(f"/api/v1/incidents/{ref}/assignee", json={"username": None},
                      headers=headers("sh_admin")).status_code == 404
    r = client.put(f"/api/v1/incidents/{ref}/assignee", json={"username": None},
                   headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["assignee"] is None
    assert client.get("/api/v1/incidents", params={"assignee": "bj_duty"},
                      headers=headers("bj_admin")).json()["total"] == 0


def test_tlp_changed_over_the_api_with_a_reason(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    r = client.put(f"/api/v1/incidents/{ref}/tlp", json={"tlp": "red"},
                   headers=headers("bj_duty"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.put(f"/api/v1/incidents/{ref}/tlp",
                   json={"tlp": "red", "reason": "涉及敏感信息 sensitive"},
                   headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["tlp"] == "red"
    last = r.json()["timeline"][-1]
    assert (last["kind"], last["detail"]["from"], last["detail"]["to"]) == (
        "tlp_changed", "amber", "red")
    assert last["detail"]["reason"] == "涉及敏感信息 sensitive"
