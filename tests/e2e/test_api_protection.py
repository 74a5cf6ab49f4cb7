"""Important-event protection periods over HTTP (Plan §6.5): declare, list and show scoped by
the caller's place, require the red-warning response, complete a task, end early; refusals as
problem+json naming the rule or the field — on both databases; and the console dashboard shows
the periods running in the user's scope."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.test_web_form import login

PROBLEM = "application/problem+json"
BASE = "/api/v1/protection-periods"


def period(clock, **kw) -> dict:
    base = {"name_zh": "第十五届全国运动会", "name_en": "15th National Games",
            "jurisdictions": ["110000"], "sectors": [], "starts_at": clock.now().isoformat(),
            "ends_at": (clock.now() + timedelta(days=2)).isoformat(),
            "reason": "国家重要活动 national event"}
    return {**base, **kw}


def refs(client, headers, user: str, **params) -> set[str]:
    r = client.get(BASE, headers=headers(user), params=params)
    assert r.status_code == 200, r.text
    return {x["ref"] for x in r.json()["items"]}


def test_declare_show_require_red_complete_and_end(client, headers, clock):
    """Plan §6.5: the Emergency Office declares and requires the red-warning response; the
    Beijing office sees its tasks and completes one; Shanghai sees nothing of it."""
    r = client.post(BASE, json=period(clock), headers=headers("nat_admin"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert r.headers["location"] == f"{BASE}/{ref}"
    assert r.json()["phase"] == "active" and r.json()["phase_label"]["zh"] == "进行中"
    assert refs(client, headers, "bj_admin") == {ref}
    assert refs(client, headers, "bj_admin", phase="ended") == set()
    assert refs(client, headers, "sh_admin") == set()  # Law art. 30
    r = client.get(f"{BASE}/{ref}", headers=headers("sh_admin"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM

    r = client.post(f"{BASE}/{ref}/red-response", headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    assert {t["body"] for t in r.json()["tasks"]} >= {"110000.office", "bj-finance-reg",
                                                       "cn.emergency-office"}
    r = client.post(f"{BASE}/{ref}/red-response", headers=headers("nat_admin"))
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert "protection.already_required" in r.json()["detail"]

    shown = client.get(f"{BASE}/{ref}", headers=headers("bj_duty")).json()
    duty = next(t for t in shown["tasks"]
                if t["body"] == "110000.office" and t["code"] == "red.duty_24h")
    r = client.post(f"{BASE}/{ref}/tasks/{duty['id']}/done", json={"evidence": "值班表 roster"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    assert next(t for t in r.json()["tasks"] if t["id"] == duty["id"])["state"] == "done"

    r = client.post(f"{BASE}/{ref}/end", json={"reason": "活动结束 over"},
                    headers=headers("bj_admin"))
    assert r.status_code == 403 and [x["code"] for x in r.json()["reasons"]] == [
        "protection.not_emergency_office"]
    r = client.post(f"{BASE}/{ref}/end", json={"reason": "活动结束 over"},
                    headers=headers("nat_admin"))
    assert r.status_code == 200 and r.json()["phase"] == "ended"
    assert r.json()["end_notified_at"] is not None
    assert refs(client, headers, "bj_admin", phase="ended") == {ref}


def test_refusals_are_problems_naming_the_rule_or_the_field(client, headers, clock):
    """Plan §6.5: only the Emergency Office declares (403 with the rule); a span ending before
    it starts is a 422 naming the field and the clause; nothing is stored."""
    r = client.post(BASE, json=period(clock), headers=headers("bj_admin"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert r.json()["reasons"][0]["source"] == "Plan §6.5"
    r = client.post(BASE, json=period(clock), headers=headers("bj_reporter"))
    assert r.status_code == 403 and "reasons" not in r.json()  # no warning:issue at all
    bad = period(clock, ends_at=(clock.now() - timedelta(hours=1)).isoformat())
    r = client.post(BASE, json=bad, headers=headers("nat_admin"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert [(e["field"], e["source"]) for e in r.json()["errors"]] == [("ends_at", "Plan §6.5")]
    r = client.post(BASE, json=period(clock, starts_at="1700000000"), headers=headers("nat_admin"))
    assert r.status_code == 422  # a Unix time is not a date-time
    assert refs(client, headers, "nat_admin") == set()


def test_the_dashboard_shows_the_periods_running_in_scope(client, headers, clock):
    """The console dashboard lists the active protection periods in the user's scope (Plan
    §6.5), linked to their page; Shanghai's dashboard does not show Beijing's."""
    r = client.post(BASE, json=period(clock), headers=headers("nat_admin"))
    ref = r.json()["ref"]
    later = client.post(BASE, json=period(clock, starts_at=(clock.now() + timedelta(days=1))
                                          .isoformat()), headers=headers("nat_admin")).json()
    for user, shown in (("bj_admin", True), ("sh_admin", False)):
        client.cookies.clear()
        login(client, user)
        page = client.get("/web/", headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 200
        assert (f'href="/web/protection/{ref}"' in page.text) is shown, user
        assert later["ref"] not in page.text  # not running yet
        assert "重要活动保障期" in page.text
    detail = client.get(f"/web/protection/{ref}", headers={"Accept-Language": "en"})
    assert detail.status_code == 404  # sh_admin is logged in: outside its scope
    client.cookies.clear()
    login(client, "bj_admin")
    detail = client.get(f"/web/protection/{ref}", headers={"Accept-Language": "en"})
    assert detail.status_code == 200 and "15th National Games" in detail.text
