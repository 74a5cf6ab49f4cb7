"""Pure rules of the scheduled collectors (issue 15 items 2–3; ``monitoring.collectors`` runs
them): which kind a collector is, what its configuration must satisfy, the keys a pull is taken
in under, TAXII 2.1 paging, the STIX bundle a page becomes, and the status shown with a feed.

A collector's state is the JSON in ``feeds.collector_state``:

* configuration beyond URL and interval: ``kind`` (url or taxii) and ``auth`` (``{"type":
  "basic", "username", "password"}`` or ``{"type": "bearer", "token"}``; a secret of the form
  ``env:NAME`` is read from the environment at each pull);
* position: ``etag``, ``last_modified`` and ``digest`` of the last content (url), and
  ``added_after`` (taxii: the X-TAXII-Date-Added-Last of the last page taken in, verbatim);
* outcome: ``last_attempt_at``, ``last_success_at``, ``last_error``, ``failures``.

TAXII 2.1 paging (OASIS TAXII 2.1, "Pagination" and the X-TAXII-Date-Added-First/Last headers
of Get Objects): answers are sorted by the date objects were added to the collection; when the
envelope's ``more`` is true the client asks again with ``next`` and the same query, or, without
``next``, with ``added_after`` = X-TAXII-Date-Added-Last.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from fenghuo.common.errors import FieldError
from fenghuo.monitoring.schemas import CollectorKind, CollectorOut

TAXII_MEDIA = "application/taxii+json;version=2.1"
KEY_LIMIT = 200  # ingest_batches.key
ERROR_LIMIT = 500
CURSOR = ("etag", "last_modified", "digest", "added_after")
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", re.I)
_BUNDLE_NS = uuid.UUID("6f1d3c2a-1f5e-5b8e-9a57-7c1b7f0c2e10")


class PagingError(ValueError):
    """A TAXII answer the collector cannot read or follow, with the reason."""


# --- state -----------------------------------------------------------------------------------


def load_state(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def dump_state(state: Mapping[str, Any]) -> str:
    return json.dumps(dict(state), sort_keys=True, ensure_ascii=False)


def outcome(state: Mapping[str, Any], now: datetime, error: str | None) -> dict[str, Any]:
    """The outcome fields after a run at ``now`` that ended with ``error`` (None: it worked)."""
    stamp = now.astimezone(UTC).isoformat()
    if error is None:
        return {"last_attempt_at": stamp, "last_success_at": stamp, "last_error": None,
                "failures": 0}
    return {"last_attempt_at": stamp, "last_error": error[:ERROR_LIMIT],
            "failures": int(state.get("failures") or 0) + 1}


def next_run(now: datetime, interval_minutes: int) -> datetime:
    return now + timedelta(minutes=interval_minutes)


# --- configuration ---------------------------------------------------------------------------


def collection_id(url: str) -> str | None:
    """The collection id of a TAXII 2.1 collection URL (``…/collections/{id}/``), else None."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return parts[-1] if len(parts) >= 2 and parts[-2] == "collections" else None


def infer_kind(url: str, fmt: str) -> CollectorKind:
    """taxii for a STIX feed whose URL is a TAXII collection; url otherwise."""
    return CollectorKind.TAXII if fmt == "stix" and collection_id(url) else CollectorKind.URL


def normalize_url(url: str, kind: CollectorKind) -> str:
    url = url.strip()
    return url.rstrip("/") + "/" if kind is CollectorKind.TAXII else url


def objects_url(collection_url: str) -> str:
    return collection_url.rstrip("/") + "/objects/"


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def check_url(url: str, kind: CollectorKind, fmt: str) -> list[FieldError]:
    """What is wrong with a collector's URL for its kind and the feed's format."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return [FieldError("url", "give an http:// or https:// URL with a host")]
    if parts.username is not None or parts.password is not None:
        return [FieldError("url", "credentials go in username/password or token, not in "
                           "the URL (it is shown and logged)")]
    if kind is CollectorKind.TAXII:
        if not collection_id(url):
            return [FieldError("url", "a TAXII 2.1 collection URL ends in "
                               "…/collections/{id}/")]
        if fmt != "stix":
            return [FieldError("kind", "a TAXII collection holds STIX 2.1 objects: the "
                               f"feed's format must be stix, not {fmt!r}")]
    return []


def auth_of(username: str | None, password: str | None,
            token: str | None) -> tuple[dict[str, str] | None, list[FieldError]]:
    """The ``auth`` state of the given credentials (None: none given), or what is wrong."""
    if token is not None and (username is not None or password is not None):
        return None, [FieldError("token", "give a token or a username and password, not both")]
    if token is not None:
        return {"type": "bearer", "token": token}, []
    if (username is None) != (password is None):
        return None, [FieldError("password" if username else "username",
                                 "HTTP Basic needs both a username and a password")]
    if username is not None:
        return {"type": "basic", "username": username, "password": str(password)}, []
    return None, []


def resolve_secret(value: str, env: Mapping[str, str]) -> str:
    """A stored secret, or the environment variable an ``env:NAME`` reference names."""
    if not value.startswith("env:"):
        return value
    name = value[4:]
    if name not in env:
        raise LookupError(f"the environment variable {name} that the collector's credentials "
                          "name is not set")
    return env[name]


def redact(url: str) -> str:
    """A URL fit to show and log: no user information, the query replaced by an ellipsis."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


