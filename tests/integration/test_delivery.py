"""Durable delivery through the outbox to a real SMTP server and a real webhook receiver, on
SQLite and PostgreSQL: signed webhooks, retries, dead letters, and a worker that dies mid-way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from fenghuo.config import Settings
from fenghuo.incident import queries, service
from fenghuo.incident.schemas import FactsIn
from fenghuo.notify import outbox
from fenghuo.notify.adapters.webhook import verify_signature
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.workers.dispatch import Worker
from tests.integration.test_reporting_chain import report_data
from tests.peers import SMTPPeer, WebhookPeer

SECRET = "s3cret-signing-key-0123456789"


def worker_for(rt, smtp_port: int) -> Worker:
    rt.settings = Settings(database_url=str(rt.engine.url.render_as_string(False)),
                           smtp_host="127.0.0.1", smtp_port=smtp_port)
    return Worker.from_runtime(rt)


def wire(rt, principal, hook_url: str) -> None:
    nat = principal("nat_admin")
    registers.add_contact(rt.uow, rt.clock, principal=nat, body="110000.office",
                          data=ContactIn(name="Duty", channel="email", value="duty@bj.example"))
    registers.add_contact(rt.uow, rt.clock, principal=nat, body="cn.emergency-office",
                          data=ContactIn(name="Hook", channel="webhook", value=hook_url,
                                         secret=SECRET))


def major(rt, principal, clock):
    return service.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                          data=report_data(clock, facts=FactsIn(system_loss="serious")),
                          profile="cac2025")


def test_email_and_signed_webhook_are_delivered(rt, principal, clock):
    with SMTPPeer() as smtp, WebhookPeer() as hook:
        wire(rt, principal, hook.url)
        incident = major(rt, principal, clock)
        worker = worker_for(rt, smtp.port)
        assert worker.deliver_once() == 2
        assert len(smtp.box.messages) == 1
        mail = smtp.box.messages[0]
        assert incident.ref in mail["Subject"] and "重大" in mail["Subject"]
        assert mail["To"] == "duty@bj.example"
        # in words, Chinese first: the category, what is asked and by when (issue 16 item 7)
        body = mail.get_content()
        assert "类别 Category: 网络攻击事件（拒绝服务攻击事件）" in body
        assert "单位 Unit: 北京某银行 / Beijing Bank" in body
        assert "系统 System: 核心系统 / Core banking" in body
        assert "network-attack" not in body and "要求 Asked: 请确认接收" in body
        assert "期限 Due: " in body and "北京时间 CST" in body
        [req] = hook.requests
        h = req["headers"]
        assert verify_signature(SECRET, h["X-Fenghuo-Timestamp"], req["body"],
                                h["X-Fenghuo-Signature"], now=int(h["X-Fenghuo-Timestamp"]))
        assert req["json"]["ref"] == incident.ref and req["json"]["immediate"] is True
    out = queries.get_incident(rt.uow, principal=principal("nat_admin"), ref=incident.ref,
                               now=clock.now())
    assert {d.state for d in out.deliveries} == {"delivered"}


def test_standard_webhook_with_unit_tlp_and_link_keeps_its_id_on_retry(rt, principal, clock):
    """Issue 20 item 6: the outbox's retry carries the same webhook-id; each attempt verifies
    with standardwebhooks (the secret's UTF-8 bytes as the key) and the deprecated header; the
    payload names the unit, its TLP and the page's absolute link."""
    with WebhookPeer() as hook:
        hook.delay.clear()  # the first attempt times out
        wire(rt, principal, hook.url)
        incident = major(rt, principal, clock)
        rt.settings = Settings(database_url=str(rt.engine.url.render_as_string(False)),
                               smtp_host="127.0.0.1", smtp_port=1, webhook_timeout=1.0,
                               public_url="https://fenghuo.example.cn")
        worker = Worker.from_runtime(rt)
        worker.deliver_once()
        hook.delay.set()
        clock.advance(seconds=outbox.backoff(1).total_seconds() + 1)
        worker.deliver_once()
        first, second = hook.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    for req in (first, second):
        h = req["headers"]
        assert Webhook(SECRET.encode()).verify(req["body"], h) == req["json"]
        assert verify_signature(SECRET, h["X-Fenghuo-Timestamp"], req["body"],
                                h["X-Fenghuo-Signature"])
    tampered = second["body"].replace(incident.ref.encode(), b"FH-0000-000000")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET.encode()).verify(tampered, second["headers"])
    doc = second["json"]
    assert doc["unit"] == {"key": "bj-bank", "name_zh": "北京某银行", "name_en": "Beijing Bank"}
    assert doc["tlp"] == "amber"
    assert doc["link"] == f"https://fenghuo.example.cn/web/incidents/{incident.ref}"


