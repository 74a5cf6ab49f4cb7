"""Explainable incident grading: Plan §1.4 with annexes 2 and 3, and the CAC 2025 grading guide.

Plan §1.4 (domain.md §3) sorts network security incidents into four grades, 特别重大 especially
major (I) > 重大 major (II) > 较大 relatively major (III) > 一般 general (IV), each reached by any
one of three qualitative criteria:

* ① an *important network and information system* (annex 2) suffers a system loss of a degree
  defined in annex 3 (especially serious → I, serious → II, relatively large → III);
* ② state secrets, important sensitive information (annex 2) or key data are lost, stolen,
  tampered with or counterfeited, threatening national security and social stability;
* ③ any other threat to national security, social order, economic construction and public
  interest;

and otherwise, with some threat or impact, the incident is general (IV). The incident takes the
highest grade any criterion reaches.

The CAC 国家网络安全事件报告管理办法 (2025) adds a grading guide (《网络安全事件分级指南》) whose
quantitative conditions ("通常情况下，满足下列条件之一的，可判别为…"; every bound includes the
number itself, "以上均包括本数") are data in a *grading profile*
(``rules/grading_profiles/<name>.yaml``) together with the reporting deadlines of CAC 2025 art. 4
and art. 8. ``plan2017`` has the qualitative criteria only; ``cac2025`` adds the guide's
thresholds, each marked ``confirmed`` as ``shared/standards`` marks it (final 2025 text, or only
the 2023-12-08 draft).

Every rule that fires becomes a :class:`Reason` (stable code, grade, clause, Chinese and English
text, confirmed), so a grade can always be explained and recomputed when facts change.

Pure: no framework imports; the only I/O is reading a profile's YAML in :func:`load_profile`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

PROFILES_DIR = Path(__file__).resolve().parent.parent / "rules" / "grading_profiles"
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

#: the word a profile may use instead of a number of hours (Plan §4.1 "立即")
IMMEDIATELY = "immediately"
#: who reports first, CAC 2025 art. 4: CII operators 1 h, central and state organs' units 2 h,
#: other network operators 4 h
REPORTER_KINDS = ("cii_operator", "central_department", "other_operator")
#: who passes a major or especially major incident on, CAC 2025 art. 4: the CII protection
#: department 0.5 h; a department's cyberspace work body 1 h; the provincial cyberspace office 1 h
ESCALATION_KINDS = ("protection_department", "department_office", "provincial_office")


# --- grades and degrees -----------------------------------------------------------------------


class Grade(StrEnum):
    """The four grades of Plan §1.4; response levels I–IV match them (Plan §4.2)."""

    ESPECIALLY_MAJOR = "especially_major"
    MAJOR = "major"
    RELATIVELY_MAJOR = "relatively_major"
    GENERAL = "general"

    @property
    def rank(self) -> int:
        """4 for especially major down to 1 for general: a higher rank is a graver grade."""
        return _GRADE_RANK[self]

    @property
    def level(self) -> str:
        """The roman level: I (especially major) to IV (general)."""
        return _GRADE_LEVEL[self]

    @property
    def label_zh(self) -> str:
        return GRADE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return GRADE_LABELS[self][1]

    @staticmethod
    def highest(grades: Iterable[Grade | str]) -> Grade:
        """The gravest of ``grades``; general when there are none (Plan §1.4 (4))."""
        return max((Grade(g) for g in grades), key=lambda g: g.rank, default=Grade.GENERAL)


_GRADE_RANK = {Grade.ESPECIALLY_MAJOR: 4, Grade.MAJOR: 3, Grade.RELATIVELY_MAJOR: 2,
               Grade.GENERAL: 1}
_GRADE_LEVEL = {Grade.ESPECIALLY_MAJOR: "I", Grade.MAJOR: "II", Grade.RELATIVELY_MAJOR: "III",
                Grade.GENERAL: "IV"}
#: grade → (Chinese, English) label, Plan §1.4
GRADE_LABELS: Mapping[Grade, tuple[str, str]] = MappingProxyType({
    Grade.ESPECIALLY_MAJOR: ("特别重大", "especially major"),
    Grade.MAJOR: ("重大", "major"),
    Grade.RELATIVELY_MAJOR: ("较大", "relatively major"),
    Grade.GENERAL: ("一般", "general"),
})


class Degree(StrEnum):
    """Qualitative degrees of Plan §1.4 and annex 3.

    Annex 3's loss degrees are 特别严重 / 严重 / 较大 / 较小的系统损失; criteria ② and ③ speak of
    特别严重 / 严重 / 较严重 / 一定 threat. The third step, annex 3's "relatively large" loss and
    §1.4's "relatively serious" threat, is one degree here; ``MINOR`` (较小 loss, "some" threat)
    reaches no criterion and leaves the incident general.
    """

    ESPECIALLY_SERIOUS = "especially_serious"
    SERIOUS = "serious"
    RELATIVELY_SERIOUS = "relatively_serious"
    MINOR = "minor"

    @property
    def rank(self) -> int:
        """4 for especially serious down to 1 for minor."""
        return _DEGREE_RANK[self]

    @property
    def label_zh(self) -> str:
        return DEGREE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return DEGREE_LABELS[self][1]


_DEGREE_RANK = {Degree.ESPECIALLY_SERIOUS: 4, Degree.SERIOUS: 3, Degree.RELATIVELY_SERIOUS: 2,
                Degree.MINOR: 1}
#: degree → (Chinese, English) label, Plan §1.4 and annex 3
DEGREE_LABELS: Mapping[Degree, tuple[str, str]] = MappingProxyType({
    Degree.ESPECIALLY_SERIOUS: ("特别严重", "especially serious"),
    Degree.SERIOUS: ("严重", "serious"),
    Degree.RELATIVELY_SERIOUS: ("较严重（附件3：较大）",
                                "relatively serious (annex 3: relatively large)"),
    Degree.MINOR: ("较小 / 一定", "minor / some"),
})

#: the grade each degree reaches under criteria ①–③ (Plan §1.4 (1)–(3)); MINOR reaches none
DEGREE_GRADE: Mapping[Degree, Grade] = MappingProxyType({
    Degree.ESPECIALLY_SERIOUS: Grade.ESPECIALLY_MAJOR,
    Degree.SERIOUS: Grade.MAJOR,
    Degree.RELATIVELY_SERIOUS: Grade.RELATIVELY_MAJOR,
})


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradingFacts:
    """What is known of an incident, for grading. Every fact but the flags may be unknown (None).

    The qualitative degrees come from Plan §1.4 and annex 3; the flags and quantities from the
    CAC 2025 grading guide (网络安全事件分级指南), quoted below by grade and item, "EM" standing
    for 特别重大 and "draft" for the 2023-12-08 draft of the guide.
    """

    #: the affected system is registered as an *important network and information system* (Plan
    #: annex 2: its business is closely tied to national security, social order, economic
    #: construction and public interest); criterion ① applies only to such systems
    important_system: bool = False
    #: criterion ①: the system loss suffered (Plan annex 3 loss degrees)
    system_loss: Degree | None = None
    #: criterion ②: threat from state secrets, important sensitive information (annex 2) or key
    #: data lost, stolen, tampered with or counterfeited
    data_threat: Degree | None = None
    #: criterion ③: any other threat to national security, social order, economic construction
    #: and public interest
    other_threat: Degree | None = None
    #: hours the affected system was wholly out of operation or could not be accessed: CAC guide
    #: EM item 1 (portal 不能访问, with ``provincial_portal``; draft: ``prefectural_portal``) and
    #: EM item 2 (关键信息基础设施整体中断运行, with ``cii``)
    outage_hours: float | None = None
    #: people whose water, power, gas, oil, heating, transport, medical care, shopping or other
    #: work and life were affected: CAC guide EM item 3 (1000万人以上; draft 重大/较大 too)
    people_affected: int | None = None
    #: people whose personal information (公民个人信息) leaked, one record per person: CAC guide
    #: EM item 5 (1亿人以上), 重大 (1000万人以上), 较大 (100万人以上)
    personal_records_leaked: int | None = None
    #: direct economic loss in yuan (直接经济损失): CAC guide EM item 7, 重大, 较大
    direct_loss_yuan: float | None = None
    #: views or clicks (浏览或点击) of illegal or harmful information placed by an attack that
    #: tampered with a site: CAC guide EM item 6, "特大范围" (draft: "大范围", "较大范围")
    defacement_exposure: int | None = None
    #: the affected system is critical information infrastructure (关键信息基础设施): the outage
    #: thresholds of CAC guide EM item 2 apply only then
    cii: bool = False
    #: the affected site is a party or government portal of provincial level or above, or a central
    #: key news website (省级以上党政机关门户网站、中央重点新闻网站): CAC guide EM item 1
    provincial_portal: bool = False
    #: the affected site is a party or government portal of prefecture level or above, or a key news
    #: website (地市级以上党政机关门户网站、重点新闻网站): the draft guide's 重大/较大 item 1
    prefectural_portal: bool = False
    #: hours the main functions of a CII were interrupted (主要功能中断运行): CAC guide EM item 2
    main_function_outage_hours: float | None = None
    #: share in % of the population of the affected provincial-level region(s) whose work and
    #: life were affected (影响一个或多个省级行政区…以上人口): CAC guide EM item 3
    province_population_pct: float | None = None
    #: share in % of the population of the affected prefecture-level region(s)
    #: (地市级行政区…人口): the draft guide's 重大/较大 item 3
    prefecture_population_pct: float | None = None
    #: hours illegal or harmful information stayed on the home page of a tampered site (首页):
    #: CAC guide EM item 6 "特大范围" (draft: 重大, 较大)
    defacement_homepage_hours: float | None = None
    #: hours illegal or harmful information stayed on another page of a tampered site (其他页面):
    #: CAC guide EM item 6 "特大范围" (draft: 重大, 较大)
    defacement_other_page_hours: float | None = None
    #: reposts on social media (社交平台转发) of illegal or harmful information from a tampered
    #: site: CAC guide EM item 6 "特大范围" (draft: 重大, 较大)
    defacement_reposts: int | None = None

    def __post_init__(self) -> None:
        for name in DEGREE_FACTS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Degree):
                object.__setattr__(self, name, Degree(value))
        for name in QUANTITIES:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number, not {type(value).__name__}")
            if math.isnan(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, not {value!r}")


DEGREE_FACTS = ("system_loss", "data_threat", "other_threat")
FLAGS = ("important_system", "cii", "provincial_portal", "prefectural_portal")
QUANTITIES = tuple(f.name for f in fields(GradingFacts)
                   if f.name not in DEGREE_FACTS and f.name not in FLAGS)


# --- reasons and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One criterion or threshold that fired, with the clause it comes from."""

    code: str
    grade: Grade
    source: str
    text_zh: str
    text_en: str
    confirmed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "grade": self.grade.value, "source": self.source,
                "text_zh": self.text_zh, "text_en": self.text_en, "confirmed": self.confirmed}


