"""Monitoring information, risk assessments and early warnings over HTTP (Plan §3, Law arts.
51–55): the draft → approve → publish → acknowledge → task → revise → lift flow, refusals as
problem+json naming each rule, scoping and the public listing — on both databases."""

from __future__ import annotations

from datetime import timedelta

PROBLEM = "application/problem+json"


def warning(clock, **kw) -> dict:
    base = {"title": "勒索软件攻击金融机构 Ransomware against banks",
            "category": "harmful-program", "level": "orange",
            "starts_at": clock.now().isoformat(), "jurisdictions": ["110000"],
            "sectors": ["finance"], "items": ["勒索软件利用VPN漏洞 ransomware via a VPN flaw"],
            "measures": [{"text": "修补VPN patch the VPN",
                          "deadline": (clock.now() + timedelta(hours=24)).isoformat()}]}
    return {**base, **kw}


def monitoring(clock, **kw) -> dict:
    base = {"title": "VPN漏洞被利用 VPN flaw exploited", "observed": "扫描流量 scanning traffic",
            "observed_at": clock.now().isoformat(), "category": "network-attack",
            "jurisdictions": ["110000"], "sectors": ["finance"],
            "indicators": [{"type": "ip", "value": "203.0.113.7"},
                           {"type": "cve", "value": "CVE-2026-0001"}]}
    return {**base, **kw}


def draft(client, headers, clock, user="bj_duty", **kw) -> dict:
    r = client.post("/api/v1/warnings", json=warning(clock, **kw), headers=headers(user))
    assert r.status_code == 201, r.text
    return r.json()


def publish(client, headers, clock, **kw) -> dict:
    ref = draft(client, headers, clock, **kw)["ref"]
    r = client.post(f"/api/v1/warnings/{ref}/approve", headers=headers("bj_admin"))
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/warnings/{ref}/publish", headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    return r.json()


def total(client, headers, user="bj_admin") -> int:
    r = client.get("/api/v1/warnings", headers=headers(user))
    assert r.status_code == 200, r.text
    return r.json()["total"]


