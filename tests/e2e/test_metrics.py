"""``/metrics`` as Prometheus reads it (issue 20 item 7): parsed by prometheus_client's own
parser, the domain gauges compared with the database, the bearer token; and the check that a
real ``fenghuo serve --processes 2`` counts the requests of both processes, run by the test
that starts one (tests/e2e/test_cli_reporting.py)."""

from __future__ import annotations

import dataclasses
import json
import platform
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import func, select

from fenghuo import __version__
from fenghuo.api.app import create_app
from fenghuo.incident.models import Duty, Incident
from fenghuo.incident.owner_rules import OPEN_STATES
from fenghuo.incident.schemas import FactsIn
from fenghuo.monitoring import ingest
from fenghuo.monitoring.schemas import FeedIn
from fenghuo.notify import outbox
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.workers.dispatch import Worker
from tests.integration.test_reporting_chain import file
from tests.waits import scaled

Samples = dict[tuple[str, frozenset], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, by sample name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def of(scraped: Samples, name: str) -> dict[frozenset, float]:
    return {labels: v for (n, labels), v in scraped.items() if n == name}


def key(**labels: str) -> frozenset:
    return frozenset(labels.items())


def _alert(moment) -> bytes:
    return json.dumps({"timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f%z"),
                       "event_type": "alert", "src_ip": "61.135.1.1", "src_port": 4444,
                       "dest_ip": "8.8.8.8", "dest_port": 80,
                       "alert": {"signature_id": 2024217, "signature": "ET MALWARE Emotet CnC",
                                 "category": "A Network Trojan was Detected"}}).encode()


def _world_in_motion(rt, clock, principal):
    """A major incident (its clocks, its messages), one message given up, one batch of
    monitoring events; then 40 days pass and a worker beats."""
    registers.add_contact(rt.uow, clock, principal=principal("nat_admin"),
                          body="cn.emergency-office", data=ContactIn(
                              name="Duty", channel="email", value="duty@office.example.cn"))
    file(rt, principal, clock, facts=FactsIn(system_loss="serious"))
    [claimed] = outbox.claim(rt.uow, now=clock.now(), limit=1)
    outbox.complete(rt.uow, now=clock.now(), claimed=claimed, error="410 gone",
                    retryable=False)
    ingest.create_feed(rt.uow, clock, principal=principal("bj_admin"), data=FeedIn(
        code="bank-ids", name_zh="银行传感器", name_en="bank sensor", body="bj-bank",
        format="suricata", expected_interval_minutes=60))
    ingest.take_in(rt.uow, clock, feed="bank-ids", fmt=None, received_by="test",
                   chunks=[ingest.Chunk("k1", [_alert(clock.now())])])
    batch_at = clock.now()
    clock.advance(days=40)  # past the incident's clocks
    worker = Worker.from_runtime(rt)
    assert worker.beat_if_due()
    return worker, batch_at


def test_the_domain_gauges_are_the_database_s(rt, clock, principal):
    worker, batch_at = _world_in_motion(rt, clock, principal)
    scraped = samples(TestClient(create_app(rt)).get("/metrics").text)
    with rt.uow() as s:
        incidents = {key(grade=g, state=st): n for g, st, n in s.execute(
            select(Incident.grade, Incident.state, func.count())
            .where(Incident.state.in_(list(OPEN_STATES))).group_by(Incident.grade,
                                                                    Incident.state))}
        overdue = {key(kind=k): n for k, n in s.execute(
            select(Duty.kind, func.count()).where(Duty.done_at.is_(None),
                                                  Duty.due_at < clock.now())
            .group_by(Duty.kind))}
        mail = list(s.execute(select(OutboxMessage.channel, OutboxMessage.state)))
    backlog = {key(channel=c): float(sum(1 for ch, st in mail if ch == c
                                         and st in ("pending", "sending")))
               for c, _ in mail}
    dead = {key(channel=c): float(sum(1 for ch, st in mail if ch == c and st == "dead"))
            for c, _ in mail}
    assert sum(incidents.values()) >= 1 and sum(overdue.values()) >= 1 and sum(
        dead.values()) == 1
    assert _nonzero(of(scraped, "fenghuo_incidents_open")) == incidents
    assert _nonzero(of(scraped, "fenghuo_clocks_overdue")) == overdue
    assert _nonzero(of(scraped, "fenghuo_outbox_dead_letters")) == _nonzero(dead)
    assert _nonzero(of(scraped, "fenghuo_outbox_backlog_messages")) == _nonzero(backlog)
    assert of(scraped, "fenghuo_worker_heartbeat_timestamp_seconds") == {
        key(worker=worker.worker_id, name="delivery"): clock.now().timestamp()}
    assert of(scraped, "fenghuo_ingest_last_batch_timestamp_seconds") == {
        key(): batch_at.timestamp()}
    assert of(scraped, "fenghuo_ingest_lag_seconds") == {key(): 40 * 86400.0}
    assert of(scraped, "fenghuo_domain_scrape_success") == {key(): 1.0}
    assert of(scraped, "fenghuo_build_info") == {
        key(version=__version__, python=platform.python_version()): 1.0}
    assert ("process_cpu_seconds_total", key()) in scraped and of(scraped, "python_info")


def _nonzero(values: dict) -> dict:
    return {k: v for k, v in values.items() if v}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no database work
def test_a_metrics_token_is_required_when_set(rt):
    token = "s3cret-metrics-token-0123"
    guarded = dataclasses.replace(rt, settings=rt.settings.model_copy(
        update={"metrics_token": SecretStr(token)}))
    client = TestClient(create_app(guarded))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"}):
        r = client.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", headers
        assert "fenghuo_" not in r.text
    r = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and of(samples(r.text), "fenghuo_build_info")


def assert_every_process_counts(base: str, tmp: Path, n: int = 40) -> Path:
    """For a running ``fenghuo serve --processes 2`` started with ``TMPDIR=tmp`` (one server
    start, shared with tests/e2e/test_cli_reporting.py): it made its metrics directory there,
    ``n`` requests answered by both processes are counted ``n`` times in whichever process
    answers a scrape. Returns the directory (removed once the server stops)."""
    [shared] = tmp.glob("fenghuo-metrics-*")
    with ThreadPoolExecutor(max_workers=8) as pool:  # new connections: both processes answer
        codes = list(pool.map(lambda _: httpx.get(f"{base}/readyz",
                                                  timeout=scaled(30)).status_code, range(n)))
    assert codes == [200] * n
    per_process = _readyz_per_process(shared)
    assert len(per_process) == 2 and all(per_process.values()), per_process  # both answered
    assert sum(per_process.values()) == n
    wanted = ("fenghuo_http_requests_total", key(method="GET", route="/readyz", status="200"))
    scrapes = [httpx.get(f"{base}/metrics", timeout=scaled(30)).text for _ in range(4)]
    assert [samples(text)[wanted] for text in scrapes] == [n] * 4
    return shared


def _readyz_per_process(directory: Path) -> dict[str, float]:
    """The /readyz count in each process's own file (``counter_<pid>.db``)."""
    out = {}
    for f in directory.glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(f)]):
            for s in metric.samples:
                if s.name == "fenghuo_http_requests_total" and s.labels["route"] == "/readyz":
                    out[f.stem] = out.get(f.stem, 0) + s.value
    return out