def test_failures_are_retried_with_backoff_then_dead_lettered(rt, principal, clock):
    with WebhookPeer() as hook:
        dead_url = hook.url
    wire(rt, principal, dead_url)  # nobody listens there any more
    incident = major(rt, principal, clock)
    worker = worker_for(rt, 1)  # no SMTP server either
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert worker.deliver_once() == 2, attempt
        assert worker.deliver_once() == 0  # backing off: nothing is due yet
        clock.advance(seconds=outbox.backoff(attempt).total_seconds() + 1)
    out = queries.get_incident(rt.uow, principal=principal("nat_admin"), ref=incident.ref,
                               now=clock.now())
    assert {(d.state, d.attempts) for d in out.deliveries} == {("dead", outbox.MAX_ATTEMPTS)}
    assert all(d.last_error for d in out.deliveries)


def test_a_worker_that_dies_mid_delivery_loses_nothing(rt, principal, clock):
    with SMTPPeer() as smtp, WebhookPeer() as hook:
        wire(rt, principal, hook.url)
        major(rt, principal, clock)
        # a worker claims the batch and dies before recording any outcome
        claimed = outbox.claim(rt.uow, now=clock.now(), limit=10, lease_seconds=60)
        assert len(claimed) == 2
        worker = worker_for(rt, smtp.port)
        assert worker.deliver_once() == 0  # still leased to the dead worker
        clock.advance(seconds=61)
        assert worker.deliver_once() == 2
        with rt.uow() as s:
            states = {m.state for m in s.scalars(select(OutboxMessage))}
        assert states == {"delivered"}
        assert len(smtp.box.messages) == 1 and len(hook.requests) == 1
        assert hook.delivery_ids() == [c.delivery_id for c in claimed if c.channel == "webhook"]


def test_immediate_messages_go_first(rt, principal, clock):
    with SMTPPeer() as smtp, WebhookPeer() as hook:
        wire(rt, principal, hook.url)
        major(rt, principal, clock)
        first = outbox.claim(rt.uow, now=clock.now() + timedelta(seconds=1), limit=1)
        assert first[0].channel == "webhook"  # the Emergency Office's immediate route
        del smtp


def test_a_claim_takes_no_more_than_its_limit_in_priority_order(rt, principal, clock):
    """Three major reports queue three immediate webhooks (priority 0) and three emails; a claim
    of one takes one, the oldest immediate one, and a claim of four takes the other two webhooks
    and only then two emails (on PostgreSQL a LIMIT inside `IN (…)` once claimed all three at
    once)."""
    wire(rt, principal, "http://127.0.0.1:9/hook")
    for _ in range(3):
        major(rt, principal, clock)
    now = clock.now() + timedelta(seconds=1)
    [first] = outbox.claim(rt.uow, now=now, limit=1)
    assert first.channel == "webhook"
    more = outbox.claim(rt.uow, now=now, limit=4)
    assert sorted(m.channel for m in more) == ["email", "email", "webhook", "webhook"]
    assert first.id < min(m.id for m in more if m.channel == "webhook")
    assert len(outbox.claim(rt.uow, now=now, limit=4)) == 1  # the last email; the rest leased