@dataclass(frozen=True)
class GradingResult:
    """A grade and every reason that fired, gravest first (ties in rule order)."""

    grade: Grade
    reasons: tuple[Reason, ...]
    profile: str

    @property
    def confirmed(self) -> bool:
        """Whether a confirmed rule reaches the grade (not only unconfirmed draft values)."""
        return any(r.confirmed for r in self.reasons if r.grade == self.grade)

    def as_dict(self) -> dict[str, Any]:
        return {"grade": self.grade.value, "level": self.grade.level,
                "label_zh": self.grade.label_zh, "label_en": self.grade.label_en,
                "confirmed": self.confirmed, "profile": self.profile,
                "reasons": [r.as_dict() for r in self.reasons]}


# --- profiles ---------------------------------------------------------------------------------


class ProfileError(ValueError):
    """A grading profile is missing or malformed."""


@dataclass(frozen=True)
class Threshold:
    """A quantitative condition: ``facts.<quantity> >= minimum`` reaches ``grade``.

    ``requires`` names flags of :class:`GradingFacts` of which at least one must be true for the
    threshold to apply (empty: always applies), e.g. ``("cii",)`` for a CII outage. ``code`` is the
    stable stem of the reason code (``<profile>.<code>.<grade>``).
    """

    quantity: str
    minimum: float
    grade: Grade
    source: str
    confirmed: bool
    text_zh: str
    text_en: str
    code: str = ""
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", self.quantity)
        object.__setattr__(self, "grade", Grade(self.grade))
        object.__setattr__(self, "requires", tuple(self.requires))

    def applies(self, facts: GradingFacts) -> bool:
        value = getattr(facts, self.quantity)
        if value is None or value < self.minimum:
            return False
        return not self.requires or any(getattr(facts, flag) for flag in self.requires)


