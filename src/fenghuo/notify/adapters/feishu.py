"""Feishu (飞书) custom group robots (自定义机器人).

The contact's address is the robot's webhook URL (``https://open.feishu.cn/open-apis/bot/v2/
hook/<token>``); its secret, if any, is the robot's "签名校验" key. The request, as checked
against public copies of Feishu's custom-robot guide and robot clients built on it:

* a JSON POST of ``{"msg_type": "post", "content": {"post": {"zh_cn": {"title": ...,
  "content": [[{"tag": "text", "text": ...}, {"tag": "a", "text": ..., "href": ...}], ...]}}}}``
  (rich text: one list of elements per paragraph);
* with signing, two more top-level fields: ``timestamp`` (seconds since the epoch, as a string;
  Feishu refuses one more than an hour off its clock) and ``sign`` =
  Base64(HmacSHA256(key = timestamp + "\\n" + secret, message = empty)): the string is the key
  and the message is empty, unlike DingTalk's signature;
* the answer is HTTP 200 with ``{"code": 0, "msg": "success", "data": {}}`` (older robots:
  ``{"StatusCode": 0, "StatusMessage": "success"}``); a non-zero ``code`` is a failure, e.g.
  19021 (signature or timestamp wrong), 19022 (IP not allowed), 19024 (keyword missing).

With the "自定义关键词" (keyword) security setting, every message must contain a keyword: each
message ends with "烽火 Fenghuo" and its delivery id, so "烽火" always works. The delivery id
also tells a repeat (a retry after a lost answer) from a new notification.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time
from collections.abc import Callable

import httpx

from fenghuo.notify.adapters.webhook import HttpSender, canonical_json, post
from fenghuo.notify.compose import fit_utf8, one_line, page_link
from fenghuo.notify.ports import DeliveryError, Message

#: ``code`` values worth retrying; every other non-zero code is permanent.
#: - 9499: answered when a robot is sent too much, as handled by kubesphere/notification-manager
#:   ("the API call exceeds the limit, need to retry"; not confirmed against Feishu's own page).
#: - 11232 "frequency limited": reported for custom robots over their 100-a-minute, 5-a-second
#:   limit (public reports, not confirmed against the official page).
FEISHU_RETRYABLE_CODES = frozenset({9499, 11232})

#: Feishu limits a custom robot's request body to 20 KB (the guide's figure as commonly cited);
#: the text is cut to leave room for the JSON around it.
FEISHU_TEXT_MAX_BYTES = 16_000
KEYWORD = "烽火 Fenghuo"


def feishu_sign(secret: str, timestamp: int | str) -> str:
    """The ``sign`` of a Feishu custom-robot request made at ``timestamp`` (seconds)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def post_content(message: Message, link: str | None) -> dict:
    """The rich-text ``post`` of ``message``: the text's lines, the link, the delivery id."""
    text = fit_utf8(message.text.strip(), FEISHU_TEXT_MAX_BYTES)
    paragraphs: list[list[dict]] = [[{"tag": "text", "text": line.rstrip()}]
                                    for line in text.splitlines() if line.strip()]
    if link:
        paragraphs.append([{"tag": "text", "text": "详情 Details: "},
                           {"tag": "a", "text": link, "href": link}])
    paragraphs.append([{"tag": "text", "text": f"{KEYWORD} · 投递编号 Delivery: {message.id}"}])
    return {"post": {"zh_cn": {"title": one_line(message.subject), "content": paragraphs}}}


class FeishuRobotSender(HttpSender):
    """Posts ``message`` to a Feishu custom robot, signed when the contact has a secret."""

    channel = "feishu"

    def __init__(self, timeout: float = 5.0, client: httpx.Client | None = None, *,
                 clock: Callable[[], float] = time.time, public_url: str | None = None) -> None:
        super().__init__(timeout, client, clock=clock)
        #: FENGHUO_PUBLIC_URL: each message links to its page under it
        self.public_url = public_url

    def send(self, message: Message) -> None:
        document: dict = {"msg_type": "post",
                          "content": post_content(message, page_link(self.public_url,
                                                                     message.payload))}
        if message.secret:
            stamp = str(int(self.clock()))
            document |= {"timestamp": stamp, "sign": feishu_sign(message.secret, stamp)}
        response = post(self.client, message.address, canonical_json(document),
                        headers={"Content-Type": "application/json"}, timeout=self.timeout)
        check_answer(response)


def check_answer(response: httpx.Response) -> None:
    """Raise :class:`DeliveryError` unless the robot's JSON answer says success."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not ({"code", "StatusCode"} & answer.keys()):
        # not what a Feishu robot answers: the address points at something else
        raise DeliveryError("feishu: the answer is not a robot's JSON reply", retryable=False)
    code = answer.get("code", answer.get("StatusCode"))
    with contextlib.suppress(TypeError, ValueError):
        code = int(code)
    if code == 0:
        return
    msg = str(answer.get("msg", answer.get("StatusMessage", "")))[:200]
    raise DeliveryError(f"feishu code {code}: {msg}", retryable=code in FEISHU_RETRYABLE_CODES,
                        code=code)
