"""Chat group robots: DingTalk (钉钉) custom robots and WeCom (企业微信) group robots.

Both take a JSON POST to the robot's webhook URL (the contact's address, which carries the
robot's access token or key) and answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` on
success or a non-zero ``errcode`` on failure. Formats, as checked against public copies of the
vendors' documentation:

* DingTalk markdown message: ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``
  where ``title`` is what the conversation list shows. With the "加签" (signing) security
  setting, the request URL gets two more query parameters: ``timestamp`` (milliseconds since
  the epoch; DingTalk rejects one more than an hour off its clock) and ``sign``, which is
  urlEncode(Base64(HmacSHA256(key=secret, message=timestamp + "\\n" + secret))), UTF-8 throughout.
* WeCom markdown message: ``{"msgtype": "markdown", "markdown": {"content": ...}}``.

Robots have no idempotency key: a retry after a timeout whose request did arrive shows the
message twice. Each message therefore ends with its delivery id, so people can tell a repeat
from a new notification.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from urllib.parse import quote_plus, urlsplit, urlunsplit

from fenghuo.notify.adapters.webhook import HttpSender, canonical_json, post
from fenghuo.notify.ports import DeliveryError, Message

#: DingTalk ``errcode`` values worth retrying; every other non-zero code (bad token, signature
#: or keyword mismatch, IP not allowed, malformed message, robot disabled) is permanent.
#: - 130101 "send too fast, exceed 20 times per minute": the per-robot rate limit (the code and
#:   text as reported from DingTalk answers in public issue trackers; the official error-code
#:   page itself was not available to confirm it).
#: - 90030 "webhook over limit": reported for robots over their sending quota (public Q&A, not
#:   confirmed against the official page).
#: - -1 "system busy": DingTalk's generic transient server error (from the general server API
#:   conventions; not confirmed for robots specifically).
DINGTALK_RETRYABLE_ERRCODES = frozenset({130101, 90030, -1})

#: WeCom ``errcode`` values worth retrying; others (invalid key, bad message) are permanent.
#: - 45009 "api freq out of limit": WeCom's (and WeChat's) rate-limit code; group robots are
#:   limited to 20 messages a minute.
#: - -1 "system busy": WeCom's global "try again later" code.
WECOM_RETRYABLE_ERRCODES = frozenset({45009, -1})

#: WeCom's markdown ``content`` limit in UTF-8 bytes. The stored copy of the official robot page
#: (developer.work.weixin.qq.com, document 91770) that we checked shows the text type's 2048-byte
#: limit but is cut before the markdown section; 4096 bytes is the commonly cited figure and is
#: not confirmed here.
WECOM_MARKDOWN_MAX_BYTES = 4096

_TRUNCATED = "\n…"


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """The Base64 signature (before URL encoding) for a DingTalk custom robot request."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_signed_url(address: str, secret: str, timestamp_ms: int) -> str:
    """``address`` with ``timestamp`` and the URL-encoded ``sign`` appended to its query (any
    stale pair already in the stored address is replaced)."""
    parts = urlsplit(address)
    kept = [p for p in parts.query.split("&")
            if p and p.split("=", 1)[0] not in ("timestamp", "sign")]
    kept += [f"timestamp={timestamp_ms}", f"sign={quote_plus(dingtalk_sign(secret, timestamp_ms))}"]
    return urlunsplit(parts._replace(query="&".join(kept)))


def markdown_body(message: Message, *, max_bytes: int | None = None) -> str:
    """Subject as a heading, the text with hard line breaks, the delivery id at the end; with
    ``max_bytes``, the text is shortened so the whole fits in that many UTF-8 bytes."""
    head = f"### {' '.join(message.subject.split())}\n\n"
    foot = f"\n\n> 投递编号 Delivery: {message.id}"
    text = "  \n".join(line.rstrip() for line in message.text.strip().splitlines())
    if max_bytes is not None:
        text = _fit_utf8(text, max_bytes - len(head.encode("utf-8")) - len(foot.encode("utf-8")))
    return head + text + foot


def _fit_utf8(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = max(limit - len(_TRUNCATED.encode("utf-8")), 0)
    return raw[:room].decode("utf-8", "ignore") + _TRUNCATED


class _RobotSender(HttpSender):
    retryable_errcodes: frozenset[int] = frozenset()

    def _deliver(self, url: str, document: dict) -> None:
        response = post(self.client, url, canonical_json(document),
                        headers={"Content-Type": "application/json"}, timeout=self.timeout)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "errcode" not in answer:
            # Not what a robot answers: the address points at something else. Retrying will
            # not fix that, so let an operator see it at once.
            raise DeliveryError(f"{self.channel}: the answer is not a robot's JSON reply",
                                retryable=False)
        errcode = answer["errcode"]
        with contextlib.suppress(TypeError, ValueError):
            errcode = int(errcode)
        if errcode == 0:
            return
        errmsg = str(answer.get("errmsg", ""))[:200]
        raise DeliveryError(f"{self.channel} errcode {errcode}: {errmsg}",
                            retryable=errcode in self.retryable_errcodes, code=errcode)


class DingTalkRobotSender(_RobotSender):
    """A DingTalk custom robot (自定义机器人); ``message.secret`` is its 加签 secret, if set."""

    channel = "dingtalk"
    retryable_errcodes = DINGTALK_RETRYABLE_ERRCODES

    def send(self, message: Message) -> None:
        url = message.address
        if message.secret:
            url = dingtalk_signed_url(url, message.secret, int(self.clock() * 1000))
        self._deliver(url, {"msgtype": "markdown",
                            "markdown": {"title": message.subject,
                                         "text": markdown_body(message)}})


class WeComRobotSender(_RobotSender):
    """A WeCom group robot (群机器人); its key is part of the address, there is no secret."""

    channel = "wecom"
    retryable_errcodes = WECOM_RETRYABLE_ERRCODES

    def send(self, message: Message) -> None:
        content = markdown_body(message, max_bytes=WECOM_MARKDOWN_MAX_BYTES)
        self._deliver(message.address, {"msgtype": "markdown", "markdown": {"content": content}})
