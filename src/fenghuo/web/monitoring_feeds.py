"""Sensors and feeds in the console (issue 15 items 2–3): the feeds run by bodies in the caller's
scope with their format, when they last sent and whether they fell silent beyond their expected
interval; a feed's page with the lines it sent that could not be read, each with its reason,
line number and raw text (kept aside, never dropped silently); and registering a feed, whose
machine token is shown once.

Scope, permissions and silence are decided by :mod:`fenghuo.monitoring.ingest` (Law art. 30: a
feed of another province is not found); this module only draws what it returns.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from fenghuo.common.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.monitoring import ingest, parsers
from fenghuo.monitoring.schemas import FeedIn, FeedOut
from fenghuo.org import bodies
from fenghuo.org.rules import Permission

from . import session
from .monitoring_common import Slice, field_errors, form_text, gettext_of, may
from .pages import (
    PAGE_SIZE,
    Posted,
    error_page,
    errors_by_field,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)

router = APIRouter(include_in_schema=False)
FIELDS = ["code", "name_zh", "name_en", "body", "format", "expected_interval_minutes"]
#: the latest rejected lines a feed's page reads (its counts say when there are more)
TOP_REASONS = 10
BODY_CHOICES = 500


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _feeds_page(request: Request, me: Principal, form: dict | None = None,
                errors: list[FieldError] | None = None, issued: dict | None = None,
                status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        feeds = ingest.list_feeds(rt.uow, rt.clock, principal=me)
        choices = bodies.list_bodies(rt.uow, principal=me,
                                     page=PageParams(limit=BODY_CHOICES)).items
    except DomainError as exc:
        return error_page(request, me, exc)
    return _no_store(render(request, "monitoring_feeds.html", {
        "me": user(rt, me), "nav": "monitoring_feeds", "feeds": feeds,
        "silent": sum(f.silent for f in feeds), "bodies": choices,
        "names": {b.key: b for b in choices}, "formats": list(parsers.FORMATS.values()),
        "may_create": may(me, Permission.MONITORING_SUBMIT), "issued": issued,
        "form": form or {"format": "suricata"}, "errors": errors or [],
        "fe": errors_by_field(errors or [])}, status))


@router.get("/monitoring/feeds")
def feeds_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _feeds_page(request, me)


@router.post("/monitoring/feeds")
async def create_feed(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, form_text(got.form, *FIELDS)
    rt = session.runtime(request)
    try:
        try:
            data = FeedIn.model_validate({k: v for k, v in form.items() if v})
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, gettext_of(request))) from None
        token = ingest.create_feed(rt.uow, rt.clock, principal=me, data=data)
    except ValidationFailed as exc:
        return _feeds_page(request, me, form, exc.errors, status=422)
    except (Conflict, NotFound) as exc:  # the code is taken, or the body is not in scope
        taken = isinstance(exc, Conflict)
        return _feeds_page(request, me, form, [FieldError("code" if taken else "body",
                                                          exc.detail)],
                           status=409 if taken else 422)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _feeds_page(request, me, issued=token.model_dump(), status=201)


# --- a feed's page ------------------------------------------------------------------------------


def _feed(request: Request, me: Principal, code: str) -> FeedOut:
    rt = session.runtime(request)
    return ingest.get_feed(rt.uow, rt.clock, principal=me, code=code)


@router.get("/monitoring/feeds/{code}")
def feed_page(request: Request, code: str, page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        feed = _feed(request, me, code)
    except DomainError as exc:
        return error_page(request, me, exc)
    page = max(page, 1)
    try:
        summary = ingest.reject_summary(rt.uow, principal=me, feed=code, top=TOP_REASONS)
        kept = ingest.rejects(rt.uow, principal=me, feed=code, limit=PAGE_SIZE,
                              offset=page_params(page, PAGE_SIZE).offset)
    except Forbidden:
        summary, kept = None, None  # rejected lines take monitoring:submit, as in the API
    found = Slice(kept or [], summary.total if summary else 0)
    return render(request, "monitoring_feed.html", {
        "me": user(rt, me), "nav": "monitoring_feeds", "feed": feed, "rejects": kept,
        "found": found, "page": page, "pages": page_count(found.total), "query": "",
        "reasons": summary.reasons if summary else [],
        "batches": summary.batches if summary else 0})
