"""The duty officers' console: a dashboard of the user's scope and lists of incidents, warnings
and responses, in zh_CN or en (see :mod:`fenghuo.web.i18n`).

Every number comes from the services (``list_incidents``, ``list_warnings``, ``list_responses``,
``accountability.reporting``), which apply the caller's scope; nothing here decides what a user
may see.
The session and CSRF protection are those of :mod:`fenghuo.web.session`. The province map is
a tile-grid cartogram (:mod:`fenghuo.web.tilemap`) coloured from ``province_coverage``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import Forbidden
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.incident import accountability, handling, queries
from fenghuo.incident.grading import GRADE_LABELS, Grade
from fenghuo.incident.rules import State
from fenghuo.queue.service import queue_for
from fenghuo.response import service as responses
from fenghuo.response.rules import LEVEL_LABELS as RESPONSE_LEVELS
from fenghuo.response.rules import ResponseLevel
from fenghuo.warning import protection
from fenghuo.warning import service as warnings
from fenghuo.warning.protection_schemas import ProtectionSummary
from fenghuo.warning.rules import LEVEL_LABELS as WARNING_LEVELS
from fenghuo.warning.rules import LEVELS_DESC, WarningState
from fenghuo.warning.schemas import ProvinceWarnings

from . import i18n, session, tilemap
from .pages import render, to_login, user

router = APIRouter()
router.include_router(i18n.router)  # /web/lang
OPEN_STATES = (State.REPORTED, State.ACKNOWLEDGED, State.HANDLING)
ACCOUNTABILITY_DAYS = 30


@dataclass
class Dashboard:
    incidents: list[dict] = field(default_factory=list)  # per grade: grade, label, count
    warnings: list[dict] = field(default_factory=list)  # per colour: level, label, count
    responses: list[dict] = field(default_factory=list)  # per level: level, label, count
    unacknowledged: int = 0  # incidents reported and not yet acknowledged
    overdue: list[accountability.ReportingRow] = field(default_factory=list)
    overdue_total: int = 0
    dead_letters: int | None = None  # None when the user may not handle incidents
    covered: list[ProvinceWarnings] = field(default_factory=list)  # provinces under warning
    tiles: list[tilemap.Tile] = field(default_factory=list)  # the map, one tile per province
    #: important-event protection periods running in the user's scope (Plan §6.5)
    protection: list[ProtectionSummary] = field(default_factory=list)
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
    d.covered = warnings.province_coverage(rt.uow, principal=me)
    d.tiles = tilemap.tiles(d.covered)
    d.protection = protection.active_periods(rt.uow, rt.clock, principal=me)
    d.until = rt.clock.now()
    d.since = d.until - timedelta(days=ACCOUNTABILITY_DAYS)
    rows = accountability.reporting(rt.uow, rt.clock, principal=me, since=d.since, until=d.until)
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


@router.get("/")
def dashboard_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    return render(request, "console_dashboard.html", {"me": user(rt, me), "nav": "dashboard",
                                                     "d": dashboard(rt, me), **_map_ctx(),
                                                     "queue": queue_for(rt.uow, rt.clock,
                                                                        principal=me)})


def _map_ctx() -> dict:
    width, height = tilemap.size()
    return {"map_w": width, "map_h": height, "tile": tilemap.TILE,
            "map_levels": [(v.value, WARNING_LEVELS[v]) for v in LEVELS_DESC]}


@router.get("/dashboard/fragment")
def dashboard_fragment(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return HTMLResponse("", status_code=401)
    numbers = dashboard(session.runtime(request), me)
    resp = render(request, "console_dashboard_numbers.html", {"d": numbers, **_map_ctx()})
    resp.headers["Cache-Control"] = "no-store"
    return resp
