"""Monitoring housekeeping (issue 15 item 4 and "bad input"), on both databases: events past
the retention period dropped with their raw and rejected lines (Law art. 21: at least six
months), closed days' aggregates compacted without changing any total, silent feeds flagged
once and their body told, the flag cleared when the feed sends again; the CLI and the worker
run it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from fenghuo.audit.models import AuditPending
from fenghuo.common.periods import day_of
from fenghuo.monitoring import housekeeping, ingest, sketch, store
from fenghuo.monitoring.models import Aggregate, Feed, IngestBatch, IngestReject, RawPiece, events
from fenghuo.monitoring.schemas import FeedIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org.accounts import principal_for
from fenghuo.workers.dispatch import Worker
from tests.cli import clean_env, fenghuo


def _alert(moment, src: str) -> bytes:
    stamp = moment.astimezone().strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    return json.dumps({"timestamp": stamp, "event_type": "alert", "src_ip": src,
                       "src_port": 4444, "dest_ip": "8.8.8.8", "dest_port": 80,
                       "alert": {"signature_id": 2024217, "signature": "ET MALWARE Emotet CnC",
                                 "category": "A Network Trojan was Detected"}}).encode()


@pytest.fixture
def feed(rt, principal):
    ingest.create_feed(rt.uow, rt.clock, principal=principal("bj_admin"), data=FeedIn(
        code="bank-ids", name_zh="银行传感器", name_en="bank sensor", body="bj-bank",
        format="suricata", expected_interval_minutes=60))
    return "bank-ids"


def _take(rt, feed, key, lines):
    return ingest.take_in(rt.uow, rt.clock, feed=feed, fmt=None,
                          chunks=[ingest.Chunk(key, lines)], received_by="test")[0]


def _count(rt, what, *where):
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(what).where(*where))


def test_retention_drops_old_events_with_their_raw_and_rejected_lines(rt, feed):
    start = rt.clock.now()
    old = _take(rt, feed, "old", [_alert(start - timedelta(hours=2), "61.135.1.1"), b"{bad"])
    rt.clock.advance(days=ingest.RETENTION_DAYS + 3)
    new = _take(rt, feed, "new", [_alert(rt.clock.now() - timedelta(hours=1), "61.135.1.2")])
    assert _count(rt, events) == 2 and _count(rt, IngestReject) == 1
    report = housekeeping.run(rt.uow, rt.clock)
    assert report.dropped >= 1
    assert _count(rt, events) == 1  # the young event stays
    assert _count(rt, RawPiece, RawPiece.batch_id == _batch(rt, "old")) == 0
    assert _count(rt, RawPiece, RawPiece.batch_id == _batch(rt, "new")) == 1
    assert _count(rt, IngestReject) == 0
    # the ledger stays: a very late re-delivery of the old batch is still counted once
    again = _take(rt, feed, "old", [_alert(start, "61.135.1.1")])
    assert again.duplicate and again.events == old.events and new.events == 1
    assert housekeeping.run(rt.uow, rt.clock).dropped == 0  # nothing left to drop


def _batch(rt, key):
    with rt.uow() as s:
        return s.scalar(select(IngestBatch.id).where(IngestBatch.key == key))


def _found(rt, principal, ip):
    return [e.observed_at for e in ingest.search_events(rt.uow, principal=principal("nat_admin"),
                                                        ip=ip)]


def _sqlite_rows(rt, table):
    with rt.uow() as s:
        return None if store.is_postgres(s) else s.scalar(text(f"SELECT count(*) FROM {table}"))


def test_a_closed_days_events_get_the_address_indexes_and_stay_searchable(rt, feed, principal):
    """Open days (today and yesterday) take events without the address and body indexes:
    unindexed partitions on PostgreSQL, the open table on SQLite (migration 0025); once the
    day is over they get them (on SQLite a chunk moves as many as it brings, housekeeping the
    rest), and every search finds the same events throughout."""
    moment = rt.clock.now() - timedelta(hours=1)
    _take(rt, feed, "a", [_alert(moment, "61.135.1.7"), _alert(moment, "61.135.1.7")])
    assert len(_found(rt, principal, "61.135.1.7")) == 2
    assert _sqlite_rows(rt, "monitoring_events_open") in (None, 2)
    rt.clock.advance(days=1)
    assert housekeeping.run(rt.uow, rt.clock).indexed == []  # yesterday is still open
    rt.clock.advance(days=1)
    today = rt.clock.now() - timedelta(hours=1)
    _take(rt, feed, "b", [_alert(today, "61.135.1.7")])
    assert _sqlite_rows(rt, "monitoring_events_indexed") in (None, 1)  # one of the two
    assert len(_found(rt, principal, "61.135.1.7")) == 3
    # PostgreSQL indexed the closed day's partition when today's was created, for "b"
    pg = rt.engine.dialect.name == "postgresql"
    assert housekeeping.run(rt.uow, rt.clock).indexed == ([] if pg else [day_of(moment)])
    assert housekeeping.run(rt.uow, rt.clock).indexed == []  # once
    assert _sqlite_rows(rt, "monitoring_events_open") in (None, 1)  # today's
    assert _sqlite_rows(rt, "monitoring_events_indexed") in (None, 2)
    _take(rt, feed, "c", [_alert(moment, "61.135.1.7")])  # a late one of the closed day
    assert _sqlite_rows(rt, "monitoring_events_indexed") in (None, 3)
    assert len(_found(rt, principal, "61.135.1.7")) == 4
    with rt.uow() as s:
        assert store.drop_before(s, day_of(rt.clock.now())) >= 1  # days or rows
    assert _found(rt, principal, "61.135.1.7") == [today]


def test_compaction_folds_a_closed_day_and_keeps_every_total(rt, feed):
    moment = rt.clock.now() - timedelta(hours=1)
    for i in range(3):  # three batches about the same indicator on the same day
        _take(rt, feed, f"b{i}", [_alert(moment, f"61.135.1.{i + j}") for j in range(4)])
    before = _totals(rt)
    rows = _count(rt, Aggregate)
    rt.clock.advance(days=3)  # the day is closed
    report = housekeeping.run(rt.uow, rt.clock)
    assert report.compacted == rows - len(before) > 0
    assert _count(rt, Aggregate) == len(before)
    assert _totals(rt) == before
    assert housekeeping.run(rt.uow, rt.clock).compacted == 0  # idempotent


def _totals(rt):
    """Per key: the count, the distinct-host estimate, first and last seen."""
    with rt.uow() as s:
        rows = s.scalars(select(Aggregate)).all()
        out: dict[tuple, list] = {}
        for r in rows:
            out.setdefault((r.day, r.body_id, r.kind, r.indicator), []).append(r)
        return {k: (sum(r.count for r in v), sketch.estimate(sketch.union([r.hosts for r in v])),
                    min(r.first_seen for r in v), max(r.last_seen for r in v))
                for k, v in out.items()}


def test_a_silent_feed_is_flagged_once_and_its_body_told(rt, feed):
    rt.clock.advance(minutes=59)
    assert housekeeping.run(rt.uow, rt.clock).silenced == []
    rt.clock.advance(minutes=2)
    assert housekeeping.run(rt.uow, rt.clock).silenced == [feed]
    assert housekeeping.run(rt.uow, rt.clock).silenced == []  # once per silence
    with rt.uow() as s:
        told = s.scalars(select(OutboxMessage).where(
            OutboxMessage.subject.contains("FEED SILENT"))).all()
        assert [m.address for m in told] == ["duty@bj-bank.example.cn"]
        assert "bank-ids" in told[0].text and "60" in told[0].text
        # issue 16 item 7: in words, Chinese first, what is asked, the unit and the page
        assert told[0].text.startswith("事件 What: 数据源 bank-ids")
        assert "要求 Asked: 检查数据源" in told[0].text and "单位 Unit: " in told[0].text
        assert json.loads(told[0].payload)["path"] == f"/web/monitoring/feeds/{feed}"
        assert s.scalar(select(func.count()).select_from(AuditPending).where(
            AuditPending.action == "feed.silent")) == 1
        assert s.scalar(select(Feed.silent_since).where(Feed.code == feed)) is not None
    listed = ingest.list_feeds(rt.uow, rt.clock, principal=_nat(rt))
    assert [f.silent for f in listed if f.code == feed] == [True]
    _take(rt, feed, "back", [_alert(rt.clock.now(), "61.135.1.1")])  # it sends again
    with rt.uow() as s:
        assert s.scalar(select(Feed.silent_since).where(Feed.code == feed)) is None
    rt.clock.advance(minutes=61)
    assert housekeeping.run(rt.uow, rt.clock).silenced == [feed]  # a new silence


def _nat(rt):
    return principal_for(rt.uow, username="nat_admin")


def test_the_worker_and_the_cli_run_it(rt, feed, db_url, tmp_path):
    rt.clock.advance(minutes=61)
    worker = Worker(rt, {}, reminder_seconds=3600)
    worker._next_housekeeping = 0  # due now (it waits two minutes after start)
    assert worker.housekeep_if_due().silenced == [feed]
    assert worker.housekeep_if_due() is None  # not due again for an hour
    ran = fenghuo("housekeep", env=clean_env(FENGHUO_DATABASE_URL=db_url), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "events observed before" in ran.stdout and "silent feeds flagged" in ran.stdout