@dataclass(frozen=True)
class GradingProfile:
    """The thresholds and deadlines a deployment grades and times incidents by."""

    name: str
    title_zh: str
    title_en: str
    thresholds: tuple[Threshold, ...]
    #: reporter kind (:data:`REPORTER_KINDS`) → hours to the first report (CAC 2025 art. 4)
    operator_report_hours: Mapping[str, float]
    #: escalating body (:data:`ESCALATION_KINDS`) → hours to pass a major or especially major
    #: incident on (CAC 2025 art. 4)
    escalation_hours: Mapping[str, float]
    #: days after the end of handling for the final report (CAC 2025 art. 8; Plan §5: 30 days)
    final_report_days: int
    #: what "immediately" (立即, Plan §4.1) means in minutes; configurable
    immediate_minutes: float = 15
    source: str = ""


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value > 0):
        raise ProfileError(f"{where}: expected a positive number, got {value!r}")
    return value


def _hours(raw: Any, kinds: tuple[str, ...], immediate_minutes: float, where: str
           ) -> Mapping[str, float]:
    if not isinstance(raw, dict) or set(raw) != set(kinds):
        raise ProfileError(f"{where}: expected exactly the keys {', '.join(kinds)}")
    return MappingProxyType({
        k: immediate_minutes / 60 if raw[k] == IMMEDIATELY else _number(raw[k], f"{where}.{k}")
        for k in kinds})


