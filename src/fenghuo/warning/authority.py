"""Who may issue, revise and lift a warning (Plan §3.3, §3.5, §6.5). Pure: no I/O.

Plan §3.3: 各省（区、市）、各部门可根据监测研判情况，发布本地区、本行业的橙色及以下预警。
应急办组织研判，确定和发布红色预警和涉及多省（区、市）、多部门、多行业的预警。
Provinces and departments may issue orange and below for their own region or sector; the
Emergency Office decides and issues red warnings and those reaching several provinces, departments
or sectors. Plan §3.5: the issuing department or region decides whether to lift.

Readings and decisions where the documents are silent (each refusal names its rule):

* **Regions and sectors are separate limits.** A province (or city) office warns *its region*,
  whatever sectors are named in it: "本地区" covers every network of the region (Plan §3.2 has
  provinces monitor all of them). A department warns *its sector* anywhere in its jurisdiction:
  for a central department that is the whole country, otherwise "本行业" would be void. So the
  several-provinces rule binds offices, and the several-sectors / several-departments rule binds
  departments; each issuer must also stay inside its own jurisdiction subtree.
* **A department's warning names exactly one sector, its own.** Naming none (every sector) or
  several is "多行业" and the Emergency Office's, even when the department regulates both.
* **A city's warnings are released by the city's network-security body** (City §3.3.3: it
  "releases the corresponding level of … early warning information in this city"): the office
  of the city's coordination group (市网络安全办, City §3.3.2) and, while a response runs, the
  city's emergency headquarters the group becomes (City §3.3.3). They issue yellow and blue for
  their own city (Plan §3.4.3 gives yellow/blue responses to "the relevant region and
  department"; orange stays with provinces and departments as Plan §3.3 names them). **City
  departments do not issue** ("other relevant units" organize handling in their own system,
  City §3.3.3); they submit monitoring information and risk assessments, which the city office
  sees and may turn into a warning.
* **County bodies** issue no warnings: no clause grants it; City §3.3.3 gives warnings to the city
  and §3.3.4 gives the county the field command. They report monitoring information upward.
* **Only offices and departments issue.** Groups, CERTs, operators and support units submit
  monitoring information (Plan §3.2); at national level only the Emergency Office issues.
* **The issuer's jurisdiction level** is read from its path: the org tree puts each level exactly
  one step below its parent (``org.rules.child_level_ok``).
* **A revision** (a new level on a published warning) is made by the issuer only, by analogy with
  lifting (Plan §3.5), and the authority rules apply again to the new level.
"""

from __future__ import annotations

from dataclasses import dataclass

from fenghuo.org.rules import (
    LEVEL_ORDER,
    BodyFacts,
    BodyFunction,
    BodyKind,
    JurisdictionLevel,
    path_ids,
)
from fenghuo.warning.rules import (
    LEVELS_DESC,
    Decision,
    Reason,
    WarningLevel,
    WarningScope,
    WarningState,
    decide,
    public_release_decision,
)

#: bodies that may issue at all (Plan §3.3 names provinces — their offices — and departments)
ISSUING_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT})
#: the city bodies that release the city's warnings: its network-security office and, during a
#: response, its headquarters (City §3.3.2–3.3.3)
CITY_ISSUING_KINDS = frozenset({BodyKind.OFFICE, BodyKind.HEADQUARTERS})
#: bodies that warn a region (any sector of it), not a sector (Plan §3.3 ¶1 本地区)
REGIONAL_KINDS = frozenset({BodyKind.OFFICE, BodyKind.HEADQUARTERS})

#: the highest level each jurisdiction level may issue, below the Emergency Office (Plan §3.3 ¶1
#: for national departments and provinces; City §3.3.3 for cities; counties issue none)
LEVEL_CEILING: dict[JurisdictionLevel, WarningLevel | None] = {
    JurisdictionLevel.NATIONAL: WarningLevel.ORANGE,
    JurisdictionLevel.PROVINCE: WarningLevel.ORANGE,
    JurisdictionLevel.CITY: WarningLevel.YELLOW,
    JurisdictionLevel.COUNTY: None,
}
_CEILING_SOURCE = {JurisdictionLevel.NATIONAL: "Plan §3.3 ¶1",
                   JurisdictionLevel.PROVINCE: "Plan §3.3 ¶1",
                   JurisdictionLevel.CITY: "City §3.3.3; Plan §3.3 ¶1, §3.4.3"}


