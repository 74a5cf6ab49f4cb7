"""Generic webhooks: the message payload as canonical JSON in an HTTP POST, signed per the
Standard Webhooks specification (https://www.standardwebhooks.com, "Signature scheme") when the
contact has a secret; plus the HTTP plumbing the chat robots share.

What a receiver gets::

    POST <address>
    Content-Type: application/json
    webhook-id: <delivery id, the same on every retry: deduplicate on it>
    webhook-timestamp: <unix seconds when this attempt was signed>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>." + body)>   (with a secret)
    X-Fenghuo-Delivery: <the same delivery id>
    X-Fenghuo-Timestamp: <the same timestamp>
    X-Fenghuo-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>  (deprecated)

    <json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")), UTF-8>

The Standard Webhooks key (:func:`standard_key`): a secret that starts with ``whsec_`` is a
Standard Webhooks secret and is used as is (base64 after the prefix); any other secret's UTF-8
bytes are the HMAC key. A receiver verifies with the ``standardwebhooks`` library::

    key = secret if secret.startswith("whsec_") else secret.encode("utf-8")
    payload = standardwebhooks.Webhook(key).verify(body, headers)

``X-Fenghuo-Signature`` (checked with :func:`verify_signature`) is **deprecated**: it is still
sent for one release so receivers can move to ``webhook-signature``, then it goes. Both reject
timestamps outside a five-minute window, so a captured request cannot be replayed later.

With ``FENGHUO_PUBLIC_URL`` set, the payload also carries ``link``, the absolute address of the
page of what it announces (:func:`fenghuo.notify.compose.page_link`). Any 2xx answer means
delivered; redirects are not followed (a 3xx is a configuration problem and is not retried).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from fenghuo.notify.compose import page_link
from fenghuo.notify.ports import DeliveryError, Message, http_status_retryable

SIGNATURE_PREFIX = "sha256="
USER_AGENT = "fenghuo-notify/1"
DEFAULT_TOLERANCE_SECONDS = 300


def canonical_json(document: object) -> bytes:
    """The exact bytes sent (and signed): compact, sorted keys, UTF-8 without escapes."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


STANDARD_PREFIX = "whsec_"


def standard_key(secret: str) -> str | bytes:
    """The Standard Webhooks key of a contact's secret: a ``whsec_…`` secret as is (the
    specification's form: base64 after the prefix), any other secret as its UTF-8 bytes."""
    return secret if secret.startswith(STANDARD_PREFIX) else secret.encode("utf-8")


def standard_signature(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) for ``body`` with id ``msg_id`` sent at
    ``timestamp``, per Standard Webhooks. Raises ValueError for a ``whsec_`` secret that is not
    base64 or is empty."""
    try:
        hook = Webhook(standard_key(secret))
    except (binascii.Error, EmptyWebhookSecretError) as exc:
        raise ValueError(f"not a usable Standard Webhooks secret: {exc}") from exc
    when = datetime.fromtimestamp(int(timestamp), tz=UTC)
    return hook.sign(msg_id, when, body.decode("utf-8"))


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Fenghuo-Signature`` value for ``body`` sent at ``timestamp``. Deprecated: sent
    alongside ``webhook-signature`` for one release."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body,
                   hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(secret: str, timestamp: int | str, body: bytes | str, header: str | None,
                     *, now: float | None = None,
                     tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Deprecated with the header it checks (use ``standardwebhooks.Webhook.verify``).

    Whether ``header`` (the ``X-Fenghuo-Signature`` value) signs ``body`` with ``secret`` at
    ``timestamp`` (the ``X-Fenghuo-Timestamp`` value, as received), and that timestamp lies
    within ``tolerance`` seconds of ``now`` (default: the current time). Pass the raw body
    bytes as received, not re-serialised JSON. The comparison takes constant time."""
    if not secret or not header:
        return False
    stamp = str(timestamp).strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    expected = sign(secret, stamp, raw).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


def new_client(timeout: float) -> httpx.Client:
    """An HTTP client for the adapters: no redirects, our user agent. Thread-safe, so one
    client (and its connection pool) can serve every worker thread."""
    return httpx.Client(timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": USER_AGENT})


def post(client: httpx.Client, url: str, body: bytes, *, headers: Mapping[str, str],
         timeout: float) -> httpx.Response:
    """POST ``body`` and return the 2xx response, or raise :class:`DeliveryError`.

    Error texts never contain the URL: robot URLs carry access tokens, and errors end up in
    the outbox table and the logs."""
    try:
        response = client.post(url, content=body, headers=dict(headers), timeout=timeout)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out after {timeout:g} s ({type(exc).__name__})",
                            retryable=True) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise DeliveryError(f"unusable address: {exc}", retryable=False) from exc
    except httpx.TransportError as exc:  # connection refused or reset, DNS, TLS, protocol
        raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
    if not response.is_success:
        snippet = response.text[:200].strip()
        raise DeliveryError(
            f"HTTP {response.status_code} {response.reason_phrase}"
            + (f": {snippet}" if snippet else ""),
            retryable=http_status_retryable(response.status_code), code=response.status_code)
    return response


class HttpSender:
    """What every HTTP channel shares: a client (its own, or one shared by the registry), a
    timeout and an injectable clock for timestamps."""

    channel = ""

    def __init__(self, timeout: float = 5.0, client: httpx.Client | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.timeout = timeout
        self._owns_client = client is None
        self.client = client if client is not None else new_client(timeout)
        self.clock = clock

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


class WebhookSender(HttpSender):
    """POSTs ``message.payload`` (with its ``link`` under ``public_url``) to ``message.address``
    (see the module docstring)."""

    channel = "webhook"

    def __init__(self, timeout: float = 5.0, client: httpx.Client | None = None, *,
                 clock: Callable[[], float] = time.time, public_url: str | None = None) -> None:
        super().__init__(timeout, client, clock=clock)
        #: FENGHUO_PUBLIC_URL: each payload links to its page under it
        self.public_url = public_url

    def document(self, payload: dict) -> dict:
        """The payload sent: as written, plus ``link`` when there is a page and a base URL."""
        link = page_link(self.public_url, payload)
        return payload if link is None or "link" in payload else {**payload, "link": link}

    def send(self, message: Message) -> None:
        try:
            body = canonical_json(self.document(message.payload))
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"payload is not JSON: {exc}", retryable=False) from exc
        stamp = str(int(self.clock()))
        # Standard Webhooks: webhook-id is the delivery id, the same on every retry
        headers = {"Content-Type": "application/json", "webhook-id": message.id,
                   "webhook-timestamp": stamp,
                   "X-Fenghuo-Delivery": message.id, "X-Fenghuo-Timestamp": stamp}
        if message.secret:
            headers |= signatures(message.secret, message.id, stamp, body)
        post(self.client, message.address, body, headers=headers, timeout=self.timeout)


def signatures(secret: str, msg_id: str, stamp: str, body: bytes) -> dict[str, str]:
    """The signature headers: Standard Webhooks' and, deprecated, kept for one release,
    ``X-Fenghuo-Signature``. A secret that is no usable key is a permanent failure."""
    try:
        standard = standard_signature(secret, msg_id, stamp, body)
    except ValueError as exc:
        raise DeliveryError(str(exc), retryable=False) from exc
    return {"webhook-signature": standard, "X-Fenghuo-Signature": sign(secret, stamp, body)}