_THRESHOLD_KEYS = {"code", "quantity", "minimum", "grade", "requires", "confirmed", "source",
                   "text_zh", "text_en"}
_PROFILE_KEYS = {"name", "title_zh", "title_en", "source", "immediate_minutes",
                 "operator_report_hours", "escalation_hours", "final_report_days", "thresholds"}


def _threshold(raw: Any, where: str) -> Threshold:
    if not isinstance(raw, dict) or set(raw) - _THRESHOLD_KEYS:
        raise ProfileError(f"{where}: expected a mapping with keys among "
                           f"{', '.join(sorted(_THRESHOLD_KEYS))}")
    quantity = raw.get("quantity")
    if quantity not in QUANTITIES:
        raise ProfileError(f"{where}: unknown quantity {quantity!r}")
    try:
        grade = Grade(raw.get("grade"))
    except ValueError as exc:
        raise ProfileError(f"{where}: unknown grade {raw.get('grade')!r}") from exc
    if grade == Grade.GENERAL:
        raise ProfileError(f"{where}: a threshold cannot reach the general grade")
    requires = raw.get("requires") or []
    if not isinstance(requires, list) or any(flag not in FLAGS for flag in requires):
        raise ProfileError(f"{where}: requires must list flags among {', '.join(FLAGS)}")
    if not isinstance(raw.get("confirmed"), bool):
        raise ProfileError(f"{where}: confirmed must be true or false")
    code = raw.get("code", quantity)
    if not isinstance(code, str) or not PROFILE_NAME.match(code):
        raise ProfileError(f"{where}: code must be lowercase letters, digits, _ or -")
    return Threshold(quantity=quantity, minimum=_number(raw.get("minimum"), where), grade=grade,
                     source=_text(raw, "source", where), confirmed=raw["confirmed"],
                     text_zh=_text(raw, "text_zh", where), text_en=_text(raw, "text_en", where),
                     code=code, requires=tuple(requires))


def parse_profile(raw: Any, name: str) -> GradingProfile:
    """Build and check a profile from its parsed YAML (``name`` is the file's stem)."""
    if not isinstance(raw, dict) or set(raw) - _PROFILE_KEYS:
        raise ProfileError(f"profile {name}: expected a mapping with keys among "
                           f"{', '.join(sorted(_PROFILE_KEYS))}")
    if raw.get("name") != name:
        raise ProfileError(f"profile {name}: its name field says {raw.get('name')!r}")
    immediate = _number(raw.get("immediate_minutes", 15), f"profile {name}: immediate_minutes")
    days = raw.get("final_report_days")
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise ProfileError(f"profile {name}: final_report_days must be a positive integer")
    thresholds = tuple(_threshold(t, f"profile {name}: thresholds[{i}]")
                       for i, t in enumerate(raw.get("thresholds") or []))
    seen: set[tuple[str, Grade]] = set()
    for t in thresholds:
        if (t.code, t.grade) in seen:
            raise ProfileError(f"profile {name}: two thresholds {t.code} for {t.grade.value}")
        seen.add((t.code, t.grade))
    return GradingProfile(
        name=name, title_zh=_text(raw, "title_zh", f"profile {name}"),
        title_en=_text(raw, "title_en", f"profile {name}"), thresholds=thresholds,
        operator_report_hours=_hours(raw.get("operator_report_hours"), REPORTER_KINDS, immediate,
                                     f"profile {name}: operator_report_hours"),
        escalation_hours=_hours(raw.get("escalation_hours"), ESCALATION_KINDS, immediate,
                                f"profile {name}: escalation_hours"),
        final_report_days=days, immediate_minutes=immediate,
        source=str(raw.get("source") or "").strip())


