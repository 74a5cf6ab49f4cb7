"""The HTTP access log (issue 18 item 8; Law art. 21(3): network logs — who read what — kept
not less than six months): one JSON line per request — time, method, path, query (secret
values masked), status, user when authenticated, client address, duration, request id —
appended to a file a day beside ``FENGHUO_ACCESS_LOG_FILE`` (``access.jsonl`` →
``access-2026-12-02.jsonl``, China Standard Time), which ``fenghuo retention purge`` deletes
once older than ``FENGHUO_RETENTION_ACCESS_LOG_DAYS``.

A file and not a table: a write per request to the database would cost every read a
transaction. Each line is one ``write`` to a file opened with ``O_APPEND``, so several server
processes share a day's file without interleaving lines. Logging never fails a request: an
error is logged (once a minute at most) and the answer goes out as it would have.

The user is the one the request authenticated as (``CALLER``, set in the request's state by
the API, console and TAXII authentication), so the log costs no lookup of its own.

The request id is the caller's ``X-Request-ID`` when it sends a sane one, otherwise a new one;
either way it is sent back in ``X-Request-ID``.

Plain ASGI like :class:`fenghuo.api.metrics.Measure`. uvicorn's own access log (``ACCESS_LOG``,
plain text on the console) is separate and off by default.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fenghuo.common.periods import day_of
from fenghuo.retention import rules as retention

log = structlog.get_logger()
#: the key of the authenticated username in the request's state (``request.state.caller``)
CALLER = "caller"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MASK = "***"


def clean_query(raw: str) -> str:
    """The query string with the values of parameters that may carry secrets (token,
    password, key…, ``retention.rules.is_secret_param``) replaced by ``***``."""
    if not raw:
        return ""
    pairs = parse_qsl(raw, keep_blank_values=True)
    return urlencode([(k, MASK if retention.is_secret_param(k) else v) for k, v in pairs])


class DailyFiles:
    """Appends lines to the day's file; one descriptor open per process, reopened each day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: tuple[Path, int] | None = None

    def write(self, path: Path, day: date, line: bytes) -> None:
        target = path.with_name(retention.access_file_name(path.stem, path.suffix, day))
        with self._lock:
            if self._open is None or self._open[0] != target:
                self.close()
                target.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                self._open = (target, fd)
            os.write(self._open[1], line)

    def close(self) -> None:
        if self._open is not None:
            os.close(self._open[1])
            self._open = None


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.files = DailyFiles()
        self._last_error = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rt = _runtime(scope)
        if scope["type"] != "http" or rt is None or not rt.settings.access_log_json:
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})  # shared with Request.state downstream

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            try:
                self._log(rt, scope, status, time.perf_counter() - start, request_id,
                          state.get(CALLER))
            except Exception:  # noqa: BLE001 - the log must never fail the request
                if time.monotonic() - self._last_error > 60:
                    self._last_error = time.monotonic()
                    log.exception("access log write failed")

    def _log(self, rt, scope: Scope, status: int, seconds: float,  # noqa: ANN001
             request_id: str, user: str | None) -> None:
        now = rt.clock.now()
        client = scope.get("client")
        line = {"at": now.isoformat(timespec="milliseconds"), "method": scope["method"],
                "path": scope.get("root_path", "") + scope["path"],
                "query": clean_query(scope.get("query_string", b"").decode("latin-1")),
                "status": status, "user": user,
                "client": client[0] if client else None,
                "duration_ms": round(seconds * 1000, 2), "request_id": request_id}
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.files.write(rt.settings.access_log_path, day_of(now), data)



def _runtime(scope: Scope):  # noqa: ANN202 - the Runtime, or None outside the application
    app = scope.get("app")
    state = getattr(app, "state", None)
    return getattr(state, "runtime", None)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", ())}


def _request_id(scope: Scope) -> str:
    sent = _headers(scope).get(b"x-request-id", b"").decode("latin-1")
    return sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex

