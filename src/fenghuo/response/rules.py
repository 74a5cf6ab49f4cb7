"""Pure rules of emergency response: levels, who may activate which level, what an activation
sets in motion, progress reports and support requests. No I/O; each rule cites its clause.

Sources (``shared/domain.md`` §1, §5): Plan §2.1–2.2 (leading group, headquarters, Emergency
Office), §4.2 (response levels I–IV), §4.2.1 (Level I), §4.2.2 (Level II, support through the
Emergency Office), §4.2.3 (Levels III and IV); City §3.3.3 (municipal headquarters), §3.3.4
(field command). Ending is in :mod:`fenghuo.response.ending` (Plan §4.3), investigation in
:mod:`fenghuo.response.investigation` (Plan §5; CAC 2025 art. 8).

Readings and decisions where the documents are silent (each refusal names its rule):

* **The level is the grade's level.** Plan §4.2 (应急响应分为四级，分别对应特别重大、重大、较大
  和一般网络安全事件) pairs the four levels with the four grades, and §4.2.1 starts Level I for an
  especially major incident. The Plan provides no response above or below the grade, so either
  is refused (``activate.level_mismatch``): regrade the incident first, so that the grade history
  explains the response.
* **Level I** is activated by the national Emergency Office only: the leading group decides and
  sets up the headquarters (Plan §2.1), the Office does its day-to-day work (Plan §2.2), so the
  Office records the activation.
* **Level II** is decided by the province or department where the incident happened (Plan
  §4.2.2): a province-level office whose region contains the incident, or a department at
  national or province level regulating the incident's sector, whose jurisdiction contains it.
  City and county bodies do not decide Level II (``activate.jurisdiction_level``).
* **Levels III and IV** are run by the region or department where it happened under its own plan
  (Plan §4.2.3): any office below national level, or any department regulating the sector, whose
  jurisdiction contains the incident.
* **National offices** activate only Level I: Levels II–IV belong to the region or department
  where it happened (``activate.national_office``), the Emergency Office is told (Plan §4.2.2(2)).
* **A department** acts for its own sector only (Plan §2.3): an incident naming no sector, or
  another one, is refused (``activate.not_sector``).
* **Content security is out of scope** (Plan §1.3: 有关信息内容安全事件的应对，另行制定专项
  预案): an incident of annex 1 category 4 (信息内容安全事件) is recorded and routed like any
  other, but no Level I–IV response of this Plan is activated for it (``activate.special_plan``);
  it is handled under the special plan.
* **City level** (City §3.3.3–3.3.4): the city does not decide Levels I and II, but within such
  a response that covers the city (the incident happened in it) its coordination group becomes
  the municipal headquarters and a field command is set up under it. City §3.3.3 says "when
  necessary": the activation lists both as what it sets in motion, and the city sets them up by
  its own action (:func:`may_set_up_command`): the city's office converts the coordination group
  into the headquarters; the field command is set up by the county where it happened (its
  office) or by the city's office (City §3.3.4 "市网络安全办也可组织…成立现场指挥部"), only once
  the headquarters exists ("在应急指挥部统一领导下"). Both take part in the response: their named
  members keep their duty rosters and report progress for them on the response's cadence.
* **Progress cadences** are a project rule (the Plan says only "及时"): Level I every 2 hours,
  Level II every 4, III every 12, IV every 24; a response may set its own.
* **Support** may be asked by any office or department in the response, whatever the level: the
  Emergency Office coordinates across regions and departments (Plan §2.2); §4.2.2(3) describes it
  for Level II. The Office itself directs the national support teams (Plan §2.2) and files no
  request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from fenghuo.common.reasons import Decision, Reason, decide, transition_decision
from fenghuo.incident.grading import Grade
from fenghuo.org.rules import (
    LEVEL_ORDER,
    BodyFacts,
    BodyFunction,
    BodyKind,
    JurisdictionLevel,
    path_ids,
)

# --- levels (Plan §4.2) -----------------------------------------------------------------------


class ResponseLevel(StrEnum):
    """Plan §4.2: four levels for especially major, major, relatively major and general incidents;
    Level I is the highest. Compare levels by :attr:`rank`, never as strings."""

    I = "I"  # noqa: E741 (the Plan's own name)
    II = "II"
    III = "III"
    IV = "IV"

    @property
    def rank(self) -> int:
        """4 for Level I down to 1 for Level IV: a higher rank is a graver level."""
        return _LEVEL_RANK[self]

    @property
    def grade(self) -> Grade:
        """The incident grade the level answers (Plan §4.2)."""
        return _LEVEL_GRADE[self]

    @property
    def label_zh(self) -> str:
        return LEVEL_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return LEVEL_LABELS[self][1]


#: Level I first (Plan §4.2 "Ⅰ级为最高响应级别")
LEVELS_DESC = (ResponseLevel.I, ResponseLevel.II, ResponseLevel.III, ResponseLevel.IV)
_LEVEL_RANK = {level: 4 - i for i, level in enumerate(LEVELS_DESC)}
_LEVEL_GRADE = {ResponseLevel.I: Grade.ESPECIALLY_MAJOR, ResponseLevel.II: Grade.MAJOR,
                ResponseLevel.III: Grade.RELATIVELY_MAJOR, ResponseLevel.IV: Grade.GENERAL}
_GRADE_LEVEL = {grade: level for level, grade in _LEVEL_GRADE.items()}
LEVEL_LABELS: Mapping[ResponseLevel, tuple[str, str]] = MappingProxyType({
    ResponseLevel.I: ("Ⅰ级响应", "Level I response"),
    ResponseLevel.II: ("Ⅱ级响应", "Level II response"),
    ResponseLevel.III: ("Ⅲ级响应", "Level III response"),
    ResponseLevel.IV: ("Ⅳ级响应", "Level IV response"),
})


def level_for_grade(grade: Grade | str) -> ResponseLevel:
    """Plan §4.2: especially major → I, major → II, relatively major → III, general → IV."""
    return _GRADE_LEVEL[Grade(grade)]


# --- who acts, on what ------------------------------------------------------------------------


def _check_path(path: str) -> None:
    if not (path.startswith("/") and path.endswith("/")
            and 1 <= len(path_ids(path)) <= len(LEVEL_ORDER)):
        raise ValueError(f"not a jurisdiction path: {path!r} (expected e.g. '/1/2/')")


@dataclass(frozen=True)
class Actor:
    """The body acting on a response, as the rules need it (org-rules facts)."""

    body_id: int
    kind: BodyKind
    jurisdiction_path: str
    sectors: frozenset[str] = frozenset()
    function: BodyFunction | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", BodyKind(self.kind))
        object.__setattr__(self, "sectors", frozenset(self.sectors))
        if self.function is not None:
            object.__setattr__(self, "function", BodyFunction(self.function))
        _check_path(self.jurisdiction_path)

    @classmethod
    def from_body(cls, body: BodyFacts, function: BodyFunction | str | None = None) -> Actor:
        return cls(body.id, body.kind, body.jurisdiction_path, body.sectors,
                   BodyFunction(function) if function else None)

    @property
    def level(self) -> JurisdictionLevel:
        """The jurisdiction level, read from the path depth (``org.rules.child_level_ok``)."""
        return LEVEL_ORDER[len(path_ids(self.jurisdiction_path)) - 1]

    @property
    def is_national_emergency_office(self) -> bool:
        """The national Emergency Office (Plan §2.2): that function, at national level."""
        return (self.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE
                and self.level == JurisdictionLevel.NATIONAL)

    def contains(self, jurisdiction_path: str) -> bool:
        """Whether the actor's jurisdiction subtree contains ``jurisdiction_path``."""
        return jurisdiction_path.startswith(self.jurisdiction_path)


