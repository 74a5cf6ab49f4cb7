"""The channel adapters against real peers on 127.0.0.1: an aiosmtpd SMTP server and a threaded
HTTP server standing in for webhook receivers and the DingTalk and WeCom robot APIs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from standardwebhooks import Webhook, WebhookVerificationError

from fenghuo.notify.adapters.registry import build_notifiers
from fenghuo.notify.adapters.robots import (
    WECOM_MARKDOWN_MAX_BYTES,
    DingTalkRobotSender,
    WeComRobotSender,
)
from fenghuo.notify.adapters.smtp import SMTPEmailSender
from fenghuo.notify.adapters.webhook import WebhookSender, verify_signature
from fenghuo.notify.ports import Notifier
from tests.notify_support import failure, make_message
from tests.peers import free_port
from tests.waits import scaled

SENDER = "Fenghuo 烽火 <alerts@fenghuo.example>"
SUBJECT = "[重大 Major] FH-2025-000123 某银行核心系统遭勒索软件攻击"
TEXT = ("某银行核心系统遭勒索软件攻击\n等级 Grade: 重大 / Major\n"
        "影响 Impact: 支付业务中断约 2 小时\n措施 Measures: 已隔离受感染主机\n")
PAYLOAD = {"event": "incident.reported", "ref": "FH-2025-000123", "grade": "major",
           "title": "某银行核心系统遭勒索软件攻击", "immediate": True, "why": ["cii", "grade"]}
HOOK_SECRET = "whsec-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DING_SECRET = "SEC3f6c1e0b8a2d4f5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1"


message = partial(make_message, subject=SUBJECT, text=TEXT, payload=PAYLOAD)


# --- SMTP -----------------------------------------------------------------------------------


class MailDrop:
    """Refuses recipients whose local part starts with "refused" (550) or "busy" (450)."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox here"
        if address.startswith("busy"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


class SMTPServer:
    def __init__(self, **smtp_options: object) -> None:
        self.drop = MailDrop()
        self.port = free_port()
        self.controller = Controller(self.drop, hostname="127.0.0.1", port=self.port,
                                     **smtp_options)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.controller.start()
    yield server
    server.controller.stop()


def only_mail(server: SMTPServer):
    [(mail_from, rcpt_tos, content)] = server.drop.envelopes
    return mail_from, rcpt_tos, content, message_from_bytes(content, policy=policy.default)


def test_email_arrives_in_utf8_with_delivery_headers(smtp_server):
    sender = SMTPEmailSender("127.0.0.1", smtp_server.port, SENDER, timeout=scaled(10))
    msg = message("email", "duty@bj.example")
    sender.send(msg)
    mail_from, rcpt_tos, raw, mail = only_mail(smtp_server)
    assert mail_from == "alerts@fenghuo.example"
    assert rcpt_tos == ["duty@bj.example"]
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert raw.isascii()  # 7-bit clean: no 8BITMIME needed on the way
    assert b"=?utf-8?" in head  # the subject went out RFC 2047-encoded
    assert mail["Subject"] == SUBJECT
    assert mail["To"] == "duty@bj.example"
    assert mail["From"].addresses[0].display_name == "Fenghuo 烽火"
    assert mail["X-Fenghuo-Delivery"] == msg.id
    assert mail["Message-ID"] == f"<fenghuo.{msg.id}@fenghuo.example>"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail["Content-Transfer-Encoding"] == "base64"
    assert mail.get_content().replace("\r\n", "\n") == TEXT


def test_a_retried_email_keeps_its_message_id(smtp_server):
    sender = SMTPEmailSender("127.0.0.1", smtp_server.port, SENDER)
    first, other = message("email", "duty@bj.example"), message("email", "duty@bj.example")
    sender.send(first)
    sender.send(first)
    sender.send(other)
    ids = [message_from_bytes(c, policy=policy.default)["Message-ID"]
           for _, _, c in smtp_server.drop.envelopes]
    assert ids[0] == ids[1] != ids[2]


def test_a_refused_recipient_is_permanent(smtp_server):
    sender = SMTPEmailSender("127.0.0.1", smtp_server.port, SENDER)
    err = failure(sender, message("email", "refused@bj.example"))
    assert err.retryable is False and err.code == 550
    assert "550" in str(err)
    assert smtp_server.drop.envelopes == []


def test_a_temporarily_refused_recipient_is_retried(smtp_server):
    sender = SMTPEmailSender("127.0.0.1", smtp_server.port, SENDER)
    err = failure(sender, message("email", "busy@bj.example"))
    assert err.retryable is True and err.code == 450


def test_a_closed_smtp_port_is_retried():
    sender = SMTPEmailSender("127.0.0.1", free_port(), SENDER, timeout=scaled(10))
    err = failure(sender, message("email", "duty@bj.example"))
    assert err.retryable is True


def test_a_header_injection_attempt_is_refused_before_connecting():
    sender = SMTPEmailSender("127.0.0.1", free_port(), SENDER)
    err = failure(sender, message("email", "duty@bj.example\r\nBcc: spy@evil.example"))
    assert err.retryable is False


@pytest.fixture
def smtp_server_with_login() -> Iterator[SMTPServer]:
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"relay-user", b"relay-pass")
        return AuthResult(success=ok, handled=False)

    server = SMTPServer(authenticator=authenticate, auth_require_tls=False)
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_good_and_bad_credentials(smtp_server_with_login):
    port = smtp_server_with_login.port
    good = SMTPEmailSender("127.0.0.1", port, SENDER, username="relay-user",
                           password="relay-pass")
    good.send(message("email", "duty@bj.example"))
    assert len(smtp_server_with_login.drop.envelopes) == 1
    bad = SMTPEmailSender("127.0.0.1", port, SENDER, username="relay-user", password="wrong")
    err = failure(bad, message("email", "duty@bj.example"))
    assert err.retryable is False and err.code == 535
    assert len(smtp_server_with_login.drop.envelopes) == 1


