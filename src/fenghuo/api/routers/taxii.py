"""A TAXII 2.1 server under ``/taxii2/`` (OASIS TAXII 2.1; issue 8 item 4, issue 20 item 4):
discovery, one API root, three collections (incidents, warnings, monitoring) of STIX 2.1
objects from ``sharing.stix``, with ``added_after``, ``limit``/``next`` paging, ``match[id]``,
``match[type]`` and ``match[version]``, the manifest, one object and its versions; the
monitoring collection is **writable** (§5.5: ``POST`` an envelope, answered 202 with a status
resource, §4.3, read again at ``/taxii2/api/status/{id}/``).

Callers authenticate as the existing API users: ``Authorization: Bearer <token>`` (an API
token or a login session) or HTTP Basic with username and password; a 401 names both schemes
in ``WWW-Authenticate``. Every answer holds only what the caller's scope (Law art. 30) AND
TLP 2.0 allow it (``sharing.stix.collect``); a push needs ``monitoring:submit`` and becomes
monitoring information of the caller's body. Errors are TAXII error messages (§3.6.1, the
media type below; ``api.problems``) with the specification's status codes: 401, 403 for a
collection the caller may read but not write, 404, 406 for an Accept without the TAXII media
type, 413 above ``max_content_length``, 415 for a push that is not TAXII JSON, 422.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from starlette.concurrency import run_in_threadpool

from fenghuo.api import problems
from fenghuo.api.deps import RuntimeDep, noted
from fenghuo.common.errors import (
    DomainError,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from fenghuo.common.pagination import MAX_OFFSET
from fenghuo.common.scope import Principal
from fenghuo.org import accounts
from fenghuo.org import rules as org_rules
from fenghuo.org.rules import Permission
from fenghuo.sharing import stix, taxii_inbox

TAXII = problems.TAXII_MEDIA  # application/taxii+json;version=2.1, errors too
STIX = "application/stix+json;version=2.1"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_CONTENT_LENGTH = 10 * 1024 * 1024


class TaxiiResponse(JSONResponse):
    media_type = TAXII


#: loose schemas of the resources (TAXII 2.1 §4, §5), for the OpenAPI document
_OBJECT = {"type": "object", "additionalProperties": True}
ENVELOPE = {"type": "object", "properties": {"more": {"type": "boolean"},
                                             "next": {"type": "string"},
                                             "objects": {"type": "array", "items": _OBJECT}}}
router = APIRouter(prefix="/taxii2", tags=["taxii"], default_response_class=TaxiiResponse)


class NotAcceptable(DomainError):
    status = 406
    title = "Not acceptable"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class TooLarge(DomainError):
    status = 413
    title = "Content too large"


def _collection_id(kind: str) -> str:
    return str(uuid.uuid5(stix.NAMESPACE, f"taxii-collection:{kind}"))


COLLECTIONS: dict[str, dict] = {
    _collection_id("incidents"): {
        "kind": "incidents", "title": "网络安全事件 Incidents", "writable": False,
        "description": "Incidents as STIX incident objects with the Incident Core Extension"},
    _collection_id("warnings"): {
        "kind": "warnings", "title": "预警 Early warnings", "writable": False,
        "description": "Published early warnings as STIX reports"},
    _collection_id("monitoring"): {
        "kind": "monitoring", "title": "监测信息 Monitoring information", "writable": True,
        "description": "Monitoring items as STIX groupings of indicators and vulnerabilities; "
                       "peers may add objects (they become monitoring information)"},
}


def _taxii(body: dict, headers: dict[str, str] | None = None,
           status_code: int = 200) -> TaxiiResponse:
    return TaxiiResponse(body, headers=headers, status_code=status_code)


# --- the caller -------------------------------------------------------------------------------

_basic = HTTPBasic(auto_error=False, realm="Fenghuo TAXII")
_bearer = HTTPBearer(auto_error=False)


def taxii_principal(rt: RuntimeDep, request: Request,
                    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
                    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                    ) -> Principal:
    """Bearer token or HTTP Basic (username, password) of an existing user; and the Accept
    header must allow the TAXII 2.1 media type (else 406). Basic is throttled like the login
    (org.throttle): a locked account or address answers 429 with ``Retry-After``."""
    accept = request.headers.get("accept")
    if accept and not any(t in accept for t in ("application/taxii+json", "*/*",
                                                "application/*")):
        raise NotAcceptable(f"this server answers {TAXII}")
    if bearer is not None and bearer.credentials:
        return noted(request, accounts.authenticate(rt.uow, rt.clock,
                                                    token=bearer.credentials.strip()))
    if basic is not None:
        return noted(request, accounts.principal_by_password(
            rt.uow, rt.clock, username=basic.username, password=basic.password,
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


def _may_write(caller: Principal, col: dict) -> bool:
    return col["writable"] and org_rules.has_permission(caller.roles,
                                                        Permission.MONITORING_SUBMIT)


def _collection_out(cid: str, caller: Principal) -> dict:
    col = COLLECTIONS[cid]
    return {"id": cid, "title": col["title"], "description": col["description"],
            "can_read": True, "can_write": _may_write(caller, col), "media_types": [STIX]}


def _ok(schema: dict) -> dict:
    return {200: {"content": {TAXII: {"schema": schema}}}}


# --- discovery, API root, collections ---------------------------------------------------------


@router.get("/", responses=_ok(_OBJECT), summary="TAXII discovery")
def discovery(caller: Caller) -> TaxiiResponse:
    return _taxii({"title": "Fenghuo 烽火 TAXII", "description": "Incidents, early warnings and "
                   "monitoring information, limited to your scope and TLP 2.0",
                   "default": "/taxii2/api/", "api_roots": ["/taxii2/api/"]})


@router.get("/api/", responses=_ok(_OBJECT), summary="TAXII API root")
def api_root(caller: Caller) -> TaxiiResponse:
    return _taxii({"title": "Fenghuo 烽火", "versions": [TAXII],
                   "max_content_length": MAX_CONTENT_LENGTH})


@router.get("/api/collections/", responses=_ok(_OBJECT), summary="TAXII collections")
def collections(caller: Caller) -> TaxiiResponse:
    return _taxii({"collections": [_collection_out(cid, caller) for cid in COLLECTIONS]})


@router.get("/api/collections/{cid}/", responses=_ok(_OBJECT), summary="A TAXII collection")
def collection(cid: CollectionId, caller: Caller) -> TaxiiResponse:
    _collection(cid)
    return _taxii(_collection_out(cid, caller))


@router.get("/api/status/{status_id}/", responses=_ok(_OBJECT),
            summary="The status of an envelope you added")
def get_status(status_id: Annotated[str, Path(min_length=1, max_length=36)], rt: RuntimeDep,
               caller: Caller) -> TaxiiResponse:
    return _taxii(taxii_inbox.status(rt.uow, principal=caller, status_id=status_id))


# --- objects ----------------------------------------------------------------------------------


_timestamp = taxii_inbox.taxii_time


def _parse_time(value: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "not an RFC 3339 timestamp")]) from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class Filters:
    """The query parameters of the object, manifest and versions endpoints (TAXII 2.1 §3.4)."""

    def __init__(self,
                 added_after: Annotated[str | None, Query(max_length=40)] = None,
                 limit: Annotated[int | None, Query(ge=1, le=10**9)] = None,
                 next_: Annotated[str | None, Query(alias="next", max_length=40)] = None,
                 match_id: Annotated[str | None, Query(alias="match[id]",
                                                       max_length=4000)] = None,
                 match_type: Annotated[str | None, Query(alias="match[type]",
                                                         max_length=1000)] = None,
                 match_version: Annotated[str | None, Query(alias="match[version]",
                                                            max_length=1000)] = None
                 ) -> None:
        self.added_after = _parse_time(added_after, "added_after") if added_after else None
        self.limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
        self.offset = _decode_next(next_) if next_ else 0
        self.ids = _split(match_id)
        self.types = _split(match_type)
        versions = _split(match_version)
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


@router.get("/api/collections/{cid}/objects/", responses=_ok(ENVELOPE),
            summary="Objects of a TAXII collection")
def get_objects(cid: CollectionId, rt: RuntimeDep, caller: Caller,
                f: Annotated[Filters, Depends()]) -> TaxiiResponse:
    kind = _collection(cid)["kind"]
    page, envelope, headers = _page(_entries(rt, caller, kind, f), f)
    if page:
        envelope["objects"] = [_json(e) for e in page]
    return _taxii(envelope, headers)


@router.get("/api/collections/{cid}/manifest/", responses=_ok(_OBJECT),
            summary="The manifest of a TAXII collection")
def get_manifest(cid: CollectionId, rt: RuntimeDep, caller: Caller,
                 f: Annotated[Filters, Depends()]) -> TaxiiResponse:
    kind = _collection(cid)["kind"]
    page, envelope, headers = _page(_entries(rt, caller, kind, f), f)
    if page:
        envelope["objects"] = [
            {"id": e.obj.id, "date_added": _timestamp(e.added),
             "version": _timestamp(_version(e)),
             "media_type": STIX} for e in page]
    return _taxii(envelope, headers)


def _object_page(rt, caller: Principal, cid: str, object_id: str, f: Filters
                 ) -> tuple[list[stix.Entry], dict, dict]:
    """The versions of one object in a collection, paged; a 404 when there are none."""
    entries = _entries(rt, caller, _collection(cid)["kind"], f, obj_id=object_id)
    if not entries and not f.added_after:
        raise NotFound(f"no object {object_id!r} in this collection")
    return _page(entries, f)


@router.get("/api/collections/{cid}/objects/{object_id}/", responses=_ok(ENVELOPE),
            summary="One object of a TAXII collection")
def get_object(cid: CollectionId, object_id: ObjectId, rt: RuntimeDep, caller: Caller,
               f: Annotated[Filters, Depends()]) -> TaxiiResponse:
    page, envelope, headers = _object_page(rt, caller, cid, object_id, f)
    if page:
        envelope["objects"] = [_json(e) for e in page]
    return _taxii(envelope, headers)


@router.get("/api/collections/{cid}/objects/{object_id}/versions/", responses=_ok(_OBJECT),
            summary="The versions of one object")
def get_versions(cid: CollectionId, object_id: ObjectId, rt: RuntimeDep, caller: Caller,
                 f: Annotated[Filters, Depends()]) -> TaxiiResponse:
    page, envelope, headers = _object_page(rt, caller, cid, object_id, f)
    if page:
        envelope["versions"] = [_timestamp(_version(e)) for e in page]
    return _taxii(envelope, headers)


# --- adding objects (TAXII 2.1 §5.5) ----------------------------------------------------------

_PUSH = {"requestBody": {"required": True, "content": {TAXII: {"schema": {
    "type": "object", "required": ["objects"],
    "properties": {"objects": {"type": "array", "items": _OBJECT}}}}}}}


async def _envelope(request: Request) -> list[dict[str, Any]]:
    """The objects of a pushed envelope: TAXII JSON (else 415), at most
    ``max_content_length`` bytes (else 413), an object with an ``objects`` list (else 422)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/taxii+json":
        raise UnsupportedMediaType(f"send the envelope as {TAXII}")
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > MAX_CONTENT_LENGTH:
        raise TooLarge(f"at most {MAX_CONTENT_LENGTH} bytes (max_content_length)")
    raw = await request.body()
    if len(raw) > MAX_CONTENT_LENGTH:
        raise TooLarge(f"at most {MAX_CONTENT_LENGTH} bytes (max_content_length)")
    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed([FieldError("body", "not JSON")]) from exc
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        raise ValidationFailed([FieldError("objects", "an envelope has a list of objects")])
    return objects


@router.post("/api/collections/{cid}/objects/", status_code=202, openapi_extra=_PUSH,
             responses={202: {"content": {TAXII: {"schema": _OBJECT}}}},
             summary="Add objects to a writable TAXII collection")
async def add_objects(cid: CollectionId, request: Request, rt: RuntimeDep,
                      caller: Caller) -> TaxiiResponse:
    col = _collection(cid)
    if not _may_write(caller, col):
        raise Forbidden("you may read this collection but not write to it")
    objects = await _envelope(request)
    status = await run_in_threadpool(taxii_inbox.push, rt.uow, rt.clock, principal=caller,
                                     collection=col["kind"], objects=objects)
    return _taxii(status, status_code=202)