@functools.cache
def _profile_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml") if PROFILE_NAME.match(p.stem)))


def available_profiles() -> list[str]:
    """Names of the profiles in ``rules/grading_profiles`` (sorted; the folder is read once)."""
    return list(_profile_names())


@functools.cache
def load_profile(name: str) -> GradingProfile:
    """Read ``rules/grading_profiles/<name>.yaml`` once; :class:`ProfileError` if unknown or bad."""
    if not isinstance(name, str) or name not in _profile_names():
        raise ProfileError(f"unknown grading profile {name!r}; available: "
                           f"{', '.join(available_profiles()) or 'none'}")
    with (PROFILES_DIR / f"{name}.yaml").open(encoding="utf-8") as fh:
        return parse_profile(yaml.safe_load(fh), name)


T = TypeVar("T")


def clock_settings(profile: GradingProfile, factory: Callable[..., T]) -> T:
    """The profile's deadlines as keyword arguments of ``factory`` (``incident.rules``'
    ``ClockSettings``). The office escalation time is the provincial office's (CAC 2025 art. 4)."""
    return factory(
        report_hours_cii=profile.operator_report_hours["cii_operator"],
        report_hours_central=profile.operator_report_hours["central_department"],
        report_hours_other=profile.operator_report_hours["other_operator"],
        escalation_hours_protection=profile.escalation_hours["protection_department"],
        escalation_hours_office=profile.escalation_hours["provincial_office"],
        immediate_minutes=profile.immediate_minutes,
        final_report_days=profile.final_report_days)


# --- the qualitative criteria of Plan §1.4 ----------------------------------------------------

_PLAN_PARAGRAPH = {Grade.ESPECIALLY_MAJOR: "(1)", Grade.MAJOR: "(2)",
                   Grade.RELATIVELY_MAJOR: "(3)"}
_ANNEX3_ITEM = {Degree.ESPECIALLY_SERIOUS: "a)", Degree.SERIOUS: "b)",
                Degree.RELATIVELY_SERIOUS: "c)"}

#: (criterion number, fact, degree) → (Chinese, English) text of Plan §1.4
_CRITERIA_TEXT: Mapping[tuple[int, Degree], tuple[str, str]] = MappingProxyType({
    (1, Degree.ESPECIALLY_SERIOUS): (
        "情形①：重要网络和信息系统遭受特别严重的系统损失，造成系统大面积瘫痪，丧失业务处理能力",
        "Criterion ①: an important network and information system suffered an especially "
        "serious system loss (large-area paralysis, business processing capacity lost)"),
    (1, Degree.SERIOUS): (
        "情形①：重要网络和信息系统遭受严重的系统损失，造成系统长时间中断或局部瘫痪，"
        "业务处理能力受到极大影响",
        "Criterion ①: an important network and information system suffered a serious system "
        "loss (long interruption or partial paralysis, business capacity greatly affected)"),
    (1, Degree.RELATIVELY_SERIOUS): (
        "情形①：重要网络和信息系统遭受较大的系统损失，造成系统中断，明显影响系统效率，"
        "业务处理能力受到影响",
        "Criterion ①: an important network and information system suffered a relatively large "
        "system loss (interruption, efficiency clearly affected, business capacity affected)"),
    (2, Degree.ESPECIALLY_SERIOUS): (
        "情形②：国家秘密信息、重要敏感信息和关键数据丢失或被窃取、篡改、假冒，"
        "对国家安全和社会稳定构成特别严重威胁",
        "Criterion ②: state secrets, important sensitive information or key data lost, stolen, "
        "tampered with or counterfeited, an especially serious threat to national security and "
        "social stability"),
    (2, Degree.SERIOUS): (
        "情形②：国家秘密信息、重要敏感信息和关键数据丢失或被窃取、篡改、假冒，"
        "对国家安全和社会稳定构成严重威胁",
        "Criterion ②: state secrets, important sensitive information or key data lost, stolen, "
        "tampered with or counterfeited, a serious threat to national security and social "
        "stability"),
    (2, Degree.RELATIVELY_SERIOUS): (
        "情形②：国家秘密信息、重要敏感信息和关键数据丢失或被窃取、篡改、假冒，"
        "对国家安全和社会稳定构成较严重威胁",
        "Criterion ②: state secrets, important sensitive information or key data lost, stolen, "
        "tampered with or counterfeited, a relatively serious threat to national security and "
        "social stability"),
    (3, Degree.ESPECIALLY_SERIOUS): (
        "情形③：其他对国家安全、社会秩序、经济建设和公众利益构成特别严重威胁、"
        "造成特别严重影响的网络安全事件",
        "Criterion ③: another especially serious threat to, or especially serious impact on, "
        "national security, social order, economic construction and public interest"),
    (3, Degree.SERIOUS): (
        "情形③：其他对国家安全、社会秩序、经济建设和公众利益构成严重威胁、"
        "造成严重影响的网络安全事件",
        "Criterion ③: another serious threat to, or serious impact on, national security, "
        "social order, economic construction and public interest"),
    (3, Degree.RELATIVELY_SERIOUS): (
        "情形③：其他对国家安全、社会秩序、经济建设和公众利益构成较严重威胁、"
        "造成较严重影响的网络安全事件",
        "Criterion ③: another relatively serious threat to, or relatively serious impact on, "
        "national security, social order, economic construction and public interest"),
})

