"""Pure arithmetic of the monitoring statistics (issue 15 item 7; Plan §3.2: 汇总、分析 the
monitoring information of a region; Law art. 52: sector and regional monitoring). No I/O.

* :func:`change` — a figure against the previous period (Plan §3.2: bulletins compare periods).
* :func:`band` — a vulnerability's severity band from its CVSS base score × 10 (FIRST CVSS
  v3.1 specification §5, qualitative severity rating scale: critical 9.0–10.0, high 7.0–8.9,
  medium 4.0–6.9, low below 4.0; a record without a usable vector is "unscored").
* :data:`HEADLINE` — what each statistic counts (the CNCERT weekly report's measures: hosts by
  address for infected hosts, C2 servers and vulnerable services; pages or websites, i.e.
  distinct indicators, for phishing, malware URLs, defacements and backdoors; CVE ids for
  vulnerabilities).
* :data:`DOMESTIC` — statistics that count only what is hosted in the country: events
  attributed to an owner or a jurisdiction, not the national queue (the labels say 境内).
* :func:`rank` — a top-N list, ties broken by events then code.
* :func:`weeks_ending` — the eight ISO weeks of the trend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from fenghuo.common.periods import Month, Week

#: severity bands, gravest first: (code, lowest score × 10, Chinese, English)
BANDS: tuple[tuple[str, int, str, str], ...] = (
    ("critical", 90, "超危", "critical"),
    ("high", 70, "高危", "high"),
    ("medium", 40, "中危", "medium"),
    ("low", 0, "低危", "low"),
)
UNSCORED = ("unscored", "未评分", "unscored")

#: statistic → the measure of its headline figure: "hosts" (distinct addresses, a sketch) or
#: "indicators" (distinct pages, websites or CVE ids)
HEADLINE: dict[str, str] = {
    "infected_hosts": "hosts", "c2_servers": "hosts", "phishing": "indicators",
    "malware_urls": "indicators", "defacements": "indicators", "backdoors": "indicators",
    "vulnerable_services": "hosts", "vulnerabilities": "indicators",
}

#: statistics of what is hosted in the country (境内): the national queue is left out
DOMESTIC = frozenset({"c2_servers", "phishing"})

#: national-queue level of an aggregate (``Aggregate.level``)
NATIONAL_LEVEL = 2
TREND_WEEKS = 8
TOP = 10
FAMILY_PREFIX = "malware:"


def change(now: int, before: int) -> dict:
    """A figure against the previous period: difference and percentage (None from zero)."""
    pct = None if before == 0 else round((now - before) * 100 / before)
    return {"count": now, "previous": before, "delta": now - before, "pct": pct}


def band(severity: int | None) -> str:
    """The band code of a CVSS base score × 10 (``None``: unscored)."""
    if severity is None:
        return UNSCORED[0]
    return next(code for code, low, _, _ in BANDS if severity >= low)


def band_labels() -> list[tuple[str, str, str]]:
    """(code, Chinese, English) of every band, gravest first, unscored last."""
    return [(code, zh, en) for code, _, zh, en in BANDS] + [UNSCORED]


def counts_toward(statistic: str, level: int) -> bool:
    """Whether an aggregate at ``level`` counts toward ``statistic`` (境内 statistics leave the
    national queue out)."""
    return not (statistic in DOMESTIC and level == NATIONAL_LEVEL)


def family(indicator: str) -> str | None:
    """The malware family an indicator names (``malware:emotet`` → ``emotet``)."""
    return indicator[len(FAMILY_PREFIX):] if indicator.startswith(FAMILY_PREFIX) else None


@dataclass(frozen=True)
class Ranked:
    code: str
    value: int
    events: int


def rank(items: Iterable[Ranked], limit: int = TOP) -> list[Ranked]:
    """The ``limit`` largest by value, then events, then code (stable and deterministic);
    items with neither value nor events are left out."""
    kept = [i for i in items if i.value or i.events]
    return sorted(kept, key=lambda i: (-i.value, -i.events, i.code))[:limit]


def weeks_ending(period: Week | Month, n: int = TREND_WEEKS) -> list[Week]:
    """The ``n`` ISO weeks ending with the week that holds the period's last day, oldest
    first."""
    last = Week.of(period.end - timedelta(days=1))
    out = [last]
    for _ in range(n - 1):
        out.append(out[-1].previous())
    return out[::-1]


def week_index(weeks: Sequence[Week], day: date) -> int | None:
    """The position of ``day``'s week in ``weeks``, None outside them."""
    for i, w in enumerate(weeks):
        if w.start <= day < w.end:
            return i
    return None


def bar_heights(values: Sequence[int], height: float = 100.0) -> list[float]:
    """Bar heights for a small chart, the largest ``height`` (all zero when every value is)."""
    top = max([0, *values])
    return [round(v * height / top, 1) if top else 0.0 for v in values]
