"""Machine monitoring over HTTP (issue 15 items 1, 3, 4) on both databases: the register, a
feed and its token, NDJSON batches (plain and gzip) counted once, rejects, clear errors for a
bad token, an unknown format and an oversize batch, and the scoped search of events."""

from __future__ import annotations

import gzip
import json

from fenghuo.api.routers import monitoring_ingest

PROBLEM = "application/problem+json"


def _alert(ts: str, src: str, dst: str) -> bytes:
    return json.dumps({"timestamp": ts, "event_type": "alert", "src_ip": src, "src_port": 4444,
                       "dest_ip": dst, "dest_port": 443, "proto": "TCP",
                       "alert": {"signature_id": 2035595,
                                 "signature": "ET MALWARE Cobalt Strike Beacon Observed",
                                 "category": "A Network Trojan was Detected"}}).encode()


BATCH = b"\n".join([
    _alert("2026-11-01T10:00:00.000000+0800", "61.135.1.1", "203.0.113.9"),
    _alert("2026-11-01T10:00:01.000000+0800", "203.0.113.9", "222.186.2.2"),
    b"not json at all",
]) + b"\n"


def _setup(client, headers) -> str:
    r = client.post("/api/v1/monitoring/register/import", headers=headers("bj_admin"), json={
        "entries": [{"body": "bj-bank", "kind": "prefix", "value": "61.135.0.0/16"},
                    {"body": "110000.office", "kind": "prefix", "value": "222.186.0.0/16",
                     "role": "jurisdiction"}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 0}
    r = client.post("/api/v1/monitoring/feeds", headers=headers("nat_admin"), json={
        "code": "ids-http", "name_zh": "传感器", "name_en": "sensor", "body": "cn.cncert",
        "format": "suricata"})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def test_a_sensor_posts_batches_counted_once(client, headers):
    token = _setup(client, headers)
    feed = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    r = client.post("/api/v1/monitoring/events", headers={**feed, "Idempotency-Key": "b1"},
                    content=BATCH)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["events"], got["rejected"], got["owner"], got["jurisdiction"]) == (2, 1, 1, 1)
    again = client.post("/api/v1/monitoring/events", headers={**feed, "Idempotency-Key": "b1"},
                        content=BATCH)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    zipped = client.post("/api/v1/monitoring/events",
                         headers={**feed, "Content-Encoding": "gzip"},
                         content=gzip.compress(BATCH.replace(b"10:00", b"11:00")))
    assert zipped.status_code == 201 and zipped.json()["events"] == 2
    rejects = client.get("/api/v1/monitoring/feeds/ids-http/rejects",
                         headers=headers("nat_admin")).json()
    assert [x["line_no"] for x in rejects] == [3, 3]
    assert rejects[0]["raw"] == "not json at all"
    # where was 203.0.113.9 seen: the Beijing office sees both of its events, newest first
    seen = client.get("/api/v1/monitoring/events", params={"ip": "203.0.113.9"},
                      headers=headers("bj_admin")).json()
    assert [e["body"] for e in seen] == ["110000.office", "bj-bank", "110000.office", "bj-bank"]
    assert json.loads(seen[-1]["raw"])["src_ip"] == "61.135.1.1"
    # Shanghai sees none of Beijing's; the unit sees only its own
    assert client.get("/api/v1/monitoring/events", params={"ip": "203.0.113.9"},
                      headers=headers("sh_admin")).json() == []
    own = client.get("/api/v1/monitoring/events", params={"ip": "203.0.113.9"},
                     headers=headers("bj_reporter")).json()
    assert {e["body"] for e in own} == {"bj-bank"}


def test_bad_input_gets_a_clear_problem(client, headers, monkeypatch):
    token = _setup(client, headers)
    feed = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/monitoring/events", headers={"Authorization": "Bearer fhf_nope"},
                    content=BATCH)
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    r = client.post("/api/v1/monitoring/events", headers=headers("nat_admin"), content=BATCH)
    assert r.status_code == 401  # a user's token is not a feed's
    r = client.post("/api/v1/monitoring/events", params={"format": "nope"}, headers=feed,
                    content=BATCH)
    assert r.status_code == 422 and "unknown format" in r.text
    r = client.post("/api/v1/monitoring/events", headers={**feed, "Content-Encoding": "gzip"},
                    content=b"not gzip")
    assert r.status_code == 415
    monkeypatch.setattr(monitoring_ingest, "MAX_BATCH_BYTES", 100)
    r = client.post("/api/v1/monitoring/events", headers=feed, content=BATCH)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    r = client.get("/api/v1/monitoring/events", headers=headers("bj_admin"))
    assert r.status_code == 422
    r = client.get("/api/v1/monitoring/register/lookup", params={"q": "61.135.3.3"},
                   headers=headers("bj_admin"))
    assert r.json()["body"] == "bj-bank" and r.json()["matched"] == "61.135.0.0/16"


def test_rejects_page_back_and_add_up(client, headers):
    token = _setup(client, headers)
    feed = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    for i in range(3):  # three batches, each with a bad line, one with two
        body = BATCH.replace(b"10:00", f"1{i}:00".encode())
        if i == 2:
            body += b'{"timestamp": "soon", "event_type": "alert"}\n'
        assert client.post("/api/v1/monitoring/events", headers=feed,
                           content=body).status_code == 201
    nat = headers("nat_admin")
    summary = client.get("/api/v1/monitoring/feeds/ids-http/rejects/summary", headers=nat)
    assert summary.status_code == 200, summary.text
    got = summary.json()
    assert (got["total"], got["batches"]) == (4, 3)
    assert got["reasons"][0][1] == 3 and sum(n for _, n in got["reasons"]) == 4
    newest = client.get("/api/v1/monitoring/feeds/ids-http/rejects",
                        params={"limit": 2}, headers=nat).json()
    older = client.get("/api/v1/monitoring/feeds/ids-http/rejects",
                       params={"limit": 2, "offset": 2}, headers=nat).json()
    assert len(newest) == 2 and len(older) == 2
    assert {(r["batch"], r["line_no"]) for r in newest}.isdisjoint(
        {(r["batch"], r["line_no"]) for r in older})
    assert client.get("/api/v1/monitoring/feeds/ids-http/rejects/summary",
                      headers=headers("sh_admin")).status_code == 404  # another province's
    assert client.get("/api/v1/monitoring/feeds/ids-http/rejects", params={"offset": -1},
                      headers=nat).status_code == 422
