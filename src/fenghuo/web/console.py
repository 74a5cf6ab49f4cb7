"""The duty officers' console: a dashboard of the user's scope and lists of incidents, warnings
and responses, in zh_CN or en (see :mod:`fenghuo.web.i18n`).

Every number comes from the services (``list_incidents``, ``list_warnings``, ``list_responses``,
``accountability``), which apply the caller's scope; nothing here decides what a user may see.
The session and CSRF protection are those of :mod:`fenghuo.web.session`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import Forbidden
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.incident import handling, queries
from fenghuo.incident.grading import GRADE_LABELS, Grade
from fenghuo.incident.rules import STATE_LABELS as INCIDENT_STATES
from fenghuo.incident.rules import State
from fenghuo.org import accounts
from fenghuo.response import service as responses
from fenghuo.response.rules import LEVEL_LABELS as RESPONSE_LEVELS
from fenghuo.response.rules import ResponseLevel
from fenghuo.warning import service as warnings
from fenghuo.warning.rules import LEVEL_LABELS as WARNING_LEVELS
from fenghuo.warning.rules import LEVELS_DESC, WarningState

from . import i18n, session
from .session import CSRF

router = APIRouter()
router.include_router(i18n.router)  # /web/lang
templates = i18n.install(Jinja2Templates(directory=str(Path(__file__).parent / "templates")))
OPEN_STATES = (State.REPORTED, State.ACKNOWLEDGED, State.HANDLING)
ACCOUNTABILITY_DAYS = 30
PAGE_SIZE = 25


def _to_login(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/web/login?next={quote(here, safe='/')}", status_code=303)


def render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    rt = session.runtime(request)
    locale = i18n.negotiate(request)
    i18n.activate(locale, rt.settings.timezone)
    token = session.csrf_token(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    resp = templates.TemplateResponse(request, name, {
        **ctx, "csrf": token, "locale": locale, "lang_tag": i18n.TAGS[locale],
        "here": here, "timezone": rt.settings.timezone}, status_code=status)
    resp.set_cookie(CSRF, token, httponly=True, samesite="strict")
    resp.headers["Content-Language"] = i18n.TAGS[locale]
    return resp


@dataclass
class Dashboard:
    incidents: list[dict] = field(default_factory=list)  # per grade: grade, label, count
    warnings: list[dict] = field(default_factory=list)  # per colour: level, label, count
    responses: list[dict] = field(default_factory=list)  # per level: level, label, count
    unacknowledged: int = 0  # incidents reported and not yet acknowledged
    overdue: list[handling.AccountabilityRow] = field(default_factory=list)
    overdue_total: int = 0
    dead_letters: int | None = None  # None when the user may not handle incidents
    since: object = None
    until: object = None


def _count_incidents(rt: Runtime, me: Principal, **filters) -> int:
    return queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=1), **filters).total


def dashboard(rt: Runtime, me: Principal) -> Dashboard:
    """The dashboard's numbers, all from the services under the user's scope."""
    d = Dashboard()
    for grade in Grade:
        n = sum(_count_incidents(rt, me, grade=grade.value, state=s.value) for s in OPEN_STATES)
        d.incidents.append({"key": grade.value, "label": GRADE_LABELS[grade], "count": n})
    d.unacknowledged = _count_incidents(rt, me, state=State.REPORTED.value)
    for level in LEVELS_DESC:
        n = warnings.list_warnings(rt.uow, principal=me, page=PageParams(limit=1),
                                   state=WarningState.PUBLISHED.value, level=level.value).total
        d.warnings.append({"key": level.value, "label": WARNING_LEVELS[level], "count": n})
    active = [r for r in _all_responses(rt, me) if r.state != "ended"]
    for level in ResponseLevel:
        d.responses.append({"key": level.value, "label": RESPONSE_LEVELS[level],
                            "count": sum(1 for r in active if r.level == level.value)})
    d.until = rt.clock.now()
    d.since = d.until - timedelta(days=ACCOUNTABILITY_DAYS)
    rows = handling.accountability(rt.uow, rt.clock, principal=me, since=d.since, until=d.until)
    d.overdue = [r for r in rows if r.overdue_duties or r.overdue_investigations]
    d.overdue_total = sum(r.overdue_duties + r.overdue_investigations for r in rows)
    try:
        d.dead_letters = len(handling.list_deliveries(rt.uow, principal=me, state="dead"))
    except Forbidden:
        d.dead_letters = None
    return d


def _all_responses(rt: Runtime, me: Principal) -> list:
    out, offset = [], 0
    while True:
        page = responses.list_responses(rt.uow, principal=me,
                                        page=PageParams(limit=500, offset=offset))
        out.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return out


def _user(rt: Runtime, me: Principal):
    return accounts.me(rt.uow, principal=me)


@router.get("/")
def dashboard_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return _to_login(request)
    rt = session.runtime(request)
    return render(request, "console_dashboard.html", {"me": _user(rt, me), "nav": "dashboard",
                                                     "d": dashboard(rt, me)})


@router.get("/dashboard/fragment")
def dashboard_fragment(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return HTMLResponse("", status_code=401)
    numbers = dashboard(session.runtime(request), me)
    resp = render(request, "console_dashboard_numbers.html", {"d": numbers})
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _page_params(page: int) -> PageParams:
    return PageParams(limit=PAGE_SIZE, offset=max(page - 1, 0) * PAGE_SIZE)


@router.get("/incidents")
def incidents_page(request: Request, grade: str = "", state: str = "", q: str = "",
                   unit: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return _to_login(request)
    rt = session.runtime(request)
    grade = grade if grade in {g.value for g in Grade} else ""
    state = state if state in {s.value for s in State} else ""
    found = queries.list_incidents(rt.uow, principal=me, page=_page_params(page),
                                   grade=grade or None, state=state or None,
                                   unit=unit or None, q=q.strip() or None)
    return render(request, "console_incidents.html", {
        "me": _user(rt, me), "nav": "incidents", "found": found, "page": max(page, 1),
        "pages": max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "f": {"grade": grade, "state": state, "q": q, "unit": unit},
        "grades": [(g.value, GRADE_LABELS[g]) for g in Grade],
        "states": [(s.value, INCIDENT_STATES[s]) for s in State]})


@router.get("/warnings")
def warnings_page(request: Request, state: str = "published", level: str = "",
                  page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return _to_login(request)
    rt = session.runtime(request)
    state = state if state in {s.value for s in WarningState} else ""
    level = level if level in {v.value for v in LEVELS_DESC} else ""
    found = warnings.list_warnings(rt.uow, principal=me, page=_page_params(page),
                                   state=state or None, level=level or None)
    return render(request, "console_warnings.html", {
        "me": _user(rt, me), "nav": "warnings", "found": found, "page": max(page, 1),
        "pages": max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "f": {"state": state, "level": level},
        "levels": [(v.value, WARNING_LEVELS[v]) for v in LEVELS_DESC],
        "states": [s.value for s in WarningState]})


@router.get("/responses")
def responses_page(request: Request, state: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return _to_login(request)
    rt = session.runtime(request)
    state = state if state in {"active", "ended"} else ""
    found = responses.list_responses(rt.uow, principal=me, page=_page_params(page),
                                     state=state or None)
    return render(request, "console_responses.html", {
        "me": _user(rt, me), "nav": "responses", "found": found, "page": max(page, 1),
        "pages": max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1), "f": {"state": state}})