@dataclass(frozen=True)
class Subject:
    """What the rules know of the incident: where its unit is, its sector, its current grade."""

    jurisdiction_path: str
    sector: str | None
    grade: Grade
    #: the annex 1 category code (``rules/taxonomy.yaml``), e.g. ``network-attack``
    category: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "grade", Grade(self.grade))
        _check_path(self.jurisdiction_path)


def covers_city(jurisdiction_path: str) -> bool:
    """Whether an incident at ``jurisdiction_path`` happened in a city: the city itself or one
    of its counties (City §3)."""
    return len(path_ids(jurisdiction_path)) > LEVEL_ORDER.index(JurisdictionLevel.CITY)


# --- activation (Plan §4.2.1–4.2.3) -----------------------------------------------------------

#: bodies that may activate a response at all (Plan §4.2: offices for regions, departments)
ACTIVATING_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT})
#: jurisdiction levels that decide a Level II response, by kind (Plan §4.2.2 有关省（区、市）和
#: 部门): a province's office; a department at national or province level
LEVEL_II_LEVELS: Mapping[BodyKind, frozenset[JurisdictionLevel]] = MappingProxyType({
    BodyKind.OFFICE: frozenset({JurisdictionLevel.PROVINCE}),
    BodyKind.DEPARTMENT: frozenset({JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCE}),
})

