"""Pure rules of early warning: levels, risk assessment, the scope of a warning, the warning
lifecycle and public feeds. No I/O; each rule cites its clause.

Sources (``shared/domain.md`` §4 and §7): Plan §3.1 (four levels), §3.3 (judgment and issue),
§3.5 (lifting); Law arts. 51–55 (monitoring, risk assessment, warnings to the public). The rest of
the early-warning core sits beside this module: :mod:`fenghuo.warning.authority` (who may issue,
revise and lift; Plan §3.3, §3.5, §6.5), :mod:`fenghuo.warning.content` (what a warning must
state; Plan §3.3 ¶3) and :mod:`fenghuo.warning.checklists` (response tasks; Plan §3.4).

Where the documents are silent this module decides, and says so:

* the Plan gives no formula from a risk assessment to a level; :func:`propose_level` is the
  project's own heuristic (harm sets the level; low likelihood lowers it one step; a likely
  threat reaching several provinces or sectors, or the whole country, raises it one step);
* a lifted public warning stays on the public feed, shown as lifted (Law art. 55 asks for timely
  publication; the public should see that a warning it was given no longer applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from fenghuo.common.reasons import Decision, Reason, decide, transition_decision
from fenghuo.incident.grading import Grade
from fenghuo.org.rules import path_ids

# Decision and decide live in common.reasons; imported here so that
# ``from fenghuo.warning.rules import Decision, decide`` keeps working.
from fenghuo.sharing.tlp import Tlp  # noqa: F401 - re-exported (TLP 2.0)

# --- levels (Plan §3.1) -----------------------------------------------------------------------


class WarningLevel(StrEnum):
    """Plan §3.1: red, orange, yellow, blue, from high to low, for an especially major, major,
    relatively major or general incident that is happening or may happen.

    Compare levels by :attr:`rank`, never as strings.
    """

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        """4 for red down to 1 for blue: a higher rank is a graver level."""
        return _LEVEL_RANK[self]

    @property
    def label_zh(self) -> str:
        return LEVEL_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return LEVEL_LABELS[self][1]

    @property
    def grade(self) -> Grade:
        """The incident grade the level stands for (Plan §3.1)."""
        return _LEVEL_GRADE[self]

    @staticmethod
    def for_grade(grade: Grade | str) -> WarningLevel:
        """The level that stands for an incident of ``grade`` (Plan §3.1)."""
        return _GRADE_LEVEL[Grade(grade)]

    @staticmethod
    def of_rank(rank: int) -> WarningLevel:
        """The level of ``rank``, clamped to blue..red."""
        return LEVELS_DESC[len(LEVELS_DESC) - min(max(rank, 1), len(LEVELS_DESC))]

    def step(self, delta: int) -> WarningLevel:
        """``delta`` steps graver (positive) or milder (negative), clamped to blue..red."""
        return WarningLevel.of_rank(self.rank + delta)

    @staticmethod
    def highest(levels: Iterable[WarningLevel | str]) -> WarningLevel | None:
        return max((WarningLevel(x) for x in levels), key=lambda x: x.rank, default=None)


#: red first (Plan §3.1 "由高到低")
LEVELS_DESC = (WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW, WarningLevel.BLUE)
_LEVEL_RANK = {level: 4 - i for i, level in enumerate(LEVELS_DESC)}
LEVEL_LABELS: Mapping[WarningLevel, tuple[str, str]] = MappingProxyType({
    WarningLevel.RED: ("红色预警", "red warning"),
    WarningLevel.ORANGE: ("橙色预警", "orange warning"),
    WarningLevel.YELLOW: ("黄色预警", "yellow warning"),
    WarningLevel.BLUE: ("蓝色预警", "blue warning"),
})
_LEVEL_GRADE = {WarningLevel.RED: Grade.ESPECIALLY_MAJOR, WarningLevel.ORANGE: Grade.MAJOR,
                WarningLevel.YELLOW: Grade.RELATIVELY_MAJOR, WarningLevel.BLUE: Grade.GENERAL}
_GRADE_LEVEL = {grade: level for level, grade in _LEVEL_GRADE.items()}


def must_report_to_emergency_office(grade: Grade | str) -> bool:
    """Plan §3.3 ¶1: information on a possible major-or-above incident goes to the Emergency
    Office promptly (对可能发生重大及以上网络安全事件的信息及时向应急办报告)."""
    return Grade(grade).rank >= Grade.MAJOR.rank


# --- risk assessment (Law art. 54(2)) ---------------------------------------------------------


class Likelihood(StrEnum):
    """How likely the incident is (Law art. 54(2) 发生事件的可能性)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    ALMOST_CERTAIN = "almost_certain"


LIKELIHOOD_LABELS: Mapping[Likelihood, tuple[str, str]] = MappingProxyType({
    Likelihood.LOW: ("可能性低", "low"),
    Likelihood.MEDIUM: ("可能性中等", "medium"),
    Likelihood.HIGH: ("可能性高", "high"),
    Likelihood.ALMOST_CERTAIN: ("几乎肯定发生", "almost certain"),
})


