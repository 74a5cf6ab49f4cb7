"""The monitoring statistics of a period (issue 15 item 7; Plan §3.2: provinces and the
Emergency Office 汇总、分析 monitoring information; Law arts. 51–52): infected hosts by province,
sector, malware family and unit, C2 servers and phishing pages hosted in the country, defaced
and backdoored websites, vulnerable services and vulnerabilities collected by severity, each
against the previous period, with an eight-week trend.

Read from the aggregates (``Aggregate``) in the caller's scope (Law art. 30): an office sees
the rows attributed within its jurisdiction, a unit its own, and only a national scope the
national queue. Two grouped SELECTs per call: event counts and indicators grouped in SQL by
(period, week, kind, indicator, body); the host sketches of the same groups, merged per group
and then per figure in Python (a sketch union is not SQL). The arithmetic is in
:mod:`fenghuo.monitoring.stats_rules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from fenghuo.common.periods import Month, Week
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import rules, sketch
from fenghuo.monitoring import stats_rules as sr
from fenghuo.monitoring.models import Aggregate
from fenghuo.monitoring.schemas import (
    BreakdownRow,
    MonitoringStatistics,
    ScopeLabel,
    SeverityRow,
    StatChange,
    StatisticFigure,
    TrendPoint,
)
from fenghuo.org.models import Body, BodySector, Jurisdiction, Sector
from fenghuo.org.rules import Permission, path_ids
from fenghuo.org.service import require

#: statistic → the event kinds counted toward it (``rules.KINDS``)
KINDS_OF: dict[str, list[str]] = {
    key: [k.code for k in rules.KINDS.values() if k.statistic == key] for key in rules.STATISTICS}
INFECTED = "infected_hosts"
VULNERABILITIES = "vulnerabilities"
CURRENT, PREVIOUS = 0, 1
#: labels of the rows that are not a province or a sector
UNATTRIBUTED = ("unattributed", "未归属（国家队列）", "unattributed (national queue)")
CENTRAL = ("central", "中央及全国性单位", "central / national bodies")
UNSPECIFIED = ("unspecified", "未注明行业", "sector not specified")
_STAT_OF = {k: stat for stat, kinds in KINDS_OF.items() for k in kinds}


def statistics(uow: UnitOfWork, *, principal: Principal,
               period: Week | Month) -> MonitoringStatistics:
    """The monitoring statistics of ``period`` in the caller's scope."""
    require(principal, Permission.MONITORING_READ)
    with uow() as s:
        return figures(s, principal.scope, period, holder=s.get(Body, principal.body_id))


def scope_clause(scope: Scope) -> ColumnElement[bool]:
    """Aggregates in ``scope`` (Law art. 30): a unit its own body's, a national scope every
    row (the national queue too), any other its jurisdiction's (and sectors', if limited)."""
    if scope.own_body_only:
        return Aggregate.body_id == scope.body_id
    if scope.is_national:
        return true()
    clause = Aggregate.jurisdiction_path.startswith(scope.jurisdiction_path)
    if scope.sectors is not None:
        in_sector = Aggregate.body_id.in_(select(BodySector.body_id).where(
            BodySector.sector_code.in_(sorted(scope.sectors))))
        clause = and_(clause, or_(Aggregate.body_id == scope.body_id, in_sector))
    return clause


@dataclass
class _Window:
    period: Week | Month
    previous: Week | Month
    weeks: list[Week]

    @classmethod
    def of(cls, period: Week | Month) -> _Window:
        return cls(period, period.previous(), sr.weeks_ending(period))

    @property
    def bounds(self) -> tuple:
        return (min(self.previous.start, self.weeks[0].start),
                max(self.period.end, self.weeks[-1].end))

    def columns(self) -> tuple:
        """SQL expressions of the period (0 this, 1 previous) and trend week of a row."""
        day = Aggregate.day
        pb = case((and_(day >= self.period.start, day < self.period.end), CURRENT),
                  (and_(day >= self.previous.start, day < self.previous.end), PREVIOUS),
                  else_=None)
        wb = case(*[(and_(day >= w.start, day < w.end), i) for i, w in enumerate(self.weeks)],
                  else_=None)
        return pb.label("pb"), wb.label("wb")


def _where(scope: Scope, window: _Window) -> ColumnElement[bool]:
    lo, hi = window.bounds
    return and_(scope_clause(scope), Aggregate.day >= lo, Aggregate.day < hi,
                Aggregate.kind.in_(sorted(_STAT_OF)))


@dataclass
class _Acc:
    """What each figure collects: host registers, events and distinct indicators."""

    regs: dict[tuple, np.ndarray] = field(default_factory=dict)
    events: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))
    indicators: dict[tuple, set[str]] = field(default_factory=lambda: defaultdict(set))
    severity: dict[tuple, int | None] = field(default_factory=dict)  # (pb, cve) → max

    def merge(self, key: tuple, regs: np.ndarray) -> None:
        have = self.regs.get(key)
        if have is None:
            self.regs[key] = regs.copy()
        else:
            np.maximum(have, regs, out=have)

    def hosts(self, key: tuple) -> int:
        regs = self.regs.get(key)
        return 0 if regs is None else sketch.estimate(regs)


