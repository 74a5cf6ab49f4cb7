"""A read-only TAXII 2.1 server under ``/taxii2/`` (OASIS TAXII 2.1; issue 8 item 4): discovery,
one API root, three collections (incidents, warnings, monitoring) of STIX 2.1 objects from
``sharing.stix``, with ``added_after``, ``limit``/``next`` paging, ``match[id]``,
``match[type]`` and ``match[version]``, the manifest, one object and its versions.

Callers authenticate as the existing API users: ``Authorization: Bearer <token>`` (an API
token or a login session) or HTTP Basic with username and password. Every answer holds only
what the caller's scope (Law art. 30) AND TLP 2.0 allow it (``sharing.stix.collect``).
Errors are problem details (``application/problem+json``) like the rest of the API.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from fenghuo.api.deps import RuntimeDep, noted
from fenghuo.common.errors import DomainError, FieldError, NotFound, Unauthorized, ValidationFailed
from fenghuo.common.pagination import MAX_OFFSET
from fenghuo.common.scope import Principal
from fenghuo.org import accounts
from fenghuo.sharing import stix

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

router = APIRouter(prefix="/taxii2", include_in_schema=False)


class NotAcceptable(DomainError):
    status = 406
    title = "Not acceptable"


def _collection_id(kind: str) -> str:
    return str(uuid.uuid5(stix.NAMESPACE, f"taxii-collection:{kind}"))


COLLECTIONS: dict[str, dict] = {
    _collection_id("incidents"): {
        "kind": "incidents", "title": "网络安全事件 Incidents",
        "description": "Incidents as STIX incident objects with the Incident Core Extension"},
    _collection_id("warnings"): {
        "kind": "warnings", "title": "预警 Early warnings",
        "description": "Published early warnings as STIX reports"},
    _collection_id("monitoring"): {
        "kind": "monitoring", "title": "监测信息 Monitoring information",
        "description": "Monitoring items as STIX groupings of indicators and vulnerabilities"},
}


def _taxii(body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, media_type=TAXII, headers=headers)


# --- the caller -------------------------------------------------------------------------------


def taxii_principal(rt: RuntimeDep, request: Request,
                    authorization: Annotated[str | None, Header()] = None,
                    accept: Annotated[str | None, Header()] = None) -> Principal:
    """Bearer token or HTTP Basic (username, password) of an existing user; and the Accept
    header must allow the TAXII 2.1 media type (else 406). Basic is throttled like the login
    (org.throttle): a locked account or address answers 429 with ``Retry-After``."""
    if accept and not any(t in accept for t in ("application/taxii+json", "*/*",
                                                "application/*")):
        raise NotAcceptable(f"this server answers {TAXII}")
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return noted(request, accounts.authenticate(rt.uow, rt.clock, token=value.strip()))
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value.strip(), validate=True) \
                .decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthorized("malformed Basic credentials") from exc
        return noted(request, accounts.principal_by_password(
            rt.uow, rt.clock, username=username, password=password,
            address=request.client.host if request.client else None, via="taxii"))
    raise Unauthorized("send 'Authorization: Bearer <token>' or HTTP Basic credentials")


Caller = Annotated[Principal, Depends(taxii_principal)]
CollectionId = Annotated[str, Path(min_length=1, max_length=64)]
ObjectId = Annotated[str, Path(min_length=1, max_length=120)]


def _collection(cid: str) -> dict:
    col = COLLECTIONS.get(cid)
    if col is None:
        raise NotFound(f"no collection {cid!r}")
    return col


def _collection_out(cid: str) -> dict:
    col = COLLECTIONS[cid]
    return {"id": cid, "title": col["title"], "description": col["description"],
            "can_read": True, "can_write": False, "media_types": [STIX]}


# --- discovery, API root, collections ---------------------------------------------------------


@router.get("/")
def discovery(caller: Caller) -> JSONResponse:
    return _taxii({"title": "Fenghuo 烽火 TAXII", "description": "Incidents, early warnings and "
                   "monitoring information, limited to your scope and TLP 2.0",
                   "default": "/taxii2/api/", "api_roots": ["/taxii2/api/"]})


@router.get("/api/")
def api_root(caller: Caller) -> JSONResponse:
    return _taxii({"title": "Fenghuo 烽火", "versions": [TAXII],
                   "max_content_length": 10 * 1024 * 1024})


@router.get("/api/collections/")
def collections(caller: Caller) -> JSONResponse:
    return _taxii({"collections": [_collection_out(cid) for cid in COLLECTIONS]})


@router.get("/api/collections/{cid}/")
def collection(cid: CollectionId, caller: Caller) -> JSONResponse:
    _collection(cid)
    return _taxii(_collection_out(cid))


# --- objects ----------------------------------------------------------------------------------


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "not an RFC 3339 timestamp")]) from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class Filters:
    def __init__(self, request: Request,
                 added_after: Annotated[str | None, Query(max_length=40)] = None,
                 limit: Annotated[int | None, Query(ge=1, le=10**9)] = None,
                 next_: Annotated[str | None, Query(alias="next", max_length=40)] = None
                 ) -> None:
        q = request.query_params
        self.added_after = _parse_time(added_after, "added_after") if added_after else None
        self.limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
        self.offset = _decode_next(next_) if next_ else 0
        self.ids = _split(q.get("match[id]"))
        self.types = _split(q.get("match[type]"))
        versions = _split(q.get("match[version]"))
        self.versions = {v for v in versions if v in ("all", "first", "last")}
        self.version_times = {_parse_time(v, "match[version]") for v in versions
                              if v not in ("all", "first", "last")}


def _split(value: str | None) -> set[str]:
    return {v.strip() for v in (value or "").split(",") if v.strip()}


def _decode_next(token: str) -> int:
    try:
        offset = int(base64.urlsafe_b64decode(token.encode() + b"==").decode())
        if not 0 <= offset <= MAX_OFFSET:
            raise ValueError(offset)
        return offset
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed([FieldError("next", "not a token this server gave")]) from exc


def _encode_next(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _entries(rt, caller: Principal, kind: str, f: Filters,
             obj_id: str | None = None) -> list[stix.Entry]:
    with rt.uow() as s:
        # the SQL filter (changed at or after) narrows the work; date_added is that time
        entries, _ = stix.collect(s, caller, kinds=[kind], since=f.added_after)
    out = []
    for e in entries:
        if obj_id is not None and e.obj.id != obj_id:
            continue
        if f.ids and e.obj.id not in f.ids:
            continue
        if f.types and e.obj.type not in f.types:
            continue
        if f.added_after and not e.added > f.added_after:
            continue
        if f.version_times and _version(e) not in f.version_times:
            continue
        out.append(e)
    out.sort(key=lambda e: (e.added, e.obj.id))
    return out


def _version(e: stix.Entry) -> datetime:
    """An object's version (TAXII 2.1 §3.4.3): ``modified``, else ``created``, else (a
    cyber-observable has neither) the time it was added."""
    return e.obj.get("modified") or e.obj.get("created") or e.added


def _page(entries: list[stix.Entry], f: Filters) -> tuple[list[stix.Entry], dict, dict]:
    page = entries[f.offset:f.offset + f.limit]
    more = f.offset + f.limit < len(entries)
    envelope: dict = {"more": more}
    if more:
        envelope["next"] = _encode_next(f.offset + f.limit)
    headers = {}
    if page:
        headers = {"X-TAXII-Date-Added-First": _timestamp(page[0].added),
                   "X-TAXII-Date-Added-Last": _timestamp(page[-1].added)}
    return page, envelope, headers


def _json(entry: stix.Entry) -> dict:
    return json.loads(entry.obj.serialize())


@router.get("/api/collections/{cid}/objects/")
def get_objects(cid: CollectionId, rt: RuntimeDep, caller: Caller,
                f: Annotated[Filters, Depends()]) -> JSONResponse:
    kind = _collection(cid)["kind"]
    page, envelope, headers = _page(_entries(rt, caller, kind, f), f)
    if page:
        envelope["objects"] = [_json(e) for e in page]
    return _taxii(envelope, headers)


@router.get("/api/collections/{cid}/manifest/")
def get_manifest(cid: CollectionId, rt: RuntimeDep, caller: Caller,
                 f: Annotated[Filters, Depends()]) -> JSONResponse:
    kind = _collection(cid)["kind"]
    page, envelope, headers = _page(_entries(rt, caller, kind, f), f)
    if page:
        envelope["objects"] = [
            {"id": e.obj.id, "date_added": _timestamp(e.added),
             "version": _timestamp(_version(e)),
             "media_type": STIX} for e in page]
    return _taxii(envelope, headers)


@router.get("/api/collections/{cid}/objects/{object_id}/")
def get_object(cid: CollectionId, object_id: ObjectId, rt: RuntimeDep, caller: Caller,
               f: Annotated[Filters, Depends()]) -> JSONResponse:
    kind = _collection(cid)["kind"]
    entries = _entries(rt, caller, kind, f, obj_id=object_id)
    if not entries and not f.added_after:
        raise NotFound(f"no object {object_id!r} in this collection")
    page, envelope, headers = _page(entries, f)
    if page:
        envelope["objects"] = [_json(e) for e in page]
    return _taxii(envelope, headers)


@router.get("/api/collections/{cid}/objects/{object_id}/versions/")
def get_versions(cid: CollectionId, object_id: ObjectId, rt: RuntimeDep, caller: Caller,
                 f: Annotated[Filters, Depends()]) -> JSONResponse:
    kind = _collection(cid)["kind"]
    entries = _entries(rt, caller, kind, f, obj_id=object_id)
    if not entries and not f.added_after:
        raise NotFound(f"no object {object_id!r} in this collection")
    page, envelope, headers = _page(entries, f)
    if page:
        envelope["versions"] = [_timestamp(_version(e))
                                for e in page]
    return _taxii(envelope, headers)