class Extent(StrEnum):
    """How far the harm may reach (Law art. 54(2) 影响范围)."""

    SINGLE_UNIT = "single_unit"
    REGION_OR_SECTOR = "region_or_sector"
    SEVERAL_PROVINCES_OR_SECTORS = "several_provinces_or_sectors"
    NATIONAL = "national"


EXTENT_LABELS: Mapping[Extent, tuple[str, str]] = MappingProxyType({
    Extent.SINGLE_UNIT: ("单个单位", "a single unit"),
    Extent.REGION_OR_SECTOR: ("一个地区或行业", "one region or sector"),
    Extent.SEVERAL_PROVINCES_OR_SECTORS: ("多个省（区、市）或行业",
                                          "several provinces or sectors"),
    Extent.NATIONAL: ("全国", "the whole country"),
})
#: extents that only the Emergency Office may warn of (Plan §3.3 ¶2)
CROSS_REGION_EXTENTS = frozenset({Extent.SEVERAL_PROVINCES_OR_SECTORS, Extent.NATIONAL})
#: likelihoods that, with a cross-region extent, raise the proposal one step (project heuristic)
LIKELY = frozenset({Likelihood.HIGH, Likelihood.ALMOST_CERTAIN})


@dataclass(frozen=True)
class RiskAssessment:
    """Law art. 54(2): likelihood, scope of impact and degree of harm (危害程度). The degree of
    harm is stated like an incident grade (Plan §1.4): general … especially major harm."""

    likelihood: Likelihood
    extent: Extent
    harm: Grade

    def __post_init__(self) -> None:
        object.__setattr__(self, "likelihood", Likelihood(self.likelihood))
        object.__setattr__(self, "extent", Extent(self.extent))
        object.__setattr__(self, "harm", Grade(self.harm))


@dataclass(frozen=True)
class Proposal:
    """A proposed level with the reasons that drove it (an analyst decides; the issuing
    authority is checked separately)."""

    level: WarningLevel
    reasons: tuple[Reason, ...]
    #: the scope crosses provinces or sectors: only the Emergency Office may issue (Plan §3.3 ¶2)
    emergency_office_only: bool
    #: possible major-or-above incident: report to the Emergency Office (Plan §3.3 ¶1)
    report_to_emergency_office: bool

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level.value, "label_zh": self.level.label_zh,
                "label_en": self.level.label_en,
                "emergency_office_only": self.emergency_office_only,
                "report_to_emergency_office": self.report_to_emergency_office,
                "reasons": [r.as_dict() for r in self.reasons]}


HEURISTIC = "project heuristic on Law art. 54(2); the Plan gives no formula"


def propose_level(assessment: RiskAssessment) -> Proposal:
    """Propose a level: the level of the degree of harm (Plan §3.1), one step lower when the
    likelihood is low, one step higher when a likely threat reaches several provinces or sectors
    or the whole country; never more than one step from the harm, never outside blue..red."""
    a = assessment
    base = WarningLevel.for_grade(a.harm)
    reasons = [Reason("risk.harm", "Plan §3.1; Law art. 54(2)",
                      f"危害程度为{a.harm.label_zh}，对应{base.label_zh}",
                      f"the degree of harm is {a.harm.label_en}, which Plan §3.1 pairs with a "
                      f"{base.label_en}")]
    level = base
    if a.likelihood == Likelihood.LOW:
        level = base.step(-1)
        reasons.append(Reason("risk.low_likelihood", HEURISTIC,
                              f"发生可能性低：降低一级（不低于蓝色），为{level.label_zh}",
                              f"the likelihood is low: one step lower (not below blue), a "
                              f"{level.label_en}"))
    elif a.likelihood in LIKELY and a.extent in CROSS_REGION_EXTENTS:
        level = base.step(+1)
        reasons.append(Reason("risk.wide_and_likely", HEURISTIC,
                              f"可能性{LIKELIHOOD_LABELS[a.likelihood][0]}且影响"
                              f"{EXTENT_LABELS[a.extent][0]}：提高一级（不高于红色），"
                              f"为{level.label_zh}",
                              f"a {LIKELIHOOD_LABELS[a.likelihood][1]} threat reaching "
                              f"{EXTENT_LABELS[a.extent][1]}: one step higher (not above red), "
                              f"a {level.label_en}"))
    cross = a.extent in CROSS_REGION_EXTENTS
    if cross:
        reasons.append(Reason("risk.cross_region", "Plan §3.3 ¶2",
                              "涉及多省（区、市）、多部门、多行业的预警由应急办确定和发布",
                              "a warning reaching several provinces, departments or sectors is "
                              "decided and issued by the Emergency Office"))
    report = must_report_to_emergency_office(a.harm)
    if report:
        reasons.append(Reason("risk.report_upward", "Plan §3.3 ¶1",
                              "可能发生重大及以上网络安全事件，应及时向应急办报告",
                              "a major or graver incident may happen: report it to the Emergency "
                              "Office promptly"))
    return Proposal(level, tuple(reasons), cross, report)


