"""The KPI page of the console (issue 19 item 10): for a week, month or quarter (China Standard
Time) and the caller's scope, or one body of it, the median and 90th percentile of each KPI
(:mod:`fenghuo.kpi.rules`) per body, as a table, as server-drawn SVG bar charts (per body, and
over the last eight periods) and as CSV (``/web/kpi.csv``) or JSON (``/web/kpi.json``).

Every figure comes from :func:`fenghuo.kpi.service.report`, which applies the caller's scope;
the page only chooses the period and the body and draws what the service says.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fenghuo.common.errors import DomainError
from fenghuo.common.periods import day_of
from fenghuo.kpi import export, rules, service
from fenghuo.kpi.rules import DEFINITIONS, Kpi, Period

from . import session
from .pages import error_page, render, to_login, user

router = APIRouter(include_in_schema=False)
#: chart geometry (SVG user units; the charts scale to the page width)
CHART_W, LABEL_W, BAR_H, GROUP_GAP, TREND_H = 380, 130, 12, 10, 140
BAR_AREA = CHART_W - LABEL_W - 40
#: the trend's step per period and the width of one bar
TREND_STEP, TREND_BAR = 47, 20
#: how many periods of the chosen length the selector offers
CHOICES = 12


def choose(period: str, kind: str, today) -> Period:  # noqa: ANN001 - a date
    """The period asked for (``2026-W45``, ``2026-11``, ``2026-Q4``), else the current one of
    ``kind`` (a month when none is named); a ``kind`` other than the period's gives the period
    of that kind in which it starts (changing the length keeps the place)."""
    try:
        chosen = rules.parse_period(period)
    except ValueError:
        return rules.current(kind, today)
    if kind in rules.KINDS and kind != rules.kind_of(chosen):
        return rules.KINDS[kind].of(chosen.start)
    return chosen


def offered(chosen: Period, today) -> list[str]:  # noqa: ANN001 - a date
    """The recent periods of the chosen length the selector offers, newest first."""
    recent = [str(p) for p in rules.trend(rules.current(rules.kind_of(chosen), today),
                                          CHOICES)][::-1]
    return recent if str(chosen) in recent else [str(chosen), *recent]


def _report(request: Request, period: str, kind: str, body: str):  # noqa: ANN202
    me = session.principal(request)
    if me is None:
        return None, None, to_login(request)
    rt = session.runtime(request)
    chosen = choose(period, kind, day_of(rt.clock.now()))
    try:
        return me, service.report(rt.uow, principal=me, period=chosen, body=body or None), None
    except DomainError as exc:
        return me, None, error_page(request, me, exc)


@dataclass(frozen=True)
class Bar:
    y: int
    w: int
    value: float | None


@dataclass(frozen=True)
class Group:
    label: service.BodyLabel
    y: int
    median: Bar
    p90: Bar


def body_chart(rows: list[service.Row]) -> list[Group]:
    """Horizontal bars per body: the median and, under it, the 90th percentile."""
    values = [v for r in rows for v in (r.summary.median, r.summary.p90)]
    widths = rules.scale(values, BAR_AREA)
    pitch = 2 * BAR_H + GROUP_GAP
    return [Group(r.body, i * pitch, Bar(i * pitch, widths[2 * i], r.summary.median),
                  Bar(i * pitch + BAR_H, widths[2 * i + 1], r.summary.p90))
            for i, r in enumerate(rows)]


def trend_chart(points: list[rules.Summary], periods: list[str]) -> list[dict]:
    """Vertical bars per period: the median and beside it the 90th percentile."""
    heights = rules.scale([v for p in points for v in (p.median, p.p90)], TREND_H - 40)
    return [{"period": name, "x": i * TREND_STEP + 3, "median": p.median, "p90": p.p90, "n": p.n,
             "mh": heights[2 * i], "ph": heights[2 * i + 1]}
            for i, (p, name) in enumerate(zip(points, periods, strict=True))]


def charts(out: service.KpiReport) -> list[dict]:
    """One card per KPI: its definition, its per-body chart and its trend."""
    cards = []
    for k in Kpi:
        per_body = [r for r in out.rows if r.kpi == k and r.body is not service.ALL]
        total = next((r for r in out.rows if r.kpi == k and r.body is service.ALL), None)
        groups = body_chart(per_body)
        cards.append({"kpi": k.value, "d": DEFINITIONS[k], "total": total, "groups": groups,
                      "height": max(len(groups), 1) * (2 * BAR_H + GROUP_GAP) + 10,
                      "trend": trend_chart(out.trend[k], out.periods)})
    return cards


@router.get("/kpi")
def kpi_page(request: Request, period: str = "", kind: str = "", body: str = ""
             ) -> Response:
    me, out, failed = _report(request, period, kind, body)
    if failed is not None:
        return failed
    rt = session.runtime(request)
    query = f"period={out.period}" + (f"&body={out.body.key}" if out.body else "")
    today = day_of(rt.clock.now())
    return render(request, "console_kpi.html", {
        "me": user(rt, me), "nav": "kpi", "k": out, "cards": charts(out), "query": query,
        "kinds": list(rules.KINDS), "defs": DEFINITIONS,
        "offered": offered(rules.parse_period(out.period), today), "chart_w": CHART_W,
        "label_w": LABEL_W, "bar_h": BAR_H, "bar_area": BAR_AREA, "trend_h": TREND_H,
        "trend_step": TREND_STEP, "trend_bar": TREND_BAR,
        "support_max": max([x for r in out.support for x in (r.hours, r.target or 0)] or [0])})


@router.get("/kpi.csv")
def kpi_csv(request: Request, period: str = "", kind: str = "", body: str = ""
            ) -> Response:
    _, out, failed = _report(request, period, kind, body)
    if failed is not None:
        return failed
    disposition = f'attachment; filename="{export.filename(out)}"'
    return Response(export.to_csv(out), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": disposition})


@router.get("/kpi.json")
def kpi_json(request: Request, period: str = "", kind: str = "", body: str = ""
             ) -> Response:
    _, out, failed = _report(request, period, kind, body)
    if failed is not None:
        return failed
    return JSONResponse(dataclasses.asdict(out))
