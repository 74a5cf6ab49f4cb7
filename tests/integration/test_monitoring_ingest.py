"""The constituency register and machine ingest (issue 15 items 1, 3, 4), on both databases:
scope, all-or-nothing imports, longest-prefix and domain-suffix attribution, the batch ledger
(a batch counted once), rejects kept with their reasons, events, raw lines and aggregates."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text

from fenghuo.common.errors import Conflict, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.monitoring import ingest, register, sketch, store
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.models import Aggregate, IngestReject, events
from fenghuo.monitoring.schemas import EntryIn, FeedIn
from fenghuo.org.models import Body


def _entries(rt, principal):
    register.import_entries(rt.uow, rt.clock, principal=principal("bj_admin"), rows=[
        EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16",
                verified_by="Beijing office"),
        EntryIn(body="bj-telco", kind=EntryKind.PREFIX, value="61.135.8.0/28"),
        EntryIn(body="bj-bank", kind=EntryKind.DOMAIN, value="bank.com.cn"),
        EntryIn(body="110000.office", kind=EntryKind.PREFIX, value="222.186.0.0/16",
                role=Role.JURISDICTION),
    ])


def _alert(ts: str, src: str, dst: str, sid: int = 2024217,
           sig: str = "ET MALWARE Win32/Emotet CnC Activity") -> bytes:
    return json.dumps({"timestamp": ts, "event_type": "alert", "src_ip": src, "src_port": 4444,
                       "dest_ip": dst, "dest_port": 80, "proto": "TCP",
                       "alert": {"signature_id": sid, "signature": sig,
                                 "category": "A Network Trojan was Detected",
                                 "severity": 1}}).encode()


LINES = [
    _alert("2026-11-01T09:00:00.000000+0800", "61.135.1.1", "8.8.8.8"),  # bj-bank (/16)
    _alert("2026-11-01T09:00:01.000000+0800", "61.135.8.3", "8.8.8.8"),  # bj-telco (/28 wins)
    _alert("2026-11-01T09:00:02.000000+0800", "8.8.4.4", "61.135.1.2"),  # bj-bank by destination
    _alert("2026-11-01T09:00:03.000000+0800", "222.186.7.7", "1.1.1.1"),  # Beijing's space
    _alert("2026-11-01T09:00:04.000000+0800", "1.2.3.4", "5.6.7.8"),  # national queue
    b"{not json",
    b'{"timestamp": "2026-11-01T09:00:05.000000+0800", "event_type": "flow"}',
    _alert("1999-01-01T00:00:00.000000+0800", "61.135.1.1", "8.8.8.8"),  # beyond retention
    _alert("2026-11-01T09:00:06.000000+0800", "61.135.1.1", "8.8.8.8"),  # same host again
]


@pytest.fixture
def feed(rt, principal):
    _entries(rt, principal)
    ingest.create_feed(rt.uow, rt.clock, principal=principal("nat_admin"), data=FeedIn(
        code="ids-1", name_zh="传感器", name_en="sensor", body="cn.cncert", format="suricata",
        expected_interval_minutes=60))
    return "ids-1"


def _body_id(rt, key):
    with rt.uow() as s:
        return s.scalar(select(Body.id).where(Body.key == key))


def test_register_is_scoped_and_longest_prefix_wins(rt, principal, feed):
    # a unit sees its own entries only; an office those of its jurisdiction (Law art. 30)
    own = register.list_entries(rt.uow, principal=principal("bj_reporter"),
                                page=PageParams(limit=50, offset=0))
    assert {e.value for e in own.items} == {"61.135.0.0/16", "bank.com.cn"}
    office = register.list_entries(rt.uow, principal=principal("bj_admin"),
                                   page=PageParams(limit=50, offset=0))
    assert office.total == 4
    assert register.list_entries(rt.uow, principal=principal("sh_admin"),
                                 page=PageParams(limit=50, offset=0)).total == 0
    # another province cannot register for a Beijing unit
    with pytest.raises(ValidationFailed) as exc:
        register.put_entry(rt.uow, rt.clock, principal=principal("sh_admin"), data=EntryIn(
            body="bj-bank", kind=EntryKind.PREFIX, value="10.0.0.0/8"))
    assert exc.value.errors[0].field == "body"
    look = register.lookup(rt.uow, principal=principal("bj_admin"), query="61.135.8.9")
    assert (look.body, look.level, look.matched) == ("bj-telco", "owner", "61.135.8.0/28")
    look = register.lookup(rt.uow, principal=principal("bj_admin"), query="a.b.bank.com.cn")
    assert (look.body, look.matched) == ("bj-bank", "bank.com.cn")
    look = register.lookup(rt.uow, principal=principal("bj_admin"), query="222.186.0.1")
    assert (look.body, look.level) == ("110000.office", "jurisdiction")
    assert register.lookup(rt.uow, principal=principal("bj_admin"),
                           query="9.9.9.9").level == "national"


def test_register_rejects_bad_rows_whole(rt, principal, feed):
    rows = [EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.136.0.0/16"),
            EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.137.0.1/16")]
    with pytest.raises(ValidationFailed) as exc:
        register.import_entries(rt.uow, rt.clock, principal=principal("bj_admin"), rows=rows)
    err = exc.value.errors[0]
    assert (err.row, err.field) == (2, "value") and "host bits" in err.message
    values = {e.value for e in register.list_entries(
        rt.uow, principal=principal("bj_admin"), page=PageParams(limit=50, offset=0)).items}
    assert "61.136.0.0/16" not in values  # nothing half-written
    # a public suffix is not a domain anyone holds; an operator holds no jurisdiction
    with pytest.raises(ValidationFailed):
        register.put_entry(rt.uow, rt.clock, principal=principal("bj_admin"), data=EntryIn(
            body="bj-bank", kind=EntryKind.DOMAIN, value="com.cn"))
    with pytest.raises(ValidationFailed) as exc:
        register.put_entry(rt.uow, rt.clock, principal=principal("bj_admin"), data=EntryIn(
            body="bj-bank", kind=EntryKind.PREFIX, value="10.0.0.0/8", role=Role.JURISDICTION))
    assert exc.value.errors[0].field == "role"
    with pytest.raises(Conflict):
        register.put_entry(rt.uow, rt.clock, principal=principal("bj_admin"), data=EntryIn(
            body="bj-telco", kind=EntryKind.PREFIX, value="61.135.0.0/16"))


def test_ingest_attributes_aggregates_and_counts_a_batch_once(rt, principal, feed):
    chunk = ingest.Chunk("file:eve:1", LINES)
    [first] = ingest.take_in(rt.uow, rt.clock, feed=feed, fmt=None, chunks=[chunk],
                             received_by="nat_admin")
    assert (first.lines, first.events, first.rejected, first.skipped) == (9, 6, 2, 1)
    assert (first.owner, first.jurisdiction, first.national) == (4, 1, 1)
    [again] = ingest.take_in(rt.uow, rt.clock, feed=feed, fmt=None, chunks=[chunk],
                             received_by="nat_admin")
    assert again.duplicate and again.events == 6
    bank, telco = _body_id(rt, "bj-bank"), _body_id(rt, "bj-telco")
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(events)) == 6
        rows = s.scalars(select(Aggregate).where(Aggregate.body_id == bank)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.kind, row.indicator, row.count, row.day) == (
            "infected-system", "malware:emotet", 3, date(2026, 11, 1))
        assert sketch.estimate(sketch.decode(row.hosts)) == 2  # 61.135.1.1 twice, .1.2 once
        assert s.scalar(select(Aggregate.count).where(Aggregate.body_id == telco)) == 1
        national = s.scalar(select(Aggregate).where(Aggregate.body_id.is_(None)))
        assert national.level == 2 and national.jurisdiction_path == "/"
        reasons = sorted(r.reason for r in s.scalars(select(IngestReject)))
        assert reasons[0].startswith("malformed JSON")
        assert reasons[1].startswith("time outside the retention window")
        ev = s.execute(select(events).where(events.c.destination_ip == "61.135.1.2")).one()
        assert ev.body_id == bank and ev.level == 0 and ev.line_no == 3
        assert json.loads(store.raw_line(s, ev.batch_id, ev.line_no))["dest_ip"] == "61.135.1.2"
    rejects = ingest.rejects(rt.uow, principal=principal("nat_admin"), feed=feed)
    assert {r.line_no for r in rejects} == {6, 8}


def test_partitions_are_daily_and_dropped_whole(rt, principal, feed):
    lines = [_alert("2026-10-30T10:00:00.000000+0800", "61.135.1.1", "8.8.8.8"),
             _alert("2026-10-31T23:59:59.000000+0800", "61.135.1.1", "8.8.8.8"),
             _alert("2026-11-01T00:00:00.000000+0800", "61.135.1.1", "8.8.8.8")]
    ingest.take_in(rt.uow, rt.clock, feed=feed, fmt=None, chunks=[ingest.Chunk("k", lines)],
                   received_by="nat_admin")
    with rt.uow() as s:
        if store.is_postgres(s):  # (a pooled test database may hold other tests' partitions)
            assert {date(2026, 10, 30), date(2026, 10, 31), date(2026, 11, 1)} <= set(
                store.partitions(s))
        if store.is_postgres(s):
            # the FakeClock's day is 2026-11-01: only the 30th is over (today and yesterday
            # stay open); its partition got the address and body indexes in bulk
            indexed = set(s.scalars(text(
                "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'monitoring_events_p%'")))
            assert "monitoring_events_p20261030_source_ip" in indexed
            assert "monitoring_events_p20261031_source_ip" not in indexed
            store.index_closed(s, date(2026, 11, 3))
            assert "monitoring_events_p20261101_body" in set(s.scalars(text(
                "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'monitoring_events_p%'")))
        else:
            assert "ix_monitoring_events_source_ip" in set(s.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'index'")))
        store.drop_before(s, date(2026, 10, 31))
        assert s.scalar(select(func.count()).select_from(events)) == 2
        if store.is_postgres(s):
            assert min(store.partitions(s)) == date(2026, 10, 31)


def test_ipv6_and_the_general_path_store_the_same_fields(rt, principal, feed):
    register.put_entry(rt.uow, rt.clock, principal=principal("bj_admin"), data=EntryIn(
        body="bj-bank", kind=EntryKind.PREFIX, value="2001:db8:100::/48"))
    v6 = _alert("2026-11-01T09:10:00.000000+0800", "2001:db8:100::7", "203.0.113.5")
    [b] = ingest.take_in(rt.uow, rt.clock, feed=feed, fmt=None, received_by="nat_admin",
                         chunks=[ingest.Chunk("v6", [v6])])
    assert (b.events, b.owner) == (1, 1)
    urls = b"\n".join([b"# url list", b"http://phish.bank.com.cn/login", b"http://x.example.org/"])
    [u] = ingest.take_in(rt.uow, rt.clock, feed=feed, fmt="url-feed", received_by="nat_admin",
                         chunks=[ingest.Chunk("urls", urls.split(b"\n"))])
    assert (u.events, u.owner, u.national) == (2, 1, 1)  # bank.com.cn is bj-bank's domain
    with rt.uow() as s:
        row = s.execute(select(events).where(events.c.source_ip == "2001:db8:100::7")).one()
        assert (row.body_id, str(row.destination_ip), row.source_port) == (
            _body_id(rt, "bj-bank"), "203.0.113.5", 4444)
        phish = s.execute(select(events).where(events.c.domain == "phish.bank.com.cn")).one()
        assert phish.url == "http://phish.bank.com.cn/login" and phish.source_ip is None
        assert phish.body_id == _body_id(rt, "bj-bank") and phish.line_no == 2


def test_register_entries_are_found_by_the_start_of_their_value(rt, principal, feed):
    register.put_entry(rt.uow, rt.clock, principal=principal("bj_admin"), data=EntryIn(
        body="bj-telco", kind=EntryKind.ASN, value="AS4808"))
    bj = principal("bj_admin")

    def values(q):
        return [e.value for e in register.list_entries(rt.uow, principal=bj,
                                                       page=PageParams(), q=q).items]

    assert values("61.135.") == ["61.135.0.0/16", "61.135.8.0/28"]
    assert values("61.135.8") == ["61.135.8.0/28"]
    assert values("BANK.com") == ["bank.com.cn"]
    assert values("AS4808") == ["4808"] and values("4808") == ["4808"]
    assert values("61.135_") == [] and values("%") == []  # wildcards are literal
