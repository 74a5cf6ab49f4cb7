"""SMS through a gateway's HTTP API: one generic JSON POST per message.

Operators put their SMS provider (or an in-house gateway in front of it) behind one endpoint
that takes this request (``FENGHUO_SMS_*`` settings)::

    POST <FENGHUO_SMS_URL>
    Content-Type: application/json
    Authorization: Bearer <FENGHUO_SMS_TOKEN>     (or <FENGHUO_SMS_TOKEN_HEADER>: <token>)
    X-Fenghuo-Delivery: <delivery id, the same on every retry: deduplicate on it>

    {"to": "+8613800138000",              the number in E.164 form
     "text": "<summary> <link>",          without the signature: the gateway puts it in front
     "sign_name": "烽火",                  FENGHUO_SMS_SIGN_NAME, the registered 短信签名
     "segments": 2,                        SMS parts the text takes with 【sign_name】
     "delivery_id": "<delivery id>",
     "sender": "...",                      FENGHUO_SMS_SENDER, when set
     "template_id": "...",                 FENGHUO_SMS_TEMPLATE_ID, when set, with
     "template_params": {"summary": "...", "link": "..."}}

The text is a short summary and the link to the page (``FENGHUO_PUBLIC_URL``), at most
``FENGHUO_SMS_MAX_SEGMENTS`` parts of 70 characters (67 each when longer), signature included.

What the gateway answers: any 2xx is accepted, unless its body is JSON that reports a failure:
``"ok": false`` or ``"success": false``, a non-empty ``"error"``, or a ``"code"`` (any case of
the key) other than 0, "0", "OK", "success" or 200. Such a failure is permanent unless the
answer carries ``"retryable": true``; HTTP 5xx, 408 and 429 and network trouble are retried, any
other status is not (as for webhooks).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from fenghuo.notify.adapters.webhook import HttpSender, canonical_json, post
from fenghuo.notify.compose import page_link, sms_segments, sms_text
from fenghuo.notify.ports import DeliveryError, Message
from fenghuo.org.rules import sms_number

SUCCESS_CODES = frozenset({"0", "ok", "success", "200"})


class SMSGatewaySender(HttpSender):
    """Texts ``message`` to the number in ``message.address`` through the configured gateway."""

    channel = "sms"

    def __init__(self, url: str, *, token: str | None = None,
                 token_header: str = "Authorization", sign_name: str = "烽火",
                 sender: str | None = None, template_id: str | None = None,
                 max_segments: int = 3, public_url: str | None = None, timeout: float = 5.0,
                 client: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(timeout, client, clock=clock)
        self.url, self.token, self.token_header = url, token, token_header
        self.sign_name, self.sender, self.template_id = sign_name, sender, template_id
        self.max_segments, self.public_url = max_segments, public_url

    def request(self, message: Message) -> dict:
        """The JSON document for ``message`` (raises DeliveryError for a number that cannot
        take an SMS)."""
        number = sms_number(message.address)
        if number is None:
            raise DeliveryError("sms: not a mobile number", retryable=False)
        link = page_link(self.public_url, message.payload)
        text = sms_text(message.subject, message.text, link, sign_name=self.sign_name,
                        max_segments=self.max_segments)
        document = {"to": number, "text": text, "sign_name": self.sign_name,
                    "segments": sms_segments(f"【{self.sign_name}】{text}"),
                    "delivery_id": message.id}
        if self.sender:
            document["sender"] = self.sender
        if self.template_id:
            summary = text[:-len(link) - 1] if link and text.endswith(link) else text
            document |= {"template_id": self.template_id,
                         "template_params": {"summary": summary, "link": link or ""}}
        return document

    def headers(self, message: Message) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "X-Fenghuo-Delivery": message.id}
        if self.token:
            bearer = self.token_header.lower() == "authorization"
            headers[self.token_header] = f"Bearer {self.token}" if bearer else self.token
        return headers

    def send(self, message: Message) -> None:
        document = self.request(message)
        response = post(self.client, self.url, canonical_json(document),
                        headers=self.headers(message), timeout=self.timeout)
        check_answer(response)


def check_answer(response: httpx.Response) -> None:
    """Raise :class:`DeliveryError` if a 2xx answer's JSON body reports a failure."""
    try:
        answer = response.json() if response.content.strip() else None
    except ValueError:
        return  # a plain-text "OK": the status said it
    if not isinstance(answer, dict):
        return
    fields = {str(k).lower(): v for k, v in answer.items()}
    code = fields.get("code")
    failed = (fields.get("ok") is False or fields.get("success") is False
              or bool(fields.get("error"))
              or (code is not None and str(code).strip().lower() not in SUCCESS_CODES))
    if not failed:
        return
    reason = next((str(fields[k]) for k in ("message", "msg", "error", "errmsg")
                   if fields.get(k)), "")[:200]
    raise DeliveryError(f"sms gateway refused: code {code} {reason}".strip(),
                        retryable=fields.get("retryable") is True,
                        code=code if isinstance(code, int | str) else None)

