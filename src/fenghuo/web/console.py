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
#: the dashboard counts dead letters up to this many ("100+"): the page lists them all
DEAD_LETTERS_SHOWN = 100


@dataclass
class Dashboard:
    incidents: list[dict] = field(default_factory=list)  # per grade: grade, label, count
    warnings: list[dict] = field(default_factory=list)  # per colour: level, label, count
    responses: list[dict] = field(default_factory=list)  # per level: level, label, count
    unacknowledged: int = 0  # incidents reported and not yet acknowledged
    overdue: list[accountability.OverdueRow] = field(default_factory=list)
    overdue_total: int = 0
    dead_letters: int | None = None  # None when the user may not handle incidents
    dead_letters_more: bool = False  # more than DEAD_LETTERS_SHOWN
    covered: list[ProvinceWarnings] = field(default_factory=list)  # provinces under warning
    tiles: list[tilemap.Tile] = field(default_factory=list)  # the map, one tile per province
    #: important-event protection periods running in the user's scope (Plan §6.5)
    protection: list[ProtectionSummary] = field(default_factory=list)
    since: object = None
    until: object = None


def dashboard(rt: Runtime, me: Principal) -> Dashboard:
    """The dashboard's numbers, all from the services under the user's scope: one grouped
    count per figure (issue 21: the dashboard at 10 M incidents)."""
    d = Dashboard()
    open_counts = queries.counts_by_grade_and_state(rt.uow, principal=me,
                                                    states=[s.value for s in OPEN_STATES])
    for grade in Grade:
        n = sum(open_counts.get((grade.value, s.value), 0) for s in OPEN_STATES)
        d.incidents.append({"key": grade.value, "label": GRADE_LABELS[grade], "count": n})
    d.unacknowledged = sum(n for (_, state), n in open_counts.items()
                           if state == State.REPORTED.value)
    published = warnings.counts_by_level(rt.uow, principal=me,
                                         state=WarningState.PUBLISHED.value)
    for level in LEVELS_DESC:
        d.warnings.append({"key": level.value, "label": WARNING_LEVELS[level],
                           "count": published.get(level.value, 0)})
    active = responses.active_counts_by_level(rt.uow, principal=me)
    for level in ResponseLevel:
        d.responses.append({"key": level.value, "label": RESPONSE_LEVELS[level],
                            "count": active.get(level.value, 0)})
    d.covered = warnings.province_coverage(rt.uow, principal=me)
    d.tiles = tilemap.tiles(d.covered)
    d.protection = protection.active_periods(rt.uow, rt.clock, principal=me)
    d.until = rt.clock.now()
    d.since = d.until - timedelta(days=ACCOUNTABILITY_DAYS)
    d.overdue = accountability.overdue(rt.uow, rt.clock, principal=me, since=d.since,
                                       until=d.until)
    d.overdue_total = sum(r.overdue_duties + r.overdue_investigations for r in d.overdue)
    try:
        n = handling.count_deliveries(rt.uow, principal=me, state="dead",
                                      cap=DEAD_LETTERS_SHOWN + 1)
        d.dead_letters, d.dead_letters_more = min(n, DEAD_LETTERS_SHOWN), n > DEAD_LETTERS_SHOWN
    except Forbidden:
        d.dead_letters = None
    return d


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
