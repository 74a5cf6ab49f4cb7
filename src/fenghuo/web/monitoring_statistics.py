"""The monitoring statistics page of the console (issue 15 item 7; Plan §3.2): for a week or a
month in the caller's scope, a card per statistic with the change against the previous period,
infected hosts on the province tile map (:mod:`fenghuo.web.tilemap`) and by sector, the top
malware families and units, vulnerabilities by severity and an eight-week trend.

Every figure comes from :func:`fenghuo.monitoring.statistics.statistics`, which applies the
caller's scope; the page only chooses the period and draws what the service says.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fenghuo.common.errors import DomainError
from fenghuo.common.periods import Month, Week, day_of
from fenghuo.monitoring import statistics
from fenghuo.monitoring import stats_rules as sr
from fenghuo.monitoring.schemas import MonitoringStatistics

from . import session, tilemap
from .pages import error_page, render, to_login, user

router = APIRouter(include_in_schema=False)
#: how many weeks and months the period selector offers
CHOICES_WEEKS, CHOICES_MONTHS = 8, 6
SHADES = 4
#: the statistics drawn in the trend chart
TREND_BARS = "infected_hosts"


@dataclass(frozen=True)
class StatTile:
    division: tilemap.Division
    x: int
    y: int
    hosts: int
    shade: int  # 0 none … SHADES the most


def tiles(out: MonitoringStatistics) -> list[StatTile]:
    """Every division with its infected hosts this period and a shade for the map."""
    hosts = {r.code: r.hosts.count for r in out.provinces}
    top = max([0, *hosts.values()])
    pitch = tilemap.TILE + tilemap.GAP
    return [StatTile(d, d.col * pitch + tilemap.GAP // 2, d.row * pitch + tilemap.GAP // 2,
                     hosts.get(d.code, 0),
                     -(-hosts.get(d.code, 0) * SHADES // top) if top else 0)
            for d in tilemap.divisions()]


def choose(text: str, today) -> Week | Month:  # noqa: ANN001 - a date
    """The period asked for (``2026-W45`` or ``2026-11``), else this week."""
    for cls in (Week, Month):
        try:
            return cls.parse(text)
        except ValueError:
            continue
    return Week.of(today)


def choices(today) -> list[str]:  # noqa: ANN001 - a date
    """The recent weeks and months the selector offers, newest first."""
    weeks, months = [Week.of(today)], [Month.of(today)]
    while len(weeks) < CHOICES_WEEKS:
        weeks.append(weeks[-1].previous())
    while len(months) < CHOICES_MONTHS:
        months.append(months[-1].previous())
    return [str(p) for p in [*weeks, *months]]


def trend_bars(out: MonitoringStatistics) -> list[dict]:
    values = [p.values[TREND_BARS] for p in out.trend]
    return [{"week": p.week, "value": v, "height": h}
            for p, v, h in zip(out.trend, values, sr.bar_heights(values), strict=True)]


@router.get("/monitoring/statistics")
def statistics_page(request: Request, period: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    today = day_of(rt.clock.now())
    chosen = choose(period, today)
    try:
        out = statistics.statistics(rt.uow, principal=me, period=chosen)
    except DomainError as exc:
        return error_page(request, me, exc)
    width, height = tilemap.size()
    offered = choices(today)
    return render(request, "monitoring_statistics.html", {
        "me": user(rt, me), "nav": "monitoring_statistics", "s": out,
        "tiles": tiles(out), "map_w": width, "map_h": height, "tile": tilemap.TILE,
        "shades": SHADES, "bars": trend_bars(out),
        "offered": offered if str(chosen) in offered else [str(chosen), *offered],
        "chosen": str(chosen), "previous": str(chosen.previous()), "next": str(chosen.next()),
        "is_week": isinstance(chosen, Week)})