# --- scope of a warning (Plan §3.3 可能影响范围) ---------------------------------------------


@dataclass(frozen=True)
class WarningScope:
    """Where a warning applies: jurisdictions as materialized paths (``/1/2/``, see
    ``org.rules.child_path``) and sector codes (Law art. 31). No sectors means every sector of
    those jurisdictions."""

    jurisdictions: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for path in self.jurisdictions:
            if not (path.startswith("/") and path.endswith("/") and path_ids(path)):
                raise ValueError(f"not a jurisdiction path: {path!r} (expected e.g. '/1/2/')")
        object.__setattr__(self, "jurisdictions", frozenset(self.jurisdictions))
        object.__setattr__(self, "sectors", frozenset(self.sectors))

    def provinces(self) -> frozenset[str]:
        """The province paths the scope touches; the national path stands for every province."""
        return frozenset(province_of(p) for p in self.jurisdictions)

    @property
    def national(self) -> bool:
        """Whether the scope names the whole country."""
        return any(len(path_ids(p)) == 1 for p in self.jurisdictions)

    def touches(self, path: str, sector: str | None = None) -> bool:
        """Whether the warning concerns the jurisdiction at ``path`` (and ``sector``, when
        given): the scope names it, a region above it or a region within it (a city's warning
        concerns its province), and names no sectors or this one (Plan §3.1, Law art. 51)."""
        place = self.national or any(path.startswith(p) or p.startswith(path)
                                     for p in self.jurisdictions)
        return place and (sector is None or not self.sectors or sector in self.sectors)


def province_of(path: str) -> str:
    """The province path above or at ``path``; the national path for the nation itself."""
    ids = path_ids(path)[:2]
    return "/" + "".join(f"{i}/" for i in ids)


# --- lifecycle (Plan §3.3, §3.5) --------------------------------------------------------------


class WarningState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    LIFTED = "lifted"


STATE_LABELS: Mapping[WarningState, tuple[str, str]] = MappingProxyType({
    WarningState.DRAFT: ("草稿", "draft"),
    WarningState.APPROVED: ("已审核", "approved"),
    WarningState.PUBLISHED: ("已发布", "published"),
    WarningState.LIFTED: ("已解除", "lifted"),
})

#: draft → approved → published (Plan §3.3 研判和发布) → lifted (Plan §3.5). An approved draft
#: may go back for changes; a published warning changes level only by a revision
#: (``authority.check_revision``), never by going back to draft.
TRANSITIONS: Mapping[WarningState, frozenset[WarningState]] = MappingProxyType({
    WarningState.DRAFT: frozenset({WarningState.APPROVED}),
    WarningState.APPROVED: frozenset({WarningState.DRAFT, WarningState.PUBLISHED}),
    WarningState.PUBLISHED: frozenset({WarningState.LIFTED}),
    WarningState.LIFTED: frozenset(),
})


def can_transition(current: WarningState | str, target: WarningState | str) -> Decision:
    """Whether a warning may move from ``current`` to ``target`` (Plan §3.3, §3.5)."""
    return transition_decision("lifecycle.transition", "Plan §3.3; §3.5", STATE_LABELS,
                               TRANSITIONS, WarningState(current), WarningState(target))


# --- public warnings (Law arts. 54(3), 55) ----------------------------------------------------



#: states in which a public warning is shown (a lifted one is shown as lifted)
PUBLIC_STATES = frozenset({WarningState.PUBLISHED, WarningState.LIFTED})


def public_feed_decision(*, tlp: Tlp | str, public: bool,
                         state: WarningState | str) -> Decision:
    """Whether a warning may appear on the public page and feeds: only a TLP:CLEAR warning
    marked for the public, once published (Law art. 54(3): 向社会发布网络安全风险预警; art. 55:
    向社会发布与公众有关的警示信息; TLP:CLEAR is the only colour without disclosure limits)."""
    tlp, state = Tlp(tlp), WarningState(state)
    refusals = []
    if not public:
        refusals.append(Reason("public.not_marked", "Law arts. 54(3), 55",
                               "该预警未标记为向社会发布", "the warning is not marked public"))
    if tlp != Tlp.CLEAR:
        refusals.append(Reason("public.tlp", "Law arts. 54(3), 55; FIRST TLP 2.0",
                               f"仅TLP:CLEAR的预警可公开，本预警为TLP:{tlp.value.upper()}",
                               f"only TLP:CLEAR warnings are public; this one is "
                               f"TLP:{tlp.value.upper()}"))
    if state not in PUBLIC_STATES:
        refusals.append(Reason("public.state", "Law art. 54(3); Plan §3.3",
                               f"预警尚未发布（{STATE_LABELS[state][0]}）",
                               f"the warning is not published yet ({state.value})"))
    return decide(refusals, Reason("public.allowed", "Law arts. 54(3), 55",
                                   "TLP:CLEAR且标记为公开的已发布预警，可向社会公开",
                                   "a published TLP:CLEAR warning marked public may be shown to "
                                   "the public"))