@dataclass(frozen=True)
class Issuer:
    """The body acting on a warning, as the authority rules need it (org-rules facts)."""

    body_id: int
    kind: BodyKind
    jurisdiction_path: str
    sectors: frozenset[str] = frozenset()
    function: BodyFunction | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", BodyKind(self.kind))
        object.__setattr__(self, "sectors", frozenset(self.sectors))
        if not 1 <= len(path_ids(self.jurisdiction_path)) <= len(LEVEL_ORDER):
            raise ValueError(f"not a jurisdiction path: {self.jurisdiction_path!r}")

    @classmethod
    def from_body(cls, body: BodyFacts, function: BodyFunction | str | None = None) -> Issuer:
        return cls(body.id, body.kind, body.jurisdiction_path, body.sectors,
                   BodyFunction(function) if function else None)

    @property
    def level(self) -> JurisdictionLevel:
        return LEVEL_ORDER[len(path_ids(self.jurisdiction_path)) - 1]

    @property
    def is_national_emergency_office(self) -> bool:
        """The national Emergency Office (Plan §2.2): the body with that function, at national
        level."""
        return (self.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE
                and self.level == JurisdictionLevel.NATIONAL)


# --- bases and refusals -----------------------------------------------------------------------

EMERGENCY_OFFICE_BASIS = Reason(
    "authority.emergency_office", "Plan §3.3 ¶2",
    "应急办组织研判，确定和发布红色预警和涉及多省（区、市）、多部门、多行业的预警",
    "the Emergency Office decides and issues red warnings and warnings reaching several "
    "provinces, departments or sectors (and any other warning)")
REGION_OR_SECTOR_BASIS = Reason(
    "authority.own_region_or_sector", "Plan §3.3 ¶1",
    "各省（区、市）、各部门可发布本地区、本行业的橙色及以下预警",
    "provinces and departments may issue orange and lower warnings for their own region or sector")
CITY_BASIS = Reason(
    "authority.city", "City §3.3.3; §3.3.2; Plan §3.4.3",
    "市网络安全办（响应期间为市应急处置指挥部）发布本市相应级别的预警（本系统：黄色及以下）",
    "the city's network-security office (during a response, its headquarters) issues warnings "
    "of the corresponding level in the city (here: yellow and lower)")
CITY_DEPARTMENT = Reason(
    "authority.city_department", "City §3.3.3",
    "本市预警信息由市网络安全办（响应期间为市应急处置指挥部）发布；市级部门不发布预警，"
    "可报送监测信息或风险评估，请市网络安全办发布",
    "the city's warnings are released by its network-security office (during a response, its "
    "headquarters); a city department issues none: it submits monitoring information or a risk "
    "assessment and asks the city office to issue")


def _issuer_refusals(issuer: Issuer) -> list[Reason]:
    """Bodies that may not issue at all, whatever the level and scope."""
    if issuer.level == JurisdictionLevel.CITY and issuer.kind == BodyKind.DEPARTMENT:
        return [CITY_DEPARTMENT]
    kinds = CITY_ISSUING_KINDS if issuer.level == JurisdictionLevel.CITY else ISSUING_KINDS
    if issuer.kind not in kinds:
        return [Reason("authority.issuer_kind", "Plan §3.2; §3.3; City §3.3.3",
                       "只有网络安全应急办公室和行业主管部门（市级：市网络安全办或市应急处置指挥部）"
                       "可发布预警；其他机构报送监测信息",
                       f"only emergency offices and departments (in a city: its office or "
                       f"headquarters) issue warnings; a {issuer.kind.value} submits monitoring "
                       f"information instead")]
    if issuer.level == JurisdictionLevel.NATIONAL and issuer.kind == BodyKind.OFFICE:
        return [Reason("authority.national_office", "Plan §2.2; §3.3 ¶2",
                       "国家层面的预警由国家网络安全应急办公室确定和发布",
                       "at national level, warnings are decided and issued by the National "
                       "Emergency Office")]
    if LEVEL_CEILING[issuer.level] is None:
        return [Reason("authority.county", "City §3.3.3–3.3.4 (project reading)",
                       "县级机构不发布预警，应将监测信息报市级",
                       "county bodies issue no warnings; they report monitoring information "
                       "to the city")]
    return []


