"""The reporting chain as processes: `fenghuo report`, `fenghuo serve` delivering a major
incident to the Emergency Office's webhook, and `fenghuo worker` killed mid-delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import select

from fenghuo.incident import service
from fenghuo.incident.schemas import FactsIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from tests.e2e.test_cli import fenghuo, free_port, start_server
from tests.integration.test_reporting_chain import report_data
from tests.peers import WebhookPeer

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


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
    return {**env, "COLUMNS": "200", "NO_COLOR": "1", **extra}


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


def test_serve_delivers_a_major_incident_to_the_emergency_office_within_a_second(tmp_path):
    with WebhookPeer() as hook:
        org = tmp_path / "org.yaml"
        org.write_text(
            "bodies:\n  - {key: op, kind: operator, jurisdiction: '110000', name_zh: 单位, "
            "name_en: Unit, sectors: [finance], systems: [{key: core, name_zh: 核心, "
            "name_en: Core, important: true}]}\n"
            f"contacts:\n  - {{body: cn.emergency-office, name: Hook, channel: webhook, "
            f"value: '{hook.url}'}}\n")
        env = clean_env()
        assert fenghuo("org", "import", str(org), env=env, cwd=tmp_path).returncode == 0
        assert fenghuo("user", "create", "rep", "--body", "op", "--role", "operator_reporter",
                       "--password", "a-long-password", env=env, cwd=tmp_path).returncode == 0
        port = free_port()
        proc, output = start_server(tmp_path, env, port)
        try:
            base = f"http://127.0.0.1:{port}"
            token = httpx.post(f"{base}/api/v1/auth/token", data={
                "username": "rep", "password": "a-long-password"}).json()["access_token"]
            body = {"system": "core", "category": "network-attack", "title": "DoS",
                    "found_at": "2026-11-01T07:50:00+00:00", "impact": "down",
                    "measures": "scrubbing", "facts": {"system_loss": "serious"}}
            r = httpx.post(f"{base}/api/v1/incidents", json=body,
                           headers={"Authorization": f"Bearer {token}"})
            accepted = time.monotonic()
            assert r.status_code == 201, r.text
            assert hook.received.wait(5), "the Emergency Office's webhook got nothing"
            delay = time.monotonic() - accepted
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert hook.requests[0]["json"]["ref"] == r.json()["ref"]
        assert delay < 1.0, f"escalation took {delay:.2f}s (Plan §4.1: immediately)"


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
        cmd = [sys.executable, "-m", "fenghuo.cli.main", "worker"]
        first = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            assert hook.received.wait(20), "the worker never tried to deliver"
            time.sleep(0.5)  # let it start every delivery it has claimed
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        in_flight = set(hook.delivery_ids())  # requests the dead worker never saw answered
        hook.delay.set()
        second = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _states(rt) != {"delivered"}:
                time.sleep(0.2)
        finally:
            second.terminate()
            second.wait(timeout=10)
        assert _states(rt) == {"delivered"}
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



def test_several_server_processes_on_postgresql(rt, principal, db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("several server processes are for PostgreSQL; SQLite has one writer")
    with WebhookPeer() as hook:
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                              body="cn.emergency-office",
                              data=ContactIn(name="Hook", channel="webhook", value=hook.url))
        port = free_port()
        env = clean_env(FENGHUO_DATABASE_URL=db_url, FENGHUO_WORKER="true",
                        FENGHUO_PORT=str(port))
        proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "serve",
                                 "--processes", "2"], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            token = httpx.post(f"{base}/api/v1/auth/token", data={
                "username": "bj_reporter", "password": "correct-horse-battery"}).json()
            h = {"Authorization": f"Bearer {token['access_token']}"}
            body = {"system": "core", "category": "network-attack", "title": "DoS",
                    "found_at": "2026-11-01T07:50:00+00:00", "impact": "down",
                    "measures": "scrubbing", "facts": {"system_loss": "serious"}}
            refs = {httpx.post(f"{base}/api/v1/incidents", json=body, headers=h).json()["ref"]
                    for _ in range(6)}
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(hook.requests) < 6:
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert len(refs) == 6
        assert {r["json"]["ref"] for r in hook.requests} == refs