_OWN_PLAN_BASIS = Reason(
    "activate.level_iii_iv", "Plan §4.2.3",
    "事件发生地区和部门按相关预案进行应急响应",
    "the region or department where the incident happened responds under its own plan")
ACTIVATION_BASIS: Mapping[ResponseLevel, Reason] = MappingProxyType({
    ResponseLevel.I: Reason(
        "activate.level_i", "Plan §2.1–2.2; §4.2.1",
        "属特别重大网络安全事件的，及时启动Ⅰ级响应，成立指挥部；应急办负责指挥部的事务性工作",
        "an especially major incident starts a Level I response and a headquarters is set up; "
        "the Emergency Office does the headquarters' day-to-day work"),
    ResponseLevel.II: Reason(
        "activate.level_ii", "Plan §4.2.2",
        "Ⅱ级响应由有关省（区、市）和部门根据事件的性质和情况确定",
        "a Level II response is decided by the province or department concerned, by the "
        "nature and circumstances of the incident"),
    ResponseLevel.III: _OWN_PLAN_BASIS,
    ResponseLevel.IV: _OWN_PLAN_BASIS,
})


def _mismatch(level: ResponseLevel, grade: Grade) -> list[Reason]:
    expected = level_for_grade(grade)
    if level == expected:
        return []
    return [Reason("activate.level_mismatch", "Plan §4.2; §4.2.1",
                   f"事件级别为{grade.label_zh}，应启动{expected.label_zh}，不能启动"
                   f"{level.label_zh}；如需调整，请先重新定级",
                   f"the incident is {grade.label_en}, which takes a {expected.label_en}, not a "
                   f"{level.label_en}; regrade the incident first")]


def _actor_refusals(actor: Actor, level: ResponseLevel, subject: Subject) -> list[Reason]:
    if actor.kind not in ACTIVATING_KINDS:
        return [Reason("activate.issuer_kind", "Plan §4.2",
                       "只有网络安全应急办公室和行业主管部门可以启动应急响应",
                       f"only emergency offices and departments activate a response, not a "
                       f"{actor.kind.value}")]
    if level == ResponseLevel.I:
        if actor.is_national_emergency_office:
            return []
        return [Reason("activate.level_reserved", "Plan §2.1–2.2; §4.2.1",
                       "Ⅰ级响应由国家网络安全应急办公室启动（领导小组决定，成立指挥部）",
                       "a Level I response is activated by the national Emergency Office only "
                       "(the leading group decides and a headquarters is set up)")]
    if actor.kind == BodyKind.OFFICE and actor.level == JurisdictionLevel.NATIONAL:
        return [Reason("activate.national_office", "Plan §4.2.2–4.2.3",
                       f"{level.label_zh}由事件发生省（区、市）或部门确定并报应急办，"
                       f"国家网络安全应急办公室只启动Ⅰ级响应",
                       f"a {level.label_en} is decided by the province or department where the "
                       f"incident happened and reported to the Emergency Office; the national "
                       f"Emergency Office activates Level I only")]
    refusals = []
    if level == ResponseLevel.II and actor.level not in LEVEL_II_LEVELS[actor.kind]:
        refusals.append(Reason("activate.jurisdiction_level", "Plan §4.2.2",
                               "Ⅱ级响应由省（区、市）或部门确定，市、县级机构不能启动",
                               f"a Level II response is decided by a province or department; a "
                               f"{actor.level.value} body cannot activate it"))
    if not actor.contains(subject.jurisdiction_path):
        refusals.append(Reason("activate.outside_jurisdiction", "Plan §4.2.2–4.2.3 (事件发生地区)",
                               "事件发生地不在本机构辖区内",
                               "the incident happened outside the body's own jurisdiction"))
    if actor.kind == BodyKind.DEPARTMENT and subject.sector not in actor.sectors:
        named = subject.sector or "—"
        refusals.append(Reason("activate.not_sector", "Plan §2.3; §4.2.2–4.2.3",
                               f"事件所属行业（{named}）不是本部门主管的行业",
                               f"the incident's sector ({named}) is not one the department "
                               f"regulates"))
    return refusals


