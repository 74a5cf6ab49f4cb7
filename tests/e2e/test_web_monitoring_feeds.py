"""Sensors and feeds in the console (issue 15 items 2–3) on both databases: an office registers a
feed through the form and sees its machine token once; batches sent with that token over the
real API leave their unreadable lines aside, shown on the feed's page with reason, line number
and the raw text escaped, paged and counted; a feed that sends nothing beyond its expected
interval is flagged silent (已中断); another province's feed is not found (Law art. 30)."""

from __future__ import annotations

import json
import re

from tests.e2e.test_web_form import csrf, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PAGE = "/web/monitoring/feeds"


def _alert(ts: str, src: str) -> bytes:
    return json.dumps({"timestamp": ts, "event_type": "alert", "src_ip": src, "src_port": 4444,
                       "dest_ip": "203.0.113.9", "dest_port": 443, "proto": "TCP",
                       "alert": {"signature_id": 2035595,
                                 "signature": "ET MALWARE Cobalt Strike Beacon Observed",
                                 "category": "A Network Trojan was Detected"}}).encode()


def _create(client, **fields):
    page = client.get(PAGE)
    data = {"csrf": csrf(page.text), "code": "bj-ids", "name_zh": "北京传感器",
            "name_en": "Beijing sensor", "body": "110000.office", "format": "suricata",
            "expected_interval_minutes": "60", **fields}
    return client.post(PAGE, data=data)


def _send(client, token: str, lines: list[bytes], key: str):
    r = client.post("/api/v1/monitoring/events", content=b"\n".join(lines) + b"\n",
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key,
                             "Content-Type": "application/x-ndjson"})
    assert r.status_code == 201, r.text
    return r.json()


def _status(html: str, code: str) -> str:
    row = re.search(rf'<tr id="feed-{code}".*?</tr>', html, re.S).group(0)
    return re.search(r'<td class="fd-status"><span class="fd-badge[^"]*">([^<]+)<', row).group(1)


def test_a_feed_is_registered_its_rejects_shown_and_its_silence_flagged(client, rt):
    login(client, "bj_admin")
    r = _create(client)
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    token = re.search(r'id="feed-token-value">(fhf_[^<]+)<', r.text).group(1)
    page = client.get(PAGE, headers=ZH)
    assert token not in page.text and "传感器与数据源" in page.text  # shown once
    assert 'id="nav-monitoring-feeds" aria-current="page"' in page.text
    assert _status(page.text, "bj-ids") == "正常" and "尚未接收" in page.text
    bad = [b"<script>alert(1)</script>" if i == 28 else f"broken {i}".encode()
           for i in range(29)]
    out = _send(client, token, [_alert("2026-11-01T10:00:00.000000+0800", "61.135.1.1"),
                                *bad], "b1")
    assert (out["events"], out["rejected"]) == (1, 29)
    _send(client, token, [b"{\"event_type\": \"alert\"}"], "b2")
    feed = client.get(f"{PAGE}/bj-ids", headers=ZH)
    assert feed.status_code == 200 and "单独保存 30 行，来自 2 个批次。" in feed.text
    assert len(re.findall(r'<tr class="reject">', feed.text)) == 25
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in feed.text
    assert "<script>alert(1)</script>" not in feed.text
    lines = re.findall(r'class="n reject-line">(\d+)<', feed.text)
    assert lines[:2] == ["1", "30"]  # batch b2's only line, the newest first; then b1's
    second = client.get(f"{PAGE}/bj-ids?page=2", headers=ZH)
    assert len(re.findall(r'<tr class="reject">', second.text)) == 5
    assert re.findall(r'class="n reject-line">(\d+)<', second.text)[-1] == "2"
    assert 'id="reject-reasons"' in feed.text
    # an hour and a minute without a batch: silent
    rt.clock.advance(minutes=61)
    page = client.get(PAGE, headers=ZH)
    assert _status(page.text, "bj-ids") == "已中断" and 'data-silent="true"' in page.text
    assert "1 个数据源已中断。" in page.text
    assert 'id="feed-silent"' in client.get(f"{PAGE}/bj-ids", headers=ZH).text
    en = client.get(PAGE, headers={"Accept-Language": "en"})
    assert _status(en.text, "bj-ids") == "silent"
    _send(client, token, [_alert("2026-11-01T10:05:00.000000+0800", "61.135.1.1")], "b3")
    assert _status(client.get(PAGE, headers=ZH).text, "bj-ids") == "正常"


def test_another_provinces_feed_is_not_found(client):
    login(client, "bj_admin")
    assert _create(client).status_code == 201
    shanghai = client.__class__(client.app)
    login(shanghai, "sh_admin")
    assert 'id="feed-bj-ids"' not in shanghai.get(PAGE).text
    r = shanghai.get(f"{PAGE}/bj-ids")
    assert r.status_code == 404 and "您的管辖范围内没有该编号对应的记录" in r.text
    assert client.get(f"{PAGE}/bj-ids").status_code == 200
    reader = client.__class__(client.app)
    login(reader, "bj_ro")  # may read feeds, not their rejected lines (as in the API)
    page = reader.get(f"{PAGE}/bj-ids", headers=ZH)
    assert page.status_code == 200 and 'id="rejects-forbidden"' in page.text
    assert 'id="create-feed"' not in reader.get(PAGE).text


def test_the_feed_form_checks_its_fields_and_csrf(client):
    login(client, "bj_admin")
    r = _create(client, csrf="forged")
    assert r.status_code == 401 and 'id="feed-bj-ids"' not in client.get(PAGE).text
    r = _create(client, code="Bad Code", name_zh="", expected_interval_minutes="0")
    assert r.status_code == 422
    assert re.search(r'id="code-error">请使用小写字母', r.text)
    assert re.search(r'id="name_zh-error">此项必填。', r.text)
    assert re.search(r'id="expected_interval_minutes-error">至少为 1。', r.text)
    assert 'value="Bad Code"' in r.text and "fhf_" not in r.text
    r = _create(client, body="310000.office")
    assert r.status_code == 422 and 'id="body-error"' in r.text
    assert _create(client).status_code == 201
    r = _create(client, name_en="again")
    assert r.status_code == 409 and 'id="code-error"' in r.text and "exists" in r.text