def test_draft_approve_publish_acknowledge_complete_revise_lift(client, headers, clock):
    r = client.post("/api/v1/warnings", json=warning(clock), headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    w = r.json()
    ref = w["ref"]
    assert r.headers["location"] == f"/api/v1/warnings/{ref}"
    assert (w["state"], w["level"], w["issuer"]) == ("draft", "orange", "110000.office")
    assert w["authority"][0]["code"] == "authority.own_region_or_sector"
    assert client.get(r.headers["location"], headers=headers("bj_ro")).json()["ref"] == ref

    # four eyes (Plan §3.3, project rule): the drafter does not approve
    r = client.post(f"/api/v1/warnings/{ref}/approve", headers=headers("bj_duty"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert [x["code"] for x in r.json()["reasons"]] == ["approve.four_eyes"]
    r = client.post(f"/api/v1/warnings/{ref}/publish", headers=headers("bj_duty"))
    assert r.status_code == 403 and r.json()["reasons"]  # not approved yet
    r = client.post(f"/api/v1/warnings/{ref}/approve", headers=headers("bj_admin"))
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert r.json()["approved_by"] == "bj_admin"

    r = client.post(f"/api/v1/warnings/{ref}/publish", headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    w = r.json()
    assert w["state"] == "published" and w["published_at"]
    assert {x["body"]: x["state"] for x in w["recipients"]} == {
        "bj-finance-reg": "due", "cn.emergency-office": "due", "bj-bank": "due",
        "110000.cncert": "due"}  # the units too (Plan §3.3 ¶1)
    tasks = {(t["body"], t["code"]) for t in w["tasks"]}  # Plan §3.4.2 for orange
    assert {("110000.office", "orange.start_plan"), ("bj-finance-reg", "orange.start_plan")} \
        <= tasks

    r = client.post(f"/api/v1/warnings/{ref}/acknowledge", headers=headers("bj_fin"))
    assert r.status_code == 200, r.text
    assert {x["body"]: x["state"] for x in r.json()["recipients"]} == {
        "bj-finance-reg": "acknowledged", "cn.emergency-office": "due", "bj-bank": "due",
        "110000.cncert": "due"}

    # the bank sees the warning, only its own part of it, acknowledges and does its task
    r = client.get(f"/api/v1/warnings/{ref}", headers=headers("bj_reporter"))
    assert r.status_code == 200, r.text
    mine = r.json()
    assert [x["body"] for x in mine["recipients"]] == ["bj-bank"]
    assert mine["recipient_count"] == 1 and {t["body"] for t in mine["tasks"]} == {"bj-bank"}
    assert all(d["body"] == "bj-bank" for d in mine["deliveries"])
    listed = client.get("/api/v1/warnings", headers=headers("bj_reporter")).json()
    assert ref in {x["ref"] for x in listed["items"]}
    r = client.post(f"/api/v1/warnings/{ref}/acknowledge", headers=headers("bj_reporter"))
    assert r.status_code == 200 and r.json()["recipients"][0]["state"] == "acknowledged"
    [unit_task] = mine["tasks"]
    assert unit_task["code"] == "orange.unit_measures" and unit_task["owner"] == "operating_unit"
    r = client.post(f"/api/v1/warnings/{ref}/tasks/{unit_task['id']}/done",
                    json={"evidence": "VPN 已修补 patched"}, headers=headers("bj_reporter"))
    assert r.status_code == 200, r.text
    assert r.json()["tasks"][0]["state"] == "done"

    task = next(t for t in w["tasks"] if t["body"] == "110000.office")
    done = f"/api/v1/warnings/{ref}/tasks/{task['id']}/done"
    r = client.post(done, json={"evidence": "预案已启动 plan started"}, headers=headers("bj_fin"))
    assert r.status_code == 403  # another body's task
    r = client.post(done, json={"evidence": "预案已启动 plan started"}, headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    mine = next(t for t in r.json()["tasks"] if t["id"] == task["id"])
    assert (mine["state"], mine["done_by"]) == ("done", "bj_duty")
    r = client.post(done, json={"evidence": "again"}, headers=headers("bj_duty"))
    assert r.status_code == 409 and "already done" in r.json()["detail"]  # a closed item
    r = client.post(f"/api/v1/warnings/{ref}/tasks/0/done", json={"evidence": "nope"},
                    headers=headers("bj_duty"))
    assert r.status_code == 422  # ids are bounded
    r = client.post(f"/api/v1/warnings/{ref}/tasks/{2**31 - 1}/done",
                    json={"evidence": "nope"}, headers=headers("bj_duty"))
    assert r.status_code == 404
    r = client.post(f"/api/v1/warnings/{ref}/tasks/{2**31}/done", json={"evidence": "nope"},
                    headers=headers("bj_duty"))
    assert r.status_code == 422  # beyond PostgreSQL's integer (issue 18 item 2)

    r = client.post(f"/api/v1/warnings/{ref}/revisions", json={"level": "red", "reason": "worse"},
                    headers=headers("bj_duty"))
    assert r.status_code == 403
    assert "authority.red_reserved" in {x["code"] for x in r.json()["reasons"]}
    r = client.post(f"/api/v1/warnings/{ref}/revisions",
                    json={"level": "yellow", "reason": "contained"}, headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    assert (r.json()["level"], r.json()["revision"]) == ("yellow", 2)
    assert all(x["state"] == "due" for x in r.json()["recipients"])  # acknowledge again

    # Plan §3.5: only the issuer lifts
    r = client.post(f"/api/v1/warnings/{ref}/lift", json={"reason": "not yours"},
                    headers=headers("nat_admin"))
    assert r.status_code == 403
    assert [x["code"] for x in r.json()["reasons"]] == ["lift.not_issuer"]
    r = client.post(f"/api/v1/warnings/{ref}/lift", json={"reason": "patched everywhere"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    w = r.json()
    assert (w["state"], w["lift_reason"]) == ("lifted", "patched everywhere")
    # the orange tasks were superseded by the revision; the yellow ones close with the lifting
    assert {t["state"] for t in w["tasks"] if t["id"] not in (task["id"], unit_task["id"])} \
        == {"closed", "superseded"}
    assert {t["state"] for t in w["tasks"] if t["code"].startswith("yellow.")} == {"closed"}
    assert [e["kind"] for e in w["timeline"]] == [
        "drafted", "approved", "published", "acknowledged", "acknowledged", "task_done",
        "task_done", "revised", "lifted"]

    listed = client.get("/api/v1/warnings", params={"state": "lifted", "level": "yellow"},
                        headers=headers("bj_admin")).json()
    assert [x["ref"] for x in listed["items"]] == [ref] and listed["total"] == 1
    assert "recipients" not in listed["items"][0]
    r = client.get("/api/v1/warnings", params={"state": "published"}, headers=headers("bj_admin"))
    assert r.json()["total"] == 0
    r = client.get("/api/v1/warnings", params={"level": "purple"}, headers=headers("bj_admin"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


def test_a_province_is_refused_a_red_warning_and_nothing_is_stored(client, headers, clock):
    r = client.post("/api/v1/warnings", json=warning(clock, level="red"),
                    headers=headers("bj_duty"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    reasons = r.json()["reasons"]
    red = next(x for x in reasons if x["code"] == "authority.red_reserved")
    assert red["source"] and red["text_zh"] and red["text_en"]
    assert "authority.red_reserved" in r.json()["detail"]
    r = client.post("/api/v1/warnings", json=warning(clock, jurisdictions=["110000", "310000"],
                                                     level="yellow"),
                    headers=headers("bj_duty"))
    assert r.status_code == 403
    assert "authority.multi_province" in {x["code"] for x in r.json()["reasons"]}
    assert total(client, headers) == 0
    assert total(client, headers, "nat_admin") == 0


def test_missing_content_is_a_422_naming_the_fields(client, headers):
    r = client.post("/api/v1/warnings", json={"title": "incomplete"}, headers=headers("bj_duty"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == [
        "category", "level", "starts_at", "jurisdictions", "items", "measures"]
    assert all(e["source"] == "Plan §3.3 ¶3" for e in errors)
    assert total(client, headers) == 0


def test_who_may_draft_and_who_sees_it(client, headers, clock):
    for user in ("bj_ro", "bj_reporter"):
        r = client.post("/api/v1/warnings", json=warning(clock), headers=headers(user))
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, user
    assert total(client, headers) == 0
    assert client.get("/api/v1/warnings").status_code == 401

    ref = publish(client, headers, clock)["ref"]
    assert client.get(f"/api/v1/warnings/{ref}", headers=headers("nat_admin")).status_code == 200
    for method, path in (("GET", ""), ("POST", "/acknowledge"), ("POST", "/approve")):
        r = client.request(method, f"/api/v1/warnings/{ref}{path}", headers=headers("sh_admin"))
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, path
    assert total(client, headers, "sh_admin") == 0
    r = client.post(f"/api/v1/warnings/{ref}/lift", json={"reason": "out of scope"},
                    headers=headers("sh_admin"))
    assert r.status_code == 404


def test_public_warnings_need_no_token_and_show_only_public_clear_ones(client, headers, clock):
    r = client.post("/api/v1/warnings", json=warning(clock, public=True),  # amber by default
                    headers=headers("bj_duty"))
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["tlp"]
    public = publish(client, headers, clock, public=True, tlp="clear")
    internal = publish(client, headers, clock, title="internal", tlp="clear")
    unpublished = draft(client, headers, clock, title="not yet", public=True, tlp="clear")

    r = client.get("/api/v1/public/warnings")
    assert r.status_code == 200, r.text
    feed = r.json()
    assert [w["ref"] for w in feed] == [public["ref"]]
    assert "recipients" not in feed[0] and "drafted_by" not in feed[0]
    assert "tasks" not in feed[0] and "timeline" not in feed[0]
    assert feed[0]["level_label"] == public["level_label"]
    r = client.get(f"/api/v1/public/warnings/{public['ref']}")
    assert r.status_code == 200 and r.json() == feed[0]
    for ref in (internal["ref"], unpublished["ref"]):
        r = client.get(f"/api/v1/public/warnings/{ref}")
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_monitoring_is_idempotent_goes_up_and_is_shared_across(client, headers, clock):
    h = {**headers("bj_reporter"), "Idempotency-Key": "m-1"}
    r1 = client.post("/api/v1/monitoring", json=monitoring(clock, important=True), headers=h)
    assert r1.status_code == 201, r1.text
    item = r1.json()
    assert r1.headers["location"] == f"/api/v1/monitoring/{item['ref']}"
    r2 = client.post("/api/v1/monitoring", json=monitoring(clock, important=True), headers=h)
    assert r2.status_code == 201 and r2.json()["ref"] == item["ref"]
    # Plan §3.2: a unit's important item goes to its office and its sector's department,
    # which report it on to the Emergency Office
    assert [(sh["body"], sh["reason"]) for sh in item["shares"]] == [
        ("110000.office", "local_office"), ("bj-finance-reg", "sector_department")]
    up = f"/api/v1/monitoring/{item['ref']}/report-up"
    r = client.post(up, headers=headers("bj_reporter"))
    assert r.status_code == 403
    assert r.json()["reasons"][0]["code"] == "monitoring.report_up.not_in_chain"
    r = client.post(up, headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    assert ("cn.emergency-office", "reported_up") in [
        (sh["body"], sh["reason"]) for sh in r.json()["shares"]]
    assert client.post(up, headers=headers("bj_duty")).json() == r.json()  # idempotent
    assert item["indicators"][1] == {"type": "cve", "value": "CVE-2026-0001"}
    r = client.post("/api/v1/monitoring", json=monitoring(clock, important=0),
                    headers=headers("bj_reporter"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "important"

    listed = client.get("/api/v1/monitoring", params={"important": True},
                        headers=headers("bj_duty")).json()
    assert listed["total"] == 1 and listed["items"][0]["ref"] == item["ref"]
    assert client.get("/api/v1/monitoring", params={"important": False},
                      headers=headers("bj_duty")).json()["total"] == 0
    assert client.get("/api/v1/monitoring", params={"q": "CVE-2026-0001"},
                      headers=headers("nat_admin")).json()["total"] == 1
    r = client.get(f"/api/v1/monitoring/{item['ref']}", headers=headers("sh_admin"))
    assert r.status_code == 404

    share = f"/api/v1/monitoring/{item['ref']}/shares"
    r = client.post(share, json={"bodies": ["310000.office"]}, headers=headers("bj_admin"))
    assert r.status_code == 403  # only the Emergency Office shares across (Plan §3.2)
    r = client.post(share, json={"bodies": ["no-such-body"]}, headers=headers("nat_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "bodies"
    r = client.post(share, json={"bodies": ["310000.office"]}, headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    assert {sh["body"] for sh in r.json()["shares"]} == {
        "110000.office", "bj-finance-reg", "cn.emergency-office", "310000.office"}
    r = client.post(f"/api/v1/monitoring/{item['ref']}/acknowledge", headers=headers("sh_admin"))
    assert r.status_code == 200, r.text
    acked = next(sh for sh in r.json()["shares"] if sh["body"] == "310000.office")
    assert acked["acknowledged_by"] == "sh_admin"
    r = client.post(f"/api/v1/monitoring/{item['ref']}/acknowledge", headers=headers("bj_cert"))
    assert r.status_code == 403  # not shared with CNCERT's Beijing branch: it sees it by scope


def test_an_assessment_proposes_a_level_and_feeds_a_draft(client, headers, clock):
    item = client.post("/api/v1/monitoring", json=monitoring(clock),
                       headers=headers("bj_reporter")).json()
    assert item["shares"] == []
    r = client.post("/api/v1/assessments", json={"items": [item["ref"]], "likelihood": "high",
                                                 "extent": "region_or_sector", "harm": "major"},
                    headers=headers("bj_analyst"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert r.headers["location"] == f"/api/v1/assessments/{out['ref']}"
    assert out["proposal"]["level"] == "orange" and out["proposal"]["reasons"]
    assert out["items"] == [item["ref"]]
    r = client.get(f"/api/v1/assessments/{out['ref']}", headers=headers("bj_ro"))
    assert r.status_code == 200 and r.json() == out
    assert client.get(f"/api/v1/assessments/{out['ref']}",
                      headers=headers("sh_admin")).status_code == 404
    r = client.post("/api/v1/assessments", json={"items": [item["ref"]], "likelihood": "high",
                                                 "extent": "region_or_sector", "harm": "major"},
                    headers=headers("bj_reporter"))
    assert r.status_code == 403
    assert draft(client, headers, clock, assessment=out["ref"])["assessment"] == out["ref"]
