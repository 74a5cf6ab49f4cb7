"""Pure detection rules over monitoring aggregates (issue 15 item 6): which indicators deserve a
**candidate monitoring item**, for whom, and with which pre-filled risk assessment. No I/O.

Sources (``shared/domain.md`` §4):

* Law arts. 51–52 — collection, analysis and notification of network security information;
  Plan §3.2 — units monitor their own networks, provinces their region, and *important*
  monitoring information goes to the Emergency Office, which organizes sharing across
  provinces and departments (重要监测信息报应急办；跨省、跨部门通报).
* Plan §3.3 ¶2 — provinces issue warnings for their own region; a warning spanning several
  provinces, departments or sectors is decided by the Emergency Office. So a finding confined
  to one province goes to that province's office, anything wider to the Emergency Office.
* Law art. 31 — critical information infrastructure (CII) is protected with priority; a CII
  unit's networks are "important network and information systems" (Plan annex 2).
* Law art. 54(2) — assess the likelihood, scope and degree of harm; the level follows from
  :func:`fenghuo.warning.rules.propose_level`.

The rules (their thresholds are settings, :class:`Thresholds`):

* ``spread`` — the same indicator (malware family, signature, CVE, domain…) seen at ``provinces``
  or more provinces, or at ``units`` or more units, within the window (Plan §3.2, §3.3 ¶2).
* ``cii`` — the indicator touches at least one CII unit (Law art. 31; Plan §3.2).
* ``spike`` — the window's count is at least ``spike_factor`` times the previous seven days'
  baseline (scaled to the window) and at least ``spike_min_count`` (Law art. 54: risk rising).

Where the documents are silent this module decides, and says so (``HEURISTIC``): the mapping of
a finding to likelihood, extent and harm, and the share of provinces that counts as national.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fenghuo.common.reasons import Reason
from fenghuo.incident.grading import Grade
from fenghuo.warning.rules import Extent, Likelihood, Proposal, RiskAssessment, propose_level

HEURISTIC = "project heuristic on Law art. 54(2); the documents give no formula"
#: a finding at this many provinces or more is treated as national in extent (over half of the
#: 31 provinces and the XPCC; project heuristic)
NATIONAL_PROVINCES = 16
BASELINE_DAYS = 7
#: the target of a finding that is not confined to one province
NATIONAL = "national"


class Rule(StrEnum):
    SPREAD = "spread"
    CII = "cii"
    SPIKE = "spike"


RULE_LABELS: Mapping[Rule, tuple[str, str]] = {
    Rule.SPREAD: ("多省或多单位扩散", "spread across provinces or units"),
    Rule.CII: ("涉及关键信息基础设施", "touches critical information infrastructure"),
    Rule.SPIKE: ("较基线激增", "spike against the baseline"),
}


@dataclass(frozen=True)
class Thresholds:
    """N provinces, M units, W hours; a spike is ``spike_factor`` × baseline and at least
    ``spike_min_count`` events; a CII unit with ``cii_min_count`` events opens a candidate."""

    provinces: int = 3
    units: int = 5
    window_hours: int = 24
    spike_factor: float = 3.0
    spike_min_count: int = 50
    cii_min_count: int = 1

    def __post_init__(self) -> None:
        if min(self.provinces, self.units, self.window_hours, self.spike_min_count,
               self.cii_min_count) < 1 or self.spike_factor <= 1:
            raise ValueError("thresholds must be at least 1 and the spike factor above 1")


@dataclass(frozen=True)
class Unit:
    """An owner unit (attribution level 0) where the indicator was seen in the window."""

    body_id: int
    province: str | None  # province code, e.g. "110000"
    cii: bool
    count: int


@dataclass(frozen=True)
class Facts:
    """One indicator over the window, as plain data.

    ``provinces`` counts the events attributed to units *and* to a jurisdiction's address space
    per province; ``unattributed`` the national queue's; ``baseline`` the daily counts of the
    seven days before the window, oldest first (missing days are zeros)."""

    kind: str
    indicator: str
    window_count: int
    units: tuple[Unit, ...] = ()
    provinces: Mapping[str, int] = field(default_factory=dict)
    unattributed: int = 0
    baseline: tuple[int, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A rule that fired on one indicator: who gets the candidate (``target`` is a province
    code or :data:`NATIONAL`), why, the units it concerns and the pre-filled assessment."""

    rule: Rule
    kind: str
    indicator: str
    target: str
    reasons: tuple[Reason, ...]
    unit_ids: tuple[int, ...]
    assessment: RiskAssessment
    proposal: Proposal

    @property
    def national(self) -> bool:
        return self.target == NATIONAL