@dataclass(frozen=True)
class _Place:
    """Where a body's rows are shown: its province code, its sectors, whether it is an owner
    unit (for the top units)."""

    province: str
    sectors: tuple[str, ...]


def _targets(stat: str, pb: int | None, wb: int | None, body: int | None, level: int,
             indicator: str, places: dict[int | None, _Place]) -> list[tuple]:
    """The figures a group of rows counts toward."""
    out: list[tuple] = []
    if pb is not None:
        out.append(("stat", stat, pb))
    if wb is not None:
        out.append(("week", stat, wb))
    if stat != INFECTED or pb is None:
        return out
    place = places[body]
    out.append(("province", place.province, pb))
    out.extend(("sector", sec, pb) for sec in place.sectors)
    fam = sr.family(indicator)
    if fam:
        out.append(("family", fam, pb))
    if level == 0 and body is not None:
        out.append(("unit", body, pb))
    return out


def _count_rows(s: Session, where: ColumnElement[bool], window: _Window) -> list:
    pb, wb = window.columns()
    return s.execute(
        select(pb, wb, Aggregate.kind, Aggregate.indicator, Aggregate.body_id, Aggregate.level,
               func.max(Aggregate.severity), func.sum(Aggregate.count))
        .where(where).group_by(pb, wb, Aggregate.kind, Aggregate.indicator, Aggregate.body_id,
                               Aggregate.level)).all()


def _sketch_rows(s: Session, where: ColumnElement[bool], window: _Window) -> Iterable:
    pb, wb = window.columns()
    return s.execute(
        select(pb, wb, Aggregate.kind, Aggregate.indicator, Aggregate.body_id, Aggregate.level,
               Aggregate.hosts)
        .where(where, Aggregate.kind.notin_(KINDS_OF[VULNERABILITIES]))).yield_per(5000)


def _places(s: Session, body_ids: set[int | None]) -> dict[int | None, _Place]:
    ids = sorted(b for b in body_ids if b is not None)
    paths = dict(s.execute(select(Body.id, Jurisdiction.path).join(
        Jurisdiction, Jurisdiction.id == Body.jurisdiction_id).where(Body.id.in_(ids))).all())
    sectors: dict[int, list[str]] = defaultdict(list)
    for body_id, code in s.execute(select(BodySector.body_id, BodySector.sector_code)
                                   .where(BodySector.body_id.in_(ids))):
        sectors[body_id].append(code)
    provinces = {pid: path_ids(p)[1] for pid, p in paths.items() if len(path_ids(p)) > 1}
    codes = dict(s.execute(select(Jurisdiction.id, Jurisdiction.division_code).where(
        Jurisdiction.id.in_(sorted(set(provinces.values()))))).all())
    out: dict[int | None, _Place] = {None: _Place(UNATTRIBUTED[0], (UNATTRIBUTED[0],))}
    for b in ids:
        prov = codes.get(provinces.get(b)) or CENTRAL[0]
        out[b] = _Place(prov, tuple(sorted(sectors.get(b, []))) or (UNSPECIFIED[0],))
    return out


def _collect(s: Session, scope: Scope, window: _Window) -> tuple[_Acc, dict]:
    where = _where(scope, window)
    rows = _count_rows(s, where, window)
    places = _places(s, {r[4] for r in rows})
    acc = _Acc()
    for pb, wb, kind, indicator, body, level, severity, count in rows:
        stat = _STAT_OF[kind]
        if not sr.counts_toward(stat, level):
            continue
        for key in _targets(stat, pb, wb, body, level, indicator, places):
            acc.events[key] += int(count or 0)
            acc.indicators[key].add(indicator)
        if stat == VULNERABILITIES and pb is not None:
            old = acc.severity.get((pb, indicator))
            acc.severity[(pb, indicator)] = severity if old is None else max(
                old, severity or 0)
    groups: dict[tuple, np.ndarray] = {}
    for pb, wb, kind, indicator, body, level, blob in _sketch_rows(s, where, window):
        if sr.counts_toward(_STAT_OF[kind], level):
            key = (pb, wb, _STAT_OF[kind], indicator, body, level)
            regs = sketch.decode(blob)
            if key in groups:
                np.maximum(groups[key], regs, out=groups[key])
            else:
                groups[key] = regs
    for (pb, wb, stat, indicator, body, level), regs in groups.items():
        for key in _targets(stat, pb, wb, body, level, indicator, places):
            acc.merge(key, regs)
    return acc, places


def _change(acc: _Acc, kind: str, code: object, measure: str) -> StatChange:
    def one(pb: int) -> int:
        key = (kind, code, pb)
        if measure == "hosts":
            return acc.hosts(key)
        if measure == "indicators":
            return len(acc.indicators.get(key, ()))
        return acc.events.get(key, 0)

    return StatChange(**sr.change(one(CURRENT), one(PREVIOUS)))


