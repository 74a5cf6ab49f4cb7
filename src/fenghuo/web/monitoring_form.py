"""The monitoring-information form of the console (Plan §3.2, Law arts. 51–52), beside the
report form: what was observed, when, where and what may be affected, with indicators one per
line as ``type:value``. Errors are shown inline, in the caller's language, and nothing is stored;
on success the item's page shows its reference and whom it was shared with (important items go up
at once, Plan §3.2), and an office or department that received a unit's item up its chain reports
it on to the Emergency Office from there.

Whether the caller may submit, and what is stored and shared, are decided by
:mod:`fenghuo.warning.monitoring`; this module only turns the form into ``MonitoringIn`` and
the service's answers into pages.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.common.errors import Conflict, DomainError, FieldError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org.rules import Permission, has_permission
from fenghuo.warning import monitoring
from fenghuo.warning.rules import Tlp
from fenghuo.warning.schemas import IndicatorType, MonitoringIn

from . import i18n, session
from .pages import (
    Posted,
    error_page,
    errors_by_field,
    idempotency_key,
    local_time,
    posted,
    render,
    to_login,
    user,
)

router = APIRouter(include_in_schema=False)

TLPS = [t.value for t in Tlp]
INDICATOR_TYPES = list(IndicatorType.__args__)
#: the form's fields, in page order: errors are listed in this order
FIELDS = ["title", "observed", "observed_at", "category", "jurisdictions", "sectors", "systems",
          "unit", "indicators", "important", "tlp"]
_CODES = re.compile(r"[\s,，、;；]+")
#: the service's messages about unknown codes (fenghuo.warning.places), said in the caller's
#: language; any other message is shown as the service wrote it
_UNKNOWN = {"jurisdictions": (re.compile(r"no jurisdiction '(.*)'"),
                              "There is no jurisdiction with code %(code)s."),
            "sectors": (re.compile(r"no sector '(.*)'"), "There is no sector with code %(code)s.")}

Translate = Callable[..., str]


def _translator(request: Request) -> Translate:
    """``t("… %(n)s", n=1)``: gettext in the request's language, with placeholders."""
    catalog = i18n.translations(i18n.negotiate(request))

    def t(message: str, **params: object) -> str:
        text = catalog.gettext(message)
        return text % params if params else text

    return t


def _may_submit(me: Principal) -> bool:
    return has_permission(me.roles, Permission.MONITORING_SUBMIT)


def _page(request: Request, me: Principal, form: dict, errors: list[FieldError],
          status: int = 200) -> HTMLResponse:
    rt = session.runtime(request)
    return render(request, "monitoring.html", {
        "me": user(rt, me), "nav": "monitoring", "form": form, "errors": errors,
        "fe": errors_by_field(errors), "categories": get_taxonomy().as_dicts(), "tlps": TLPS,
        "indicator_types": INDICATOR_TYPES,
        "idempotency_key": form.get("idempotency_key") or uuid.uuid4().hex,
    }, status)


def _forbidden(request: Request, me: Principal) -> HTMLResponse:
    rt = session.runtime(request)
    return render(request, "monitoring.html", {"me": user(rt, me), "nav": "monitoring",
                                               "forbidden": True}, status=403)


def _codes(text: str) -> list[str]:
    return [c for c in _CODES.split(text or "") if c]


def _indicators(text: str, t: Translate) -> tuple[list[dict], list[int], list[FieldError]]:
    """``type:value`` lines; returns the indicators, their line numbers, and the lines that
    are not ``type:value``."""
    found, lines, errors = [], [], []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        kind, sep, value = line.strip().partition(":")
        if not sep or not kind.strip() or not value.strip():
            errors.append(FieldError("indicators", t(
                "Line %(n)s: expected type:value, e.g. ip:203.0.113.7.", n=n)))
            continue
        found.append({"type": kind.strip().lower(), "value": value.strip()})
        lines.append(n)
    return found, lines, errors


def _problem(e: dict, t: Translate) -> str:
    """One pydantic error as a sentence in the caller's language."""
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return t("This field is required.")
    if kind == "string_too_long":
        return t("Too long: at most %(n)s characters.", n=ctx.get("max_length"))
    if kind == "too_long":
        return t("Too many: at most %(n)s.", n=ctx.get("max_length"))
    if e["loc"][0] == "observed_at":
        return t("Enter a date and time.")
    if e["loc"][0] == "tlp":
        return t("Choose a marking from the list.")
    if kind == "literal_error":
        return t("Unknown type %(type)s; use one of: %(types)s.", type=e.get("input"),
                 types=", ".join(INDICATOR_TYPES))
    return e["msg"]


