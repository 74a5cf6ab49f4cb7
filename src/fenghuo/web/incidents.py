"""Incident pages of the console: the list with filters and search, the report form for
operator units (inline errors, supplementary reports) and an incident's page.

Everything shown comes from :mod:`fenghuo.incident.queries`, which applies the caller's scope.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.incident import handling, queries, service
from fenghuo.incident.grading import GRADE_LABELS, Degree, Grade
from fenghuo.incident.rules import STATE_LABELS as INCIDENT_STATES
from fenghuo.incident.rules import State
from fenghuo.incident.schemas import ReportIn, SupplementIn
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import accounts, bodies, registers

from . import session
from .pages import page_count, page_params, render, to_login, user
from .session import CSRF

router = APIRouter()
plain_templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
DEGREE_FIELDS = [("system_loss", "系统损失（标准①）", "system loss (criterion ①)"),
                 ("data_threat", "数据威胁（标准②）", "threat from data loss (criterion ②)"),
                 ("other_threat", "其他威胁（标准③）", "other threat (criterion ③)")]
DEGREES = [(Degree.ESPECIALLY_SERIOUS.value, "特别严重", "especially serious"),
           (Degree.SERIOUS.value, "严重", "serious"),
           (Degree.RELATIVELY_SERIOUS.value, "较严重/较大", "relatively serious"),
           (Degree.MINOR.value, "较小", "minor")]


def _render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    token = session.csrf_token(request)
    resp = plain_templates.TemplateResponse(request, name, {**ctx, "csrf": token},
                                            status_code=status)
    resp.set_cookie(CSRF, token, httponly=True, samesite="strict")
    return resp



@router.get("/incidents")
def incidents_page(request: Request, grade: str = "", state: str = "", q: str = "",
                   unit: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    grade = grade if grade in {g.value for g in Grade} else ""
    state = state if state in {s.value for s in State} else ""
    found = queries.list_incidents(rt.uow, principal=me, page=page_params(page),
                                   grade=grade or None, state=state or None,
                                   unit=unit or None, q=q.strip() or None)
    return render(request, "console_incidents.html", {
        "me": user(rt, me), "nav": "incidents", "found": found, "page": max(page, 1),
        "pages": page_count(found.total),
        "f": {"grade": grade, "state": state, "q": q, "unit": unit},
        "grades": [(g.value, GRADE_LABELS[g]) for g in Grade],
        "states": [(s.value, INCIDENT_STATES[s]) for s in State]})


def _form_page(request: Request, me: Principal, form: dict, errors: list[FieldError],
               status: int = 200) -> HTMLResponse:
    rt = session.runtime(request)
    unit = bodies.get_body(rt.uow, principal=me, key=_own_key(rt, me))
    systems = registers.list_systems(rt.uow, principal=me, body=unit.key) if (
        unit.kind.value == "operator") else []
    return _render(request, "report.html", {
        "user": me.username, "unit": unit, "systems": systems, "form": form,
        "errors": errors, "fe": {e.field: e.message for e in errors},
        "taxonomy": get_taxonomy().as_dicts(), "degree_fields": DEGREE_FIELDS,
        "degrees": DEGREES, "idempotency_key": form.get("idempotency_key") or uuid.uuid4().hex,
    }, status)


def _own_key(rt: Runtime, me: Principal) -> str:
    return accounts.me(rt.uow, principal=me).body.key


@router.get("/report")
def report_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse("/web/login?next=/web/report", status_code=303)
    return _form_page(request, me, {}, [])


def _report_in(form: dict, tz: ZoneInfo) -> ReportIn:
    category, _, sub = (form.get("category") or "").partition("|")
    found = form.get("found_at") or ""
    try:
        found_at = datetime.fromisoformat(found).replace(tzinfo=tz) if found else None
    except ValueError:
        found_at = found
    facts = {k: form[k] for k, _, _ in DEGREE_FIELDS if form.get(k)}
    return ReportIn(system=form.get("system") or None, category=category,
                    subcategory=sub or None, title=form.get("title", ""),
                    description=form.get("description", ""), found_at=found_at,
                    impact=form.get("impact", ""), measures=form.get("measures", ""),
                    facts=facts)


@router.post("/report")
async def submit_report(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse("/web/login?next=/web/report", status_code=303)
    form = dict(await request.form())
    session.check_csrf(request, str(form.get("csrf", "")))
    rt = session.runtime(request)
    category, _, sub = str(form.get("category", "")).partition("|")
    shown = {**form, "category": category, "subcategory": sub}
    try:
        data = _report_in(form, ZoneInfo(rt.settings.timezone))
        out = service.report(rt.uow, rt.clock, principal=me, data=data,
                             idempotency_key=str(form.get("idempotency_key") or "") or None,
                             profile=rt.settings.grading_profile)
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        return _form_page(request, me, shown, errors, status=422)
    except ValidationFailed as exc:
        return _form_page(request, me, shown, exc.errors, status=422)
    rt.wake_worker()
    return RedirectResponse(f"/web/incidents/{out.ref}", status_code=303)


@router.get("/incidents/{ref}")
def incident_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse(f"/web/login?next=/web/incidents/{ref}", status_code=303)
    rt = session.runtime(request)
    try:
        out = queries.get_incident(rt.uow, principal=me, ref=ref, now=rt.clock.now())
    except DomainError as exc:
        return HTMLResponse(html.escape(exc.detail), status_code=exc.status)
    return _render(request, "incident.html", {"user": me.username, "i": out})


@router.post("/incidents/{ref}/supplement")
def supplement(request: Request, ref: str, text: str = Form(), csrf: str = Form()) -> Response:
    me = session.principal(request)
    if me is None:
        return RedirectResponse("/web/login", status_code=303)
    session.check_csrf(request, csrf)
    rt = session.runtime(request)
    handling.supplement(rt.uow, rt.clock, principal=me, ref=ref, data=SupplementIn(text=text))
    return RedirectResponse(f"/web/incidents/{ref}", status_code=303)
