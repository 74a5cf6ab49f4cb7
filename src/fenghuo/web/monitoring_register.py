"""The constituency register in the console (issue 15 item 1; Law arts. 51–52, Plan §3.2): the
entries in the caller's scope with filters and paging, a form to register one network, the
import of a CSV or YAML file (all rows or none: the first bad row is shown with its field),
deletion after a confirmation, and a lookup saying where an address, domain or AS would be
attributed and why.

Scope, permissions and validity are those of :mod:`fenghuo.monitoring.register` (Law art. 30:
a unit sees and edits its own entries, an office its jurisdiction's); this module turns forms
and uploaded files into ``EntryIn`` and the service's answers into pages. The file formats are
those of ``fenghuo register import``: CSV with the header ``body,kind,value[,role,verified_by,
verified_at,note]``, or YAML, a list of such mappings or ``{entries: [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from fenghuo.api.deps import ObjectId
from fenghuo.common.errors import Conflict, DomainError, FieldError, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.monitoring import register, register_files
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.schemas import EntryIn, LookupOut
from fenghuo.org import bodies
from fenghuo.org.rules import Permission

from . import session
from .monitoring_common import Say, field_errors, form_text, gettext_of, may
from .pages import (
    Posted,
    error_page,
    errors_by_field,
    local_time,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)

router = APIRouter(include_in_schema=False)
KINDS = [k.value for k in EntryKind]
ROLES = [r.value for r in Role]
FIELDS = ["body", "kind", "value", "role", "verified_by", "verified_at", "note"]
MAX_UPLOAD = 8 << 20
BODY_CHOICES = 500


@dataclass
class View:
    """What the register page shows besides the list: the form typed back, its errors, the
    import's errors, the lookup and what was just done."""

    form: dict = field(default_factory=lambda: {"kind": "prefix", "role": "owner"})
    errors: list[FieldError] = field(default_factory=list)
    import_errors: list[FieldError] = field(default_factory=list)
    q: str = ""
    done: dict = field(default_factory=dict)


def _lookup(request: Request, me: Principal, q: str) -> tuple[LookupOut | None, str]:
    """The lookup of ``q`` (an address, domain or AS<n>), or why there is none."""
    if not q.strip():
        return None, ""
    rt = session.runtime(request)
    try:
        return register.lookup(rt.uow, principal=me, query=q[:253]), ""
    except ValidationFailed as exc:
        return None, "; ".join(e.message for e in exc.errors) or exc.detail
    except DomainError as exc:
        return None, exc.detail


def _kind(text: str) -> EntryKind | None:
    return EntryKind(text) if text in KINDS else None


def _page(request: Request, me: Principal, kind: str = "", body: str = "", page: int = 1,
          view: View | None = None, status: int = 200, value: str = "") -> Response:
    rt, view = session.runtime(request), view or View()
    try:
        found = register.list_entries(rt.uow, principal=me, page=page_params(page),
                                      body=body or None, kind=_kind(kind),
                                      q=value[:253] or None)
        choices = bodies.list_bodies(rt.uow, principal=me,
                                     page=PageParams(limit=BODY_CHOICES)).items
    except DomainError as exc:
        return error_page(request, me, exc)
    lookup, lookup_error = _lookup(request, me, view.q)
    return render(request, "monitoring_register.html", {
        "me": user(rt, me), "nav": "monitoring_register", "found": found,
        "page": max(page, 1), "pages": page_count(found.total), "kinds": KINDS, "roles": ROLES,
        "f": {"kind": kind, "body": body, "value": value}, "bodies": choices, "v": view,
        "fe": errors_by_field(view.errors), "lookup": lookup, "lookup_error": lookup_error,
        "may_write": may(me, Permission.REGISTER_WRITE),
        "query": urlencode({"kind": kind, "body": body, "value": value, "q": view.q}) + "&"},
        status)


@router.get("/monitoring/register")
def register_page(request: Request, kind: str = "", body: str = "", page: int = 1,
                  q: str = "", done: str = "", created: int = 0, updated: int = 0,
                  unchanged: int = 0, value: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    view = View(q=q, done={"what": done, "created": created, "updated": updated,
                           "unchanged": unchanged} if done else {})
    return _page(request, me, kind, body, page, view, value=value)


def _entry_in(form: dict, tz: ZoneInfo, gettext: Say) -> EntryIn:
    raw: dict = {k: v for k, v in form.items() if v}  # empty: missing, or the default
    if form["verified_at"]:
        raw["verified_at"] = local_time(form["verified_at"], tz)
    try:
        return EntryIn.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, gettext)) from None


@router.post("/monitoring/register")
async def add_entry(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, form_text(got.form, *FIELDS)
    rt = session.runtime(request)
    try:
        data = _entry_in(form, ZoneInfo(rt.settings.timezone), gettext_of(request))
        register.put_entry(rt.uow, rt.clock, principal=me, data=data)
    except ValidationFailed as exc:
        return _page(request, me, view=View(form=form, errors=exc.errors), status=422)
    except Conflict as exc:
        return _page(request, me, view=View(form=form, errors=[
            FieldError("value", exc.detail)]), status=409)
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse("/web/monitoring/register?done=added", status_code=303)


# --- importing a file -------------------------------------------------------------------------


async def read_upload(upload: object, gettext: Say) -> list[EntryIn]:
    """The entries of an uploaded CSV or YAML file; ValidationFailed names the file, or the
    row and field of the first bad row, and nothing is written."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed([FieldError("file", gettext("Choose a CSV or YAML file."))])
    name, data = upload.filename, await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed([FieldError("file", gettext(
            "The file is larger than %(n)s MB.") % {"n": MAX_UPLOAD >> 20}, source=name)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed([FieldError("file", gettext("The file is not UTF-8 text."),
                                           source=name)]) from None
    rows = register_files.rows_of(name, text, gettext)
    entries = []
    for i, raw in enumerate(rows, 1):
        try:
            entries.append(EntryIn.model_validate(raw))
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, gettext, row=i, source=name)) from None
    return entries


@router.post("/monitoring/register/import")
async def import_entries(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, rt, upload = got.me, session.runtime(request), got.form.get("file")
    try:
        rows = await read_upload(upload, gettext_of(request))
        result = register.import_entries(rt.uow, rt.clock, principal=me, rows=rows)
    except ValidationFailed as exc:
        name = getattr(upload, "filename", None)  # the service's errors name the row only
        errors = [FieldError(e.field, e.message, e.row, e.source or name) for e in exc.errors]
        return _page(request, me, view=View(import_errors=errors), status=422)
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse("/web/monitoring/register?" + urlencode(
        {"done": "imported", **result.model_dump()}), status_code=303)


@router.post("/monitoring/register/entries/{entry_id}/delete")
async def delete_entry(request: Request, entry_id: ObjectId) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        register.delete_entry(rt.uow, rt.clock, principal=got.me, entry_id=entry_id)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return RedirectResponse("/web/monitoring/register?done=deleted", status_code=303)