_LEVEL_ZH = {JurisdictionLevel.NATIONAL: "国家", JurisdictionLevel.PROVINCE: "省",
             JurisdictionLevel.CITY: "市", JurisdictionLevel.COUNTY: "县"}


def _level_refusals(issuer: Issuer, level: WarningLevel) -> list[Reason]:
    if level == WarningLevel.RED:
        return [Reason("authority.red_reserved", "Plan §3.3 ¶2",
                       "红色预警由应急办确定和发布",
                       "red warnings are decided and issued by the Emergency Office only")]
    ceiling = LEVEL_CEILING[issuer.level]
    if ceiling is not None and level.rank > ceiling.rank:
        return [Reason("authority.above_ceiling", _CEILING_SOURCE[issuer.level],
                       f"{_LEVEL_ZH[issuer.level]}级机构最高可发布{ceiling.label_zh}，"
                       f"不能发布{level.label_zh}",
                       f"a {issuer.level.value} body may issue up to a {ceiling.label_en}, "
                       f"not a {level.label_en}")]
    return []


def _outside_refusals(issuer: Issuer, scope: WarningScope) -> list[Reason]:
    outside = sorted(p for p in scope.jurisdictions
                     if not p.startswith(issuer.jurisdiction_path))
    if not outside:
        return []
    listed = ", ".join(outside)
    return [Reason("authority.outside_jurisdiction", "Plan §3.3 ¶1 (本地区、本行业)",
                   f"预警范围超出发布机构本地区：{listed}",
                   f"the scope reaches beyond the issuer's own jurisdiction: {listed}")]


MULTI_PROVINCE = Reason("authority.multi_province", "Plan §3.3 ¶2",
                        "涉及多省（区、市）的预警由应急办确定和发布",
                        "a warning reaching several provinces is the Emergency Office's")
MULTI_SECTOR = Reason("authority.multi_sector", "Plan §3.3 ¶2",
                      "涉及多部门、多行业的预警由应急办确定和发布",
                      "a warning reaching several sectors or departments is the Emergency "
                      "Office's")


def _region_refusals(scope: WarningScope) -> list[Reason]:
    """Offices: a warning for several provinces is the Emergency Office's (Plan §3.3 ¶2)."""
    if not scope.national and len(scope.provinces()) < 2:
        return []
    return [MULTI_PROVINCE]


def _sector_refusals(issuer: Issuer, scope: WarningScope) -> list[Reason]:
    """Departments: one sector, their own (Plan §3.3 ¶1 本行业; §2.3; ¶2 多部门、多行业)."""
    if not scope.sectors:
        return [Reason("authority.sector_required", "Plan §3.3 ¶1; §2.3",
                       "部门发布的预警须指明本行业",
                       "a department's warning must name its own sector")]
    refusals = []
    foreign = sorted(scope.sectors - issuer.sectors)
    if foreign:
        refusals.append(Reason("authority.outside_sector", "Plan §3.3 ¶1; §2.3",
                               f"预警涉及非本部门主管的行业：{', '.join(foreign)}",
                               f"the warning names sectors the department does not regulate: "
                               f"{', '.join(foreign)}"))
    if len(scope.sectors) > 1:
        refusals.append(MULTI_SECTOR)
    return refusals


def _scope_refusals(issuer: Issuer, scope: WarningScope) -> list[Reason]:
    refusals = _outside_refusals(issuer, scope)
    if issuer.kind in REGIONAL_KINDS:
        return refusals + _region_refusals(scope)
    return refusals + _sector_refusals(issuer, scope)