# --- URL pulls -------------------------------------------------------------------------------


def conditional_headers(state: Mapping[str, Any]) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last content's validators (RFC 9110 §13)."""
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = str(state["etag"])
    if state.get("last_modified"):
        headers["If-Modified-Since"] = str(state["last_modified"])
    return headers


def inflate(data: bytes, limit: int) -> bytes:
    """A gzip file's content (a feed served as ``.gz``), at most ``limit`` bytes; other data
    unchanged. ValueError when it is larger or not valid gzip."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        out = zlib.decompressobj(wbits=31).decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"the content is not valid gzip: {exc}") from None
    if len(out) > limit:
        raise ValueError(f"the content is larger than {limit >> 20} MB decompressed")
    return out


# --- TAXII pulls -----------------------------------------------------------------------------


def taxii_prefix(collection_url: str) -> str:
    """Ledger key prefix of a collection's pages: its host and id."""
    parts = urlsplit(collection_url)
    return f"taxii:{parts.netloc.lower()}/{collection_id(collection_url)}:"


def taxii_key(prefix: str, first: str, last: str) -> str:
    """The key of a page: its collection and the range of dates its objects were added, so the
    same page fetched again (a restart) is the same batch."""
    key = f"{prefix}{first}..{last}"
    if len(key) <= KEY_LIMIT:
        return key
    return f"taxii:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def last_of_key(key: str | None, prefix: str) -> str | None:
    """The X-TAXII-Date-Added-Last a page key of ``prefix`` records."""
    if not key or not key.startswith(prefix) or ".." not in key:
        return None
    last = key[len(prefix):].rsplit("..", 1)[1]
    return last if instant(last) else None


def instant(value: object) -> datetime | None:
    """An RFC 3339 timestamp (any fraction precision) as an aware datetime, to comparison
    precision (microseconds); None when it is not one."""
    m = _RFC3339.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        return None
    zone = "+00:00" if m.group(3).upper() == "Z" else m.group(3)
    try:
        t = datetime.fromisoformat(f"{m.group(1)}.{(m.group(2) or '0')[:6]:0<6}{zone}")
    except ValueError:
        return None
    return t.astimezone(UTC)


def later(a: str | None, b: str | None) -> str | None:
    """The later of two TAXII timestamps, kept verbatim (unreadable ones count as absent)."""
    ta, tb = instant(a), instant(b)
    if ta is None:
        return b if tb is not None else None
    return b if tb is not None and tb > ta else a


def envelope_objects(envelope: object) -> list[dict[str, Any]]:
    """The objects of a TAXII 2.1 envelope; PagingError when it is not one."""
    if not isinstance(envelope, dict):
        raise PagingError("the answer is not a TAXII envelope (a JSON object)")
    objects = envelope.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise PagingError("the envelope's objects is not a list of STIX objects")
    if not isinstance(envelope.get("more", False), bool):
        raise PagingError("the envelope's more is not true or false")
    return objects


def next_query(query: Mapping[str, str], envelope: Mapping[str, Any],
               last: str | None) -> dict[str, str] | None:
    """The query of the next page, or None when this was the last page."""
    if not envelope.get("more"):
        return None
    token = envelope.get("next")
    if isinstance(token, str) and token:
        following = {k: v for k, v in query.items() if k != "next"} | {"next": token}
    elif last:
        following = {"added_after": last}
    else:
        raise PagingError("the server says there is more but gives neither next nor "
                          "X-TAXII-Date-Added-Last")
    if following == dict(query):
        raise PagingError("the server's next page is the page just read")
    return following


def bundle_lines(key: str, objects: list[dict[str, Any]]) -> list[bytes]:
    """A page's objects as a STIX 2.1 bundle (STIX 2.1 §8), one object a line (as the STIX
    parser quotes it), so every event keeps its object as its raw line."""
    head = msgspec.json.encode({"type": "bundle", "id": f"bundle--{uuid.uuid5(_BUNDLE_NS, key)}"})
    lines = [head[:-1] + b',"objects":[']
    for i, obj in enumerate(objects):
        if i:
            lines.append(b",")
        lines.append(msgspec.json.encode(obj))
    return [*lines, b"]}"]


# --- status ----------------------------------------------------------------------------------


def status(url: str | None, interval: int | None, state_text: str | None,
           next_run_at: datetime | None) -> CollectorOut | None:
    """What a feed listing shows of its collector (None: it has none)."""
    if not url:
        return None
    state = load_state(state_text)
    auth = state.get("auth")
    kind = state.get("kind")
    return CollectorOut(
        url=redact(url), kind=CollectorKind(kind) if kind in set(CollectorKind) else
        CollectorKind.URL, interval_minutes=interval or 0,
        auth=auth.get("type") if isinstance(auth, dict) else None, next_run_at=next_run_at,
        last_attempt_at=_time(state.get("last_attempt_at")),
        last_success_at=_time(state.get("last_success_at")),
        last_error=state.get("last_error"), failures=int(state.get("failures") or 0),
        added_after=state.get("added_after"))


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