def _statistic(acc: _Acc, key: str) -> StatisticFigure:
    zh, en = rules.STATISTICS[key]
    measure = sr.HEADLINE[key]
    return StatisticFigure(
        key=key, name_zh=zh, name_en=en, measure=measure, domestic=key in sr.DOMESTIC,
        value=_change(acc, "stat", key, measure), hosts=_change(acc, "stat", key, "hosts"),
        indicators=_change(acc, "stat", key, "indicators"),
        events=_change(acc, "stat", key, "events"))


def _breakdown(acc: _Acc, kind: str, labels: dict, limit: int | None = None
               ) -> list[BreakdownRow]:
    codes = {k[1] for k in [*acc.events, *acc.regs] if k[0] == kind}
    ranked = sr.rank([sr.Ranked(str(c), acc.hosts((kind, c, CURRENT)),
                                acc.events.get((kind, c, CURRENT), 0)) for c in codes],
                     limit=len(codes))
    order = [r.code for r in ranked] + sorted(str(c) for c in codes
                                              if str(c) not in {r.code for r in ranked})
    by_text = {str(c): c for c in codes}
    rows = []
    for text in order[:limit] if limit else order:
        code = by_text[text]
        zh, en = labels.get(code, (text, text))
        rows.append(BreakdownRow(code=text, name_zh=zh, name_en=en,
                                 hosts=_change(acc, kind, code, "hosts"),
                                 events=_change(acc, kind, code, "events")))
    return rows


def _labels(s: Session, places: dict[int | None, _Place]) -> dict[str, dict]:
    """Names of the provinces, sectors and units the figures mention."""
    provinces = {c: (zh, en) for c, zh, en in s.execute(select(
        Jurisdiction.division_code, Jurisdiction.name_zh, Jurisdiction.name_en).where(
        Jurisdiction.division_code.in_(sorted({p.province for p in places.values()}))))}
    sectors = {c: (zh, en) for c, zh, en in s.execute(
        select(Sector.code, Sector.name_zh, Sector.name_en))}
    units = {i: (zh, en) for i, zh, en in s.execute(select(Body.id, Body.name_zh, Body.name_en)
             .where(Body.id.in_(sorted(b for b in places if b is not None))))}
    extra = {c: (zh, en) for c, zh, en in (UNATTRIBUTED, CENTRAL, UNSPECIFIED)}
    return {"province": provinces | extra, "sector": sectors | extra, "unit": units}


def _unit_keys(s: Session, rows: list[BreakdownRow]) -> list[BreakdownRow]:
    keys = dict(s.execute(select(Body.id, Body.key).where(
        Body.id.in_([int(r.code) for r in rows]))).all())
    return [r.model_copy(update={"code": keys[int(r.code)]}) for r in rows]


def _severities(acc: _Acc) -> list[SeverityRow]:
    tally: dict[tuple[str, int], int] = defaultdict(int)
    for (pb, _), severity in acc.severity.items():
        tally[(sr.band(severity), pb)] += 1
    return [SeverityRow(band=code, name_zh=zh, name_en=en, vulnerabilities=StatChange(
        **sr.change(tally[(code, CURRENT)], tally[(code, PREVIOUS)])))
        for code, zh, en in sr.band_labels()]


def _trend(acc: _Acc, weeks: list[Week]) -> list[TrendPoint]:
    def value(stat: str, i: int) -> int:
        key = ("week", stat, i)
        if sr.HEADLINE[stat] == "hosts":
            return acc.hosts(key)
        return len(acc.indicators.get(key, ()))

    return [TrendPoint(week=str(w), first_day=w.start,
                       values={k: value(k, i) for k in rules.STATISTICS},
                       events={k: acc.events.get(("week", k, i), 0) for k in rules.STATISTICS})
            for i, w in enumerate(weeks)]


def figures(s: Session, scope: Scope, period: Week | Month, *,
            holder: Body) -> MonitoringStatistics:
    """The statistics of ``period`` for ``scope``, within the open session ``s`` (the
    bulletins call this for their issuer's scope)."""
    window = _Window.of(period)
    acc, places = _collect(s, scope, window)
    labels = _labels(s, places)
    previous = window.previous
    families = {f: (f, f) for f in {k[1] for k in acc.events if k[0] == "family"}}
    return MonitoringStatistics(
        period=str(period), previous_period=str(previous), first_day=period.start,
        last_day=period.end - timedelta(days=1), previous_first_day=previous.start,
        previous_last_day=previous.end - timedelta(days=1),
        scope=ScopeLabel(key=holder.key, name_zh=holder.name_zh, name_en=holder.name_en),
        statistics=[_statistic(acc, k) for k in rules.STATISTICS],
        provinces=_breakdown(acc, "province", labels["province"]),
        sectors=_breakdown(acc, "sector", labels["sector"]),
        families=_breakdown(acc, "family", families, sr.TOP),
        units=_unit_keys(s, _breakdown(acc, "unit", labels["unit"], sr.TOP)),
        severities=_severities(acc), trend=_trend(acc, window.weeks))