EMPTY_SCOPE = Reason("authority.scope_empty", "Plan §3.3 ¶1, ¶3",
                     "未指明预警的可能影响范围，无法判断发布权限",
                     "the warning names no jurisdiction, so its issuing authority cannot be judged")


# --- issuing ----------------------------------------------------------------------------------


def check_authority(issuer: Issuer, warning_scope: WarningScope,
                    level: WarningLevel | str, *, public: bool = False) -> Decision:
    """Whether ``issuer`` may issue a ``level`` warning for ``warning_scope`` (Plan §3.3), and
    when the warning is ``public``, release it to the public (Law art. 54(3)).

    Returns every rule that refuses; a body that may issue no warning at all gets only that
    reason. When allowed, ``basis`` names the clause that grants it.
    """
    level = WarningLevel(level)
    if not warning_scope.jurisdictions:
        return decide([EMPTY_SCOPE])
    if issuer.is_national_emergency_office:
        return decide((), EMERGENCY_OFFICE_BASIS)
    refusals = _issuer_refusals(issuer)
    if not refusals:
        refusals = _level_refusals(issuer, level) + _scope_refusals(issuer, warning_scope)
        if public:
            refusals += public_release_decision(issuer.jurisdiction_path).refusals
    basis = CITY_BASIS if issuer.level == JurisdictionLevel.CITY else REGION_OR_SECTOR_BASIS
    return decide(refusals, basis)


# --- what a body may issue, before it drafts --------------------------------------------------


@dataclass(frozen=True)
class LevelPower:
    """One level and whether the body may issue it, with the clause that grants or refuses it."""

    level: WarningLevel
    allowed: bool
    reason: Reason


@dataclass(frozen=True)
class IssuingPowers:
    """What a body may issue (Plan §3.3): each level, red first, and the limits on the scope
    (regions and sectors), each with its clause. The same rules as :func:`check_authority`."""

    levels: tuple[LevelPower, ...]
    scope: tuple[Reason, ...]
    #: whether the body may release a warning to the public (Law art. 54(3))
    public: Decision = Decision()

    @property
    def allowed_levels(self) -> tuple[WarningLevel, ...]:
        return tuple(p.level for p in self.levels if p.allowed)


EO_SCOPE = Reason("authority.emergency_office", "Plan §3.3 ¶2",
                  "任何地区、任何行业，包括涉及多省（区、市）、多部门、多行业的预警",
                  "any region and any sector, including warnings reaching several provinces, "
                  "departments or sectors")
OWN_JURISDICTION = Reason("authority.outside_jurisdiction", "Plan §3.3 ¶1 (本地区、本行业)",
                          "范围限于本机构所在辖区及其下级辖区",
                          "the scope stays within the issuer's own jurisdiction and those below it")
OFFICE_SECTORS = Reason("authority.own_region_or_sector", "Plan §3.3 ¶1; §3.2",
                        "本地区的预警可涉及本地区的任何行业",
                        "a warning for the region may name any sector of the region")


def _scope_limits(issuer: Issuer) -> tuple[Reason, ...]:
    """The rules of :func:`_scope_refusals`, stated before anything is drafted."""
    if issuer.kind in REGIONAL_KINDS:
        limits = [OWN_JURISDICTION, OFFICE_SECTORS]
        if issuer.level == JurisdictionLevel.PROVINCE:
            limits.append(MULTI_PROVINCE)
        return tuple(limits)
    own = ", ".join(sorted(issuer.sectors)) or "—"
    return (OWN_JURISDICTION,
            Reason("authority.outside_sector", "Plan §3.3 ¶1; §2.3",
                   f"须且只能指明本部门主管的一个行业：{own}",
                   f"name exactly one sector, one the department regulates: {own}"),
            MULTI_SECTOR)


