"""Real local HTTP peers for the scheduled collectors, bound to 127.0.0.1: a feed served at a
URL (ETag and Last-Modified, conditional GET answered 304) and a small TAXII 2.1 server (one
collection; objects sorted by date added, ``added_after``, pages of ``page_size`` with
``more``/``next`` or, in ``added_after`` mode, ``more`` without ``next``; the
X-TAXII-Date-Added-First/Last headers; Basic auth). Both answer 503 to the next ``fail``
requests and to the requests numbered in ``fail_on`` (1 = the first), and record every
request."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TAXII = "application/taxii+json;version=2.1"


class _Peer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail = 0  # answer 503 to this many requests
        self.fail_on: set[int] = set()
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                with peer.lock:
                    peer.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                          "headers": dict(self.headers)})
                    failing = peer.fail > 0 or len(peer.requests) in peer.fail_on
                    peer.fail -= peer.fail > 0
                if failing:
                    return self._send(503, b"busy", "text/plain")
                status, body, ctype, headers = peer.answer(parts.path, parse_qs(parts.query),
                                                           self.headers)
                self._send(status, body, ctype, headers)

            def _send(self, status: int, body: bytes, ctype: str,
                      headers: dict | None = None) -> None:
                self.send_response(status)
                for k, v in {"Content-Type": ctype, **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path, query, headers):  # noqa: ANN001, ANN201
        raise NotImplementedError

    def __enter__(self):  # noqa: ANN204
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.server.shutdown()
        self.server.server_close()


class FeedPeer(_Peer):
    """``content`` at ``url``, with an ETag of its SHA-256 and a Last-Modified."""

    def __init__(self, content: bytes = b"", ctype: str = "text/plain") -> None:
        super().__init__()
        self.content, self.ctype = content, ctype
        self.url = f"{self.base}/feed.txt"
        self.last_modified = "Sun, 01 Nov 2026 07:00:00 GMT"

    def answer(self, path, query, headers):  # noqa: ANN001, ANN201
        if path != "/feed.txt":
            return 404, b"not found", "text/plain", {}
        etag = f'"{hashlib.sha256(self.content).hexdigest()[:16]}"'
        validators = {"ETag": etag, "Last-Modified": self.last_modified}
        if headers.get("If-None-Match") == etag:
            return 304, b"", self.ctype, validators
        return 200, self.content, self.ctype, validators


def indicator(n: int, ip: str, when: str = "2026-11-01T06:00:00Z") -> dict:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": when, "modified": when, "valid_from": when,
            "name": f"C2 server {ip}", "indicator_types": ["malicious-activity"],
            "pattern": f"[ipv4-addr:value = '{ip}']", "pattern_type": "stix"}


class TaxiiPeer(_Peer):
    """One TAXII 2.1 collection of (date_added, object) pairs, served ``page_size`` at a time;
    ``user``/``password`` required as HTTP Basic when set."""

    CID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

    def __init__(self, *, page_size: int = 2, mode: str = "next", user: str | None = None,
                 password: str | None = None) -> None:
        super().__init__()
        self.page_size, self.mode = page_size, mode
        self.entries: list[tuple[str, dict]] = []
        self.broken: bytes | None = None  # sent instead of the envelope when set
        self.auth = (base64.b64encode(f"{user}:{password}".encode()).decode()
                     if user else None)
        self.collection_url = f"{self.base}/taxii2/api/collections/{self.CID}/"

    def add(self, obj: dict, added: datetime) -> None:
        self.entries.append((added.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), obj))
        self.entries.sort(key=lambda e: e[0])

    def answer(self, path, query, headers):  # noqa: ANN001, ANN201
        if self.auth and headers.get("Authorization") != f"Basic {self.auth}":
            return 401, b'{"title": "unauthorized"}', TAXII, {}
        if "application/taxii+json" not in (headers.get("Accept") or ""):
            return 406, b'{"title": "not acceptable"}', TAXII, {}
        if path != f"/taxii2/api/collections/{self.CID}/objects/":
            return 404, b'{"title": "no such collection"}', TAXII, {}
        after = query.get("added_after", [None])[0]
        chosen = [e for e in self.entries if after is None or _t(e[0]) > _t(after)]
        offset = int(query.get("next", ["0"])[0])
        page = chosen[offset:offset + self.page_size]
        more = offset + self.page_size < len(chosen)
        envelope: dict = {"more": more}
        if more and self.mode == "next":
            envelope["next"] = str(offset + self.page_size)
        if page:
            envelope["objects"] = [o for _, o in page]
        headers = ({"X-TAXII-Date-Added-First": page[0][0],
                    "X-TAXII-Date-Added-Last": page[-1][0]} if page else {})
        return 200, self.broken or json.dumps(envelope).encode(), TAXII, headers


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