# --- HTTP receivers -------------------------------------------------------------------------


class Receiver:
    """Records every POST and answers as told: a status, a body, optionally after a delay."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status, self.body = 200, b'{"errcode":0,"errmsg":"ok"}'
        self.delay = 0.0
        self.release = threading.Event()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                peer.requests.append({"target": self.path, "headers": self.headers,
                                      "body": body})
                if peer.delay:
                    peer.release.wait(peer.delay)
                self.send_response(peer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(peer.body)))
                self.end_headers()
                self.wfile.write(peer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, status: int = 200, body: bytes | dict = b"") -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body

    def only_request(self) -> dict:
        [request] = self.requests
        return request


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


def query(target: str) -> dict[str, str]:
    """Raw (still URL-encoded) query parameters of a request target."""
    return dict(p.split("=", 1) for p in urlsplit(target).query.split("&") if p)


# --- Webhooks -------------------------------------------------------------------------------


def test_a_signed_webhook_is_delivered_and_verifies(receiver):
    sender = WebhookSender(timeout=scaled(10))
    msg = message("webhook", receiver.base + "/hooks/fenghuo", secret=HOOK_SECRET)
    before = time.time()
    sender.send(msg)
    req = receiver.only_request()
    h, body = req["headers"], req["body"]
    assert req["target"] == "/hooks/fenghuo"
    assert h["Content-Type"] == "application/json"
    assert h["X-Fenghuo-Delivery"] == msg.id
    assert json.loads(body) == PAYLOAD
    assert "勒索软件".encode() in body  # UTF-8, not \u escapes
    assert body == json.dumps(PAYLOAD, ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")).encode()
    stamp = h["X-Fenghuo-Timestamp"]
    assert before - 1 <= int(stamp) <= time.time() + 1
    sig = h["X-Fenghuo-Signature"]
    expected = hmac.new(HOOK_SECRET.encode(), f"{stamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert sig == "sha256=" + expected
    assert verify_signature(HOOK_SECRET, stamp, body, sig)
    assert verify_signature(HOOK_SECRET, int(stamp), body, sig, now=int(stamp) + 299)


def test_signature_verification_rejects_tampering_and_replays(receiver):
    WebhookSender().send(message("webhook", receiver.base, secret=HOOK_SECRET))
    req = receiver.only_request()
    stamp, sig, body = (req["headers"]["X-Fenghuo-Timestamp"],
                        req["headers"]["X-Fenghuo-Signature"], req["body"])
    now = int(stamp)
    assert verify_signature(HOOK_SECRET, stamp, body, sig, now=now)
    tampered = body.replace(b'"major"', b'"minor"')
    assert tampered != body
    assert not verify_signature(HOOK_SECRET, stamp, tampered, sig, now=now)
    assert not verify_signature("another-secret", stamp, body, sig, now=now)
    assert not verify_signature(HOOK_SECRET, str(now + 1), body, sig, now=now)  # moved stamp
    assert not verify_signature(HOOK_SECRET, stamp, body, sig, now=now + 301)  # stale replay
    assert not verify_signature(HOOK_SECRET, stamp, body, sig, now=now - 301)  # from the future
    assert not verify_signature(HOOK_SECRET, stamp, body, sig, now=now + 60, tolerance=30)
    assert not verify_signature(HOOK_SECRET, stamp, body, sig.upper(), now=now)
    assert not verify_signature(HOOK_SECRET, stamp, body, sig[len("sha256="):], now=now)
    assert not verify_signature(HOOK_SECRET, "not-a-time", body, sig, now=now)
    assert not verify_signature(HOOK_SECRET, stamp, body, "", now=now)


def received(req: dict) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers (a plain dict) of a recorded request."""
    return req["body"], dict(req["headers"].items())


def test_a_standard_webhook_verifies_and_keeps_the_old_header(receiver):
    """Standard Webhooks (issue 20 item 6): a plain secret's UTF-8 bytes are the key; tampering
    or another secret fails; the deprecated X-Fenghuo-Signature still verifies."""
    msg = message("webhook", receiver.base, secret=HOOK_SECRET)
    WebhookSender().send(msg)
    body, h = received(receiver.only_request())
    assert h["webhook-id"] == h["X-Fenghuo-Delivery"] == msg.id
    assert h["webhook-timestamp"] == h["X-Fenghuo-Timestamp"]
    assert h["webhook-signature"].startswith("v1,")
    assert Webhook(HOOK_SECRET.encode()).verify(body, h) == PAYLOAD
    with pytest.raises(WebhookVerificationError):
        Webhook(HOOK_SECRET.encode()).verify(body.replace(b'"major"', b'"minor"'), h)
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another-secret").verify(body, h)
    with pytest.raises(WebhookVerificationError):  # the id is signed too
        Webhook(HOOK_SECRET.encode()).verify(body, {**h, "webhook-id": "other"})
    assert verify_signature(HOOK_SECRET, h["X-Fenghuo-Timestamp"], body,
                            h["X-Fenghuo-Signature"])


def test_a_whsec_secret_is_a_standard_key_and_a_broken_one_is_permanent(receiver):
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    WebhookSender().send(message("webhook", receiver.base, secret=secret))
    body, h = received(receiver.only_request())
    assert Webhook(secret).verify(body, h) == PAYLOAD
    assert verify_signature(secret, h["X-Fenghuo-Timestamp"], body, h["X-Fenghuo-Signature"])
    err = failure(WebhookSender(), message("webhook", receiver.base, secret="whsec_abcde"))
    assert err.retryable is False and "Standard Webhooks" in str(err)
    assert len(receiver.requests) == 1  # nothing sent


