"""Emergency response over HTTP (Plan §4.2–§4.3, §5): an especially major incident, Level I
with a headquarters, support coordinated by the Emergency Office, the province's end refused,
the Office's proposal plus the headquarters' approval ending it, the 30-day investigation; a
Level II ended by its province; duty rosters; refusals as problem+json — on both databases."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from tests.conftest import PASSWORD
from tests.e2e.test_api_incidents import report
from tests.integration.test_responses import SECTIONS
from tests.integration.test_warnings import TEAMS

PROBLEM = "application/problem+json"
HQ = [{"name": "总指挥 Commander", "title": "leading group", "username": "hq_lead"},
      {"name": "北京 Beijing liaison", "body": "110000.office"}]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def incident(client, headers, loss: str, expected: str) -> str:
    r = client.post("/api/v1/incidents", json=report(facts={"system_loss": loss}),
                    headers=headers("bj_reporter"))
    assert r.status_code == 201, r.text
    assert r.json()["grade"] == expected
    return r.json()["ref"]


def hq_member(rt) -> None:
    """A member of the headquarters: a user of the Emergency Office who only reads, yet may
    approve the end of the Level I response it is named in (Plan §4.3.1)."""
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="hq_lead", display_name="总指挥 Commander", body="cn.emergency-office",
            roles=["read_only"], password=PASSWORD))


def contacts(client, headers, *bodies: str) -> None:
    for body in bodies:
        r = client.post(f"/api/v1/bodies/{body}/contacts", headers=headers("nat_admin"),
                        json={"name": "Duty", "channel": "email",
                              "value": f"duty@{body}.example"})
        assert r.status_code == 201, r.text


def sent(rt, event: str) -> set[str]:
    """Addresses of the outbox messages of one response event."""
    with rt.uow() as s:
        rows = s.execute(select(OutboxMessage.address, OutboxMessage.payload)).all()
    return {address for address, payload in rows if json.loads(payload).get("event") == event}


def activate(client, headers, user: str, **data) -> dict:
    r = client.post("/api/v1/responses", json=data, headers=headers(user))
    assert r.status_code == 201, r.text
    return r.json()


def test_level_one_from_activation_to_the_investigation(client, headers, rt, clock):
    hq_member(rt)
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(TEAMS.read_text(), TEAMS.name))
    contacts(client, headers, "110000.office", "cn.emergency-office")
    inc = incident(client, headers, "especially_serious", "especially_major")

    # Level I is the Emergency Office's, with named members (Plan §4.2.1)
    r = client.post("/api/v1/responses", json={"incident": inc, "level": "I", "headquarters": HQ},
                    headers=headers("bj_duty"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert "activate.level_reserved" in {x["code"] for x in r.json()["reasons"]}
    r = client.post("/api/v1/responses", json={"incident": inc, "level": "II"},
                    headers=headers("nat_admin"))
    assert r.status_code == 403
    assert "activate.level_mismatch" in {x["code"] for x in r.json()["reasons"]}
    r = client.post("/api/v1/responses", json={"incident": inc, "level": "I"},
                    headers=headers("nat_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "headquarters"
    assert client.get("/api/v1/responses", headers=headers("nat_admin")).json()["total"] == 0

    r = client.post("/api/v1/responses", json={"incident": inc, "level": "I", "headquarters": HQ},
                    headers=headers("nat_admin"))
    assert r.status_code == 201, r.text
    out = r.json()
    ref = out["ref"]
    assert r.headers["location"] == f"/api/v1/responses/{ref}"
    assert (out["level"], out["state"], out["incident"]) == ("I", "active", inc)
    assert out["level_label"] == {"zh": "Ⅰ级响应", "en": "Level I response"}
    assert [m["username"] for m in out["headquarters"]] == ["hq_lead", None]
    roles = {p["body"]: (p["role"], p["duty_24h"]) for p in out["participants"]}
    assert roles["cn.emergency-office"] == ("activator", True)
    assert roles["110000.office"] == ("emergency_state", True)  # Plan §4.2.1
    assert "level_i.headquarters" in {e["code"] for e in out["effects"]}
    assert "§4.2.1" in out["activation"][0]["source"]
    assert sent(rt, "response.activated") == {"duty@110000.office.example",
                                              "duty@cn.emergency-office.example"}
    assert client.get(r.headers["location"], headers=headers("bj_duty")).json()["ref"] == ref
    r = client.post("/api/v1/responses", json={"incident": inc, "level": "I", "headquarters": HQ},
                    headers=headers("nat_admin"))
    assert r.status_code == 409  # one running response per incident

    # the province reports progress and asks for support; the Office coordinates (§4.2.2(3))
    r = client.post(f"/api/v1/responses/{ref}/progress", headers=headers("bj_duty"),
                    json={"developments": "扩散已停止 spread stopped",
                          "progress": "恢复备份 restoring backups"})
    assert r.status_code == 200, r.text
    assert r.json()["progress"][0]["body"] == "110000.office"
    r = client.post(f"/api/v1/responses/{ref}/support", headers=headers("bj_duty"),
                    json={"needs": "取证队伍到场 a forensics team on site"})
    assert r.status_code == 200, r.text
    req = r.json()["support"][0]
    assert (req["requesting_body"], req["requested_by"], req["state"]) == (
        "110000.office", "bj_duty", "requested")
    assert sent(rt, "response.support_requested") == {"duty@cn.emergency-office.example"}
    dispatches = f"/api/v1/responses/{ref}/support/{req['ref']}/dispatches"
    r = client.post(dispatches, json={"body": "cn.team-forensics"}, headers=headers("bj_duty"))
    assert r.status_code == 403  # only the Office coordinates
    assert r.json()["reasons"][0]["source"].startswith("Plan §2.2")
    r = client.post(dispatches, json={}, headers=headers("nat_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = client.post(f"/api/v1/responses/{ref}/support/SR-19700101-00000000/dispatches",
                    json={"body": "cn.team-forensics"}, headers=headers("nat_admin"))
    assert r.status_code == 404
    r = client.post(dispatches, json={"body": "cn.team-forensics", "note": "14:00 到达 arrives"},
                    headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    req = r.json()["support"][0]
    assert (req["state"], req["coordinator"]) == ("dispatched", "nat_admin")
    [d] = req["dispatches"]
    assert (d["body"], d["dispatched_by"]) == ("cn.team-forensics", "nat_admin")
    assert when(d["dispatched_at"]) == clock.now()

    # Plan §4.3.1: the province cannot end Level I; the Office proposes, the headquarters approves
    r = client.post(f"/api/v1/responses/{ref}/end", json={"reason": "we are fine"},
                    headers=headers("bj_duty"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    codes = {x["code"] for x in r.json()["reasons"]}
    assert {"end.not_emergency_office", "end.needs_proposal", "end.needs_approval"} <= codes
    assert all(x["source"] and x["text_zh"] and x["text_en"] for x in r.json()["reasons"])
    r = client.post(f"/api/v1/responses/{ref}/end-proposal", json={"reason": "we are fine"},
                    headers=headers("bj_duty"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/responses/{ref}/end-approval", headers=headers("hq_lead"))
    assert r.status_code == 403  # nothing proposed yet
    r = client.post(f"/api/v1/responses/{ref}/end-proposal",
                    json={"reason": "系统已恢复 systems restored"}, headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["end_proposed_by"]) == ("end_proposed", "nat_admin")
    r = client.post(f"/api/v1/responses/{ref}/end-approval", headers=headers("bj_duty"))
    assert r.status_code == 403
    assert [x["code"] for x in r.json()["reasons"]] == ["end.approve_not_headquarters"]
    clock.advance(hours=2)
    r = client.post(f"/api/v1/responses/{ref}/end-approval", headers=headers("hq_lead"))
    assert r.status_code == 200, r.text
    ended = r.json()
    assert (ended["state"], ended["end_approved_by"]) == ("ended", "hq_lead")
    assert when(ended["ended_at"]) == clock.now()
    assert ended["timeline"][-1]["detail"]["notify"] == ["provinces_and_departments"]
    assert sent(rt, "response.ended") == {"duty@110000.office.example",
                                          "duty@cn.emergency-office.example"}
    inv = ended["investigation"]
    assert (inv["organizer"], inv["organizer_body"]) == ("emergency_office",
                                                         "cn.emergency-office")
    assert when(inv["due_at"]) == clock.now() + timedelta(days=30)  # Plan §5
    assert (inv["state"], inv["clock"]) == ("draft", "due")
    assert inv["missing_sections"] == list(SECTIONS)
    r = client.post(f"/api/v1/responses/{ref}/end", json={"reason": "again"},
                    headers=headers("nat_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ref"

    # the investigation report: due on day 30, overdue on day 31 (Plan §5)
    clock.advance(days=30)
    get = lambda: client.get(f"/api/v1/responses/{ref}",  # noqa: E731
                             headers=headers("nat_admin")).json()["investigation"]
    assert get()["clock"] == "due"
    clock.advance(days=1)
    assert get()["clock"] == "overdue"
    investigation = f"/api/v1/responses/{ref}/investigation"
    r = client.post(f"{investigation}/submit", headers=headers("nat_admin"))
    assert r.status_code == 403
    assert "investigation.missing_sections" in {x["code"] for x in r.json()["reasons"]}
    r = client.put(investigation, json={"sections": SECTIONS}, headers=headers("bj_duty"))
    assert r.status_code == 403  # the Office organizes it, not the province
    r = client.put(investigation, json={"sections": {"gossip": "x"}},
                   headers=headers("nat_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sections.gossip"
    r = client.put(investigation, json={"sections": SECTIONS}, headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    assert r.json()["investigation"]["sections"] == SECTIONS
    r = client.post(f"{investigation}/approve", headers=headers("nat_admin"))
    assert r.status_code == 403  # a draft is submitted first
    r = client.post(f"{investigation}/submit", headers=headers("nat_admin"))
    assert r.status_code == 200 and r.json()["investigation"]["state"] == "submitted"
    r = client.post(f"{investigation}/approve", headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    done = r.json()["investigation"]
    assert (done["state"], done["clock"], done["approved_by"]) == ("approved", "late",
                                                                    "nat_admin")
    assert [e["kind"] for e in r.json()["timeline"]] == [
        "activated", "progress", "support_requested", "dispatched", "end_proposed", "ended",
        "investigation_submitted", "investigation_approved"]

    listed = client.get("/api/v1/responses", params={"state": "ended"},
                        headers=headers("bj_duty")).json()
    assert [x["ref"] for x in listed["items"]] == [ref] and listed["total"] == 1
    assert "participants" not in listed["items"][0]
    assert client.get("/api/v1/responses", params={"state": "active"},
                      headers=headers("bj_duty")).json()["total"] == 0


def test_level_two_is_activated_and_ended_by_its_province(client, headers, rt):
    contacts(client, headers, "cn.emergency-office")
    inc = incident(client, headers, "serious", "major")
    r = client.post("/api/v1/responses", json={"incident": inc, "level": "II"},
                    headers=headers("nat_admin"))
    assert r.status_code == 403  # Plan §4.2.2: the province decides Level II
    out = activate(client, headers, "bj_duty", incident=inc, level="II",
                   progress_every_minutes=60)
    ref = out["ref"]
    assert {p["body"]: p["role"] for p in out["participants"]} == {
        "110000.office": "activator", "cn.emergency-office": "informed"}
    assert out["headquarters"] == []
    r = client.post(f"/api/v1/responses/{ref}/end-proposal", json={"reason": "no such step"},
                    headers=headers("nat_admin"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/responses/{ref}/end", json={"reason": "the Office cannot"},
                    headers=headers("nat_admin"))
    assert r.status_code == 403
    assert [x["code"] for x in r.json()["reasons"]] == ["end.not_activator"]
    r = client.post(f"/api/v1/responses/{ref}/end", json={"reason": "已控制 contained"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    ended = r.json()
    assert (ended["state"], ended["end_reason"]) == ("ended", "已控制 contained")
    assert ended["timeline"][-1]["detail"]["notify"] == ["emergency_office"]  # Plan §4.3.2
    assert sent(rt, "response.ended") == {"duty@cn.emergency-office.example"}
    inv = ended["investigation"]
    assert (inv["organizer"], inv["organizer_body"], inv["file_with_emergency_office"]) == (
        "local", "110000.office", True)
    r = client.put(f"/api/v1/responses/{ref}/investigation", json={"sections": SECTIONS},
                   headers=headers("bj_duty"))
    assert r.status_code == 200 and r.json()["investigation"]["missing_sections"] == []
    assert client.get(f"/api/v1/responses/{ref}",
                      headers=headers("nat_admin")).json()["state"] == "ended"


def test_who_may_activate_and_who_sees_a_response(client, headers):
    inc = incident(client, headers, "serious", "major")
    for user in ("bj_ro", "bj_reporter"):
        r = client.post("/api/v1/responses", json={"incident": inc, "level": "II"},
                        headers=headers(user))
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, user
    assert client.get("/api/v1/responses").status_code == 401
    assert client.get("/api/v1/responses", headers=headers("bj_duty")).json()["total"] == 0
    r = client.post("/api/v1/responses", json={"incident": inc, "level": "V"},
                    headers=headers("bj_duty"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "level"

    ref = activate(client, headers, "bj_duty", incident=inc, level="II")["ref"]
    assert client.get(f"/api/v1/responses/{ref}", headers=headers("bj_ro")).status_code == 200
    r = client.post(f"/api/v1/responses/{ref}/end", json={"reason": "read only"},
                    headers=headers("bj_ro"))
    assert r.status_code == 403 and "reasons" not in r.json()  # a role, not a rule
    # Law art. 30: Shanghai and an unrelated Beijing department do not even see it
    for user in ("sh_admin", "bj_fin"):
        for method, path, body in (("GET", "", None), ("POST", "/end", {"reason": "not mine"}),
                                   ("POST", "/progress", {"developments": "x", "progress": "y"}),
                                   ("POST", "/support", {"needs": "help us"})):
            r = client.request(method, f"/api/v1/responses/{ref}{path}", json=body,
                               headers=headers(user))
            assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, (user, path)
        assert client.get("/api/v1/responses", headers=headers(user)).json()["total"] == 0
    assert client.get(f"/api/v1/responses/{'X' * 65}",
                      headers=headers("bj_duty")).status_code == 422  # refs are bounded
    r = client.get("/api/v1/responses", params={"state": "paused"}, headers=headers("bj_duty"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


def test_duty_rosters_show_who_is_on_duty(client, headers, clock):
    now = clock.now()
    shift = {"officer": "王值班 Wang", "contact": "+86 10 0000 0000",
             "starts_at": (now - timedelta(hours=1)).isoformat(),
             "ends_at": (now + timedelta(hours=11)).isoformat(),
             "handover_note": "关注银行 watch the bank"}
    r = client.post("/api/v1/duty/shifts", json=shift, headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    assert (r.json()["body"], r.json()["on_duty_now"]) == ("110000.office", True)
    r = client.post("/api/v1/duty/shifts", json={**shift, "starts_at": now.isoformat()},
                    headers=headers("bj_duty"))
    assert r.status_code == 409
    r = client.post("/api/v1/duty/shifts", json={**shift, "officer": "李 Li",
                                                 "ends_at": shift["starts_at"]},
                    headers=headers("bj_duty"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_at"
    r = client.post("/api/v1/duty/shifts", json={**shift, "officer": "李 Li"},
                    headers=headers("bj_ro"))
    assert r.status_code == 403
    r = client.post("/api/v1/duty/shifts", headers=headers("bj_duty"), json={
        "officer": "李 Li", "starts_at": (now + timedelta(hours=11)).isoformat(),
        "ends_at": (now + timedelta(hours=23)).isoformat()})
    assert r.status_code == 201, r.text

    mine = client.get("/api/v1/duty/shifts", headers=headers("bj_duty")).json()
    assert [(x["officer"], x["on_duty_now"]) for x in mine] == [("王值班 Wang", True),
                                                                ("李 Li", False)]
    inc = incident(client, headers, "serious", "major")
    out = activate(client, headers, "bj_duty", incident=inc, level="II")
    office = next(p for p in out["participants"] if p["body"] == "110000.office")
    assert office["on_duty"] == ["王值班 Wang"] and office["progress_state"] == "due"
    clock.advance(hours=12)
    r = client.get("/api/v1/duty/shifts", params={"body": "110000.office"},
                   headers=headers("nat_admin"))
    assert [(x["officer"], x["on_duty_now"]) for x in r.json()] == [("李 Li", True)]
    r = client.get("/api/v1/duty/shifts", params={"body": "110000.office"},
                   headers=headers("sh_admin"))
    assert r.status_code == 404
