"""The new channels end to end, on SQLite and PostgreSQL: a report is routed, the outbox holds
its messages, and the worker delivers them through the Feishu robot, the SMS gateway and SMTP
over implicit TLS to real local servers. With an SMS gateway configured, a body whose only
contact is a mobile phone number is texted (issue 16 item 7); without one, nothing changes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from fenghuo import bootstrap
from fenghuo.common.errors import ValidationFailed
from fenghuo.config import Settings
from fenghuo.incident import queries, service
from fenghuo.incident.models import Incident, IncidentEvent
from fenghuo.incident.schemas import FactsIn
from fenghuo.notify.adapters.feishu import feishu_sign
from fenghuo.notify.compose import sms_segments
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.workers.dispatch import Worker
from tests.integration.test_notify_adapters import Receiver
from tests.integration.test_reporting_chain import report_data
from tests.integration.test_warnings import published
from tests.peers import SMTPPeer, self_signed

BASE = "https://fenghuo.example.cn"
FEISHU_SECRET = "feishu-sign-key-0123456789abcdef"
TOKEN = "gw-token-5f4e3d2c1b0a"
MOBILE, MOBILE_E164 = "138 0000 1111", "+8613800001111"


@pytest.fixture
def peer() -> Iterator[Receiver]:
    """One local HTTP server for the robot and the gateway: both take ``{"code": 0}``."""
    receiver = Receiver()
    receiver.answer(200, {"code": 0, "msg": "success"})
    thread = threading.Thread(target=receiver.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(5)


@contextmanager
def deployment(rt, clock, **settings: object) -> Iterator[bootstrap.Runtime]:
    """A runtime over the test's database as a deployment with these settings would build it
    (the settings decide, among others, whether phone-only bodies are texted)."""
    url = rt.engine.url.render_as_string(hide_password=False)
    other = bootstrap.build(Settings(database_url=url, public_url=BASE, **settings), clock=clock)
    try:
        yield other
    finally:
        other.engine.dispose()


def add(rt, principal, body: str, channel: str, value: str, **kw: object) -> None:
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                          data=ContactIn(name="Duty", channel=channel, value=value, **kw))


def major(rt, principal, clock):
    return service.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                          data=report_data(clock, facts=FactsIn(system_loss="serious")),
                          profile="cac2025")


def outbox(rt, incident) -> list[OutboxMessage]:
    with rt.uow() as s:
        return list(s.scalars(select(OutboxMessage).join(
            Incident, Incident.id == OutboxMessage.incident_id).where(
            Incident.ref == incident.ref).order_by(OutboxMessage.id)))


def test_feishu_and_sms_deliver_a_report(rt, principal, clock, peer):
    add(rt, principal, "110000.office", "feishu", peer.base + "/open-apis/bot/v2/hook/bj",
        secret=FEISHU_SECRET)
    add(rt, principal, "cn.emergency-office", "sms", "+86 139-1111-2222")
    with deployment(rt, clock, sms_url=peer.base + "/sms/send", sms_token=TOKEN) as live:
        incident = major(live, principal, clock)
        assert Worker.from_runtime(live).deliver_once() == 2
    by_path = {r["target"]: r for r in peer.requests}
    robot = json.loads(by_path["/open-apis/bot/v2/hook/bj"]["body"])
    assert robot["sign"] == feishu_sign(FEISHU_SECRET, robot["timestamp"])
    post = robot["content"]["post"]["zh_cn"]
    assert incident.ref in post["title"] and "重大" in post["title"]
    link = f"{BASE}/web/incidents/{incident.ref}"
    assert [{"tag": "text", "text": "详情 Details: "},
            {"tag": "a", "text": link, "href": link}] in post["content"]
    gateway = by_path["/sms/send"]
    assert gateway["headers"]["Authorization"] == f"Bearer {TOKEN}"
    sms = json.loads(gateway["body"])
    assert sms["to"] == "+8613911112222" and sms["text"].endswith(" " + link)
    assert incident.ref in sms["text"] and sms_segments("【烽火】" + sms["text"]) <= 3
    out = queries.get_incident(rt.uow, principal=principal("nat_admin"), ref=incident.ref,
                               now=clock.now())
    assert sorted((d.channel, d.state) for d in out.deliveries) == [
        ("feishu", "delivered"), ("sms", "delivered")]


def test_email_over_implicit_tls_is_delivered_by_the_worker(rt, principal, clock, tmp_path):
    certificate = self_signed(tmp_path)
    add(rt, principal, "110000.office", "email", "duty@bj.example")
    with SMTPPeer(tls=certificate.server_context()) as smtps, deployment(
            rt, clock, smtp_host="127.0.0.1", smtp_port=smtps.port, smtp_tls="implicit",
            smtp_ca_file=certificate.cert) as live:
        incident = major(live, principal, clock)
        assert Worker.from_runtime(live).deliver_once() == 1
        [mail] = smtps.box.messages
        assert incident.ref in mail["Subject"] and mail["To"] == "duty@bj.example"
    [message] = outbox(rt, incident)
    assert (message.channel, message.state) == ("email", "delivered")


def test_without_a_trusted_certificate_the_email_is_dead_lettered(rt, principal, clock,
                                                                   tmp_path):
    certificate = self_signed(tmp_path)
    add(rt, principal, "110000.office", "email", "duty@bj.example")
    with SMTPPeer(tls=certificate.server_context()) as smtps, deployment(
            rt, clock, smtp_host="127.0.0.1", smtp_port=smtps.port, smtp_tls="implicit") as live:
        incident = major(live, principal, clock)
        assert Worker.from_runtime(live).deliver_once() == 1
        assert smtps.box.messages == []
    [message] = outbox(rt, incident)
    assert message.state == "dead" and "not trusted" in message.last_error


def test_a_phone_only_body_is_texted_once_a_gateway_is_set(rt, principal, clock, peer):
    add(rt, principal, "110000.office", "phone", MOBILE, is_24x7=True)
    add(rt, principal, "cn.emergency-office", "phone", "+86 10 6509 0000")  # a landline
    # no gateway: as before, the phone-only office is unreachable and nothing is queued
    before = major(rt, principal, clock)
    assert outbox(rt, before) == []
    with rt.uow() as s:
        [note] = s.scalars(select(IncidentEvent.detail).join(
            Incident, Incident.id == IncidentEvent.incident_id).where(
            Incident.ref == before.ref, IncidentEvent.kind == "no_channel"))
    assert len(json.loads(note)["bodies"]) >= 2

    with deployment(rt, clock, sms_url=peer.base + "/sms", sms_token=TOKEN) as live:
        incident = major(live, principal, clock)
        [texted] = outbox(live, incident)  # the office's mobile; the landline takes no SMS
        assert (texted.channel, texted.address) == ("sms", MOBILE_E164)
        assert Worker.from_runtime(live).deliver_once() == 1
        [request] = peer.requests
        assert json.loads(request["body"])["to"] == MOBILE_E164
        assert outbox(live, incident)[0].state == "delivered"

        # a body with any other deliverable contact is reached as before, not texted
        add(live, principal, "110000.office", "email", "duty@bj.example")
        again = major(live, principal, clock)
        assert [(m.channel, m.address) for m in outbox(live, again)] == [
            ("email", "duty@bj.example")]


def test_texting_phones_can_be_switched_off(rt, principal, clock, peer):
    add(rt, principal, "110000.office", "phone", MOBILE)
    with deployment(rt, clock, sms_url=peer.base + "/sms", sms_for_phone=False) as live:
        assert outbox(live, major(live, principal, clock)) == []


def test_a_phone_only_unit_gets_a_warning_by_sms(rt, principal, clock, peer):
    add(rt, principal, "bj-finance-reg", "phone", MOBILE)
    with deployment(rt, clock, sms_url=peer.base + "/sms", sms_token=TOKEN) as live:
        w = published(live, principal, clock)
        with live.uow() as s:
            texted = s.scalars(select(OutboxMessage).where(
                OutboxMessage.warning_id.is_not(None), OutboxMessage.channel == "sms")).all()
        assert [m.address for m in texted] == [MOBILE_E164]
        Worker.from_runtime(live).deliver_once()
    sms = [json.loads(r["body"]) for r in peer.requests if r["target"] == "/sms"]
    assert [m["to"] for m in sms] == [MOBILE_E164]
    assert w.ref in sms[0]["text"] and sms[0]["text"].endswith(f"{BASE}/web/warnings/{w.ref}")


@pytest.mark.parametrize("value", ["+86 10 8299 0999", "12345", "duty@bj.example"])
def test_an_sms_contact_must_be_a_mobile_number(rt, principal, value):
    with pytest.raises(ValidationFailed) as failed:
        add(rt, principal, "110000.office", "sms", value)
    [error] = failed.value.errors
    assert error.field == "value" and "mobile number" in error.message