#: annex 1 categories whose response has its own special plan (Plan §1.3); the code is the
#: taxonomy's (``rules/taxonomy.yaml``, category 4 信息内容安全事件)
SPECIAL_PLAN_CATEGORIES = frozenset({"information-content-security"})
SPECIAL_PLAN = Reason(
    "activate.special_plan", "Plan §1.3",
    "信息内容安全事件的应对另行制定专项预案，不启动本预案的Ⅰ—Ⅳ级应急响应；请按信息内容安全事件"
    "专项预案处置",
    "an information content security incident is handled under its own special plan, not by a "
    "Level I–IV response of this Plan; follow the special plan for content security incidents")


def may_activate(actor: Actor, level: ResponseLevel | str, subject: Subject) -> Decision:
    """Whether ``actor`` may activate a ``level`` response to the incident ``subject``
    (Plan §4.2.1–4.2.3). Returns every rule that refuses; a body that may activate nothing at
    all gets that reason (with a level mismatch, if any). When allowed, ``basis`` is the clause
    that grants it. A content security incident is refused by Plan §1.3 alone, whoever asks:
    it has its own special plan."""
    level = ResponseLevel(level)
    if subject.category in SPECIAL_PLAN_CATEGORIES:
        return decide([SPECIAL_PLAN])
    refusals = _actor_refusals(actor, level, subject) + _mismatch(level, subject.grade)
    return decide(refusals, ACTIVATION_BASIS[level])


# --- what an activation sets in motion (Plan §4.2; City §3.3.3–3.3.4) ------------------------


@dataclass(frozen=True)
class Effect:
    """One thing a response sets in motion, with its clause."""

    code: str
    source: str
    text_zh: str
    text_en: str
    needs_headquarters: bool = False
    duty_24h: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "source": self.source, "text_zh": self.text_zh,
                "text_en": self.text_en, "needs_headquarters": self.needs_headquarters,
                "duty_24h": self.duty_24h}