# --- the rules ---------------------------------------------------------------------------------


def spread(f: Facts, t: Thresholds) -> Finding | None:
    """Plan §3.2, §3.3 ¶2: the same indicator at ``t.provinces`` provinces or ``t.units``
    units within the window."""
    provinces = sorted(p for p, n in f.provinces.items() if n > 0)
    units = [u for u in f.units if u.count > 0]
    wide, many = len(provinces) >= t.provinces, len(units) >= t.units
    if not (wide or many):
        return None
    reasons = []
    if wide:
        reasons.append(Reason("candidate.spread.provinces", "Plan §3.2, §3.3 ¶2",
                              f"{t.window_hours}小时内{len(provinces)}个省（区、市）出现同一指标"
                              f"（阈值{t.provinces}）",
                              f"the same indicator at {len(provinces)} provinces within "
                              f"{t.window_hours} hours (threshold {t.provinces})"))
    if many:
        reasons.append(Reason("candidate.spread.units", "Plan §3.2; Law arts. 51–52",
                              f"{t.window_hours}小时内{len(units)}个单位出现同一指标"
                              f"（阈值{t.units}）",
                              f"the same indicator at {len(units)} units within "
                              f"{t.window_hours} hours (threshold {t.units})"))
    target = _target(f, provinces)
    harm = Grade.RELATIVELY_MAJOR if wide or any(u.cii for u in units) else Grade.GENERAL
    return _finding(Rule.SPREAD, f, target, reasons, units, Likelihood.HIGH, harm, provinces)


def cii(f: Facts, t: Thresholds) -> Finding | None:
    """Law art. 31, Plan §3.2 and annex 2: an indicator touching a CII unit is important
    monitoring information and goes to the Emergency Office."""
    hit = [u for u in f.units if u.cii and u.count >= t.cii_min_count]
    if not hit:
        return None
    reasons = [Reason("candidate.cii", "Law art. 31; Plan §3.2, annex 2",
                      f"涉及{len(hit)}个关键信息基础设施运营单位（共{sum(u.count for u in hit)}"
                      f"条事件），属重要监测信息，报应急办",
                      f"touches {len(hit)} critical information infrastructure operator(s) "
                      f"({sum(u.count for u in hit)} events): important monitoring information "
                      f"for the Emergency Office")]
    provinces = sorted({u.province for u in hit if u.province})
    harm = Grade.MAJOR if len(provinces) > 1 else Grade.RELATIVELY_MAJOR
    return _finding(Rule.CII, f, NATIONAL, reasons, hit, Likelihood.HIGH, harm, provinces)


def baseline_per_window(f: Facts, t: Thresholds) -> float:
    """The mean daily count of the seven days before the window, scaled to the window."""
    days = (tuple(f.baseline) + (0,) * BASELINE_DAYS)[:BASELINE_DAYS]
    return sum(days) / BASELINE_DAYS * t.window_hours / 24


def spike(f: Facts, t: Thresholds) -> Finding | None:
    """Law art. 54 (risk rising): the window's count is ``t.spike_factor`` times the previous
    seven days' baseline (at least one event a day) and at least ``t.spike_min_count``."""
    base = baseline_per_window(f, t)
    floor = max(base, t.window_hours / 24)
    if f.window_count < t.spike_min_count or f.window_count < t.spike_factor * floor:
        return None
    reasons = [Reason("candidate.spike", "Law art. 54; Plan §3.2",
                      f"{t.window_hours}小时内{f.window_count}条，前7日基线约{base:.1f}条，"
                      f"超过{t.spike_factor:g}倍（且不少于{t.spike_min_count}条）",
                      f"{f.window_count} events within {t.window_hours} hours against a "
                      f"baseline of about {base:.1f} over the previous seven days: more than "
                      f"{t.spike_factor:g} times (and at least {t.spike_min_count})")]
    provinces = sorted(p for p, n in f.provinces.items() if n > 0)
    units = [u for u in f.units if u.count > 0]
    return _finding(Rule.SPIKE, f, _target(f, provinces), reasons, units, Likelihood.MEDIUM,
                    Grade.GENERAL, provinces)


