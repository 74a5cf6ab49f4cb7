"""One guard in front of every route (API, web console, public pages): no text may carry a NUL
character (``\\x00``). PostgreSQL cannot store one in a text column (it answered 500), and no
legitimate name, query, report or file name holds one, so the request is refused whole with
``422 application/problem+json`` naming the field as request validation does: ``path``,
``query.q``, ``header.X-Name``, a JSON member (``facts.system_loss``), a form field, or a
multipart part's name or ``filename``.

File *contents* in a multipart upload may hold NUL bytes (evidence is binary) and pass, and so
do the bodies of machine ingest (``RAW_BODIES``: sensor data, where the ingest keeps a NUL as
U+FFFD, ``monitoring.ingest.Chunk``). The check is plain ASGI and costs one byte search per
request unless a NUL escape is present.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fenghuo.api.problems import problem

MESSAGE = "may not contain a NUL character (\\x00)"
#: larger bodies (an evidence upload is at most 20 MiB) are passed on without being inspected
MAX_INSPECTED = 32 << 20
_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
#: routes whose bodies are data, not text fields: batches of sensor and feed records
RAW_BODIES = frozenset({"/api/v1/monitoring/events"})


class RefuseNul:
    """ASGI middleware: 422 problem+json for a NUL character anywhere in a request's text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _in_path(scope) or _in_query(scope) or _in_headers(scope)
        ctype = _content_type(scope)
        if field is None and _inspected(ctype) and scope["path"] not in RAW_BODIES:
            messages, body = await read_body(receive)
            if body is not None:
                field = _in_body(ctype, body)
            receive = replay(messages, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        response = problem(422, "Validation failed", "the request is not valid; nothing was "
                           "stored", scope["path"].replace("\x00", "\\x00"),
                           errors=[{"field": field, "message": MESSAGE}])
        await response(scope, receive, send)


def _in_path(scope: Scope) -> str | None:
    return "path" if "\x00" in scope["path"] else None


def _in_query(scope: Scope) -> str | None:
    raw: bytes = scope.get("query_string", b"")
    if b"%00" not in raw and b"\x00" not in raw:
        return None
    name = _in_pairs(raw.decode("latin-1"))
    return f"query.{name}" if name else None


def _in_pairs(text: str) -> str | None:
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8",
                                 errors="replace"):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\x00") or "query"
    return None


def _in_headers(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if b"\x00" in value:
            return "header." + name.decode("latin-1").title()
    return None


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").lower()
    return ""


def _inspected(ctype: str) -> bool:
    return ctype.split(";")[0].strip() in _TYPES or "+json" in ctype.split(";")[0]


async def read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The body's messages as received, and the body (None when larger than MAX_INSPECTED, or
    on a disconnect: the rest is then left to be received by the application; also used by
    ``api.deadline``)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > MAX_INSPECTED:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _in_body(ctype: str, body: bytes) -> str | None:
    if ctype.startswith("multipart/form-data"):
        return _in_multipart(ctype, body) if b"\x00" in body else None
    if ctype.startswith("application/x-www-form-urlencoded"):
        return _in_query_bytes(body)
    if b"\\u0000" not in body:  # JSON: a raw NUL is not valid JSON, and is refused as such
        return None
    try:
        return next(_nul_members(json.loads(body), ()), None)
    except ValueError:
        return None  # not JSON: the route says so


def _in_query_bytes(body: bytes) -> str | None:
    if b"%00" not in body and b"\x00" not in body:
        return None
    return _in_pairs(body.decode("latin-1"))


def _nul_members(value: Any, where: tuple) -> Iterator[str]:
    """The dotted paths of the JSON strings (values or member names) holding a NUL."""
    if isinstance(value, str) and "\x00" in value:
        yield ".".join(map(str, where)) or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield ".".join(map(str, (*where, key.replace("\x00", "\\x00"))))
            yield from _nul_members(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_members(item, (*where, i))


def _in_multipart(ctype: str, body: bytes) -> str | None:
    """A NUL in a part's headers (its name, its file name) or in a part that is no file."""
    boundary = _boundary(ctype)
    if boundary is None:
        return None
    for part in body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        name = _disposition(head, b"name") or "body"
        if b"\x00" in head:
            return "filename" if b"\x00" in (_raw_disposition(head, b"filename") or b"") \
                else name
        if _raw_disposition(head, b"filename") is None and b"\x00" in content:
            return name
    return None


def _boundary(ctype: str) -> bytes | None:
    for param in ctype.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _raw_disposition(head: bytes, key: bytes) -> bytes | None:
    for line in head.split(b"\r\n"):
        if not line.lower().startswith(b"content-disposition:"):
            continue
        for param in line.split(b";")[1:]:
            k, _, v = param.strip().partition(b"=")
            if k.lower() == key:
                return v.strip(b'"')
    return None


def _disposition(head: bytes, key: bytes) -> str | None:
    raw = _raw_disposition(head, key)
    return unquote(raw.decode("utf-8", "replace")).replace("\x00", "\\x00") if raw else None
