"""Issue 17 items 9–11 over HTTP, on both databases: the city's headquarters and field command
inside a Level II response (City §3.3.3–3.3.4), their members' progress and roster, the
Emergency Office's relay of the end and who was told (Plan §4.3.2), and a content security
incident refused activation with Plan §1.3."""

from __future__ import annotations

from tests.e2e.test_api_incidents import report
from tests.e2e.test_api_responses import PROBLEM, activate, contacts
from tests.integration.test_response_city_command import shanxi  # noqa: F401 (a fixture)

HQ_MEMBERS = [{"name": "市长 Mayor", "title": "总指挥", "username": "jc_lead"},
              {"name": "市公安局 Police", "body": "jc.emergency-center"}]
FC_MEMBERS = [{"name": "县长 County head", "username": "zz_duty", "body": "zz.office"}]


def incident(client, headers, loss: str, **kw) -> str:
    r = client.post("/api/v1/incidents", headers=headers("jc_ops"),
                    json=report(system="scada", facts={"system_loss": loss}, **kw))
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def command(client, headers, who: str, ref: str, kind: str, members: list[dict]):
    return client.post(f"/api/v1/responses/{ref}/commands", headers=headers(who),
                       json={"kind": kind, "members": members})


def test_city_3_3_3_to_3_3_4_and_plan_4_3_2_over_http(client, headers, shanxi, clock):  # noqa: F811
    """City §3.3.3–3.3.4: set up, refused with the rule, members act for their command;
    Plan §4.3.2: the end is relayed by the Emergency Office and who was told is shown."""
    contacts(client, headers, "cn.emergency-office", "cn.mwr")
    r = activate(client, headers, "sx_duty", incident=incident(client, headers, "serious"),
                 level="II")
    ref = r["ref"]
    assert {"city.headquarters", "city.field_command"} <= {e["code"] for e in r["effects"]}
    hq, fc = f"hq.{ref.lower()}", f"fc.{ref.lower()}"

    x = command(client, headers, "zz_duty", ref, "field_command", FC_MEMBERS)
    assert x.status_code == 403 and x.headers["content-type"] == PROBLEM
    assert [(y["code"], y["source"]) for y in x.json()["reasons"]] == [
        ("command.needs_headquarters", "City §3.3.4")]
    x = command(client, headers, "sx_duty", ref, "headquarters", HQ_MEMBERS)
    assert x.status_code == 403 and x.json()["reasons"][0]["code"] == "command.not_city_office"
    assert command(client, headers, "jc_duty", ref, "headquarters", []).status_code == 422
    assert command(client, headers, "jc_duty", ref, "brigade", HQ_MEMBERS).status_code == 422
    assert command(client, headers, "ty_duty", ref, "headquarters",
                   HQ_MEMBERS).status_code == 404  # another city does not see it

    x = command(client, headers, "jc_duty", ref, "headquarters", HQ_MEMBERS)
    assert x.status_code == 201, x.text
    assert {p["body"]: p["role"] for p in x.json()["participants"]}[hq] == "city_headquarters"
    assert command(client, headers, "jc_duty", ref, "headquarters",
                   HQ_MEMBERS).status_code == 409
    x = command(client, headers, "zz_duty", ref, "field_command", FC_MEMBERS)
    assert x.status_code == 201, x.text
    assert {(m["name"], m["command"]) for m in x.json()["headquarters"]} == {
        ("市长 Mayor", hq), ("市公安局 Police", hq), ("县长 County head", fc)}
    body = client.get(f"/api/v1/bodies/{fc}", headers=headers("jc_duty")).json()
    assert (body["kind"], body["jurisdiction"]["code"]) == ("field_command", "140525")

    # members report progress and keep the roster for their command
    x = client.post(f"/api/v1/responses/{ref}/progress", headers=headers("zz_duty"), json={
        "developments": "现场处置 on site", "progress": "隔离 isolated", "command": fc})
    assert x.status_code == 200, x.text
    assert x.json()["progress"][-1]["body"] == fc
    x = client.post(f"/api/v1/responses/{ref}/progress", headers=headers("zz_duty"), json={
        "developments": "x", "progress": "y", "command": hq})
    assert x.status_code == 403 and x.json()["reasons"][0]["code"] == "command.not_member"
    now = clock.now()
    x = client.post("/api/v1/duty/shifts", headers=headers("jc_lead"), json={
        "officer": "李 Li", "starts_at": now.isoformat(),
        "ends_at": now.replace(hour=20).isoformat(), "command": hq})
    assert x.status_code == 201 and x.json()["body"] == hq
    got = client.get(f"/api/v1/responses/{ref}", headers=headers("sx_duty")).json()
    assert {p["body"]: p["on_duty"] for p in got["participants"]}[hq] == ["李 Li"]
    assert got["end_notices"] == []

    # the province ends it; the Office is told and relays it (Plan §4.3.2)
    x = client.post(f"/api/v1/responses/{ref}/end", headers=headers("sx_duty"),
                    json={"reason": "已恢复 restored"})
    assert x.status_code == 200, x.text
    told = {(n["body"], n["kind"], n["sent_by"]): n["messages"] for n in x.json()["end_notices"]}
    assert told[("cn.emergency-office", "report", "140000.office")] == 1
    assert told[("cn.mwr", "relay", "cn.emergency-office")] == 1
    assert {b for b, kind, _ in told if kind == "relay"} >= {
        hq, fc, "jc.emergency-center", "zz.office", "cn.mwr"}
    assert client.get(f"/api/v1/bodies/{hq}", headers=headers("jc_duty")).json()[
        "active"] is False  # the command stood down


def test_plan_1_3_content_security_activation_is_refused_over_http(client, headers, rt):
    """Plan §1.3: recorded and routed, but no Level I–IV activation: a 403 naming the clause
    and the special plan."""
    r = client.post("/api/v1/incidents", headers=headers("bj_reporter"), json=report(
        system="www", category="information-content-security", subcategory=None,
        facts={"other_threat": "serious"}))
    assert r.status_code == 201, r.text
    inc = r.json()
    assert inc["routes"] and inc["grade"] == "major"
    x = client.post("/api/v1/responses", headers=headers("bj_duty"),
                    json={"incident": inc["ref"], "level": "II"})
    assert x.status_code == 403 and x.headers["content-type"] == PROBLEM
    [reason] = x.json()["reasons"]
    assert (reason["code"], reason["source"]) == ("activate.special_plan", "Plan §1.3")
    assert "专项预案" in reason["text_zh"] and "special plan" in reason["text_en"]
    assert client.get("/api/v1/responses", headers=headers("bj_duty")).json()["total"] == 0