def _pydantic_errors(exc: ValidationError, lines: list[int], t: Translate) -> list[FieldError]:
    errors = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        if loc[0] == "indicators" and len(loc) > 1 and loc[1].isdigit():
            errors.append(FieldError("indicators", t("Line %(n)s: %(problem)s",
                                                     n=lines[int(loc[1])],
                                                     problem=_problem(e, t))))
        else:
            errors.append(FieldError(loc[0], _problem(e, t)))
    return errors


def _monitoring_in(form: dict, tz: ZoneInfo, t: Translate) -> MonitoringIn:
    """The form as MonitoringIn; every problem is raised at once as ValidationFailed, named by
    the form field it belongs to and said with ``t``."""
    observed_at = local_time(str(form.get("observed_at") or ""), tz)
    indicators, lines, errors = _indicators(str(form.get("indicators", "")), t)
    raw = {"title": form.get("title", ""), "observed": form.get("observed", ""),
           "observed_at": observed_at, "category": form.get("category") or None,
           "jurisdictions": _codes(str(form.get("jurisdictions", ""))),
           "sectors": _codes(str(form.get("sectors", ""))), "systems": form.get("systems", ""),
           "indicators": indicators, "important": bool(form.get("important")),
           "tlp": form.get("tlp") or Tlp.AMBER.value,
           "unit": str(form.get("unit") or "").strip() or None}
    if raw["category"] and get_taxonomy().problem(raw["category"], None):
        # the service says the same (Plan annex 1); said here too, so every error shows at once
        errors.append(FieldError("category", t("Unknown incident category %(code)s.",
                                                code=raw["category"])))
    data = None
    try:
        data = MonitoringIn.model_validate(raw)
    except ValidationError as exc:
        errors += _pydantic_errors(exc, lines, t)
    if errors or data is None:
        raise ValidationFailed(_ordered(errors))
    return data


def _ordered(errors: list[FieldError]) -> list[FieldError]:
    order = {f: i for i, f in enumerate(FIELDS)}
    return sorted(errors, key=lambda e: order.get(e.field, len(order)))


def _said(errors: list[FieldError], t: Translate) -> list[FieldError]:
    """The service's errors about unknown codes in the caller's language."""
    out = []
    for e in errors:
        pattern, message = _UNKNOWN.get(e.field, (None, ""))
        found = pattern.fullmatch(e.message) if pattern else None
        out.append(FieldError(e.field, t(message, code=found.group(1))) if found else e)
    return out


@router.get("/monitoring")
def monitoring_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    if not _may_submit(me):
        return _forbidden(request, me)
    return _page(request, me, {"tlp": Tlp.AMBER.value}, [])


@router.post("/monitoring")
async def submit_monitoring(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    if not _may_submit(me):
        return _forbidden(request, me)
    rt, t = session.runtime(request), _translator(request)
    try:
        data = _monitoring_in(form, ZoneInfo(rt.settings.timezone), t)
        item = monitoring.submit(rt.uow, rt.clock, principal=me, data=data,
                                 idempotency_key=idempotency_key(form))
    except ValidationFailed as exc:
        return _page(request, me, form, _said(exc.errors, t), status=422)
    except Refused as exc:  # a unit the caller may not report about (Support obligation 7)
        return _page(request, me, form, [FieldError("unit", "; ".join(
            f"{r['text_zh']} {r['text_en']} ({r['source']})" for r in exc.reasons))],
            status=exc.status)
    except Conflict:  # the same form sent again with other content: a new key to retry
        return _page(request, me, {**form, "idempotency_key": None}, [FieldError("form", t(
            "This form was already sent with other content. Check it and submit again."))],
            status=409)
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/monitoring/{item.ref}", status_code=303)


@router.get("/monitoring/{ref}")
def monitoring_item_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        item = monitoring.get_item(rt.uow, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    category = get_taxonomy().label(item.category) if item.category else None
    account = user(rt, me)
    mine = next((sh for sh in item.shares if sh.body == account.body.key), None)
    return render(request, "monitoring_item.html", {
        "me": account, "nav": "monitoring", "i": item, "category": category,
        "may_report_up": bool(mine and mine.may_report_up and _may_submit(me))})


@router.post("/monitoring/{ref}/report-up")
async def report_up(request: Request, ref: str) -> Response:
    """Report the item on to the Emergency Office (Plan §3.2), then back to its page; a
    refusal is the error page naming the rule."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        monitoring.report_up(rt.uow, rt.clock, principal=got.me, ref=ref)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/monitoring/{quote(ref, safe='')}", status_code=303)