def issuing_powers(issuer: Issuer) -> IssuingPowers:
    """Which levels ``issuer`` may issue, within which scope and whether to the public, with the
    clause behind each (Plan §3.3 ¶1–2; City §3.3.3; Law art. 54(3)): what the issuance form
    shows before anything is typed."""
    public = public_release_decision(issuer.jurisdiction_path)
    if issuer.is_national_emergency_office:
        return IssuingPowers(tuple(LevelPower(level, True, EMERGENCY_OFFICE_BASIS)
                                   for level in LEVELS_DESC), (EO_SCOPE,), public)
    refusals = _issuer_refusals(issuer)
    if refusals:
        return IssuingPowers(tuple(LevelPower(level, False, refusals[0])
                                   for level in LEVELS_DESC), tuple(refusals),
                             decide(refusals[:1]))
    basis = CITY_BASIS if issuer.level == JurisdictionLevel.CITY else REGION_OR_SECTOR_BASIS
    levels = []
    for level in LEVELS_DESC:
        refused = _level_refusals(issuer, level)
        levels.append(LevelPower(level, not refused, refused[0] if refused else basis))
    return IssuingPowers(tuple(levels), _scope_limits(issuer), public)


# --- revising and lifting ---------------------------------------------------------------------


def _not_issuer(code: str, source: str, zh: str, en: str) -> Reason:
    return Reason(code, source, f"只有预警发布机构可以{zh}", f"only the issuer may {en}")


def check_revision(*, issuer_body_id: int, reviser: Issuer, state: WarningState | str,
                   warning_scope: WarningScope, old_level: WarningLevel | str,
                   new_level: WarningLevel | str) -> Decision:
    """Whether ``reviser`` may change a published warning's level from ``old_level`` to
    ``new_level``: a recorded revision by the issuer, with the authority rules of Plan §3.3
    applied again to the new level (project reading, by analogy with Plan §3.5)."""
    state, old, new = WarningState(state), WarningLevel(old_level), WarningLevel(new_level)
    refusals: list[Reason] = []
    if state != WarningState.PUBLISHED:
        refusals.append(Reason("revision.state", "Plan §3.3; §3.5",
                               "只有已发布的预警可以调整级别（草稿直接修改）",
                               f"only a published warning is revised (this one is "
                               f"{state.value}; edit drafts directly)"))
    if reviser.body_id != issuer_body_id:
        refusals.append(_not_issuer("revision.not_issuer", "Plan §3.5 (by analogy)",
                                    "调整预警级别", "change the level of a warning"))
    if old == new:
        refusals.append(Reason("revision.no_change", "Plan §3.3",
                               f"新级别与原级别相同（{new.label_zh}）",
                               f"the new level is the same as the old ({new.label_en})"))
    refusals += check_authority(reviser, warning_scope, new).refusals
    return decide(refusals, Reason("revision.allowed", "Plan §3.3; §3.5",
                                   f"{old.label_zh}调整为{new.label_zh}",
                                   f"{old.label_en} revised to {new.label_en}"))


def may_lift(*, issuer_body_id: int, actor_body_id: int,
             state: WarningState | str) -> Decision:
    """Plan §3.5: 预警发布部门或地区根据实际情况，确定是否解除预警 — only the issuer lifts a
    warning, and only a published one."""
    state = WarningState(state)
    refusals: list[Reason] = []
    if state != WarningState.PUBLISHED:
        refusals.append(Reason("lift.state", "Plan §3.5",
                               "只有已发布的预警可以解除",
                               f"only a published warning can be lifted (this one is "
                               f"{state.value})"))
    if actor_body_id != issuer_body_id:
        refusals.append(_not_issuer("lift.not_issuer", "Plan §3.5", "解除预警",
                                    "lift a warning"))
    return decide(refusals, Reason("lift.issuer", "Plan §3.5", "预警发布机构解除预警",
                                   "the issuer lifts its warning"))


def may_require_red_response(issuer: Issuer) -> Decision:
    """Plan §6.5: during important national events the Emergency Office may require the bodies
    in scope to start the red-warning response; no one else may."""
    basis = Reason("protection.emergency_office", "Plan §6.5",
                   "重要活动期间，应急办可要求有关省（区、市）、部门启动红色预警响应",
                   "during important events the Emergency Office may require the red-warning "
                   "response")
    if issuer.is_national_emergency_office:
        return decide((), basis)
    return decide([Reason("protection.not_emergency_office", "Plan §6.5",
                          "只有应急办可以要求启动红色预警响应",
                          "only the Emergency Office may require the red-warning response")])
