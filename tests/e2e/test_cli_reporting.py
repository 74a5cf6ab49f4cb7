"""The reporting chain as processes: `fenghuo report`, `fenghuo serve` delivering a major
incident to the Emergency Office's webhook, and `fenghuo worker` killed mid-delivery. How fast
the webhook arrives is measured by bench/intake.py (docs/performance.md), not asserted here."""

from __future__ import annotations

import signal

import httpx
import pytest
from sqlalchemy import select

from fenghuo.incident import service
from fenghuo.incident.schemas import FactsIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from tests.cli import clean_env, fenghuo
from tests.e2e.test_metrics import assert_every_process_counts
from tests.integration.test_reporting_chain import report_data
from tests.peers import WebhookPeer
from tests.servers import Process, Server
from tests.waits import scaled, wait_for_event, wait_until

REPORT = """
system: core
category: network-attack
subcategory: network-attack.dos
title: 拒绝服务 DoS
found_at: "2026-11-01T07:50:00+00:00"
impact: slow
measures: scrubbing
facts: {system_loss: serious}
"""


def test_report_from_the_command_line(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    f = tmp_path / "report.yaml"
    f.write_text(REPORT)
    r = fenghuo("report", str(f), "--as", "bj_reporter", "--idempotency-key", "cli-1", env=env,
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "重大 major" in r.stdout and "cn.emergency-office" in r.stdout
    again = fenghuo("report", str(f), "--as", "bj_reporter", "--idempotency-key", "cli-1",
                    env=env, cwd=tmp_path)
    assert again.stdout.split()[0] == r.stdout.split()[0]  # the same incident
    f.write_text(REPORT.replace("impact: slow", "impact: ''"))
    bad = fenghuo("report", str(f), "--as", "bj_reporter", env=env, cwd=tmp_path)
    assert bad.returncode == 1 and "impact" in bad.stderr


def test_serve_delivers_a_major_incident_to_the_emergency_office(tmp_path):
    """Plan §4.1: a major incident goes to the Emergency Office at once: `fenghuo serve`'s own
    worker delivers it to the office's webhook without a separate worker process."""
    with WebhookPeer() as hook:
        org = tmp_path / "org.yaml"
        org.write_text(
            "bodies:\n  - {key: op, kind: operator, jurisdiction: '110000', name_zh: 单位, "
            "name_en: Unit, sectors: [finance], systems: [{key: core, name_zh: 核心, "
            "name_en: Core, important: true}]}\n"
            f"contacts:\n  - {{body: cn.emergency-office, name: Hook, channel: webhook, "
            f"value: '{hook.url}'}}\n")
        env = clean_env()
        r = fenghuo("org", "import", str(org), env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        r = fenghuo("user", "create", "rep", "--body", "op", "--role", "operator_reporter",
                    "--password", "a-long-password", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        with Server(env=env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
            base = server.base
            token = httpx.post(f"{base}/api/v1/auth/token", timeout=scaled(30), data={
                "username": "rep", "password": "a-long-password"}).json()["access_token"]
            body = {"system": "core", "category": "network-attack", "title": "DoS",
                    "found_at": "2026-11-01T07:50:00+00:00", "impact": "down",
                    "measures": "scrubbing", "facts": {"system_loss": "serious"}}
            r = httpx.post(f"{base}/api/v1/incidents", timeout=scaled(30), json=body,
                           headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 201, r.text
            wait_for_event(hook.received, "the Emergency Office's webhook receives the major "
                           "incident", detail=lambda: "server output:\n" + server.output())
        assert hook.requests[0]["json"]["ref"] == r.json()["ref"]


def test_a_killed_worker_loses_and_duplicates_nothing(rt, principal, clock, db_url, tmp_path):
    with WebhookPeer() as hook:
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                              body="cn.emergency-office",
                              data=ContactIn(name="Hook", channel="webhook", value=hook.url))
        # the incident is filed at the fake clock's time, which lies before the real time the
        # worker subprocess runs on, so its messages are due at once
        service.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                       data=report_data(clock, facts=FactsIn(system_loss="serious")),
                       profile="cac2025")
        hook.delay.clear()  # the receiver holds its answer: the worker is mid-delivery
        env = clean_env(FENGHUO_DATABASE_URL=db_url, FENGHUO_WORKER_LEASE_SECONDS="2")
        with Process(["worker"], env=env, cwd=tmp_path, log=tmp_path / "first.log") as first:
            wait_for_event(hook.received, "the first worker tries to deliver",
                           detail=first.output)
            # every delivery it claimed has reached the receiver, which holds the answers
            wait_until(lambda: len(hook.requests) == _claimed(rt), "each claimed delivery "
                       "reaches the webhook", detail=first.output)
            first.proc.send_signal(signal.SIGKILL)
            first.stop()
        in_flight = set(hook.delivery_ids())  # requests the dead worker never saw answered
        hook.delay.set()
        with Process(["worker"], env=env, cwd=tmp_path, log=tmp_path / "second.log") as second:
            wait_until(lambda: _states(rt) == {"delivered"}, "the second worker delivers "
                       "every webhook", detail=lambda: f"states {_states(rt)}; worker output:\n"
                       + second.output())
        with rt.uow() as s:
            queued = set(s.scalars(select(OutboxMessage.delivery_id)
                                   .where(OutboxMessage.channel == "webhook")))
        ids = hook.delivery_ids()
        assert in_flight and set(ids) == queued  # nothing lost
        # what was in flight is sent again under the same delivery id, nothing else twice
        assert {i: ids.count(i) for i in queued} == {
            i: 2 if i in in_flight else 1 for i in queued}


def _states(rt) -> set[str]:
    with rt.uow() as s:
        return set(s.scalars(select(OutboxMessage.state)
                             .where(OutboxMessage.channel == "webhook")))


def _claimed(rt) -> int:
    """Webhook messages a worker has claimed (leased) and not yet finished."""
    with rt.uow() as s:
        return len(s.scalars(select(OutboxMessage.id).where(
            OutboxMessage.channel == "webhook", OutboxMessage.state == "sending")).all())



@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has one writer
def test_several_server_processes_on_postgresql(rt, principal, db_url, tmp_path):
    with WebhookPeer() as hook:
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                              body="cn.emergency-office",
                              data=ContactIn(name="Hook", channel="webhook", value=hook.url))
        tmp = tmp_path / "tmp"  # where it makes its metrics directory
        tmp.mkdir()
        env = clean_env(FENGHUO_DATABASE_URL=db_url, FENGHUO_WORKER="true", TMPDIR=str(tmp))
        with Server(env=env, cwd=tmp_path, log=tmp_path / "serve.log",
                    extra=["--processes", "2"]) as server:
            shared = assert_every_process_counts(server.base, tmp)  # issue 20 item 7
            base = server.base
            token = httpx.post(f"{base}/api/v1/auth/token", timeout=scaled(30), data={
                "username": "bj_reporter", "password": "correct-horse-battery"}).json()
            h = {"Authorization": f"Bearer {token['access_token']}"}
            body = {"system": "core", "category": "network-attack", "title": "DoS",
                    "found_at": "2026-11-01T07:50:00+00:00", "impact": "down",
                    "measures": "scrubbing", "facts": {"system_loss": "serious"}}
            refs = {httpx.post(f"{base}/api/v1/incidents", timeout=scaled(30), json=body,
                               headers=h).json()["ref"] for _ in range(6)}
            wait_until(lambda: len(hook.requests) >= 6, "the six major incidents reach the "
                       "Emergency Office's webhook", detail=lambda: f"{len(hook.requests)} "
                       "arrived; server output:\n" + server.output())
        assert len(refs) == 6
        assert {r["json"]["ref"] for r in hook.requests} == refs
        assert not shared.exists()