_LEVEL_I_EFFECTS = (
    Effect("level_i.headquarters", "Plan §2.1; §4.2.1 ¶1",
           "成立指挥部（指定成员），履行应急处置工作的统一领导、指挥、协调职责",
           "a headquarters with named members is set up and leads, commands and coordinates "
           "the response", needs_headquarters=True),
    Effect("level_i.office_duty", "Plan §4.2.1 ¶1", "应急办24小时值班",
           "the Emergency Office keeps 24-hour duty", duty_24h=True),
    Effect("level_i.emergency_state", "Plan §4.2.1 ¶2",
           "有关省（区、市）、部门应急指挥机构进入应急状态，在指挥部统一领导下负责本地区、"
           "本部门应急处置或支援保障工作，24小时值班",
           "the provinces and departments concerned enter emergency state under the "
           "headquarters, handle their own part or give support, and keep 24-hour duty",
           duty_24h=True),
    Effect("level_i.liaison", "Plan §4.2.1 ¶2", "有关省（区、市）、部门派员参加应急办工作",
           "the provinces and departments concerned send staff to work in the Emergency Office"),
    Effect("level_i.progress_reports", "Plan §4.2.1 ¶3",
           "跟踪事态发展，检查影响范围，及时将事态发展变化情况、处置进展情况报应急办",
           "they track developments, check the scope of impact and report developments and "
           "handling progress to the Emergency Office promptly"),
    Effect("level_i.implementation", "Plan §4.2.1 ¶3",
           "指挥部对应对工作进行决策部署，有关省（区、市）和部门负责组织实施",
           "the headquarters decides and deploys; the provinces and departments carry it out"),
)
_LEVEL_II_EFFECTS = (
    Effect("level_ii.emergency_state", "Plan §4.2.2(1)",
           "事件发生省（区、市）或部门的应急指挥机构进入应急状态，按照相关应急预案做好应急处置",
           "the emergency command of the province or department where it happened enters "
           "emergency state and handles the incident under its plan"),
    Effect("level_ii.report_developments", "Plan §4.2.2(2)",
           "事件发生省（区、市）或部门及时将事态发展变化情况报应急办",
           "the province or department reports developments to the Emergency Office promptly"),
    Effect("level_ii.office_notifies", "Plan §4.2.2(2)",
           "应急办将有关重大事项及时通报相关地区和部门",
           "the Emergency Office notifies the regions and departments concerned of major "
           "matters"),
    Effect("level_ii.support", "Plan §4.2.2(3)",
           "需要其他省（区、市）、部门和国家网络安全应急技术支撑队伍支持的，商应急办予以协调",
           "support from other provinces, departments or the national technical support teams "
           "is requested through the Emergency Office, which coordinates it"),
    Effect("level_ii.prevention", "Plan §4.2.2(4)",
           "有关省（区、市）和部门根据应急办的通报，有针对性地加强防范",
           "other provinces and departments strengthen prevention on the Emergency Office's "
           "notice"),
)
_LEVEL_III_IV_EFFECTS = (
    Effect("level_iii_iv.own_plan", "Plan §4.2.3", "事件发生地区和部门按相关预案进行应急响应",
           "the region or department where it happened responds under its own plan"),
)
_CITY_EFFECTS = (
    Effect("city.headquarters", "City §3.3.3",
           "发生重大、特别重大网络安全事件时，市网络安全协调小组转为市网络安全事件应急处置"
           "指挥部，统一组织指挥本市应急处置",
           "for a major or especially major incident the city coordination group becomes the "
           "municipal emergency headquarters and commands the city's response",
           needs_headquarters=True),
    Effect("city.field_command", "City §3.3.4",
           "事发地县（市、区）政府根据事态发展和实际控制需要成立现场指挥部，在应急指挥部统一"
           "领导下负责现场应急处置",
           "the county government where it happened sets up a field command, as developments "
           "and control require, for on-site response under the emergency headquarters"),
)


def needs_headquarters(level: ResponseLevel | str, *, city_level: bool = False) -> bool:
    """Level I always (Plan §4.2.1); at city level also Level II, a major incident (City
    §3.3.3); never Levels III and IV. The response's own headquarters (named at activation) is
    the Level I one; the city's is set up inside the response (:func:`may_set_up_command`)."""
    level = ResponseLevel(level)
    return level == ResponseLevel.I or (city_level and level == ResponseLevel.II)


def activation_effects(level: ResponseLevel | str, *, city_level: bool = False) -> list[Effect]:
    """What a ``level`` response sets in motion (Plan §4.2.1–4.2.3); with ``city_level`` (the
    incident happened in a city, :func:`covers_city`), the city's own bodies for Levels I and
    II follow (City §3.3.3–3.3.4)."""
    level = ResponseLevel(level)
    effects = list({ResponseLevel.I: _LEVEL_I_EFFECTS, ResponseLevel.II: _LEVEL_II_EFFECTS}
                   .get(level, _LEVEL_III_IV_EFFECTS))
    if city_level and needs_headquarters(level, city_level=True):
        effects += _CITY_EFFECTS
    return effects


# --- the city's headquarters and field command (City §3.3.3–3.3.4) ----------------------------

#: the bodies a city sets up inside a Level I or II response, with the role each takes in it
COMMAND_ROLES: Mapping[BodyKind, str] = MappingProxyType({
    BodyKind.HEADQUARTERS: "city_headquarters", BodyKind.FIELD_COMMAND: "field_command"})
_COMMAND_EFFECT = {BodyKind.HEADQUARTERS: _CITY_EFFECTS[0],
                   BodyKind.FIELD_COMMAND: _CITY_EFFECTS[1]}
