"""The Feishu robot, the SMS gateway and SMTP over implicit TLS against real peers on 127.0.0.1:
a threaded HTTP server standing in for the Feishu robot API and for an SMS gateway, and an
aiosmtpd server speaking TLS from the first byte under a certificate made for the test."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult

from fenghuo.notify.adapters.feishu import FeishuRobotSender, feishu_sign
from fenghuo.notify.adapters.registry import build_notifiers
from fenghuo.notify.adapters.sms import SMSGatewaySender
from fenghuo.notify.adapters.smtp import SMTPEmailSender
from fenghuo.notify.compose import sms_segments
from tests.integration.test_notify_adapters import Receiver, free_port
from tests.notify_support import failure, make_message
from tests.peers import SMTPPeer, self_signed
from tests.waits import scaled

SUBJECT = "[重大 Major] FH-2025-000123 某银行核心系统遭勒索软件攻击"
TEXT = ("某银行核心系统遭勒索软件攻击\n等级 Grade: 重大 / Major\n"
        "影响 Impact: 支付业务中断约 2 小时\n措施 Measures: 已隔离受感染主机\n")
PAYLOAD = {"event": "incident.reported", "ref": "FH-2025-000123", "grade": "major"}
BASE = "https://fenghuo.example.cn"
LINK = f"{BASE}/web/incidents/FH-2025-000123"
FEISHU_SECRET = "feishu-sign-key-0123456789abcdef"
TOKEN = "gw-token-5f4e3d2c1b0a"


message = partial(make_message, subject=SUBJECT, text=TEXT, payload=PAYLOAD)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    peer = Receiver()
    thread = threading.Thread(target=peer.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield peer
    peer.release.set()
    peer.server.shutdown()
    peer.server.server_close()
    thread.join(5)


# --- Feishu ---------------------------------------------------------------------------------


def test_feishu_signed_rich_text_with_the_link(receiver):
    receiver.answer(200, {"code": 0, "msg": "success", "data": {}})
    msg = message("feishu", receiver.base + "/open-apis/bot/v2/hook/2b0e-4a", secret=FEISHU_SECRET)
    before = time.time()
    FeishuRobotSender(timeout=scaled(10), public_url=BASE).send(msg)
    req = receiver.only_request()
    assert req["target"] == "/open-apis/bot/v2/hook/2b0e-4a"  # nothing added to the URL
    assert req["headers"]["Content-Type"] == "application/json"
    doc = json.loads(req["body"])
    assert set(doc) == {"msg_type", "content", "timestamp", "sign"}
    assert doc["msg_type"] == "post"
    stamp = doc["timestamp"]
    assert isinstance(stamp, str) and before - 1 <= int(stamp) <= time.time() + 1  # seconds
    assert doc["sign"] == feishu_sign(FEISHU_SECRET, stamp)
    post = doc["content"]["post"]["zh_cn"]
    assert post["title"] == SUBJECT
    lines = [[(e["tag"], e.get("text"), e.get("href")) for e in p] for p in post["content"]]
    assert lines[0] == [("text", "某银行核心系统遭勒索软件攻击", None)]
    assert [("text", "影响 Impact: 支付业务中断约 2 小时", None)] in lines
    assert [("text", "详情 Details: ", None), ("a", LINK, LINK)] in lines
    assert lines[-1] == [("text", f"烽火 Fenghuo · 投递编号 Delivery: {msg.id}", None)]
    assert "勒索软件".encode() in req["body"]  # UTF-8, not \u escapes


def test_feishu_without_secret_or_public_url(receiver):
    receiver.answer(200, {"StatusCode": 0, "StatusMessage": "success"})  # an older robot
    FeishuRobotSender().send(message("feishu", receiver.base + "/hook/x"))
    doc = json.loads(receiver.only_request()["body"])
    assert set(doc) == {"msg_type", "content"}
    texts = [e.get("text") for p in doc["content"]["post"]["zh_cn"]["content"] for e in p]
    assert not any(t and t.startswith("详情") for t in texts)  # no base URL, no link


def test_feishu_long_text_is_cut(receiver):
    receiver.answer(200, {"code": 0})
    msg = message("feishu", receiver.base, text="很长的事件描述。" * 3000)
    FeishuRobotSender(public_url=BASE).send(msg)
    body = receiver.only_request()["body"]
    assert len(body) < 20 * 1024  # within the robot's request limit
    doc = json.loads(body)["content"]["post"]["zh_cn"]["content"]
    assert doc[0][0]["text"].endswith("…") and msg.id in doc[-1][0]["text"]


@pytest.mark.parametrize(("code", "retryable"), [
    (19021, False),  # sign match fail or timestamp is not within one hour from current time
    (19022, False),  # IP not allowed
    (19024, False),  # Key Words Not Found
    (9499, True),  # over the limit
    (11232, True),  # frequency limited
])
def test_feishu_codes(receiver, code, retryable):
    receiver.answer(200, {"code": code, "msg": "来自测试的错误", "data": {}})
    err = failure(FeishuRobotSender(), message("feishu", receiver.base, secret=FEISHU_SECRET))
    assert err.retryable is retryable and err.code == code
    assert str(code) in str(err) and "来自测试的错误" in str(err)


def test_feishu_transport_and_answer_failures(receiver):
    msg = message("feishu", receiver.base)
    receiver.answer(503, b"upstream down")
    assert failure(FeishuRobotSender(), msg).retryable is True
    receiver.answer(200, b"<html>not a robot</html>")
    assert failure(FeishuRobotSender(), msg).retryable is False
    receiver.answer(200, {"errcode": 0})  # a DingTalk answer: the address is not a Feishu robot
    assert failure(FeishuRobotSender(), msg).retryable is False
    receiver.answer(400, {"code": 9499, "msg": "Bad Request"})
    err = failure(FeishuRobotSender(), msg)
    assert err.retryable is False and err.code == 400
    assert len(receiver.requests) == 4
    closed = message("feishu", f"http://127.0.0.1:{free_port()}/hook")
    assert failure(FeishuRobotSender(timeout=scaled(10)), closed).retryable is True


# --- SMS gateway ------------------------------------------------------------------------------


def gateway(receiver: Receiver, **options: object) -> SMSGatewaySender:
    options = {"token": TOKEN, "public_url": BASE, "timeout": scaled(10)} | options
    return SMSGatewaySender(receiver.base + "/v1/sms/send", **options)


def test_sms_request_is_a_summary_and_the_link(receiver):
    receiver.answer(200, {"code": 0, "message": "accepted", "id": "gw-1"})
    msg = message("sms", "+86 138 0013 8000")
    gateway(receiver).send(msg)
    req = receiver.only_request()
    assert req["target"] == "/v1/sms/send"
    h = req["headers"]
    assert h["Authorization"] == f"Bearer {TOKEN}"
    assert h["X-Fenghuo-Delivery"] == msg.id and h["Content-Type"] == "application/json"
    doc = json.loads(req["body"])
    assert set(doc) == {"to", "text", "sign_name", "segments", "delivery_id"}
    assert doc["to"] == "+8613800138000" and doc["sign_name"] == "烽火"
    assert doc["delivery_id"] == msg.id
    assert doc["text"].startswith(SUBJECT) and doc["text"].endswith(" " + LINK)
    assert doc["segments"] == sms_segments("【烽火】" + doc["text"]) <= 3


@pytest.mark.parametrize("segments", [1, 2, 4])
def test_sms_text_stays_within_the_segments(receiver, segments):
    gateway(receiver, max_segments=segments).send(message("sms", "13800138000",
                                                          text=TEXT * 10))
    doc = json.loads(receiver.only_request()["body"])
    assert doc["segments"] <= segments
    assert sms_segments("【烽火】" + doc["text"]) <= segments and doc["text"].endswith(LINK)


def test_sms_with_template_sender_and_an_api_key_header(receiver):
    receiver.answer(204)
    send = gateway(receiver, token_header="X-API-Key", sender="106900001234",
                   template_id="SMS_2468", sign_name="网信应急")
    send.send(message("sms", "+852 5123 4567"))
    req = receiver.only_request()
    assert req["headers"]["X-API-Key"] == TOKEN and "Authorization" not in req["headers"]
    doc = json.loads(req["body"])
    assert doc["to"] == "+85251234567" and doc["sender"] == "106900001234"
    assert doc["sign_name"] == "网信应急" and doc["template_id"] == "SMS_2468"
    assert doc["template_params"]["link"] == LINK
    assert doc["text"] == doc["template_params"]["summary"] + " " + LINK


def test_sms_without_token_or_link(receiver):
    receiver.answer(200, b"OK")  # a plain answer: the 200 says it
    gateway(receiver, token=None, public_url=None).send(message("sms", "13800138000"))
    req = receiver.only_request()
    assert "Authorization" not in req["headers"]
    assert "https://" not in json.loads(req["body"])["text"]


@pytest.mark.parametrize(("answer", "retryable", "code"), [
    ({"code": 1001, "message": "号码格式错误"}, False, 1001),
    ({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}, False,
     "isv.BUSINESS_LIMIT_CONTROL"),
    ({"ok": False, "error": "quota exhausted"}, False, None),
    ({"success": False, "msg": "try later", "retryable": True}, True, None),
    ({"error": "blocked number"}, False, None),
])
def test_sms_gateway_error_answers(receiver, answer, retryable, code):
    receiver.answer(200, answer)
    err = failure(gateway(receiver), message("sms", "13800138000"))
    assert err.retryable is retryable and err.code == code
    assert "refused" in str(err)


@pytest.mark.parametrize("answer", [{"code": "OK"}, {"Code": "Ok", "RequestId": "x"},
                                    {"success": True}, {"code": 200}, b"[1, 2]", {"error": None}])
def test_sms_gateway_success_answers(receiver, answer):
    receiver.answer(200, answer)
    gateway(receiver).send(message("sms", "13800138000"))
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True),
                                                   (400, False), (401, False), (403, False)])
def test_sms_gateway_statuses(receiver, status, retryable):
    receiver.answer(status, {"code": status})
    err = failure(gateway(receiver), message("sms", "13800138000"))
    assert err.retryable is retryable and err.code == status
    assert TOKEN not in str(err)


def test_sms_to_a_landline_is_refused_before_sending(receiver):
    err = failure(gateway(receiver), message("sms", "+86 10 82990999"))
    assert err.retryable is False and receiver.requests == []


def test_sms_gateway_down_is_retried():
    send = SMSGatewaySender(f"http://127.0.0.1:{free_port()}/send", timeout=scaled(10))
    assert failure(send, message("sms", "13800138000")).retryable is True


# --- SMTP over implicit TLS -------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtps(certificate) -> Iterator[SMTPPeer]:
    with SMTPPeer(tls=certificate.server_context()) as peer:
        yield peer


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def test_email_over_implicit_tls(smtps, certificate):
    sender = SMTPEmailSender("127.0.0.1", smtps.port, "alerts@fenghuo.example",
                             implicit_tls=True, tls_context=trusting(certificate.cert),
                             timeout=scaled(10))
    msg = message("email", "duty@bj.example")
    sender.send(msg)
    [mail] = smtps.box.messages
    assert mail["X-Fenghuo-Delivery"] == msg.id and mail["Subject"] == SUBJECT
    assert mail.get_content().replace("\r\n", "\n") == TEXT


def test_an_untrusted_certificate_is_refused_and_not_retried(smtps):
    sender = SMTPEmailSender("127.0.0.1", smtps.port, "alerts@fenghuo.example",
                             implicit_tls=True, timeout=scaled(10))  # the system's authorities
    err = failure(sender, message("email", "duty@bj.example"))
    assert err.retryable is False and "not trusted" in str(err)
    assert smtps.box.messages == []


def test_a_certificate_for_another_host_is_refused(tmp_path):
    other = self_signed(tmp_path, "other", names="DNS:relay.other.example")
    with SMTPPeer(tls=other.server_context()) as peer:
        sender = SMTPEmailSender("127.0.0.1", peer.port, "alerts@fenghuo.example",
                                 implicit_tls=True, tls_context=trusting(other.cert),
                                 timeout=scaled(10))  # trusted, but not for 127.0.0.1
        err = failure(sender, message("email", "duty@bj.example"))
        assert err.retryable is False and "not trusted" in str(err)
        assert peer.box.messages == []


def test_implicit_tls_against_a_plain_server_fails(certificate):
    with SMTPPeer() as plain:
        sender = SMTPEmailSender("127.0.0.1", plain.port, "alerts@fenghuo.example",
                                 implicit_tls=True, tls_context=trusting(certificate.cert),
                                 timeout=scaled(10))
        failure(sender, message("email", "duty@bj.example"))
        assert plain.box.messages == []


def test_login_over_implicit_tls(certificate):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"relay-user", b"relay-pass")
        return AuthResult(success=ok, handled=False)

    # aiosmtpd counts only STARTTLS as TLS for AUTH, so it must not insist on that here
    with SMTPPeer(tls=certificate.server_context(), authenticator=authenticate,
                  auth_require_tls=False) as peer:
        context = trusting(certificate.cert)
        SMTPEmailSender("127.0.0.1", peer.port, "alerts@fenghuo.example", username="relay-user",
                        password="relay-pass", implicit_tls=True, tls_context=context,
                        timeout=scaled(10)).send(message("email", "duty@bj.example"))
        bad = SMTPEmailSender("127.0.0.1", peer.port, "alerts@fenghuo.example",
                              username="relay-user", password="wrong", implicit_tls=True,
                              tls_context=context, timeout=scaled(10))
        err = failure(bad, message("email", "duty@bj.example"))
        assert err.retryable is False and err.code == 535
        assert len(peer.box.messages) == 1


def test_starttls_verifies_the_relay_too(certificate, tmp_path):
    # STARTTLS checks the certificate against the host it connected to, like implicit TLS
    with SMTPPeer(tls_context=certificate.server_context(), require_starttls=True) as peer:
        SMTPEmailSender("127.0.0.1", peer.port, "alerts@fenghuo.example", starttls=True,
                        tls_context=trusting(certificate.cert),
                        timeout=scaled(10)).send(message("email", "duty@bj.example"))
        assert len(peer.box.messages) == 1
        other = self_signed(tmp_path, "other", names="DNS:relay.other.example")
        err = failure(SMTPEmailSender("127.0.0.1", peer.port, "alerts@fenghuo.example",
                                      starttls=True, tls_context=trusting(other.cert),
                                      timeout=scaled(10)), message("email", "duty@bj.example"))
        assert err.retryable is False and "not trusted" in str(err)
        assert len(peer.box.messages) == 1


def test_starttls_and_implicit_tls_exclude_each_other():
    with pytest.raises(ValueError, match="not both"):
        SMTPEmailSender("127.0.0.1", 465, "a@b.example", starttls=True, implicit_tls=True)


# --- the registry -----------------------------------------------------------------------------


def test_registry_builds_smtps_with_a_ca_file_and_the_sms_gateway(smtps, certificate,
                                                                    receiver):
    notifiers = build_notifiers({
        "smtp_host": "127.0.0.1", "smtp_port": smtps.port, "smtp_tls": "implicit",
        "smtp_ca_file": certificate.cert, "smtp_sender": "alerts@fenghuo.example",
        "webhook_timeout": scaled(10), "public_url": BASE, "sms_url": receiver.base + "/sms",
        "sms_token": TOKEN, "sms_max_segments": 2})
    notifiers["email"].send(message("email", "duty@bj.example"))
    [mail] = smtps.box.messages
    # the mail ends with the page's link under FENGHUO_PUBLIC_URL (issue 16 item 7)
    assert mail.get_content().rstrip().endswith(f"详情 Details: {LINK}")
    notifiers["sms"].send(message("sms", "13800138000"))
    doc = json.loads(receiver.only_request()["body"])
    assert doc["text"].endswith(LINK) and doc["segments"] <= 2


def test_registry_without_ca_file_verifies_against_the_system(smtps):
    notifiers = build_notifiers({"smtp_host": "127.0.0.1", "smtp_port": smtps.port,
                                 "smtp_tls": "implicit", "webhook_timeout": scaled(10)})
    err = failure(notifiers["email"], message("email", "duty@bj.example"))
    assert err.retryable is False and smtps.box.messages == []


def test_registry_without_a_gateway_refuses_sms_saying_what_to_set():
    notifiers = build_notifiers({})
    err = failure(notifiers["sms"], message("sms", "13800138000"))
    assert err.retryable is False and "FENGHUO_SMS_URL" in str(err)
    with pytest.raises(ValueError, match="smtp_tls"):
        build_notifiers({"smtp_tls": "ssl"})