def test_a_retried_webhook_keeps_its_id(receiver):
    msg = message("webhook", receiver.base, secret=HOOK_SECRET)
    receiver.answer(503)
    assert failure(WebhookSender(), msg).retryable
    receiver.answer(200)
    WebhookSender().send(msg)
    (b1, h1), (b2, h2) = map(received, receiver.requests)
    assert h1["webhook-id"] == h2["webhook-id"] == msg.id
    assert Webhook(HOOK_SECRET.encode()).verify(b2, h2) == PAYLOAD


def test_a_webhook_links_to_its_page():
    sender = WebhookSender(public_url="https://fenghuo.example.cn/")
    assert sender.document(PAYLOAD) == {
        **PAYLOAD, "link": "https://fenghuo.example.cn/web/incidents/FH-2025-000123"}
    assert sender.document({**PAYLOAD, "link": "x"})["link"] == "x"  # a producer's own
    assert WebhookSender().document(PAYLOAD) is PAYLOAD  # no base URL: as written


def test_an_unsigned_webhook_has_no_signature(receiver):
    WebhookSender().send(message("webhook", receiver.base))
    headers = receiver.only_request()["headers"]
    assert headers["X-Fenghuo-Delivery"] and headers["X-Fenghuo-Timestamp"]
    assert "X-Fenghuo-Signature" not in headers and "webhook-signature" not in headers
    assert headers["webhook-id"] and headers["webhook-timestamp"]


@pytest.mark.parametrize(("status", "retryable"), [
    (500, True), (502, True), (503, True), (429, True), (408, True),
    (400, False), (401, False), (404, False), (410, False), (301, False),
])
def test_webhook_status_codes(receiver, status, retryable):
    receiver.answer(status, b"nope")
    err = failure(WebhookSender(), message("webhook", receiver.base))
    assert err.retryable is retryable and err.code == status
    assert str(status) in str(err)
    assert len(receiver.requests) == 1  # no hidden retries or redirect following


def test_webhook_2xx_without_body_is_delivered(receiver):
    receiver.answer(204)
    WebhookSender().send(message("webhook", receiver.base))
    assert len(receiver.requests) == 1


def test_webhook_connection_refused_is_retried():
    err = failure(WebhookSender(timeout=scaled(10)),
                  message("webhook", f"http://127.0.0.1:{free_port()}/hook"))
    assert err.retryable is True


def test_webhook_timeout_is_retried(receiver):
    receiver.delay = 600  # the receiver holds its answer far longer than the sender waits
    err = failure(WebhookSender(timeout=0.3), message("webhook", receiver.base))
    assert err.retryable is True and "timed out" in str(err)
    assert not receiver.release.is_set()  # the sender gave up while the answer was still held
    assert len(receiver.requests) == 1


def test_an_unusable_webhook_address_is_permanent():
    err = failure(WebhookSender(), message("webhook", "ftp://127.0.0.1/hook"))
    assert err.retryable is False


# --- DingTalk and WeCom robots --------------------------------------------------------------


def test_dingtalk_signed_request(receiver):
    msg = message("dingtalk", receiver.base + "/robot/send?access_token=tok123",
                  secret=DING_SECRET)
    before_ms = time.time() * 1000
    DingTalkRobotSender(timeout=scaled(10)).send(msg)
    req = receiver.only_request()
    assert urlsplit(req["target"]).path == "/robot/send"
    params = query(req["target"])
    assert set(params) == {"access_token", "timestamp", "sign"}
    assert params["access_token"] == "tok123"
    stamp = params["timestamp"]
    assert before_ms - 1000 <= int(stamp) <= time.time() * 1000 + 1000  # milliseconds
    # The documented formula: urlEncode(Base64(HmacSHA256(secret, timestamp + "\n" + secret)))
    digest = hmac.new(DING_SECRET.encode("utf-8"), (stamp + "\n" + DING_SECRET).encode("utf-8"),
                      hashlib.sha256).digest()
    b64 = base64.b64encode(digest).decode()
    assert params["sign"] == quote_plus(b64)
    assert parse_qs(urlsplit(req["target"]).query)["sign"] == [b64]
    assert req["headers"]["Content-Type"] == "application/json"
    doc = json.loads(req["body"])
    assert doc["msgtype"] == "markdown"
    assert set(doc["markdown"]) == {"title", "text"}
    assert doc["markdown"]["title"] == SUBJECT
    text = doc["markdown"]["text"]
    assert SUBJECT in text and "支付业务中断约 2 小时" in text and msg.id in text