#: who sets each up: the city's office (City §3.3.2–3.3.3); the county where it happened, or
#: the city's office (City §3.3.4)
_COMMAND_SETTERS: Mapping[BodyKind, frozenset[JurisdictionLevel]] = MappingProxyType({
    BodyKind.HEADQUARTERS: frozenset({JurisdictionLevel.CITY}),
    BodyKind.FIELD_COMMAND: frozenset({JurisdictionLevel.CITY, JurisdictionLevel.COUNTY}),
})
_COMMAND_SETTER_REASONS = {
    BodyKind.HEADQUARTERS: Reason(
        "command.not_city_office", "City §3.3.2–3.3.3",
        "市应急处置指挥部由市网络安全协调小组转成，由其办公室（市网络安全办）组织",
        "the municipal emergency headquarters is the city coordination group converted; its "
        "office (the city network security office) sets it up"),
    BodyKind.FIELD_COMMAND: Reason(
        "command.not_county_or_city_office", "City §3.3.4",
        "现场指挥部由事发地县（市、区）政府或市网络安全办组织成立",
        "a field command is set up by the county government where it happened or by the city "
        "network security office"),
}


def command_basis(kind: BodyKind | str) -> Reason:
    """The clause that sets up a city headquarters or field command (City §3.3.3, §3.3.4)."""
    effect = _COMMAND_EFFECT[BodyKind(kind)]
    return Reason(effect.code, effect.source, effect.text_zh, effect.text_en)


def may_set_up_command(actor: Actor, kind: BodyKind | str, level: ResponseLevel | str,
                       jurisdiction_path: str, *, headquarters_set_up: bool) -> Decision:
    """Whether ``actor`` may set up the city's headquarters or a field command (``kind``) in a
    ``level`` response to an incident at ``jurisdiction_path`` (City §3.3.3–3.3.4): Levels I
    and II only; by an office of the city (for the field command, also of the county) where it
    happened; a field command only under the headquarters. Every refusing rule is returned."""
    kind, level = BodyKind(kind), ResponseLevel(level)
    if kind not in COMMAND_ROLES:
        raise ValueError(f"not a command a city sets up: {kind.value}")
    refusals = []
    if not needs_headquarters(level, city_level=True):
        refusals.append(Reason(
            "command.level", "City §3.3.3; Plan §4.2.3",
            f"只有发生重大、特别重大网络安全事件（Ⅰ级、Ⅱ级响应）时才成立市应急处置指挥部和现场"
            f"指挥部；{level.label_zh}按本地区、本部门预案进行",
            f"the city's headquarters and field command are set up for a major or especially "
            f"major incident (a Level I or II response) only; a {level.label_en} runs under the "
            f"region's or department's own plan"))
    if actor.kind != BodyKind.OFFICE or actor.level not in _COMMAND_SETTERS[kind]:
        refusals.append(_COMMAND_SETTER_REASONS[kind])
    elif not (covers_city(jurisdiction_path) and actor.contains(jurisdiction_path)):
        refusals.append(Reason(
            "command.outside_city", "City §3.3.3–3.3.4",
            "事件不是在本市（县）辖区内发生的，本机构不能为该响应成立指挥部",
            "the incident did not happen in the body's own city or county, so it sets up no "
            "command for this response"))
    if kind == BodyKind.FIELD_COMMAND and not headquarters_set_up:
        refusals.append(Reason(
            "command.needs_headquarters", "City §3.3.4",
            "现场指挥部在应急指挥部统一领导下负责现场应急处置：请先成立市应急处置指挥部",
            "a field command works under the emergency headquarters: set up the city's "
            "headquarters first"))
    return decide(refusals, command_basis(kind))


_COMMAND_MEMBER = Reason("command.member", "City §3.3.3–3.3.4",
                         "指挥部成员以指挥部名义值班、报告事态发展和处置进展",
                         "a member keeps the command's duty roster and reports its developments "
                         "and progress")


def may_act_for_command(member: bool) -> Decision:
    """A named member of a city headquarters or field command keeps its duty roster and files
    its progress reports (City §3.3.3–3.3.4; Plan §4.2.1 ¶3); nobody else acts for it."""
    return decide([] if member else [Reason(
        "command.not_member", "City §3.3.3–3.3.4", "您不是该指挥部的成员，不能以其名义值班或报告",
        "you are not a member of that command, so you do not act for it")], _COMMAND_MEMBER)


# --- progress reports (Plan §4.2.1 ¶3, §4.2.2(2)) ---------------------------------------------


