"""The Suricata fast path gives exactly the events the general parser gives (issue 15 item
2/4): the same kinds, sides, ports, times, malware, CVE, domain, URL and hash per line — on the
sample file (alerts of several kinds, metadata, HTTP and file fields, IPv6, an anomaly, skipped
types, malformed lines), on generated alerts with internal infected hosts and on lines mutated
byte by byte (escapes, duplicate keys, odd numbers, addresses and timestamps, broken JSON).
Both decoders of the fast path are checked: the compiled one (``_eve.c``) and msgspec."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenghuo.monitoring import fast
from fenghuo.monitoring.columns import from_events
from fenghuo.monitoring.events import Rejected
from fenghuo.monitoring.ingest import classify_alert
from fenghuo.monitoring.parsers import suricata

FIXTURE = Path(__file__).parents[2] / "fixtures" / "monitoring" / "suricata-eve.json"

#: the decoders of the fast path: compiled where it was built (CI builds it), and msgspec
DECODERS = [pytest.param(True, id="compiled"), pytest.param(False, id="msgspec")]


@pytest.fixture(params=DECODERS)
def compiled(request) -> bool:
    if request.param and fast._eve is None:
        pytest.fail("the compiled EVE decoder was not built (pip install -e . needs gcc)")
    return request.param


def _via_fast(lines: list[bytes], compiled: bool = True) -> tuple[set, set]:
    d = fast.decode_alerts(lines, 1, classify_alert, "f", compiled=compiled)
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


def test_the_sample_file_gives_the_same_events_both_ways(compiled):
    lines = FIXTURE.read_bytes().splitlines()
    fast_rows, fast_rejected = _via_fast(lines, compiled)
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
    expected = _via_parser(lines)
    assert _via_fast(lines, compiled=False) == expected
    if fast._eve is not None:
        assert _via_fast(lines, compiled=True) == expected


#: pieces a mutation puts into a line: escapes, non-ASCII, numbers, literals, structure
PIECES = st.sampled_from([b'\\', b'\\u0041', b'\\n', b'\xe4\xb8\xad', b'\x00', b'\x1f', b'"', b',',
                          b':', b'{', b'}', b'[', b']', b'null', b'true', b'1e5', b'-0', b'01',
                          b'1.5', b'99999', b'-1', b' ', b'"alert"'])
#: odd values of the fields the fast path reads
ODD = st.sampled_from([
    ("timestamp", "2026-02-29T00:00:00.000000+0800"),
    ("timestamp", "2028-02-29T23:59:59.999999-1130"),
    ("timestamp", "2026-11-01T24:00:00.000000+0800"),
    ("timestamp", "2026-11-01T10:00:00.000000+2400"),
    ("timestamp", "2026-11-01 10:00:00.000000+0800"), ("timestamp", "2026-11-01T10:00:00.000000Z"),
    ("timestamp", None), ("timestamp", 5), ("event_type", "anomaly"), ("event_type", "dns"),
    ("event_type", ""), ("event_type", None), ("src_ip", "01.2.3.4"), ("src_ip", "1.2.3.256"),
    ("src_ip", "1.2.3"), ("src_ip", ""), ("src_ip", None), ("src_ip", "::ffff:1.2.3.4"),
    ("dest_ip", "1.2.3.4 "), ("dest_ip", 16909060), ("src_port", 70000), ("src_port", -1),
    ("src_port", 80.0), ("src_port", None), ("src_port", "80"), ("dest_port", 0),
    ("alert", None), ("alert", []), ("alert", {"signature_id": 9}), ("alert", {"signature": "x"}),
    ("alert", {"signature_id": 2**63, "signature": "x", "category": "y"}),
    ("alert", {"signature_id": -3, "signature": "x\ty", "category": "Not Suspicious Traffic"}),
    ("alert", {"signature_id": 3, "signature": "木马", "category": "y"}),
    ("alert", {"signature_id": 3, "signature": None, "category": "y"}),
    ("alert", {"signature_id": 3, "signature": "x", "category": "y", "metadata": None}),
    ("direction", "to_client"), ("direction", None), ("direction", 1),
    ("flow", {"src_ip": None}), ("flow", {"src_ip": "10.0.0.1"}), ("flow", "src_ip"),
    ("flow", {"a": {"src_ip": "1.1.1.1"}}), ("http", None), ("tls", {}), ("files", []),
    ("fileinfo", {"sha256": "a" * 64}), ("extra", {"deep": [[[[{"x": [1e400, -0.0]}]]]]}),
])


@st.composite
def mutated(draw) -> bytes:
    """An alert line with odd field values, then perhaps a few pieces inserted, bytes replaced
    or the line cut."""
    extra = dict(draw(st.lists(ODD, max_size=3)))
    rec = json.loads(_alert(draw(ADDRESSES), draw(ADDRESSES), draw(SIGNATURES)))
    rec.update(extra)
    line = bytearray(json.dumps(rec, ensure_ascii=draw(st.booleans())).encode())
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["insert", "replace", "cut"]))
        if action == "cut":
            del line[at:]
        elif action == "insert":
            line[at:at] = draw(PIECES)
        elif at < len(line):
            line[at] = draw(st.integers(0, 255))
    return bytes(line)


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_mutated_lines_give_the_same_events_every_way(lines):
    expected = _via_parser(lines)
    assert _via_fast(lines, compiled=False) == expected
    if fast._eve is not None:
        assert _via_fast(lines, compiled=True) == expected


def _status(line: bytes) -> int:
    return fast._eve.decode([line])[0][0]


@pytest.mark.skipif(fast._eve is None, reason="the compiled EVE decoder was not built")
@pytest.mark.parametrize(("change", "status"), [
    ({}, 0),
    ({"event_type": "flow"}, 2),
    ({"event_type": "anomaly"}, 1),
    ({"src_ip": "1.02.3.4"}, 1),  # a leading zero: inet_pton refuses it
    ({"src_ip": "2001:db8::1"}, 1),
    ({"src_ip": None}, 0),
    ({"src_port": 65536}, 1),
    ({"src_port": None}, 0),
    ({"timestamp": "2027-02-29T10:00:00.000000+0800"}, 1),  # not a leap year
    ({"timestamp": "2028-02-29T10:00:00.000000+0800"}, 0),
    ({"timestamp": "2026-11-01T10:00:00+08:00"}, 1),  # another shape: the general parser
    ({"alert": None}, 1),
    ({"http": None}, 1),
    ({"alert": {"signature_id": 7, "signature": "s", "category": "c", "metadata": {}}}, 1),
    ({"alert": {"signature_id": 7.0, "signature": "s", "category": "c"}}, 1),
    ({"alert": {"signature_id": 7, "signature": "Trojan \u4e2d", "category": "c"}}, 1),
])
def test_the_compiled_decoder_sorts_each_line(change, status):
    assert _status(_alert("61.135.1.1", "203.0.113.5", "sig", **change)) == status


@pytest.mark.skipif(fast._eve is None, reason="the compiled EVE decoder was not built")
def test_the_compiled_decoder_refuses_what_it_is_unsure_of():
    good = _alert("61.135.1.1", "203.0.113.5", "sig")
    assert _status(good + b" \n") == 0
    assert _status(good[:-1] + b', "src_ip": "1.1.1.1"}') == 1  # a duplicate key
    assert _status(good[:-1] + b', "x": "\\u0041"}') == 1  # a \u escape anywhere
    assert _status(good[:-1] + b', "x": "\xe4\xb8\xad"}') == 1  # not ASCII
    assert _status(good + b"x") == 1 and _status(good[:-1]) == 1 and _status(b"") == 1
    assert _status(b"[" * 100 + b"]" * 100) == 1
    with pytest.raises(TypeError):
        fast._eve.decode(["not bytes"])


@pytest.mark.skipif(fast._eve is None, reason="the compiled EVE decoder was not built")
def test_the_compiled_decoder_reads_times_and_addresses_exactly():
    line = _alert("255.255.255.255", "0.0.0.0", "sig",
                  timestamp="1999-12-31T23:59:59.999999-0130")
    out = fast._eve.decode([line])
    time_us = int.from_bytes(out[2], "little", signed=True)
    assert time_us == fast.parse_time("1999-12-31T23:59:59.999999-01:30")
    assert int.from_bytes(out[4], "little") == 0xFFFFFFFF and out[5] == b"\x01"
    assert int.from_bytes(out[6], "little") == 0 and out[7] == b"\x01"
    assert out[12:] == (["255.255.255.255"], ["0.0.0.0"],
                        [(4, "sig", "A Network Trojan was Detected")])


@pytest.mark.skipif(fast._eve is None, reason="the compiled EVE decoder was not built")
def test_one_signature_id_worded_two_ways_gives_two_shapes():
    """Two rule revisions may word one id differently: each wording is classified."""
    a = _alert("61.135.1.1", "203.0.113.5", "ET SCAN Potential SSH")
    b = a.replace(b"ET SCAN Potential SSH", b"ET MALWARE Win32/Emotet CnC Act")  # same length
    out = fast._eve.decode([a, b, a])
    assert list(np.frombuffer(out[3], dtype=np.int32)) == [0, 1, 0]
    assert [t[1] for t in out[14]] == ["ET SCAN Potential SSH", "ET MALWARE Win32/Emotet CnC Act"]
    assert _via_fast([a, b], compiled=True) == _via_parser([a, b])


def test_plain_alerts_take_the_fast_way():
    plain = [_alert("61.135.1.1", "203.0.113.5", "ET SCAN Potential SSH")] * 3
    rich = _alert("61.135.1.1", "203.0.113.5", "ET SCAN Potential SSH",
                  http={"hostname": "a.example.com", "url": "/x"})
    records = fast._decode_all([*plain, rich, b'{"event_type": "flow"}', b"{bad"])
    assert fast._split(records) == ([0, 1, 2], [3, 5])
