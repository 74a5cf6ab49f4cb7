"""Scheduled collectors over HTTP and on the command line (issue 15 items 2–3), on both
databases: ``PUT|DELETE /api/v1/monitoring/feeds/{code}/collector``, ``POST …/collect``, the
collector status in the feed listing, scope (404 outside it), ``fenghuo feed collector`` and
``fenghuo collect``; and one Fenghuo pulling the monitoring collection of another Fenghuo's
TAXII 2.1 server (a real ``fenghuo serve``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fenghuo.api.routers.taxii import COLLECTIONS
from fenghuo.monitoring import collectors, ingest
from fenghuo.monitoring.models import events
from fenghuo.monitoring.schemas import CollectorIn, FeedIn
from tests.browser.conftest import start_server
from tests.cli import clean_env, fenghuo
from tests.collector_peers import FeedPeer, TaxiiPeer, indicator
from tests.conftest import PASSWORD
from tests.integration.test_stix import submit

URLS = b"http://bad.example/a.exe\nevil.example\n"
API = "/api/v1/monitoring/feeds"


@pytest.fixture
def feed(rt, principal):
    ingest.create_feed(rt.uow, rt.clock, principal=principal("bj_reporter"), data=FeedIn(
        code="bank-urls", name_zh="银行采集", name_en="bank pulls", body="bj-bank",
        format="url-feed"))
    return "bank-urls"


def test_set_run_list_and_clear_a_collector(client, headers, feed):
    me = headers("bj_reporter")
    with FeedPeer(URLS) as peer:
        r = client.put(f"{API}/{feed}/collector", headers=me, json={
            "url": peer.url, "interval_minutes": 30, "username": "u", "password": "pw-secret"})
        assert r.status_code == 200, r.text
        assert r.json()["collector"]["kind"] == "url"
        assert r.json()["collector"]["auth"] == "basic" and "pw-secret" not in r.text
        assert peer.requests == []  # set, not yet run
        r = client.post(f"{API}/{feed}/collect", headers=me)
        assert r.status_code == 200, r.text
        assert (r.json()["outcome"], r.json()["events"]) == ("taken", 2)
        assert peer.requests[0]["headers"]["Authorization"].startswith("Basic ")
        peer.fail = 1
        r = client.post(f"{API}/{feed}/collect", headers=me)
        assert r.status_code == 200 and "HTTP 503" in r.json()["error"]
    [listed] = [f for f in client.get(API, headers=me).json() if f["code"] == feed]
    assert "HTTP 503" in listed["collector"]["last_error"]
    assert listed["collector"]["failures"] == 1 and listed["collector"]["last_success_at"]
    r = client.delete(f"{API}/{feed}/collector", headers=me)
    assert r.status_code == 200 and r.json()["collector"] is None
    assert client.post(f"{API}/{feed}/collect", headers=me).status_code == 409


def test_collectors_are_scoped_and_validated(client, headers, feed):
    body = {"url": "https://feeds.example/list.txt", "interval_minutes": 15}
    for outsider in ("bj_support", "sh_admin"):
        assert client.put(f"{API}/{feed}/collector", headers=headers(outsider),
                          json=body).status_code == 404
        assert client.post(f"{API}/{feed}/collect",
                           headers=headers(outsider)).status_code == 404
        assert client.delete(f"{API}/{feed}/collector",
                             headers=headers(outsider)).status_code == 404
    me = headers("bj_reporter")
    assert client.put(f"{API}/{feed}/collector", headers=me,
                      json={**body, "interval_minutes": 0}).status_code == 422
    r = client.put(f"{API}/{feed}/collector", headers=me,
                   json={**body, "url": "https://feeds.example/collections/c/", "kind": "taxii"})
    assert r.status_code == 422 and "stix" in r.text
    assert client.put(f"{API}/{feed}/collector", headers=me, json=body).status_code == 200


@pytest.fixture
def env(db_url):
    return clean_env(FENGHUO_DATABASE_URL=db_url)


def test_cli_sets_and_runs_collectors(env, tmp_path, feed):
    with FeedPeer(URLS) as peer, TaxiiPeer(user="peer", password="peer-password") as taxii:
        r = fenghuo("feed", "collector", feed, "--url", peer.url, "--every", "15", "--as",
                    "bj_reporter", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert f"url collector {peer.url} every 15 min" in r.stdout
        r = fenghuo("collect", "--as", "bj_reporter", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "taken" in r.stdout and "1 collectors: 1 new batches, 2 events" in r.stdout
        r = fenghuo("collect", "--as", "bj_reporter", env=env, cwd=tmp_path)
        assert "no collector is due" in r.stdout
        r = fenghuo("collect", "--feed", feed, "--as", "bj_reporter", env=env, cwd=tmp_path)
        assert r.returncode == 0 and "unchanged" in r.stdout  # run now: a 304
        peer.fail = 1
        r = fenghuo("collect", "--feed", feed, env=env, cwd=tmp_path)  # as the system
        assert r.returncode == 1 and "HTTP 503" in r.stdout
        r = fenghuo("feed", "list", "--as", "bj_reporter", env=env, cwd=tmp_path)
        assert "url every 15 min, error: HTTP 503" in r.stdout, r.stdout
        r = fenghuo("feed", "collector", feed, "--url", peer.url, "--as", "sh_admin", env=env,
                    cwd=tmp_path)
        assert r.returncode == 1 and "no feed" in r.stderr
        # the command line runs on the real clock: an indicator of an hour ago
        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        taxii.add(indicator(1, "198.51.100.1", hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")),
                  hour_ago)
        r = fenghuo("feed", "add", "--code", "peer-stix", "--body", "bj-bank", "--format",
                    "stix", "--name-zh", "对端", "--name-en", "peer", "--as", "bj_reporter",
                    env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        r = fenghuo("feed", "collector", "peer-stix", "--url", taxii.collection_url, "--user",
                    "peer", "--as", "bj_reporter", env=env, cwd=tmp_path,
                    input="peer-password\n")
        assert r.returncode == 0 and "taxii collector" in r.stdout and "basic auth" in r.stdout
        assert "peer-password" not in r.stdout
        r = fenghuo("collect", "--feed", "peer-stix", "--as", "bj_reporter", env=env,
                    cwd=tmp_path)
        assert r.returncode == 0 and "1 new batches, 1 events" in r.stdout, r.stdout
        r = fenghuo("feed", "collector", feed, "--clear", "--as", "bj_reporter", env=env,
                    cwd=tmp_path)
        assert r.returncode == 0 and "no collector" in r.stdout


def test_pulls_the_monitoring_collection_of_a_fenghuo_taxii_server(rt, principal, clock,
                                                                  db_url, tmp_path):
    """Fenghuo's own TAXII 2.1 server as the peer (Basic auth as a Beijing office user, scope
    and TLP applied by the server): every indicator once; the second pull asks with
    added_after and takes nothing."""
    for n in range(2):
        clock.advance(minutes=5)
        submit(rt, principal, clock, title=f"扫描 scan {n}")
    ingest.create_feed(rt.uow, rt.clock, principal=principal("nat_admin"), data=FeedIn(
        code="peer-taxii", name_zh="对端TAXII", name_en="peer TAXII", body="cn.cncert",
        format="stix"))
    cid = next(k for k, v in COLLECTIONS.items() if v["kind"] == "monitoring")
    with start_server(db_url, worker=False) as base:
        collectors.set_collector(rt.uow, clock, principal=principal("nat_admin"),
                                 code="peer-taxii", data=CollectorIn(
                                     url=f"{base}/taxii2/api/collections/{cid}/",
                                     interval_minutes=15, username="bj_admin",
                                     password=PASSWORD))
        first = collectors.run(rt.uow, clock, code="peer-taxii", force=True)
        assert (first.outcome, first.batches, first.error) == ("taken", 1, None)
        again = collectors.run(rt.uow, clock, code="peer-taxii", force=True)
        assert (again.outcome, again.batches, again.error) == ("unchanged", 0, None)
    with rt.uow() as s:
        seen = s.execute(select(events.c.source_ip, events.c.domain, events.c.hash)).all()
    assert len(seen) == first.events == 6  # an address, a domain and a hash per item
    assert {str(r.source_ip) for r in seen if r.source_ip} == {"203.0.113.7"}
    assert {r.domain for r in seen if r.domain} == {"evil.example"}
