"""Directives and interviews over HTTP on both databases (Law arts. 55, 56; issue 16 item 3):
the Beijing office records an interview (约谈) of a bank's legal representative with
rectification requirements; the bank is notified, acknowledges and reports its rectification
(整改) with evidence; the office reopens it, then verifies and closes it after the second report;
feedback on the closed item is a 409. Directives to units outside the sender's jurisdiction or
sectors are refused with the rule and nothing is written; an overdue directive is reminded,
flagged and counted in the accountability view (Plan §7.10) — JSON, CSV and the console."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.notify.models import OutboxMessage
from fenghuo.supervision import service
from tests.e2e.test_api_incidents import report
from tests.e2e.test_web_form import login

API = "/api/v1/supervision"
OFFICE_INBOX = "duty@bj-office.example.cn"
UNIT_INBOX = "duty@bj-bank.example.cn"  # tests/fixtures/world.yaml


def _iso(moment) -> str:
    return moment.isoformat()


def _messages(rt, ref: str) -> list[OutboxMessage]:
    with rt.uow() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m for m in rows if json.loads(m.payload).get("ref") == ref]


def _interview(rt) -> dict:
    now = rt.clock.now()
    return {"unit": "bj-bank", "title": "核心系统存在高危漏洞 high-risk flaws in core banking",
            "interviewee": "张三", "interviewee_role": "legal_representative",
            "interviewed_at": _iso(now - timedelta(hours=2)),
            "findings": "核心系统存在未修补的远程代码执行漏洞 an unpatched RCE in core banking",
            "requirements": "十日内修补漏洞并完成渗透测试 patch and pen-test within ten days",
            "due_at": _iso(now + timedelta(days=10))}


def test_an_interview_is_rectified_reopened_and_closed_after_the_units_evidence(
        rt, client, headers):
    """Done-when of issue 16 item 3 (Law art. 56): interview → the unit's evidence → closed."""
    office, unit = headers("bj_duty"), headers("bj_reporter")
    r = client.post("/api/v1/bodies/110000.office/contacts", headers=headers("bj_admin"),
                    json={"name": "值班室 Duty", "channel": "email", "value": OFFICE_INBOX})
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/interviews", headers=office, json=_interview(rt))
    assert r.status_code == 201, r.text
    item = r.json()
    ref = item["ref"]
    assert ref.startswith("INT-") and item["state"] == "issued" and item["source"] == "Law art. 56"
    assert item["interviewee_role_label"]["zh"] == "法定代表人" and item["actions"] == []
    # down to the unit: Chinese first, the deadline, what is asked, the link
    (down,) = _messages(rt, ref)
    assert down.address == UNIT_INBOX and down.subject.startswith("[约谈 interview]")
    assert "期限 Due:" in down.text and "北京时间" in down.text and "整改" in down.text
    assert f"/web/supervision/{ref}" in down.text and "十日内修补漏洞" in down.text
    # the unit sees it with its actions; another province does not
    mine = client.get(f"{API}/{ref}", headers=unit).json()
    assert mine["actions"] == ["acknowledge", "report"] and mine["clock"] == "due"
    assert client.get(f"{API}/{ref}", headers=headers("sh_admin")).status_code == 404
    assert client.post(f"{API}/{ref}/acknowledge", headers=unit).json()["state"] == "acknowledged"
    evidence = {"measures": "已升级至安全版本 upgraded", "evidence": "复测报告 retest report #17"}
    r = client.post(f"{API}/{ref}/rectification", headers=unit, json=evidence)
    assert r.status_code == 200 and r.json()["state"] == "reported", r.text
    up = [m for m in _messages(rt, ref) if m.address == OFFICE_INBOX]
    assert len(up) == 1 and "报告了整改情况" in up[0].subject
    # the unit cannot close its own item; the office reopens it with a reason
    r = client.post(f"{API}/{ref}/verify", headers=unit)
    assert r.status_code == 403
    r = client.post(f"{API}/{ref}/reopen", headers=office,
                    json={"reason": "未提供渗透测试报告 no pen-test report"})
    assert r.status_code == 200 and r.json()["state"] == "reopened"
    assert "no pen-test report" in _messages(rt, ref)[-1].text
    # the pen-test report, preserved as evidence with an incident the bank filed
    incident = client.post("/api/v1/incidents", headers=unit, json=report()).json()["ref"]
    pentest = b"pen-test report: no findings\n"
    ev = client.post(f"/api/v1/incidents/{incident}/evidence", headers=unit,
                     files={"file": ("pentest.txt", pentest, "text/plain")}).json()["id"]
    second = {**evidence, "evidence": "渗透测试报告 pen-test report, no findings"}
    r = client.post(f"{API}/{ref}/rectification", headers=unit,
                    json={**second, "attachments": [f"{incident}/{ev + 1}"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "attachments.0"
    assert client.get(f"{API}/{ref}", headers=unit).json()["state"] == "reopened"  # unchanged
    r = client.post(f"{API}/{ref}/rectification", headers=unit,
                    json={**second, "attachments": [f"{incident}/{ev}"]})
    assert r.status_code == 200, r.text
    (attached,) = r.json()["rectifications"][-1]["attachments"]
    assert attached["sha256"] == hashlib.sha256(pentest).hexdigest()
    r = client.post(f"{API}/{ref}/verify", headers=office, json={"note": "核验通过 verified"})
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["state"] == "closed" and closed["clock"] == "met"
    assert [x["evidence"] for x in closed["rectifications"]] == [
        "复测报告 retest report #17", "渗透测试报告 pen-test report, no findings"]
    assert [e["kind"] for e in closed["history"]] == [
        "issued", "acknowledged", "reported", "reopened", "reported", "closed"]
    # feedback on a closed item: a clear 409, nothing written
    before = len(_messages(rt, ref))
    for path, body in (("rectification", evidence), ("acknowledge", {})):
        r = client.post(f"{API}/{ref}/{path}", headers=unit, json=body)
        assert r.status_code == 409 and "already closed" in r.json()["detail"], r.text
    assert len(_messages(rt, ref)) == before
    audit.chain_pending(rt.uow)
    trail = client.get("/api/v1/audit", headers=headers("bj_admin"),
                       params={"entity_key": ref}).json()["items"]
    assert {a["action"] for a in trail} == {
        "supervision.interview", "supervision.acknowledge", "supervision.report",
        "supervision.reopen", "supervision.verify"}


def test_directives_outside_the_senders_scope_are_refused_with_the_rule(rt, client, headers):
    """Law art. 56 (按照规定的权限), Plan §2.3–§2.4: jurisdiction and sector decide."""
    due = _iso(rt.clock.now() + timedelta(days=3))
    directive = {"unit": "sh-bank", "title": "封堵后门 close the backdoor",
                 "requirements": "立即封堵 close it now", "due_at": due}
    cases = [("bj_duty", "sh-bank", "supervision.out_of_jurisdiction"),
             ("bj_fin", "bj-telco", "supervision.out_of_sector"),
             ("bj_cert", "bj-bank", "supervision.not_an_authority")]
    for user, unit, code in cases:
        r = client.post(f"{API}/directives", headers=headers(user),
                        json={**directive, "unit": unit})
        assert r.status_code == 403, r.text
        assert code in {x["code"] for x in r.json()["reasons"]}, r.text
    r = client.post(f"{API}/directives", headers=headers("bj_reporter"),
                    json={**directive, "unit": "bj-bank"})
    assert r.status_code == 403  # a unit cannot direct
    r = client.post(f"{API}/directives", headers=headers("bj_duty"),
                    json={**directive, "unit": "bj-bank", "due_at": None})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "due_at"
    assert r.json()["errors"][0]["source"] == "Law art. 55"
    # nothing half-written
    assert client.get(API, headers=headers("nat_admin")).json()["total"] == 0
    with rt.uow() as s:
        assert not [m for m in s.scalars(select(OutboxMessage))
                    if json.loads(m.payload).get("event", "").startswith("supervision")]
    # the finance department directs the bank it regulates
    r = client.post(f"{API}/directives", headers=headers("bj_fin"),
                    json={**directive, "unit": "bj-bank"})
    assert r.status_code == 201 and r.json()["ref"].startswith("DIR-"), r.text
    units = {u["key"]: u for u in client.get(f"{API}/units", headers=headers("bj_fin")).json()}
    assert set(units) == {"bj-bank"} and units["bj-bank"]["interview"] is True


def test_an_overdue_directive_is_reminded_and_counted_in_accountability(rt, client, headers):
    """Plan §7.10: a directive past its time limit without the measures reported."""
    office = headers("bj_duty")
    r = client.post(f"{API}/directives", headers=office, json={
        "unit": "bj-bank", "title": "修补漏洞 patch the flaw", "requirements": "两日内修补 patch",
        "due_at": _iso(rt.clock.now() + timedelta(days=2))})
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    rt.clock.advance(hours=30)  # 18 h before the time limit
    assert service.sweep_deadlines(rt.uow, rt.clock) == 1
    assert "整改期限将至" in _messages(rt, ref)[-1].subject
    rt.clock.advance(hours=20)
    assert service.sweep_deadlines(rt.uow, rt.clock) == 1
    assert service.sweep_deadlines(rt.uow, rt.clock) == 0  # once per deadline
    overdue = client.get(API, headers=office, params={"overdue": "true"}).json()
    assert [i["ref"] for i in overdue["items"]] == [ref] and overdue["items"][0]["clock"] == (
        "overdue")
    view = client.get("/api/v1/accountability", headers=office,
                      params={"period": "2026-11"}).json()
    (row,) = [x for x in view["rows"] if x["body"] == "bj-bank"]
    assert (row["overdue_directives"], row["overdue_rectifications"]) == (1, 0)
    csv = client.get("/api/v1/accountability", headers=office,
                     params={"period": "2026-11", "format": "csv"}).text
    assert "逾期未落实责令措施 overdue directives" in csv
    login(client, "bj_duty")  # and on the console's page
    page = client.get("/web/preparedness/accountability", params={"period": "2026-11"},
                      headers={"Accept-Language": "zh-CN"}).text
    assert "逾期未落实责令措施 1" in page
