"""Pure rules of the KPIs (issue 19 item 10): which recorded timestamps make each interval, the
periods they are counted in, and the statistics over them. No I/O.

Each interval runs from a ``start`` to a ``stop`` timestamp already recorded by the services
and is attributed to one body:

- ``report`` — the unit's time to report: ``incidents.found_at`` → ``incidents.reported_at``,
  to the unit where it happened. The clock CAC 2025 art. 4 starts at discovery (1 h for a CII
  operator, 2 h for central bodies, 4 h for others; ``incident.rules.ClockSettings``).
- ``acknowledge`` (MTTA) — a routed body's time to acknowledge: ``incident_routes.routed_at`` →
  ``incident_routes.acknowledged_at``, to that body (the acknowledgement clock of
  ``incident.rules.intake_duties``: CAC 2025 art. 4 escalation, Plan §4.1 "immediately").
- ``contain`` (MTTR) — time to handle: ``incidents.reported_at`` → the first timeline entry
  that makes the incident ``resolved`` (已处置; Plan §4.1 先期处置、控制事态、消除隐患), to the
  unit where it happened.
- ``close`` — ``incidents.reported_at`` → the first timeline entry that makes it ``closed``.
- ``response`` — a response from ``responses.activated_at`` to ``responses.ended_at`` (Plan
  §4.2–§4.3), to the activating body.
- ``warning_ack`` — a warning recipient's ``notified_at`` → ``acknowledged_at`` (Plan §3.3), to
  the recipient.
- Support-unit hours — the minutes of ``support_work`` on days of the period, per unit, against
  the Support obligation of on average at least 5×8 working hours a month (平均每月不少于5×8工时).

An interval counts in the period (China Standard Time) in which it **stopped**, so a figure is
final once its period is over; intervals started in the period and still running at its end
are counted as ``open``. A stop before its start (bad imported data) is left out.
Percentiles interpolate linearly between the closest ranks (PERCENTILE.INC, numpy's default).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from fenghuo.common.periods import CST, Month, Week, add_months, window

#: the Support obligation: on average at least 5×8 working hours of technical support a month
SUPPORT_HOURS_A_MONTH = 40
#: how many periods the trend shows (this one and the seven before)
TREND_PERIODS = 8


class Kpi(StrEnum):
    REPORT = "report"
    ACKNOWLEDGE = "acknowledge"
    CONTAIN = "contain"
    CLOSE = "close"
    RESPONSE = "response"
    WARNING_ACK = "warning_ack"


@dataclass(frozen=True)
class KpiDef:
    kpi: Kpi
    zh: str
    en: str
    #: the recorded timestamps, "table.column" (what the interval is made of)
    start: str
    stop: str
    source: str
    #: the interval and its clause in words, Chinese first
    span_zh: str = ""
    span_en: str = ""
    source_zh: str = ""


DEFINITIONS: dict[Kpi, KpiDef] = {d.kpi: d for d in (
    KpiDef(Kpi.REPORT, "报告用时", "Time to report", "incidents.found_at",
           "incidents.reported_at", "CAC 2025 art. 4", "从发现事件到报告",
           "from discovery to the report",
           "《网络安全事件报告管理办法》第四条"),
    KpiDef(Kpi.ACKNOWLEDGE, "签收用时（MTTA）", "Time to acknowledge (MTTA)",
           "incident_routes.routed_at", "incident_routes.acknowledged_at",
           "CAC 2025 art. 4; Plan §4.1", "从报送到本单位签收",
           "from routing to the body's acknowledgement",
           "《网络安全事件报告管理办法》第四条；《国家网络安全事件应急预案》4.1"),
    KpiDef(Kpi.CONTAIN, "处置用时（MTTR）", "Time to contain (MTTR)", "incidents.reported_at",
           "incident_events: state → resolved", "Plan §4.1", "从报告到首次标记为已处置",
           "from the report to the first change to resolved", "《国家网络安全事件应急预案》4.1"),
    KpiDef(Kpi.CLOSE, "关闭用时", "Time to close", "incidents.reported_at",
           "incident_events: state → closed", "Plan §4.1, §5", "从报告到关闭",
           "from the report to the close", "《国家网络安全事件应急预案》4.1、第5部分"),
    KpiDef(Kpi.RESPONSE, "应急响应持续时间", "Response duration", "responses.activated_at",
           "responses.ended_at", "Plan §4.2–§4.3", "从启动响应到结束响应",
           "from activation to the end of the response", "《国家网络安全事件应急预案》4.2–4.3"),
    KpiDef(Kpi.WARNING_ACK, "预警签收用时", "Warning acknowledgement time",
           "warning_recipients.notified_at", "warning_recipients.acknowledged_at", "Plan §3.3",
           "从预警送达到签收", "from delivery of the warning to its acknowledgement",
           "《国家网络安全事件应急预案》3.3"),
)}


# --- periods -----------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int  # 1…4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = _QUARTER.match(text.strip().upper())
        if not m:
            raise ValueError(f"{text!r} is not a quarter like 2026-Q4")
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, d: date) -> Quarter:
        return cls(d.year, (d.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        return add_months(self.start, 3)

    def previous(self) -> Quarter:
        return Quarter.of(add_months(self.start, -3))

    def next(self) -> Quarter:
        return Quarter.of(self.end)

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"


Period = Week | Month | Quarter
KINDS: dict[str, type] = {"week": Week, "month": Month, "quarter": Quarter}


def parse_period(text: str) -> Period:
    """``2026-W47``, ``2026-11`` or ``2026-Q4``."""
    for cls in KINDS.values():
        try:
            return cls.parse(text)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a period like 2026-W47, 2026-11 or 2026-Q4")


def kind_of(period: Period) -> str:
    return next(k for k, cls in KINDS.items() if isinstance(period, cls))


def current(kind: str, today: date) -> Period:
    return KINDS.get(kind, Month).of(today)


def trend(period: Period, n: int = TREND_PERIODS) -> list[Period]:
    """``period`` and the ``n - 1`` before it, oldest first."""
    out = [period]
    while len(out) < n:
        out.append(out[-1].previous())
    return out[::-1]


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC instants, midnight to midnight China Standard Time."""
    return window(period, CST)


