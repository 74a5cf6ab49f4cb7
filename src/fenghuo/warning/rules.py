"""Pure rules of early warning: levels, risk assessment, the scope of a warning, the warning
lifecycle and public feeds. No I/O; each rule cites its clause.

Sources (``shared/domain.md`` §4 and §7): Plan §3.1 (four levels), §3.3 (judgment and issue),
§3.5 (lifting); Law arts. 51–55 (monitoring, risk assessment, warnings to the public). The rest of
the early-warning core sits beside this module: :mod:`fenghuo.warning.authority` (who may issue,
revise and lift; Plan §3.3, §3.5, §6.5), :mod:`fenghuo.warning.content` (what a warning must
state; Plan §3.3 ¶3) and :mod:`fenghuo.warning.checklists` (response tasks; Plan §3.4).

Where the documents are silent this module decides, and says so:

* **The proposed level is the grade of the possible incident** (Plan §3.1: red, orange, yellow,
  blue "分别对应发生或可能发生特别重大、重大、较大和一般网络安全事件"). The grade is the one
  Plan §1.4 gives the incident that may occur, by the same grading rules as reported incidents
  (:func:`fenghuo.incident.grading.grade` under the deployment's profile) when the assessment
  states its facts, or as the assessor states it (``harm``) otherwise. The likelihood does not
  move the level: it decides whether a warning is proposed at all. A *low* likelihood proposes
  none (project reading of "可能发生": an incident that is unlikely is not one that "may
  happen" in the Plan's sense); medium and above propose the grade's level. The extent does not
  move the level either: it decides who issues (Plan §3.3 ¶2).
* **Possible major incidents are reported at once** (Plan §3.3 ¶1): an assessment by a province
  or a department (:func:`owes_possible_major_report`) that proposes orange or red goes to the
  Emergency Office, which acknowledges it by a deadline. The Plan says "及时" and gives no
  figure, so the deadline is a setting (``FENGHUO_POSSIBLE_MAJOR_ACK_HOURS``; the project
  default :data:`DEFAULT_POSSIBLE_MAJOR_ACK_HOURS` is one hour, what CAC 2025 art. 4 gives a
  provincial office to pass a major incident on).
* **Only provincial-level and higher bodies release warnings to the public** (Law art. 54(3):
  省级以上人民政府有关部门…向社会发布网络安全风险预警; art. 51: 统一发布): a city or county body
  may not mark a warning public; it asks its province's office, which sees the city's warnings,
  to release one.
* a lifted public warning stays on the public feed, shown as lifted (Law art. 55 asks for timely
  publication; the public should see that a warning it was given no longer applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from fenghuo.common.reasons import Decision, Reason, decide, transition_decision
from fenghuo.incident import grading
from fenghuo.incident.grading import Grade
from fenghuo.org.rules import LEVEL_ORDER, BodyKind, JurisdictionLevel, path_ids

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
#: likelihoods of an incident that "may happen" (Plan §3.1 可能发生): a warning is proposed
#: (project reading: a low likelihood proposes none)
WARN_LIKELIHOODS = frozenset({Likelihood.MEDIUM, Likelihood.HIGH, Likelihood.ALMOST_CERTAIN})
#: where the likelihood threshold comes from
LIKELIHOOD_SOURCE = "Plan §3.1 (发生或可能发生; project reading of the likelihood)"


@dataclass(frozen=True)
class RiskAssessment:
    """Law art. 54(2): likelihood, scope of impact and degree of harm (危害程度). The degree of
    harm is the grade the possible incident would have (Plan §1.4): graded from its facts by
    :meth:`from_facts` (``graded`` then holds the result), or as the assessor states it."""

    likelihood: Likelihood
    extent: Extent
    harm: Grade
    graded: grading.GradingResult | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "likelihood", Likelihood(self.likelihood))
        object.__setattr__(self, "extent", Extent(self.extent))
        object.__setattr__(self, "harm", Grade(self.harm))

    @classmethod
    def from_facts(cls, likelihood: Likelihood | str, extent: Extent | str,
                   facts: grading.GradingFacts, profile: grading.GradingProfile
                   ) -> RiskAssessment:
        """The assessment of an incident that may occur with ``facts``: its harm is the grade
        Plan §1.4 gives those facts under ``profile``, as for a reported incident."""
        result = grading.grade(facts, profile)
        return cls(likelihood, extent, result.grade, result)


#: the label of a proposal that proposes no warning
NO_WARNING = ("不建议发布预警", "no warning proposed")


@dataclass(frozen=True)
class Proposal:
    """A proposed level (None: no warning proposed) with the reasons that drove it (an analyst
    decides; the issuing authority is checked separately)."""

    level: WarningLevel | None
    reasons: tuple[Reason, ...]
    #: the scope crosses provinces or sectors: only the Emergency Office may issue (Plan §3.3 ¶2)
    emergency_office_only: bool
    #: possible major-or-above incident: report to the Emergency Office (Plan §3.3 ¶1)
    report_to_emergency_office: bool
    #: the grade of the possible incident (Plan §1.4), which the level stands for (§3.1)
    grade: Grade = Grade.GENERAL

    def as_dict(self) -> dict[str, Any]:
        zh, en = (self.level.label_zh, self.level.label_en) if self.level else NO_WARNING
        return {"level": self.level.value if self.level else None, "label_zh": zh,
                "label_en": en, "grade": self.grade.value,
                "emergency_office_only": self.emergency_office_only,
                "report_to_emergency_office": self.report_to_emergency_office,
                "reasons": [r.as_dict() for r in self.reasons]}


def _a(words: str) -> str:
    """``words`` with the English indefinite article."""
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def _grade_reasons(a: RiskAssessment) -> list[Reason]:
    """Why the possible incident has its grade: the Plan §1.4 rules that reach it, when it was
    graded from facts; else the grade the assessor stated."""
    if a.graded is None:
        return [Reason("risk.harm", "Plan §1.4; Law art. 54(2)",
                       f"评估认定可能发生的事件为{a.harm.label_zh}网络安全事件",
                       f"the assessor states the possible incident as "
                       f"{_a(a.harm.label_en)} incident")]
    head = Reason("risk.grade", f"Plan §1.4 (profile {a.graded.profile})",
                  f"按事件分级规则，可能发生的事件为{a.harm.label_zh}网络安全事件",
                  f"by the incident grading rules, the possible incident is "
                  f"{a.harm.label_en}")
    return [head] + [Reason(f"risk.grade.{r.code}", r.source, r.text_zh, r.text_en)
                     for r in a.graded.reasons if r.grade == a.harm]


def _likelihood_reason(a: RiskAssessment, level: WarningLevel | None) -> Reason:
    zh, en = LIKELIHOOD_LABELS[a.likelihood]
    if level is None:
        return Reason("risk.unlikely", LIKELIHOOD_SOURCE,
                      f"{zh}：不属于可能发生的事件，不建议发布预警",
                      f"the likelihood is {en}: not an incident that may happen, so no "
                      f"warning is proposed")
    return Reason("risk.likely", "Plan §3.1",
                  f"{zh}：可能发生{a.harm.label_zh}网络安全事件，对应{level.label_zh}",
                  f"the likelihood is {en}: {_a(a.harm.label_en)} incident may happen, "
                  f"which Plan §3.1 pairs with {_a(level.label_en)}")


CROSS_REGION = Reason("risk.cross_region", "Plan §3.3 ¶2",
                      "涉及多省（区、市）、多部门、多行业的预警由应急办确定和发布",
                      "a warning reaching several provinces, departments or sectors is "
                      "decided and issued by the Emergency Office")
REPORT_UPWARD = Reason("risk.report_upward", "Plan §3.3 ¶1",
                       "可能发生重大及以上网络安全事件，应及时向应急办报告",
                       "a major or graver incident may happen: report it to the Emergency "
                       "Office promptly")


def propose_level(assessment: RiskAssessment) -> Proposal:
    """Propose a level (Plan §3.1): the level of the grade the possible incident would have
    (Plan §1.4), when the likelihood makes it one that may happen; no warning otherwise. The
    extent only says whether the Emergency Office must issue (Plan §3.3 ¶2); a proposed orange
    or red is a possible major incident to report (Plan §3.3 ¶1)."""
    a = assessment
    level = WarningLevel.for_grade(a.harm) if a.likelihood in WARN_LIKELIHOODS else None
    reasons = _grade_reasons(a) + [_likelihood_reason(a, level)]
    cross = a.extent in CROSS_REGION_EXTENTS
    if cross:
        reasons.append(CROSS_REGION)
    report = level is not None and must_report_to_emergency_office(level.grade)
    if report:
        reasons.append(REPORT_UPWARD)
    return Proposal(level, tuple(reasons), cross, report, a.harm)


# --- possible major incidents to the Emergency Office (Plan §3.3 ¶1) --------------------------

#: the project default of ``FENGHUO_POSSIBLE_MAJOR_ACK_HOURS`` (the Plan says 及时, in time)
DEFAULT_POSSIBLE_MAJOR_ACK_HOURS = 1.0
#: ``Session.info`` key of the deployment's setting (bootstrap puts it there)
POSSIBLE_MAJOR_INFO_KEY = "fenghuo.possible_major_ack_hours"
#: the bodies that owe the report: 各省（区、市）、各部门 (Plan §3.3 ¶1)
_REPORTING_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT})


def owes_possible_major_report(*, kind: BodyKind | str, jurisdiction_path: str,
                               emergency_office: bool) -> bool:
    """Plan §3.3 ¶1 names provinces (their offices and departments) and departments: a body
    of those kinds at province level, or a national department; not the Emergency Office,
    which receives the report. Cities and counties go to their province (City §3.3)."""
    level = LEVEL_ORDER[len(path_ids(jurisdiction_path)) - 1]
    kind = BodyKind(kind)
    return not emergency_office and kind in _REPORTING_KINDS and (
        level == JurisdictionLevel.PROVINCE
        or (level == JurisdictionLevel.NATIONAL and kind == BodyKind.DEPARTMENT))


def possible_major_route(proposal: Proposal, *, kind: BodyKind | str, jurisdiction_path: str,
                         emergency_office: bool) -> Reason | None:
    """The reason an assessment goes to the Emergency Office with a clock, or None: it
    proposes orange or red and its body owes the report (Plan §3.3 ¶1)."""
    level = proposal.level
    if level is None or not proposal.report_to_emergency_office or not \
            owes_possible_major_report(kind=kind, jurisdiction_path=jurisdiction_path,
                                       emergency_office=emergency_office):
        return None
    return Reason("risk.reported", "Plan §3.3 ¶1",
                  f"建议{level.label_zh}：可能发生重大及以上网络安全事件，已报应急办，"
                  f"由应急办确认收到",
                  f"{_a(level.label_en)} is proposed: a possible major-or-graver incident, "
                  f"reported to the Emergency Office, which acknowledges it")


def acknowledgement_state(due_at: datetime, acknowledged_at: datetime | None,
                          now: datetime) -> str:
    """``acknowledged``, ``due`` or ``overdue`` (after ``due_at``)."""
    if acknowledged_at is not None:
        return "acknowledged"
    return "overdue" if now > due_at else "due"


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


# --- public warnings (Law arts. 51, 54(3), 55) ------------------------------------------------

#: jurisdiction levels whose bodies release warnings to the public (Law art. 54(3):
#: 省级以上人民政府有关部门)
PUBLIC_ISSUER_LEVELS = frozenset({JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCE})
#: the deepest issuer path (in jurisdiction ids) a public warning may come from
PUBLIC_MAX_DEPTH = max(LEVEL_ORDER.index(level) for level in PUBLIC_ISSUER_LEVELS) + 1
PUBLIC_RELEASE_SOURCE = "Law art. 54(3); art. 51"
PUBLIC_RELEASE_ALLOWED = Reason(
    "public.release", PUBLIC_RELEASE_SOURCE,
    "省级以上人民政府有关部门可向社会发布网络安全风险预警",
    "bodies at provincial level and above may release warnings to the public")
PUBLIC_BELOW_PROVINCE = Reason(
    "public.below_province", PUBLIC_RELEASE_SOURCE,
    "向社会发布网络安全风险预警由省级以上人民政府有关部门负责，并统一发布；本机构在省级以下，"
    "不能向社会发布——请省级网络安全应急办公室向社会发布（省级可查看本市预警）",
    "only bodies at provincial level and above release warnings to the public, in a unified way "
    "(Law arts. 54(3), 51); this body is below the province: ask your province's office, which "
    "sees the city's warnings, to release one to the public")


def public_release_decision(issuer_path: str) -> Decision:
    """Whether the body at ``issuer_path`` may release a warning to the public (Law art. 54(3)
    gives it to provincial-level-and-above bodies; art. 51 asks for unified release)."""
    if len(path_ids(issuer_path)) <= PUBLIC_MAX_DEPTH:
        return decide((), PUBLIC_RELEASE_ALLOWED)
    return decide([PUBLIC_BELOW_PROVINCE])


#: states in which a public warning is shown (a lifted one is shown as lifted)
PUBLIC_STATES = frozenset({WarningState.PUBLISHED, WarningState.LIFTED})


def public_feed_decision(*, tlp: Tlp | str, public: bool, state: WarningState | str,
                         issuer_path: str) -> Decision:
    """Whether a warning may appear on the public page and feeds: only a TLP:CLEAR warning
    marked for the public, once published, from a body that may release to the public (Law
    art. 54(3): 省级以上…向社会发布网络安全风险预警; art. 55: 向社会发布与公众有关的警示信息;
    TLP:CLEAR is the only colour without disclosure limits)."""
    tlp, state = Tlp(tlp), WarningState(state)
    refusals = list(public_release_decision(issuer_path).refusals)
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
                                   "省级以上机构TLP:CLEAR且标记为公开的已发布预警，可向社会公开",
                                   "a published TLP:CLEAR warning marked public, from a body at "
                                   "provincial level or above, may be shown to the public"))