GENERAL_REASON = Reason(
    code="plan.general", grade=Grade.GENERAL, source="Plan §1.4 (4)",
    text_zh="除上述情形外，对国家安全、社会秩序、经济建设和公众利益构成一定威胁、"
            "造成一定影响的网络安全事件，为一般网络安全事件",
    text_en="No criterion or threshold of a graver grade is met: some threat or impact on "
            "national security, social order, economic construction and public interest makes "
            "a general incident")


def _criterion_source(number: int, degree: Degree, grade: Grade) -> str:
    base = f"Plan §1.4 {_PLAN_PARAGRAPH[grade]} criterion {'①②③'[number - 1]}"
    if number == 1:
        return f"{base}; annex 2 (important system); annex 3 {_ANNEX3_ITEM[degree]}"
    if number == 2:
        return f"{base}; annex 2 (important sensitive information)"
    return base


def _criteria(facts: GradingFacts) -> list[Reason]:
    """Plan §1.4 criteria ①–③; criterion ① only for an important system (annex 2)."""
    reasons = []
    for number, name in enumerate(DEGREE_FACTS, start=1):
        degree = getattr(facts, name)
        if degree is None or degree not in DEGREE_GRADE:
            continue
        if number == 1 and not facts.important_system:
            continue
        reached = DEGREE_GRADE[degree]
        zh, en = _CRITERIA_TEXT[(number, degree)]
        reasons.append(Reason(code=f"plan.criterion{number}.{degree.value}", grade=reached,
                              source=_criterion_source(number, degree, reached),
                              text_zh=zh, text_en=en))
    return reasons


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _threshold_reason(profile: GradingProfile, t: Threshold, facts: GradingFacts) -> Reason:
    value, minimum = _fmt(getattr(facts, t.quantity)), _fmt(t.minimum)
    zh = f"{t.text_zh}（报告值 {value}，阈值 {minimum}，含本数）"
    en = f"{t.text_en} (reported {value}; threshold {minimum}, inclusive)"
    if not t.confirmed:
        zh += "；该阈值未经确认"
        en += "; this threshold is unconfirmed"
    return Reason(code=f"{profile.name}.{t.code}.{t.grade.value}", grade=t.grade,
                  source=t.source, text_zh=zh, text_en=en, confirmed=t.confirmed)


def grade(facts: GradingFacts, profile: GradingProfile) -> GradingResult:
    """Grade ``facts`` under ``profile``: the gravest grade any criterion or threshold reaches
    (Plan §1.4), with every reason that fired, gravest first; general when none fires."""
    reasons = _criteria(facts)
    reasons += [_threshold_reason(profile, t, facts) for t in profile.thresholds
                if t.applies(facts)]
    if not reasons:
        return GradingResult(Grade.GENERAL, (GENERAL_REASON,), profile.name)
    reasons.sort(key=lambda r: -r.grade.rank)  # stable: ties keep criterion, then profile order
    return GradingResult(Grade.highest(r.grade for r in reasons), tuple(reasons), profile.name)
