"""Scheduled collectors (issue 15 items 2–3), on both databases, against real local HTTP peers
(tests/collector_peers.py): a URL pulled by conditional GET (304 takes nothing, changed content
is taken once), a TAXII 2.1 collection read page by page (``more``/``next``, or ``added_after``
with X-TAXII-Date-Added-Last), a restart from an old state (a crash between the take-in and
the state save) counting nothing twice, failures recorded and retried without skipping, the
scope of the configuration (Law art. 30), and the worker's collector job."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from fenghuo.audit.models import AuditEntry, AuditPending
from fenghuo.common.errors import Forbidden, NotFound, ValidationFailed
from fenghuo.monitoring import collectors, ingest
from fenghuo.monitoring.models import Feed, IngestBatch, events
from fenghuo.monitoring.schemas import CollectorIn, CollectorKind, FeedIn
from fenghuo.workers.dispatch import Worker
from tests.collector_peers import FeedPeer, TaxiiPeer, indicator
from tests.peers import free_port
from tests.waits import scaled

URLS = b"http://bad.example/a.exe\nevil.example\n"


def _feed(rt, principal, code="urls-1", fmt="url-feed", body="cn.cncert", user="nat_admin"):
    ingest.create_feed(rt.uow, rt.clock, principal=principal(user), data=FeedIn(
        code=code, name_zh="采集", name_en="collected", body=body, format=fmt))
    return code


def _set(rt, principal, code, url, user="nat_admin", every=15, **kw):
    return collectors.set_collector(rt.uow, rt.clock, principal=principal(user), code=code,
                                    data=CollectorIn(url=url, interval_minutes=every, **kw))


def _count(rt, code):
    """(batches, events) of a feed."""
    with rt.uow() as s:
        fid = s.scalar(select(Feed.id).where(Feed.code == code))
        return (s.scalar(select(func.count()).select_from(IngestBatch)
                         .where(IngestBatch.feed_id == fid)),
                s.scalar(select(func.count()).select_from(events)
                         .where(events.c.feed_id == fid)))


def _state(rt, code):
    with rt.uow() as s:
        f = s.scalar(select(Feed).where(Feed.code == code))
        return json.loads(f.collector_state), f.next_run_at


def _restore(rt, code, state):
    """A crash after the take-in and before the state save: the old state, and due now."""
    with rt.uow() as s:
        f = s.scalar(select(Feed).where(Feed.code == code))
        f.collector_state, f.next_run_at = json.dumps(state), rt.clock.now()


def _audit(rt, action):
    with rt.uow() as s:
        rows = [*s.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)),
                *s.scalars(select(AuditPending.detail).where(AuditPending.action == action))]
    return [json.loads(r) if isinstance(r, str) else r for r in rows]


def test_url_pull_is_conditional_and_takes_changed_content_once(rt, principal, clock):
    code = _feed(rt, principal)
    with FeedPeer(URLS) as peer:
        shown = _set(rt, principal, code, peer.url)
        assert shown.collector.kind is CollectorKind.URL
        assert shown.collector.next_run_at == clock.now()  # runs at the next check
        [first] = collectors.collect_due(rt.uow, clock)
        assert (first.outcome, first.batches, first.events) == ("taken", 1, 2)
        assert first.next_run_at == clock.now() + timedelta(minutes=15)
        assert collectors.collect_due(rt.uow, clock) == []  # not due again yet
        assert len(peer.requests) == 1
        clock.advance(minutes=15)
        [again] = collectors.collect_due(rt.uow, clock)
        assert again.outcome == "unchanged"
        assert peer.requests[-1]["headers"]["If-None-Match"].startswith('"')
        assert peer.requests[-1]["headers"]["If-Modified-Since"] == peer.last_modified
        assert _count(rt, code) == (1, 2)
        peer.content = URLS + b"http://other.example/b.exe\n"
        clock.advance(minutes=15)
        [changed] = collectors.collect_due(rt.uow, clock)
        assert (changed.outcome, changed.batches, changed.events) == ("taken", 1, 3)
        clock.advance(minutes=15)
        assert collectors.collect_due(rt.uow, clock)[0].outcome == "unchanged"
    assert _count(rt, code) == (2, 5)
    [listed] = [f for f in ingest.list_feeds(rt.uow, clock, principal=principal("nat_admin"))
                if f.code == code]
    assert listed.collector.last_error is None and listed.collector.failures == 0
    assert listed.collector.last_success_at == clock.now()
    assert [d["batches"] for d in _audit(rt, "feed.collect")] == [1, 1]


def test_a_crash_before_the_state_save_counts_nothing_twice(rt, principal, clock):
    code = _feed(rt, principal)
    with FeedPeer(URLS) as peer:
        _set(rt, principal, code, peer.url)
        before, _ = _state(rt, code)
        assert collectors.collect_due(rt.uow, clock)[0].outcome == "taken"
        _restore(rt, code, before)  # the ETag never saved
        [rerun] = collectors.collect_due(rt.uow, clock)
        assert "If-None-Match" not in peer.requests[-1]["headers"]  # fetched in full again
        assert (rerun.outcome, rerun.batches, rerun.duplicates) == ("unchanged", 0, 1)
    assert _count(rt, code) == (1, 2)
    assert _state(rt, code)[0]["etag"]  # and now the position is saved


def test_failures_are_recorded_and_retried_without_skipping(rt, principal, clock):
    code = _feed(rt, principal)
    with FeedPeer(URLS) as peer:
        _set(rt, principal, code, peer.url)
        peer.fail = 2
        [failed] = collectors.collect_due(rt.uow, clock)
        assert failed.outcome == "failed" and "HTTP 503" in failed.error
        clock.advance(minutes=15)
        assert collectors.collect_due(rt.uow, clock)[0].error == failed.error
        state, next_at = _state(rt, code)
        assert state["failures"] == 2 and "HTTP 503" in state["last_error"]
        assert next_at == clock.now() + timedelta(minutes=15)
        assert _count(rt, code) == (0, 0)
        assert len(_audit(rt, "feed.collect.failed")) == 1  # the same error is audited once
        clock.advance(minutes=15)
        [ok] = collectors.collect_due(rt.uow, clock)
    assert (ok.outcome, ok.events) == ("taken", 2)
    state, _ = _state(rt, code)
    assert state["failures"] == 0 and state["last_error"] is None
    # a peer that is not there at all: recorded the same way, the loop goes on
    other = _feed(rt, principal, code="urls-2")
    _set(rt, principal, other, f"http://127.0.0.1:{free_port()}/gone.txt")
    [gone] = collectors.collect_due(rt.uow, rt.clock)
    assert gone.feed == other and gone.outcome == "failed" and "Connect" in gone.error


def _taxii_feed(rt, principal, peer, code="taxii-1", **kw):
    _feed(rt, principal, code=code, fmt="stix")
    return _set(rt, principal, code, peer.collection_url, **kw)


def _objects(peer, n, start=0):
    for i in range(start, start + n):
        peer.add(indicator(i, f"198.51.100.{i + 1}"),
                 datetime(2026, 11, 1, 7, 0, tzinfo=UTC) + timedelta(seconds=i))


def test_taxii_pages_with_next_take_every_object_once_and_resume(rt, principal, clock):
    with TaxiiPeer(page_size=2, user="peer", password="s3cret-pass") as peer:
        _objects(peer, 5)
        shown = _taxii_feed(rt, principal, peer, username="peer",
                            password=SecretStr("s3cret-pass"))
        assert (shown.collector.kind, shown.collector.auth) == (CollectorKind.TAXII, "basic")
        assert "s3cret" not in shown.model_dump_json()
        [run] = collectors.collect_due(rt.uow, clock)
        assert (run.outcome, run.batches, run.events) == ("taken", 3, 5)
        assert [r["query"] for r in peer.requests] == [{}, {"next": ["2"]}, {"next": ["4"]}]
        assert all(r["headers"]["Accept"] == "application/taxii+json;version=2.1"
                   for r in peer.requests)
        state, _ = _state(rt, "taxii-1")
        assert state["added_after"] == peer.entries[4][0]
        before = state
        _objects(peer, 3, start=5)
        clock.advance(minutes=15)
        [more] = collectors.collect_due(rt.uow, clock)
        assert (more.batches, more.events) == (2, 3)
        assert peer.requests[3]["query"] == {"added_after": [peer.entries[4][0]]}
        # a restart from the old position (the state save lost): the ledger's last page
        # decides where to go on; nothing is fetched or counted twice
        _restore(rt, "taxii-1", before)
        [rerun] = collectors.collect_due(rt.uow, clock)
        assert (rerun.outcome, rerun.batches) == ("unchanged", 0)
        assert peer.requests[-1]["query"] == {"added_after": [peer.entries[7][0]]}
    assert _count(rt, "taxii-1") == (5, 8)
    with rt.uow() as s:
        keys = list(s.scalars(select(IngestBatch.key).order_by(IngestBatch.id)))
        sources = set(s.scalars(select(events.c.source_ip)))
    assert keys[0] == (f"taxii:127.0.0.1:{peer.server.server_address[1]}/{TaxiiPeer.CID}:"
                       f"{peer.entries[0][0]}..{peer.entries[1][0]}")
    assert {str(a) for a in sources} == {f"198.51.100.{i}" for i in range(1, 9)}


def test_taxii_added_after_paging_and_a_failure_mid_way(rt, principal, clock):
    """``more`` without ``next``: the next page is asked for with added_after = the
    X-TAXII-Date-Added-Last header; a 503 on page 2 keeps page 1 and the next run goes on
    from there."""
    with TaxiiPeer(page_size=2, mode="added_after") as peer:
        _objects(peer, 5)
        _taxii_feed(rt, principal, peer)
        peer.fail_on = {2}
        [failed] = collectors.collect_due(rt.uow, clock)
        assert (failed.outcome, failed.batches, failed.events) == ("failed", 1, 2)
        assert "HTTP 503" in failed.error
        assert _state(rt, "taxii-1")[0]["added_after"] == peer.entries[1][0]
        clock.advance(minutes=15)
        [ok] = collectors.collect_due(rt.uow, clock)
        assert (ok.outcome, ok.batches, ok.events) == ("taken", 2, 3)
        asked = [r["query"].get("added_after", [None])[0] for r in peer.requests]
    assert asked == [None, peer.entries[1][0], peer.entries[1][0], peer.entries[3][0]]
    assert _count(rt, "taxii-1") == (3, 5)


def test_bad_taxii_answers_and_credentials_are_recorded(rt, principal, clock):
    with TaxiiPeer(user="peer", password="right-password") as peer:
        _objects(peer, 1)
        _taxii_feed(rt, principal, peer, username="peer", password=SecretStr("wrong"))
        [denied] = collectors.collect_due(rt.uow, clock)
        assert "HTTP 401" in denied.error
        _taxii_feed(rt, principal, peer, code="taxii-2", username="peer",
                    password=SecretStr("env:PEER_PASSWORD"))
        missing = collectors.run(rt.uow, clock, code="taxii-2", force=True, env={})
        assert "PEER_PASSWORD" in missing.error and missing.outcome == "failed"
        found = collectors.run(rt.uow, clock, code="taxii-2", force=True,
                               env={"PEER_PASSWORD": "right-password"})
        assert (found.outcome, found.events) == ("taken", 1)
        peer.broken = b"<html>maintenance</html>"
        _objects(peer, 1, start=1)
        broken = collectors.run(rt.uow, clock, code="taxii-2", force=True,
                                env={"PEER_PASSWORD": "right-password"})
        assert broken.outcome == "failed" and "not JSON" in broken.error
    assert _count(rt, "taxii-2") == (1, 1)
    assert not any("right-password" in json.dumps(d) or "wrong" in json.dumps(d)
                   for d in _audit(rt, "feed.collector.set"))


def test_configuration_rules_and_kept_credentials(rt, principal):
    code = _feed(rt, principal)
    stix = _feed(rt, principal, code="stix-1", fmt="stix")
    bad = {"ftp://files.example/feed": "url", "http://u:p@feeds.example/x": "url"}
    for url, where in bad.items():
        with pytest.raises(ValidationFailed) as exc:
            _set(rt, principal, code, url)
        assert exc.value.errors[0].field == where
    with pytest.raises(ValidationFailed) as exc:  # a TAXII collection needs a stix feed
        _set(rt, principal, code, "https://peer.example/api/collections/abc/",
             kind=CollectorKind.TAXII)
    assert exc.value.errors[0].field == "kind"
    with pytest.raises(ValidationFailed):
        _set(rt, principal, stix, "https://peer.example/api/collections/abc/", username="u")
    assert _set(rt, principal, stix, "https://peer.example/api/collections/abc").collector.url \
        == "https://peer.example/api/collections/abc/"  # taxii by format and URL
    _set(rt, principal, stix, "https://peer.example/api/collections/abc/", token=SecretStr("t"))
    kept = _set(rt, principal, stix, "https://peer.example/api/collections/abc/", every=5)
    assert kept.collector.auth == "bearer" and kept.collector.interval_minutes == 5
    moved = _set(rt, principal, stix, "https://elsewhere.example/api/collections/abc/")
    assert moved.collector.auth is None  # never sent to another host
    cleared = collectors.clear_collector(rt.uow, rt.clock, principal=principal("nat_admin"),
                                         code=stix)
    assert cleared.collector is None
    assert collectors.due(rt.uow, rt.clock) == []


def test_a_unit_cannot_touch_another_units_collector(rt, principal, clock):
    code = _feed(rt, principal, code="bank-urls", body="bj-bank", user="bj_reporter")
    url = "https://feeds.example/list.txt"
    for outsider in ("bj_support", "sh_admin"):  # another unit; another province (Law 30)
        with pytest.raises(NotFound):
            _set(rt, principal, code, url, user=outsider)
        with pytest.raises(NotFound):
            collectors.run(rt.uow, clock, code=code, principal=principal(outsider), force=True)
    with pytest.raises(Forbidden):
        _set(rt, principal, code, url, user="bj_ro")
    assert _set(rt, principal, code, url, user="bj_reporter").collector.url == url
    assert _set(rt, principal, code, url, user="bj_admin").collector  # its province's office
    assert collectors.due(rt.uow, clock, principal=principal("sh_admin")) == []
    assert collectors.due(rt.uow, clock, principal=principal("bj_reporter")) == [code]


def test_the_worker_runs_due_collectors(rt, principal, clock):
    code = _feed(rt, principal)
    with FeedPeer(URLS) as peer:
        _set(rt, principal, code, peer.url)
        worker = Worker(rt, {}, collect_seconds=60)
        thread = worker.collect_if_due()
        thread.join(scaled(60))
        assert not thread.is_alive()
        assert worker.collect_if_due() is None  # checked again in a minute
    assert _count(rt, code) == (1, 2)


def test_a_bearer_token_from_the_environment_is_sent(rt, principal, clock):
    code = _feed(rt, principal)
    with FeedPeer(URLS) as peer:
        shown = _set(rt, principal, code, peer.url, token=SecretStr("env:FEED_TOKEN"))
        assert shown.collector.auth == "bearer"
        run = collectors.run(rt.uow, clock, code=code, force=True, env={"FEED_TOKEN": "tk-1"})
    assert run.outcome == "taken"
    assert peer.requests[0]["headers"]["Authorization"] == "Bearer tk-1"
