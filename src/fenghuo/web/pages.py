"""What every console page shares: the templates (with gettext and the date and label filters),
rendering in the caller's language and time zone, the login redirect, error pages and paging.

Pages call the services and render what they return; they hold no rules of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from fenghuo.api.deps import IDEMPOTENCY_KEY_MAX
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, FieldError, Unauthorized
from fenghuo.common.pagination import MAX_OFFSET, PageParams
from fenghuo.common.scope import Principal
from fenghuo.org import accounts

from . import assets, i18n, session
from .session import CSRF

templates = i18n.install(Jinja2Templates(directory=str(Path(__file__).parent / "templates")))
templates.env.globals["static"] = assets.url  # styles and scripts are files (CSP)
PAGE_SIZE = 25


def here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def to_login(request: Request) -> Response:
    """Back to the login page, returning here afterwards."""
    return RedirectResponse(f"/web/login?next={quote(here(request), safe='/')}", status_code=303)


def render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    """``name`` rendered in the request's language and the configured time zone, with a CSRF
    token for its forms (set as a cookie with the page)."""
    rt = session.runtime(request)
    locale = i18n.negotiate(request)
    i18n.activate(locale, rt.settings.timezone)
    token = session.csrf_token(request)
    resp = templates.TemplateResponse(request, name, {
        **ctx, "csrf": token, "locale": locale, "lang_tag": i18n.TAGS[locale],
        "here": here(request), "timezone": rt.settings.timezone}, status_code=status)
    session.set_cookie(request, resp, CSRF, token, samesite="strict")
    resp.headers["Content-Language"] = i18n.TAGS[locale]
    return resp


def user(rt: Runtime, me: Principal):
    """The caller's account with its body, for the header of every page."""
    return accounts.me(rt.uow, principal=me)


def error_page(request: Request, me: Principal | None, exc: DomainError) -> HTMLResponse:
    """A domain error (not found, forbidden, refused with reasons…) as a console page with the
    error's status."""
    rt = session.runtime(request)
    return render(request, "console_error.html", {
        "me": user(rt, me) if me else None, "nav": "", "error": exc,
        "reasons": getattr(exc, "reasons", None) or []}, status=exc.status)


def unavailable_page(request: Request, exc: DomainError, retry_after: int) -> HTMLResponse:
    """The console's answer while the database is down (503, ``Retry-After``): an error page
    that needs no database (no user is looked up)."""
    resp = error_page(request, None, exc)
    resp.headers["Retry-After"] = str(retry_after)
    return resp


def page_params(page: int, size: int = PAGE_SIZE) -> PageParams:
    """The page's rows; a page number past any list (``?page=99999999999``) is an empty page
    and not an error."""
    return PageParams(limit=size, offset=min(max(page - 1, 0) * size, MAX_OFFSET))


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max((total + size - 1) // size, 1)


@dataclass(frozen=True)
class Posted:
    """A POSTed form whose CSRF token matched, and who sent it."""

    me: Principal
    form: FormData


async def posted(request: Request) -> Posted | Response:
    """The caller and the form of a POST, or the response to send instead: the login page when
    there is no session, the error page when the form's CSRF token does not match."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    form = await request.form()
    try:
        session.check_csrf(request, str(form.get("csrf", "")))
    except Unauthorized as exc:
        return error_page(request, me, exc)
    return Posted(me, form)


def errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    """Field → its messages (with the clause, when an error names one), for inline errors."""
    out: dict[str, str] = {}
    for e in errors:
        message = f"{e.message} ({e.source})" if e.source else e.message
        out[e.field] = f"{out[e.field]}; {message}" if e.field in out else message
    return out


def idempotency_key(form: Any) -> str | None:
    """The form's hidden idempotency key (a double submit is one report), or None when absent
    or not one this console gives (longer than the API's ``Idempotency-Key`` may be)."""
    key = str(form.get("idempotency_key") or "").strip()
    return key if 0 < len(key) <= IDEMPOTENCY_KEY_MAX else None


def local_time(value: str, timezone: str | ZoneInfo) -> datetime | str | None:
    """A ``datetime-local`` field's value in the configured time zone; None when empty, the
    text as typed when it is no date-time (for the schema to name)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    tz = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
