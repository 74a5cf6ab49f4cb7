"""The server-rendered monitoring-information form (Plan §3.2, Law arts. 51–52), beside the
report form: what was observed, when, where and what may be affected, with indicators one per
line as ``type:value``. Errors are shown inline and nothing is stored; on success the item's page
shows its reference and whom it was shared with (important items go up to the Emergency Office).

Sessions and CSRF are those of :mod:`fenghuo.web.session`; pages render with
the login page's plain templates (:mod:`fenghuo.web.login`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from pydantic import ValidationError

from fenghuo.common.errors import Conflict, DomainError, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import accounts
from fenghuo.org.rules import Permission, has_permission
from fenghuo.warning import monitoring
from fenghuo.warning.rules import Tlp
from fenghuo.warning.schemas import IndicatorType, MonitoringIn
from fenghuo.web import login, session

router = APIRouter(include_in_schema=False)

TLPS = [(Tlp.CLEAR.value, "可公开", "disclosure is not limited"),
        (Tlp.GREEN.value, "限于社区", "limited to the community"),
        (Tlp.AMBER.value, "限于本单位及其客户", "limited to the organization and its clients"),
        (Tlp.AMBER_STRICT.value, "仅限本单位", "limited to the organization only"),
        (Tlp.RED.value, "仅限接收人", "for the named recipients only")]
INDICATOR_TYPES = list(IndicatorType.__args__)
#: the form's fields, in page order: errors are listed in this order
FIELDS = ["title", "observed", "observed_at", "category", "jurisdictions", "sectors", "systems",
          "indicators", "important", "tlp"]
_CODES = re.compile(r"[\s,，、;；]+")


def _may_submit(me: Principal) -> bool:
    return has_permission(me.roles, Permission.MONITORING_SUBMIT)


def _forbidden(request: Request, me: Principal) -> HTMLResponse:
    return login._render(request, "monitoring.html", {
        "user": me.username, "forbidden": True}, status=403)


def _page(request: Request, me: Principal, form: dict, errors: list[FieldError],
          status: int = 200) -> HTMLResponse:
    rt = session.runtime(request)
    return login._render(request, "monitoring.html", {
        "user": me.username, "unit": accounts.me(rt.uow, principal=me).body, "form": form,
        "errors": errors, "fe": _by_field(errors), "categories": get_taxonomy().as_dicts(),
        "tlps": TLPS, "indicator_types": INDICATOR_TYPES, "tz": rt.settings.timezone,
        "idempotency_key": form.get("idempotency_key") or uuid.uuid4().hex,
    }, status)


def _by_field(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out[e.field] = f"{out[e.field]}; {e.message}" if e.field in out else e.message
    return out


def _codes(text: str) -> list[str]:
    return [c for c in _CODES.split(text or "") if c]


def _indicators(text: str) -> tuple[list[dict], list[int], list[FieldError]]:
    """``type:value`` lines; returns the indicators, their line numbers, and the lines that
    are not ``type:value``."""
    found, lines, errors = [], [], []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        kind, sep, value = line.strip().partition(":")
        if not sep or not kind.strip() or not value.strip():
            errors.append(FieldError("indicators", f"第{n}行应为“类型:值” line {n}: expected "
                                     "type:value, e.g. ip:203.0.113.7"))
            continue
        found.append({"type": kind.strip().lower(), "value": value.strip()})
        lines.append(n)
    return found, lines, errors


def _monitoring_in(form: dict, tz: ZoneInfo) -> MonitoringIn:
    """The form as MonitoringIn; every problem is raised at once as ValidationFailed, named by
    the form field it belongs to."""
    observed = str(form.get("observed_at") or "")
    try:
        observed_at = datetime.fromisoformat(observed).replace(tzinfo=tz) if observed else None
    except ValueError:
        observed_at = observed
    indicators, lines, errors = _indicators(str(form.get("indicators", "")))
    raw = {"title": form.get("title", ""), "observed": form.get("observed", ""),
           "observed_at": observed_at, "category": form.get("category") or None,
           "jurisdictions": _codes(str(form.get("jurisdictions", ""))),
           "sectors": _codes(str(form.get("sectors", ""))), "systems": form.get("systems", ""),
           "indicators": indicators, "important": bool(form.get("important")),
           "tlp": form.get("tlp") or Tlp.AMBER.value}
    problem = raw["category"] and get_taxonomy().problem(raw["category"], None)
    if problem:  # the service says the same; said here too, so every error shows at once
        errors.append(FieldError("category", problem))
    data = None
    try:
        data = MonitoringIn.model_validate(raw)
    except ValidationError as exc:
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]]
            if loc[0] == "indicators" and len(loc) > 1 and loc[1].isdigit():
                n = lines[int(loc[1])]
                errors.append(FieldError("indicators", f"第{n}行 line {n}: {e['msg']}"))
            else:
                errors.append(FieldError(loc[0], e["msg"]))
    if errors or data is None:
        order = {f: i for i, f in enumerate(FIELDS)}
        raise ValidationFailed(sorted(errors, key=lambda e: order.get(e.field, len(order))))
    return data


@router.get("/monitoring")
def monitoring_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse("/web/login?next=/web/monitoring", status_code=303)
    if not _may_submit(me):
        return _forbidden(request, me)
    return _page(request, me, {"tlp": Tlp.AMBER.value}, [])


@router.post("/monitoring")
async def submit_monitoring(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse("/web/login?next=/web/monitoring", status_code=303)
    form = dict(await request.form())
    session.check_csrf(request, str(form.get("csrf", "")))
    if not _may_submit(me):
        return _forbidden(request, me)
    rt = session.runtime(request)
    try:
        data = _monitoring_in(form, ZoneInfo(rt.settings.timezone))
        item = monitoring.submit(rt.uow, rt.clock, principal=me, data=data,
                                 idempotency_key=str(form.get("idempotency_key") or "") or None)
    except ValidationFailed as exc:
        return _page(request, me, form, exc.errors, status=422)
    except Conflict as exc:  # the same form sent again with other content: a new key to retry
        return _page(request, me, {**form, "idempotency_key": None}, [FieldError(
            "form", f"{exc.detail}; 请检查后重新提交 check and submit again")], status=409)
    rt.wake_worker()
    return RedirectResponse(f"/web/monitoring/{item.ref}", status_code=303)


@router.get("/monitoring/{ref}")
def monitoring_item_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse(f"/web/login?next=/web/monitoring/{quote(ref, safe='')}",
                                status_code=303)
    rt = session.runtime(request)
    try:
        item = monitoring.get_item(rt.uow, principal=me, ref=ref)
    except DomainError as exc:
        return HTMLResponse(str(escape(exc.detail)), status_code=exc.status)
    return login._render(request, "monitoring_item.html", {
        "user": me.username, "i": item, "tz": rt.settings.timezone,
        "when": lambda m: m.astimezone(ZoneInfo(rt.settings.timezone)).strftime(
            "%Y-%m-%d %H:%M") if m else "—"})
