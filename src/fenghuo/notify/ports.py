"""The notification channel port: what a worker hands to an adapter and what comes back.

Domain code never sends anything itself: it enqueues a message in the outbox, in its own
transaction, and a worker later turns each claimed row into a :class:`Message` and calls the
:class:`Notifier` registered for its channel. An adapter either returns (delivered) or raises
:class:`DeliveryError`, whose ``retryable`` flag tells the worker whether to back off and try
again or to dead-letter the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Message:
    """One delivery attempt's content, identical on every retry of the same delivery."""

    #: The delivery id: stable across retries, so receivers can use it as an idempotency key.
    id: str
    #: "email", "webhook", "dingtalk", "wecom", "feishu" or "sms".
    channel: str
    #: An email address, the URL of a webhook or chat robot, or a mobile number.
    address: str
    subject: str
    #: Plain text for people (may contain Chinese).
    text: str
    #: JSON-ready structured content for machines, e.g. the incident summary.
    payload: dict
    #: The webhook HMAC secret, or the DingTalk or Feishu robot's signing secret.
    secret: str | None = field(default=None, repr=False)


class DeliveryError(Exception):
    """A delivery attempt failed. ``retryable`` is False when trying again cannot help (the
    receiver refused the message or the address), True for network trouble, timeouts, 5xx
    answers, 408 and 429."""

    def __init__(self, reason: str, *, retryable: bool = True, code: int | str | None = None
                 ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        #: The HTTP status, SMTP reply code or robot ``errcode`` behind the failure, if any.
        self.code = code


def http_status_retryable(status: int) -> bool:
    """Whether an unsuccessful HTTP status is worth retrying: 5xx, 408 (request timeout) and 429
    (too many requests) are; any other 4xx (and an unexpected 1xx/3xx) is not."""
    return status >= 500 or status in (408, 429)


@runtime_checkable
class Notifier(Protocol):
    """Delivers messages of one channel. ``send`` returns when the receiver accepted the
    message and raises :class:`DeliveryError` otherwise."""

    channel: str

    def send(self, message: Message) -> None: ...