def test_dingtalk_without_secret_adds_no_signature(receiver):
    DingTalkRobotSender().send(message("dingtalk", receiver.base + "/robot/send?access_token=t"))
    assert query(receiver.only_request()["target"]) == {"access_token": "t"}


def test_wecom_markdown_request(receiver):
    msg = message("wecom", receiver.base + "/cgi-bin/webhook/send?key=k-1")
    WeComRobotSender(timeout=scaled(10)).send(msg)
    req = receiver.only_request()
    assert query(req["target"]) == {"key": "k-1"}
    doc = json.loads(req["body"])
    assert set(doc) == {"msgtype", "markdown"} and doc["msgtype"] == "markdown"
    assert set(doc["markdown"]) == {"content"}
    content = doc["markdown"]["content"]
    assert SUBJECT in content and "已隔离受感染主机" in content and msg.id in content


def test_wecom_long_text_is_cut_to_the_limit(receiver):
    msg = message("wecom", receiver.base, text="很长的事件描述。" * 2000)
    WeComRobotSender().send(msg)
    content = json.loads(receiver.only_request()["body"])["markdown"]["content"]
    assert len(content.encode("utf-8")) <= WECOM_MARKDOWN_MAX_BYTES
    assert content.startswith("### " + SUBJECT) and content.endswith(msg.id)
    assert "…" in content


@pytest.mark.parametrize(("sender_class", "errcode", "retryable"), [
    (DingTalkRobotSender, 130101, True),  # send too fast
    (DingTalkRobotSender, 310000, False),  # keyword / signature / IP check failed
    (DingTalkRobotSender, 300001, False),  # bad token
    (WeComRobotSender, 45009, True),  # api freq out of limit
    (WeComRobotSender, 93000, False),  # invalid webhook key
    (WeComRobotSender, -1, True),  # system busy
])
def test_robot_errcodes(receiver, sender_class, errcode, retryable):
    receiver.answer(200, {"errcode": errcode, "errmsg": "来自测试的错误"})
    err = failure(sender_class(), message(sender_class.channel, receiver.base, secret=None))
    assert err.retryable is retryable and err.code == errcode
    assert str(errcode) in str(err) and "来自测试的错误" in str(err)


@pytest.mark.parametrize("sender_class", [DingTalkRobotSender, WeComRobotSender])
def test_robot_transport_and_answer_failures(receiver, sender_class):
    msg = message(sender_class.channel, receiver.base)
    receiver.answer(503, b"upstream down")
    assert failure(sender_class(), msg).retryable is True
    receiver.answer(200, b"<html>not a robot</html>")
    assert failure(sender_class(), msg).retryable is False
    receiver.answer(200, {"errcode": 0, "errmsg": "ok"})
    sender_class().send(msg)
    assert len(receiver.requests) == 3
    closed = message(sender_class.channel, f"http://127.0.0.1:{free_port()}/robot")
    assert failure(sender_class(), closed).retryable is True


# --- Registry -------------------------------------------------------------------------------


def test_registry_builds_every_channel_from_plain_settings(smtp_server, receiver):
    notifiers = build_notifiers({"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port,
                                 "smtp_sender": "alerts@fenghuo.example", "webhook_timeout": 2})
    assert set(notifiers) == {"email", "webhook", "dingtalk", "wecom", "feishu", "sms"}
    assert all(isinstance(n, Notifier) and n.channel == name for name, n in notifiers.items())
    notifiers["email"].send(message("email", "duty@bj.example"))
    notifiers["webhook"].send(message("webhook", receiver.base, secret=HOOK_SECRET))
    assert len(smtp_server.drop.envelopes) == 1 and len(receiver.requests) == 1
