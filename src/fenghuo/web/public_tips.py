"""The public tip pages (Cybersecurity Law art. 14): a form anyone may send without an account,
the confirmation with the receipt code (shown once: only its hash is kept), and the status page
where the tipster enters the code and sees only what ``incident.tips.public_status`` returns —
when it was received, its public status, the kind of authority it went to, the outcome.

No session, no CSRF cookie (there is no account to act for) and nothing cached: the answers are
one tipster's. The code is sent in a POST body, never in a URL. A wrong code and a missing one
get the same page. Submissions share their per-address limit with the API's
(``common.ratelimit.limit_of`` on the application).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import NotFound, ValidationFailed
from fenghuo.common.ratelimit import limit_of
from fenghuo.incident import tips
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.incident.tip_schemas import TipIn
from fenghuo.web import i18n
from fenghuo.web.pages import errors_by_field, here, local_time, templates

router = APIRouter(prefix="/public", include_in_schema=False)
#: the same limits as the API's (api/routers/tips.py), under the same names
SUBMIT_PER_MINUTE, LOOKUP_PER_MINUTE = 10, 30
FIELDS = ("jurisdiction", "unit_name", "category", "description", "found_at", "reporter_name",
          "reporter_contact")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _rt(request: Request) -> Runtime:
    return request.app.state.runtime


def _render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    """``name`` in the reader's language (as on the public warning pages), never cached."""
    rt = _rt(request)
    locale = i18n.negotiate(request)
    i18n.activate(locale, rt.settings.timezone)
    return templates.TemplateResponse(request, name, {
        **ctx, "locale": locale, "lang_tag": i18n.TAGS[locale], "here": here(request),
        "timezone": rt.settings.timezone}, status_code=status,
        headers={"Content-Language": i18n.TAGS[locale], **NO_STORE})


def _allowed(request: Request, name: str, per_minute: int) -> bool:
    key = request.client.host if request.client else "?"
    return limit_of(request.app.state, name, per_minute).allow(key)


def _form(request: Request, values: dict, errors: dict, status: int = 200, *,
          limited: bool = False) -> HTMLResponse:
    return _render(request, "public_tip_form.html", {
        "v": values, "errors": errors, "limited": limited,
        "places": tips.public_places(_rt(request).uow),
        "categories": get_taxonomy().as_dicts()}, status)


@router.get("/tips")
def tip_form(request: Request) -> HTMLResponse:
    return _form(request, {}, {})


def _message(name: str, e: dict) -> str:
    """A pydantic error as a message the catalogs translate (as on the report form)."""
    if e["type"] == "string_too_short" and name == "description":
        return "At least 10 characters."
    if e["type"] in ("missing", "string_too_short") or e.get("input") in (None, ""):
        return "This field is required."
    if e["type"] == "string_too_long":
        return "This is too long."
    if "datetime" in e["type"] or "timezone" in e["type"]:
        return "Enter a valid date and time."
    return e["msg"]


def _errors(request: Request, exc: ValidationError) -> dict[str, str]:
    catalog = i18n.translations(i18n.negotiate(request))
    found: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else "form"
        found[name if name in FIELDS else "form"] = catalog.gettext(_message(name, e))
    return found


@router.post("/tips")
async def send_tip(request: Request) -> HTMLResponse:
    """Send a tip; the answer shows the receipt code once."""
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    if not _allowed(request, "tip.submit", SUBMIT_PER_MINUTE):
        return _form(request, values, {}, 429, limited=True)
    rt = _rt(request)
    try:
        data = TipIn(**{k: v for k, v in values.items() if v and k != "found_at"},
                     found_at=local_time(values["found_at"], rt.settings.timezone))
        receipt = tips.submit(rt.uow, rt.clock, data=data, settings=tips.settings_of(rt.settings))
    except ValidationError as exc:
        return _form(request, values, _errors(request, exc), 422)
    except ValidationFailed as exc:
        return _form(request, values, errors_by_field(exc.errors), 422)
    rt.wake_worker()
    return _render(request, "public_tip_receipt.html", {"receipt": receipt}, 201)


@router.get("/tips/status")
def status_form(request: Request) -> HTMLResponse:
    return _render(request, "public_tip_status.html", {"status": None, "asked": False})


@router.post("/tips/status")
async def tip_status(request: Request) -> HTMLResponse:
    """The tip's public status for the code typed in; a wrong code is a 404 like a missing one."""
    form = await request.form()
    code = str(form.get("code", "")).strip()[:100]
    if not _allowed(request, "tip.status", LOOKUP_PER_MINUTE):
        return _render(request, "public_tip_status.html",
                       {"status": None, "asked": True, "limited": True}, 429)
    try:
        status = tips.public_status(_rt(request).uow, code=code)
    except NotFound:
        return _render(request, "public_tip_status.html", {"status": None, "asked": True}, 404)
    return _render(request, "public_tip_status.html", {"status": status, "asked": True})