RULES = (spread, cii, spike)


def detect(facts: list[Facts], thresholds: Thresholds) -> list[Finding]:
    """Every finding of every rule over ``facts``, in rule order then input order."""
    return [found for rule in RULES for f in facts if (found := rule(f, thresholds))]


# --- target and assessment ---------------------------------------------------------------------


def _target(f: Facts, provinces: list[str]) -> str:
    """Plan §3.3 ¶2: confined to one province (nothing in the national queue) → that
    province's office; anything wider → the Emergency Office."""
    if len(provinces) == 1 and not f.unattributed:
        return provinces[0]
    return NATIONAL


def extent_of(unit_count: int, provinces: list[str], national: bool) -> Extent:
    """Law art. 54(2) scope of impact, from where the indicator was seen (project heuristic)."""
    if len(provinces) >= NATIONAL_PROVINCES:
        return Extent.NATIONAL
    if len(provinces) > 1 or (national and not provinces):
        return Extent.SEVERAL_PROVINCES_OR_SECTORS
    if unit_count <= 1:
        return Extent.SINGLE_UNIT
    return Extent.REGION_OR_SECTOR


def _finding(rule: Rule, f: Facts, target: str, reasons: list[Reason], units: list[Unit],
             likelihood: Likelihood, harm: Grade, provinces: list[str]) -> Finding:
    extent = extent_of(len(units), provinces, target == NATIONAL)
    assessment = RiskAssessment(likelihood, extent, harm)
    grave = harm != Grade.GENERAL
    basis = Reason("candidate.assessment", HEURISTIC,
                   f"已观测到的活动：可能性{_LIKELY_ZH[likelihood]}；危害程度预填为"
                   f"{harm.label_zh}（{'涉及关键信息基础设施或多省' if grave else '一般情形'}）",
                   f"activity already observed: likelihood {likelihood.value}; harm pre-filled "
                   f"as {harm.label_en} ({'CII or several provinces' if grave else 'ordinary'})")
    return Finding(rule, f.kind, f.indicator, target, (*reasons, basis),
                   tuple(sorted(u.body_id for u in units)), assessment,
                   propose_level(assessment))


_LIKELY_ZH = {Likelihood.LOW: "低", Likelihood.MEDIUM: "中等", Likelihood.HIGH: "高",
              Likelihood.ALMOST_CERTAIN: "几乎肯定"}


# --- indicators and the events they name -------------------------------------------------------


def event_filter(kind: str, indicator: str) -> tuple[str, str | int] | None:
    """The column of ``monitoring_events`` and the value an aggregate's indicator names (see
    ``events.indicator_of``), or None when the events table has no such column (a signature)."""
    prefix, _, value = indicator.partition(":")
    columns = {"malware": "malware", "domain": "domain", "url": "url", "hash": "hash"}
    if prefix in columns and value:
        return columns[prefix], value
    if prefix == "port" and value.isdigit():
        return "destination_port", int(value)
    if indicator.upper().startswith("CVE-"):
        return "cve", indicator.upper()
    return None


def indicator_label(indicator: str) -> tuple[str, str]:
    """A short bilingual name of an indicator, for titles."""
    prefix, _, value = indicator.partition(":")
    names = {"malware": ("恶意程序家族", "malware family"), "domain": ("域名", "domain"),
             "url": ("网址", "URL"), "hash": ("样本哈希", "sample hash"),
             "port": ("端口", "port"), "kind": ("事件类型", "event type")}
    if prefix in names and value:
        zh, en = names[prefix]
        return f"{zh} {value}", f"{en} {value}"
    return indicator, indicator