class ProgressState(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"


PROGRESS_LABELS: Mapping[ProgressState, tuple[str, str]] = MappingProxyType({
    ProgressState.DUE: ("待报告", "due"),
    ProgressState.OVERDUE: ("逾期未报", "overdue"),
})

#: the participants that report progress: the body that activated the response, the
#: provinces it put into an emergency state (Plan §4.2.1 ¶3, §4.2.2(2)), and the city's
#: headquarters and field command (City §3.3.3–3.3.4)
REPORTING_ROLES: tuple[str, ...] = ("activator", "emergency_state", *COMMAND_ROLES.values())

_PARTICIPANT = Reason("progress.in_response", "Plan §4.2.1 ¶3; §4.2.2(2)",
                     "本机构参与该应急响应，报告事态发展和处置进展",
                     "the body takes part in this response and reports its developments")
_NOT_PARTICIPANT = Reason("progress.not_in_response", "Plan §4.2.1 ¶3; §4.2.2(2)",
                          "本机构未参与该应急响应，无需报告进展",
                          "the body does not take part in this response, so it reports no "
                          "progress")


def may_report_progress(participant: bool) -> Decision:
    """Bodies taking part in a response report its developments and progress (Plan §4.2.1 ¶3,
    §4.2.2(2)); others have nothing to report on it."""
    return decide([] if participant else [_NOT_PARTICIPANT], _PARTICIPANT)


#: project rule (the Plan says 及时, "promptly"): how often developments and progress are
#: reported, unless the response sets its own cadence
DEFAULT_CADENCE: Mapping[ResponseLevel, timedelta] = MappingProxyType({
    ResponseLevel.I: timedelta(hours=2),
    ResponseLevel.II: timedelta(hours=4),
    ResponseLevel.III: timedelta(hours=12),
    ResponseLevel.IV: timedelta(hours=24),
})


def reports_to_emergency_office(level: ResponseLevel | str) -> bool:
    """Levels I and II report developments (and, Level I, progress) to the Emergency Office
    (Plan §4.2.1 ¶3, §4.2.2(2)); Levels III and IV report under their own plan (§4.2.3)."""
    return ResponseLevel(level).rank >= ResponseLevel.II.rank


def next_due(last_report_at: datetime | None, started_at: datetime,
             cadence: timedelta) -> datetime:
    """When the next progress report falls due: one cadence after the last report, or after the
    start of the response when none has been made."""
    if cadence <= timedelta(0):
        raise ValueError("a reporting cadence must be positive")
    return (last_report_at or started_at) + cadence


def progress_state(last_report_at: datetime | None, started_at: datetime, cadence: timedelta,
                   now: datetime) -> ProgressState:
    """``due`` until the next report's time has passed, then ``overdue`` (the due instant
    itself is still on time)."""
    due = next_due(last_report_at, started_at, cadence)
    return ProgressState.DUE if now <= due else ProgressState.OVERDUE


# --- support requests (Plan §2.2, §4.2.2(3)) --------------------------------------------------


class SupportState(StrEnum):
    REQUESTED = "requested"
    COORDINATING = "coordinating"
    DISPATCHED = "dispatched"
    CLOSED = "closed"
    DECLINED = "declined"


SUPPORT_STATE_LABELS: Mapping[SupportState, tuple[str, str]] = MappingProxyType({
    SupportState.REQUESTED: ("已申请", "requested"),
    SupportState.COORDINATING: ("协调中", "coordinating"),
    SupportState.DISPATCHED: ("已派出", "dispatched"),
    SupportState.CLOSED: ("已结束", "closed"),
    SupportState.DECLINED: ("未予支持", "declined"),
})

#: requested → coordinating → dispatched → closed; the Office may decline before dispatch
SUPPORT_TRANSITIONS: Mapping[SupportState, frozenset[SupportState]] = MappingProxyType({
    SupportState.REQUESTED: frozenset({SupportState.COORDINATING, SupportState.DECLINED}),
    SupportState.COORDINATING: frozenset({SupportState.DISPATCHED, SupportState.DECLINED}),
    SupportState.DISPATCHED: frozenset({SupportState.CLOSED}),
    SupportState.CLOSED: frozenset(),
    SupportState.DECLINED: frozenset(),
})


class SupportSource(StrEnum):
    """Who may be asked for support (Plan §4.2.2(3))."""

    PROVINCE = "province"
    DEPARTMENT = "department"
    SUPPORT_TEAM = "support_team"
    EXPERT = "expert"


SUPPORT_SOURCE_LABELS: Mapping[SupportSource, tuple[str, str]] = MappingProxyType({
    SupportSource.PROVINCE: ("其他省（区、市）", "another province"),
    SupportSource.DEPARTMENT: ("其他部门", "another department"),
    SupportSource.SUPPORT_TEAM: ("国家网络安全应急技术支撑队伍", "national technical support team"),
    SupportSource.EXPERT: ("专家", "expert"),
})

SUPPORT_BASIS = Reason("support.through_office", "Plan §2.2; §4.2.2(3)",
                       "处置中需要其他省（区、市）、部门和国家网络安全应急技术支撑队伍配合和支持的，"
                       "商应急办予以协调",
                       "support from other provinces, departments or national technical support "
                       "teams is asked through the Emergency Office, which coordinates it")


def may_request(actor: Actor, responding_body_ids: Collection[int]) -> Decision:
    """Whether ``actor`` may ask for support: an office or department in the response
    (``responding_body_ids``), through the Emergency Office (Plan §4.2.2(3))."""
    if actor.is_national_emergency_office:
        return decide([Reason("support.office_directs", "Plan §2.2",
                              "应急办直接组织指导国家网络安全应急技术支撑队伍，无需申请支援",
                              "the Emergency Office directs the national support teams itself "
                              "and files no request")])
    refusals = []
    if actor.kind not in ACTIVATING_KINDS:
        refusals.append(Reason("support.requester_kind", "Plan §4.2.2(3)",
                               "只有参与响应的省（区、市）和部门可以申请支援",
                               f"only provinces and departments in the response ask for "
                               f"support, not a {actor.kind.value}"))
    if actor.body_id not in responding_body_ids:
        refusals.append(Reason("support.not_in_response", "Plan §4.2.2(3)",
                               "本机构未参与该应急响应", "the body is not part of this response"))
    return decide(refusals, SUPPORT_BASIS)


def may_coordinate(actor: Actor) -> Decision:
    """Only the Emergency Office coordinates, dispatches or declines support (Plan §2.2,
    §4.2.2(3) 商应急办予以协调)."""
    if actor.is_national_emergency_office:
        return decide((), Reason("support.coordinate", "Plan §2.2; §4.2.2(3)",
                                 "应急办负责跨部门、跨地区协调，协调支援请求",
                                 "the Emergency Office coordinates across departments and "
                                 "regions, including support requests"))
    return decide([Reason("support.not_emergency_office", "Plan §2.2; §4.2.2(3)",
                          "只有应急办可以协调支援请求",
                          "only the Emergency Office coordinates support requests")])


def can_transition_support(current: SupportState | str, target: SupportState | str) -> Decision:
    """requested → coordinating → dispatched → closed, or declined before dispatch (Plan
    §4.2.2(3); states are the project's)."""
    return transition_decision("support.transition", "Plan §4.2.2(3)", SUPPORT_STATE_LABELS,
                               SUPPORT_TRANSITIONS, SupportState(current), SupportState(target))


# --- labels of a response's states and of how bodies take part ---------------------------------

#: a response runs, a Level I ending is proposed and awaits the headquarters (Plan §4.3.1), ended
RESPONSE_STATE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "active": ("响应中", "active"), "end_proposed": ("已建议结束", "end proposed"),
    "ended": ("已结束", "ended")})
#: how a body takes part (Plan §4.2.1–4.2.2): it activated the response, commands it (the
#: Emergency Office at Level I), is in emergency state, or is informed (Level II); the city's
#: headquarters and field command set up inside it (City §3.3.3–3.3.4)
PARTICIPANT_ROLE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "activator": ("启动响应", "activated the response"),
    "command": ("指挥协调（应急办）", "command (Emergency Office)"),
    "emergency_state": ("进入应急状态", "in emergency state"),
    "informed": ("知悉", "informed"),
    "city_headquarters": ("市应急处置指挥部", "municipal emergency headquarters"),
    "field_command": ("现场指挥部", "field command")})
