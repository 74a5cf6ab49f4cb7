"""Public tips over HTTP on both databases (Law art. 14, issue 16 item 4): as a tipster and as
the offices — the tip transferred to the public security organ and its status seen with the
receipt code; refusals with the rule; 409 on a closed tip; wrong codes a 404 like missing ones;
and the status answer holds nothing internal."""

from __future__ import annotations

import pytest

from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from tests.conftest import PASSWORD

TIP = {"jurisdiction": "110000", "unit_name": "北京某论坛 a Beijing forum",
       "category": "network-attack", "description": "论坛被植入后门 a backdoor on the forum",
       "reporter_name": "赵六", "reporter_contact": "+86 138 0000 0000"}
REASON = "涉嫌违法犯罪，移送公安 suspected crime, for the police"
NOTE = "内部意见：已立案侦查 internal: a criminal case was opened"
OUTCOME = "已依法处理。 Dealt with according to law."
PUBLIC_KEYS = {"ref", "received_at", "status", "status_label", "authority", "closed_at",
               "outcome"}


@pytest.fixture
def mps(rt, client, headers):
    """A duty officer at the Ministry of Public Security, whose duty inbox is a webhook."""
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="mps_duty", display_name="mps_duty", body="cn.mps",
            roles=["duty_officer"], password=PASSWORD))
    r = client.post("/api/v1/bodies/cn.mps/contacts", headers=headers("nat_admin"), json={
        "name": "MPS duty", "channel": "email", "value": "duty@mps.example"})
    assert r.status_code == 201, r.text
    return headers("mps_duty")


def status_of(client, code: str):
    return client.post("/api/v1/public/tips/status", json={"code": code})


def test_a_tip_transferred_to_public_security_and_seen_by_the_tipster(client, headers, mps):
    r = client.post("/api/v1/public/tips", json=TIP)  # no account
    assert r.status_code == 201, r.text
    receipt = r.json()
    code, ref = receipt["receipt_code"], receipt["ref"]
    assert receipt["status_url"] == "/public/tips/status"
    seen = status_of(client, code)
    assert seen.status_code == 200 and seen.json()["status"] == "received"
    assert seen.json()["status_label"] == {"zh": "已收到，等待处理",
                                           "en": "received, awaiting handling"}
    bj = headers("bj_duty")
    listed = client.get("/api/v1/tips", headers=bj).json()
    assert listed["items"][0]["ref"] == ref and listed["items"][0]["clock"]["state"] == "due"
    targets = client.get(f"/api/v1/tips/{ref}/targets", headers=bj).json()
    assert "cn.mps" in {t["key"] for t in targets}
    r = client.post(f"/api/v1/tips/{ref}/transfer", headers=bj,
                    json={"to": "cn.mps", "reason": REASON})
    assert r.status_code == 200, r.text
    assert r.json()["holder"] == "cn.mps" and r.json()["reporter_name"] is None
    seen = status_of(client, code).json()
    assert seen["status"] == "transferred"
    assert seen["authority"] == {"zh": "公安机关", "en": "the public security organ"}
    # the Ministry is notified, sees the tipster, accepts and closes
    mine = client.get(f"/api/v1/tips/{ref}", headers=mps).json()
    assert mine["reporter_name"] == "赵六" and "accept" in mine["actions"]
    deliveries = [e for e in mine["history"] if e["kind"] == "transferred"]
    assert deliveries[0]["detail"]["notified"] == ["MPS duty"]
    assert client.post(f"/api/v1/tips/{ref}/accept", headers=mps,
                       json={"note": NOTE}).status_code == 200
    assert status_of(client, code).json()["status"] == "handling"
    r = client.post(f"/api/v1/tips/{ref}/close", headers=mps,
                    json={"outcome": OUTCOME, "note": NOTE})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    seen = status_of(client, code)
    body = seen.json()
    assert set(body) == PUBLIC_KEYS
    assert (body["status"], body["outcome"], body["authority"]["zh"]) == (
        "closed", OUTCOME, "公安机关")
    for internal in (REASON, NOTE, "赵六", "138", "cn.mps", "公安部", "bj_duty", "mps_duty",
                     "110000.office", "history", "holder", "reporter"):
        assert internal not in seen.text, internal


def test_refusals_conflicts_and_scope(client, headers, mps):
    ref = client.post("/api/v1/public/tips", json=TIP).json()["ref"]
    bj = headers("bj_duty")
    r = client.post(f"/api/v1/tips/{ref}/transfer", headers=bj,
                    json={"to": "bj-bank", "reason": "运营单位自查 let the unit look"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem")
    assert [x["code"] for x in r.json()["reasons"]] == ["tip_transfer.not_a_department"]
    assert r.json()["reasons"][0]["source"] == "Law art. 14"
    assert client.get(f"/api/v1/tips/{ref}", headers=bj).json()["state"] == "received"
    r = client.post(f"/api/v1/tips/{ref}/transfer", headers=bj, json={"to": "cn.mps"})
    assert r.status_code == 422  # a transfer needs its reason
    # only the holder acts; a body outside the tip's region does not even see it
    assert client.post(f"/api/v1/tips/{ref}/accept", headers=headers("nat_admin")
                       ).status_code == 403
    assert client.post(f"/api/v1/tips/{ref}/accept", headers=headers("sh_admin")
                       ).status_code == 404
    assert client.post(f"/api/v1/tips/{ref}/accept", headers=headers("bj_ro")).status_code == 403
    assert client.post(f"/api/v1/tips/{ref}/close", headers=bj,
                       json={"outcome": OUTCOME}).status_code == 200
    for action, body in (("accept", {}), ("transfer", {"to": "cn.mps", "reason": REASON}),
                         ("close", {"outcome": OUTCOME}), ("dismiss", {"reason": "again"})):
        r = client.post(f"/api/v1/tips/{ref}/{action}", headers=bj, json=body)
        assert r.status_code == 409, (action, r.text)
        assert "already closed" in r.json()["detail"]
    assert client.get("/api/v1/tips?state=closed", headers=bj).json()["total"] == 1
    assert client.get("/api/v1/tips?state=nonsense", headers=bj).status_code == 422


def test_wrong_codes_are_a_404_like_missing_ones(client):
    code = client.post("/api/v1/public/tips", json=TIP).json()["receipt_code"]
    other = "Z" if code[-1] != "Z" else "Y"  # one symbol off (never the code itself)
    wrong = [status_of(client, c) for c in ("AAAAA-AAAAA-AAAAA-AAAAA", code[:-1] + other, "x")]
    assert {r.status_code for r in wrong} == {404}
    assert len({r.text for r in wrong}) == 1  # the same answer, whatever was wrong
    assert status_of(client, code.lower()).status_code == 200
    assert status_of(client, "").status_code == 422  # no code at all is a bad request


def test_status_look_ups_are_limited_per_address(client):
    answers = [status_of(client, f"AAAAA-AAAAA-AAAAA-{i:05d}").status_code for i in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429