def support_target_hours(period: Period) -> int | None:
    """The Support obligation's hours for a month or a quarter (5×8 a month on average); a
    week has none (the text counts months)."""
    if isinstance(period, Month):
        return SUPPORT_HOURS_A_MONTH
    if isinstance(period, Quarter):
        return 3 * SUPPORT_HOURS_A_MONTH
    return None


# --- statistics --------------------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100), interpolating linearly between the closest ranks;
    ``None`` for no values."""
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= q <= 100:
        raise ValueError("a percentile is between 0 and 100")
    rank = (len(xs) - 1) * q / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo)


@dataclass(frozen=True)
class Summary:
    n: int
    median: float | None
    p90: float | None
    mean: float | None
    #: started in the period and still running at its end
    open: int = 0


def summarize(hours: list[float], open_count: int = 0) -> Summary:
    mean = sum(hours) / len(hours) if hours else None
    return Summary(len(hours), percentile(hours, 50), percentile(hours, 90), mean, open_count)


@dataclass(frozen=True)
class Interval:
    kpi: Kpi
    body_id: int
    start: datetime
    stop: datetime | None


def hours(iv: Interval) -> float | None:
    """The interval in hours; ``None`` while it runs or when it stops before it starts."""
    if iv.stop is None or iv.stop < iv.start:
        return None
    return (iv.stop - iv.start).total_seconds() / 3600


def within(moment: datetime | None, lo: datetime, hi: datetime) -> bool:
    return moment is not None and lo <= moment < hi


def summaries(intervals: Iterable[Interval], lo: datetime, hi: datetime
              ) -> dict[tuple[Kpi, int | None], Summary]:
    """Per (KPI, body) — and per (KPI, ``None``) for all bodies together — the summary of the
    intervals stopped in ``[lo, hi)``, with those started there and still running at ``hi``."""
    done: dict[tuple, list[float]] = defaultdict(list)
    running: dict[tuple, int] = defaultdict(int)
    for iv in intervals:
        h = hours(iv)
        keys = ((iv.kpi, iv.body_id), (iv.kpi, None))
        if h is not None and within(iv.stop, lo, hi):
            for k in keys:
                done[k].append(h)
        elif within(iv.start, lo, hi) and (iv.stop is None or iv.stop >= hi):
            for k in keys:
                running[k] += 1
    return {k: summarize(done.get(k, []), running.get(k, 0)) for k in {*done, *running}}


def medians_by_period(intervals: list[Interval], periods: list[Period]
                      ) -> dict[Kpi, list[Summary]]:
    """For the trend: each KPI's summary over all bodies, one per period."""
    out: dict[Kpi, list[Summary]] = {k: [] for k in Kpi}
    for p in periods:
        lo, hi = bounds(p)
        got = summaries(intervals, lo, hi)
        for k in Kpi:
            out[k].append(got.get((k, None), summarize([])))
    return out


# --- charts (server-side SVG) ------------------------------------------------------------------


def scale(values: list[float | None], height: int) -> list[int]:
    """Bar heights in pixels: the largest value ``height``, none 0."""
    top = max([v for v in values if v is not None] or [0])
    return [round(v * height / top) if v and top else 0 for v in values]


def fmt_hours(value: float | None) -> str:
    """Hours with two decimals, empty for none (the CSV and the table)."""
    return "" if value is None else f"{value:.2f}"
