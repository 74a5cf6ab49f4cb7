"""The Suricata fast path gives exactly the events the general parser gives (issue 15 item
2/4): the same kinds, sides, ports, times, malware, CVE, domain, URL and hash per line — on the
sample file (alerts of several kinds, metadata, HTTP and file fields, IPv6, an anomaly, skipped
types, malformed lines) and on generated alerts with internal infected hosts."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fenghuo.monitoring import fast
from fenghuo.monitoring.columns import from_events
from fenghuo.monitoring.events import Rejected
from fenghuo.monitoring.ingest import classify_alert
from fenghuo.monitoring.parsers import suricata

FIXTURE = Path(__file__).parents[2] / "fixtures" / "monitoring" / "suricata-eve.json"


def _via_fast(lines: list[bytes]) -> tuple[set, set]:
    d = fast.decode_alerts(lines, 1, classify_alert, "f")
    c = d.columns
    rows = set()
    for i in range(c.n):
        sh = c.shapes[c.shape[i]]
        rows.add((int(c.line_no[i]), sh.kind, sh.indicator, c.source[i], c.destination[i],
                  int(c.source_port[i]), int(c.destination_port[i]), int(c.time_us[i]),
                  sh.domain, sh.url, sh.hash, sh.cve, sh.malware))
    return rows, {r.line_no for r in d.rejected}


def _via_parser(lines: list[bytes]) -> tuple[set, set]:
    rows, rejected = set(), set()
    for no, line in enumerate(lines, 1):
        for item in suricata.parse(io.BytesIO(line), feed="f"):
            if isinstance(item, Rejected):
                rejected.add(no)
                continue
            c = from_events([item], [no])
            sh = c.shapes[0]
            rows.add((no, sh.kind, sh.indicator, c.source[0], c.destination[0],
                      int(c.source_port[0]), int(c.destination_port[0]), int(c.time_us[0]),
                      sh.domain, sh.url, sh.hash, sh.cve, sh.malware))
    return rows, rejected


def test_the_sample_file_gives_the_same_events_both_ways():
    lines = FIXTURE.read_bytes().splitlines()
    fast_rows, fast_rejected = _via_fast(lines)
    slow_rows, slow_rejected = _via_parser(lines)
    assert fast_rows == slow_rows
    assert fast_rejected == slow_rejected
    assert len(fast_rows) == 18 and len(fast_rejected) >= 2


def _alert(src: str, dst: str, sig: str, **extra) -> bytes:
    rec = {"timestamp": "2026-11-01T10:00:00.123456+0800", "event_type": "alert",
           "src_ip": src, "src_port": 1234, "dest_ip": dst, "dest_port": 443, "proto": "TCP",
           "alert": {"signature_id": 1 + len(sig), "signature": sig,
                     "category": "A Network Trojan was Detected"}, **extra}
    return json.dumps(rec).encode()


ADDRESSES = st.sampled_from(["10.1.2.3", "192.168.0.9", "100.64.1.1", "61.135.1.1",
                             "203.0.113.5", "2001:db8::5", "172.20.0.1"])
SIGNATURES = st.sampled_from(["ET MALWARE Win32/Emotet CnC Activity", "ET SCAN Potential SSH",
                              "ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)",
                              "ET POLICY curl User-Agent"])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(ADDRESSES, ADDRESSES, SIGNATURES,
                          st.sampled_from([{}, {"direction": "to_client"},
                                           {"flow": {"src_ip": "203.0.113.5"}}])),
                min_size=1, max_size=8))
def test_generated_alerts_give_the_same_events_both_ways(items):
    lines = [_alert(s, d, sig, **extra) for s, d, sig, extra in items]
    assert _via_fast(lines) == _via_parser(lines)


def test_plain_alerts_take_the_fast_way():
    plain = [_alert("61.135.1.1", "203.0.113.5", "ET SCAN Potential SSH")] * 3
    rich = _alert("61.135.1.1", "203.0.113.5", "ET SCAN Potential SSH",
                  http={"hostname": "a.example.com", "url": "/x"})
    records = fast._decode_all([*plain, rich, b'{"event_type": "flow"}', b"{bad"])
    assert fast._split(records) == ([0, 1, 2], [3, 5])
