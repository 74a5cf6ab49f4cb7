"""Generic webhooks: the message payload as canonical JSON in an HTTP POST, signed with
HMAC-SHA256 when the contact has a secret; plus the HTTP plumbing the chat robots share.

What a receiver gets::

    POST <address>
    Content-Type: application/json
    X-Fenghuo-Delivery: <delivery id, the same on every retry: deduplicate on it>
    X-Fenghuo-Timestamp: <unix seconds when this attempt was signed>
    X-Fenghuo-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>   (with a secret)

    <json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")), UTF-8>

A receiver checks the signature over the raw body bytes with :func:`verify_signature`, which
also rejects timestamps outside a tolerance window so a captured request cannot be replayed
later. Any 2xx answer means delivered; redirects are not followed (a 3xx is a configuration
problem and is not retried).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping

import httpx

from fenghuo.notify.ports import DeliveryError, Message, http_status_retryable

SIGNATURE_PREFIX = "sha256="
USER_AGENT = "fenghuo-notify/1"
DEFAULT_TOLERANCE_SECONDS = 300


def canonical_json(document: object) -> bytes:
    """The exact bytes sent (and signed): compact, sorted keys, UTF-8 without escapes."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Fenghuo-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body,
                   hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(secret: str, timestamp: int | str, body: bytes | str, header: str | None,
                     *, now: float | None = None,
                     tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Whether ``header`` (the ``X-Fenghuo-Signature`` value) signs ``body`` with ``secret`` at
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
    """POSTs ``message.payload`` to ``message.address`` (see the module docstring)."""

    channel = "webhook"

    def send(self, message: Message) -> None:
        try:
            body = canonical_json(message.payload)
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"payload is not JSON: {exc}", retryable=False) from exc
        stamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json", "X-Fenghuo-Delivery": message.id,
                   "X-Fenghuo-Timestamp": stamp}
        if message.secret:
            headers["X-Fenghuo-Signature"] = sign(message.secret, stamp, body)
        post(self.client, message.address, body, headers=headers, timeout=self.timeout)
