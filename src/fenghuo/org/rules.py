"""Pure rules of the organization model, roles and scope. No I/O; each rule cites its clause.

Sources (see ../shared/domain.md §1 and §7): Plan §2 (organization and responsibilities),
City §3 (city-level bodies), Support (CNCERT support units), Law arts. 30 and 31.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from fenghuo.common.scope import Scope


class _Ranked(Protocol):
    priority: int


C = TypeVar("C", bound=_Ranked)


class JurisdictionLevel(StrEnum):
    """Plan §2.1–2.4, City §3: national → province → city → county."""

    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


LEVEL_ORDER = [
    JurisdictionLevel.NATIONAL,
    JurisdictionLevel.PROVINCE,
    JurisdictionLevel.CITY,
    JurisdictionLevel.COUNTY,
]

LEVEL_LABELS = {
    JurisdictionLevel.NATIONAL: ("国家", "national"),
    JurisdictionLevel.PROVINCE: ("省级", "province"),
    JurisdictionLevel.CITY: ("地市级", "city"),
    JurisdictionLevel.COUNTY: ("县级", "county"),
}


class BodyKind(StrEnum):
    """Kinds of body in the organization tree."""

    LEADING_GROUP = "leading_group"  # 领导小组 / 协调小组, Plan §2.1, City §3.3.1
    OFFICE = "office"  # 应急办 / 网络安全办, Plan §2.2, City §3.3.2
    EXPERT_GROUP = "expert_group"  # 专家组, Plan §7.3
    LINKAGE_UNIT = "linkage_unit"  # 联动单位, City §3.2
    HEADQUARTERS = "headquarters"  # 指挥部, activated for a response, Plan §2.1, City §3.3.3
    FIELD_COMMAND = "field_command"  # 现场指挥部, set up by the county, City §3.3.4
    DEPARTMENT = "department"  # 部门 as sector regulator, Plan §2.3
    CERT = "cert"  # CNCERT and its branches
    OPERATOR = "operator"  # 运营单位, Plan §1.5 "who operates is responsible"
    SUPPORT_UNIT = "support_unit"  # 应急服务支撑单位, Support
    SUPPORT_TEAM = "support_team"  # 技术支撑队伍, Plan §7.2


BODY_KIND_LABELS = {
    BodyKind.LEADING_GROUP: ("领导小组/协调小组", "leading/coordination group"),
    BodyKind.OFFICE: ("应急办公室", "emergency office"),
    BodyKind.EXPERT_GROUP: ("专家组", "expert group"),
    BodyKind.LINKAGE_UNIT: ("联动单位", "linkage unit"),
    BodyKind.HEADQUARTERS: ("应急指挥部", "headquarters"),
    BodyKind.FIELD_COMMAND: ("现场指挥部", "field command"),
    BodyKind.DEPARTMENT: ("行业主管部门", "department (sector regulator)"),
    BodyKind.CERT: ("国家互联网应急中心", "CERT"),
    BodyKind.OPERATOR: ("运营单位", "operator unit"),
    BodyKind.SUPPORT_UNIT: ("应急服务支撑单位", "support unit"),
    BodyKind.SUPPORT_TEAM: ("技术支撑队伍", "technical support team"),
}

#: Bodies that exist only while a response runs (Plan §2.1, §4.2.1; City §3.3.3–3.3.4).
RESPONSE_BODY_KINDS = frozenset({BodyKind.HEADQUARTERS, BodyKind.FIELD_COMMAND})

#: Bodies that see only themselves: "whoever operates is responsible" (Plan §1.5) and support
#: units act under agreement, not over a region (Support).
SELF_SCOPED_KINDS = frozenset({BodyKind.OPERATOR, BodyKind.SUPPORT_UNIT, BodyKind.SUPPORT_TEAM})

#: Bodies whose scope is their sectors within their jurisdiction (Plan §2.3).
SECTOR_SCOPED_KINDS = frozenset({BodyKind.DEPARTMENT})

#: Only operator units register networks and information systems (Plan annex 2).
SYSTEM_OWNER_KINDS = frozenset({BodyKind.OPERATOR})


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    DUTY_OFFICER = "duty_officer"
    ANALYST = "analyst"
    OPERATOR_REPORTER = "operator_reporter"
    SUPPORT_MEMBER = "support_member"
    READ_ONLY = "read_only"


ROLE_LABELS = {
    Role.ADMINISTRATOR: ("系统管理员", "administrator"),
    Role.DUTY_OFFICER: ("值班员", "duty officer"),
    Role.ANALYST: ("分析研判员", "analyst"),
    Role.OPERATOR_REPORTER: ("运营单位报告员", "operator reporter"),
    Role.SUPPORT_MEMBER: ("支撑单位成员", "support-unit member"),
    Role.READ_ONLY: ("只读", "read-only"),
}


class Permission(StrEnum):
    ORG_READ = "org:read"
    ORG_WRITE = "org:write"  # jurisdictions, bodies, contacts, experts, imports
    SYSTEM_WRITE = "system:write"  # the register of networks and information systems
    USER_READ = "user:read"
    USER_MANAGE = "user:manage"
    AUDIT_READ = "audit:read"
    INCIDENT_READ = "incident:read"
    INCIDENT_REPORT = "incident:report"  # file reports and supplementary reports
    INCIDENT_HANDLE = "incident:handle"  # acknowledge, regrade, change state, record findings
    MONITORING_READ = "monitoring:read"
    MONITORING_SUBMIT = "monitoring:submit"  # monitoring information (Plan §3.2, Law 51–52)
    #: the constituency register: the networks a unit owns, an office's address space
    REGISTER_WRITE = "register:write"
    WARNING_READ = "warning:read"
    WARNING_DRAFT = "warning:draft"  # risk assessments and warning drafts (Law 54(2))
    WARNING_ISSUE = "warning:issue"  # approve, publish, revise, lift (Plan §3.3, §3.5)
    WARNING_RESPOND = "warning:respond"  # acknowledge receipt, complete response tasks (§3.4)
    RESPONSE_READ = "response:read"
    #: activate, end, headquarters, coordinate support (Plan §4.2–§4.3): the body's decisions
    RESPONSE_COMMAND = "response:command"
    #: progress reports, support requests, duty rosters, investigation drafts (Plan §4.2, §5)
    RESPONSE_REPORT = "response:report"
    PREPAREDNESS_READ = "preparedness:read"
    #: plans, exercises, CII risk assessments, trainings, reserves (Plan §6–§8, Law 25, 34, 38)
    PREPAREDNESS_WRITE = "preparedness:write"
    #: a support unit's own work log, work reports, answers to contact checks (Support)
    SUPPORT_LOG = "support:log"
    #: rounds, membership, contact checks, evaluations, dispatch of teams and experts,
    #: commendations (Support obligation 9; Plan §7.2, §7.3, §7.10)
    SUPPORT_MANAGE = "support:manage"
    SUPERVISION_READ = "supervision:read"
    #: direct a unit to take measures, record an interview (约谈), verify or reopen its
    #: rectification (Law arts. 55, 56): the office's or department's decisions
    SUPERVISION_WRITE = "supervision:write"
    #: the unit acknowledges a directive or interview and reports its rectification (整改)
    SUPERVISION_RESPOND = "supervision:respond"


_READ = {Permission.ORG_READ, Permission.INCIDENT_READ, Permission.MONITORING_READ,
         Permission.WARNING_READ, Permission.RESPONSE_READ, Permission.PREPAREDNESS_READ,
         Permission.SUPERVISION_READ}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission),
    # duty officers decide for their body: they approve, publish, revise and lift warnings
    Role.DUTY_OFFICER: frozenset(_READ | {
        Permission.USER_READ, Permission.INCIDENT_REPORT, Permission.INCIDENT_HANDLE,
        Permission.MONITORING_SUBMIT, Permission.REGISTER_WRITE, Permission.WARNING_DRAFT,
        Permission.WARNING_ISSUE, Permission.WARNING_RESPOND, Permission.RESPONSE_COMMAND,
        Permission.RESPONSE_REPORT,
        Permission.PREPAREDNESS_WRITE, Permission.SUPPORT_LOG, Permission.SUPPORT_MANAGE,
        Permission.SUPERVISION_WRITE, Permission.SUPERVISION_RESPOND}),
    Role.ANALYST: frozenset(_READ | {
        Permission.INCIDENT_REPORT, Permission.INCIDENT_HANDLE, Permission.MONITORING_SUBMIT,
        Permission.REGISTER_WRITE, Permission.WARNING_DRAFT, Permission.WARNING_RESPOND,
        Permission.RESPONSE_REPORT, Permission.PREPAREDNESS_WRITE, Permission.SUPPORT_LOG}),
    # units report what they monitor on their own networks (Law art. 51-52, Plan §3.2)
    # and keep their own plan, exercises, CII risk assessments, trainings and reserves
    # (Law arts. 25, 34, 38)
    # operating units acknowledge the warnings that reach them and do their tasks (Plan §3.3
    # ¶1: 通知有关部门和单位; §3.4.1 (2): 运行单位开展应急处置或准备)
    Role.OPERATOR_REPORTER: frozenset(_READ | {Permission.SYSTEM_WRITE,
                                               Permission.REGISTER_WRITE,
                                               Permission.INCIDENT_REPORT,
                                               Permission.MONITORING_SUBMIT,
                                               Permission.PREPAREDNESS_WRITE,
                                               Permission.WARNING_RESPOND,
                                               Permission.SUPERVISION_RESPOND}),
    # Support units report the incidents they discover at once (Support, obligations); support
    # teams go on standby during red warnings (Plan §3.4.1 (3))
    Role.SUPPORT_MEMBER: frozenset(_READ | {Permission.INCIDENT_REPORT,
                                            Permission.REGISTER_WRITE,
                                            Permission.MONITORING_SUBMIT,
                                            Permission.WARNING_RESPOND,
                                            Permission.RESPONSE_REPORT,
                                            Permission.SUPPORT_LOG,
                                            Permission.SUPERVISION_RESPOND}),
    Role.READ_ONLY: frozenset(_READ),
}


def permissions_of(roles: frozenset[str] | set[str]) -> frozenset[Permission]:
    out: set[Permission] = set()
    for role in roles:
        out |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(out)


def has_permission(roles: frozenset[str] | set[str], permission: Permission) -> bool:
    return permission in permissions_of(roles)


# --- The tree -------------------------------------------------------------------------------


def child_level_ok(parent: JurisdictionLevel | None, child: JurisdictionLevel) -> bool:
    """A jurisdiction sits exactly one level below its parent; only the nation has no parent.

    Plan §2 (national and provincial duties), City §3 (city and county bodies).
    """
    if parent is None:
        return child == JurisdictionLevel.NATIONAL
    return LEVEL_ORDER.index(child) == LEVEL_ORDER.index(parent) + 1


def child_path(parent_path: str | None, jurisdiction_id: int) -> str:
    """Materialized path of a jurisdiction, e.g. ``/1/4/27/``."""
    return f"{parent_path or '/'}{jurisdiction_id}/"


def division_order(code: str) -> tuple[int, str]:
    """Sort key of jurisdictions in GB/T 2260 order: the six-digit division codes by number
    (110000 Beijing, 120000 Tianjin … 650000 Xinjiang), then the codes outside the standard
    (XPCC, which GB/T 2260 does not list)."""
    return (0, code) if code.isdigit() else (1, code)


def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


DIVISION_CODE = re.compile(r"^\d{6}$")


def division_code_ok(code: str) -> bool:
    """GB/T 2260 administrative-division codes are six digits."""
    return bool(DIVISION_CODE.match(code))


# --- Scope (Law art. 30) ----------------------------------------------------------------------


@dataclass(frozen=True)
class BodyFacts:
    """What the scope rules need to know of a body."""

    id: int
    kind: BodyKind
    jurisdiction_path: str
    sectors: frozenset[str]


def scope_for(body: BodyFacts) -> Scope:
    """The scope of a user of ``body``.

    Law art. 30 limits information to the work it was obtained for; Plan §2.3–2.4 give provinces
    their region and departments their sector; Plan §1.5 makes operators answer for their own
    networks. Offices, groups and CERTs see their whole jurisdiction subtree and every sector.
    """
    ancestors = frozenset(path_ids(body.jurisdiction_path)[:-1])
    sectors: frozenset[str] | None = None
    if body.kind in SECTOR_SCOPED_KINDS:
        sectors = body.sectors
    return Scope(
        body_id=body.id,
        jurisdiction_path=body.jurisdiction_path,
        ancestor_jurisdiction_ids=ancestors,
        sectors=sectors,
        own_body_only=body.kind in SELF_SCOPED_KINDS,
    )


def jurisdiction_in_subtree(scope: Scope, jurisdiction_path: str) -> bool:
    return jurisdiction_path.startswith(scope.jurisdiction_path)


def jurisdiction_visible(scope: Scope, jurisdiction_id: int, jurisdiction_path: str) -> bool:
    """A caller sees its subtree and, for navigation, the jurisdictions above it."""
    if scope.own_body_only:
        return jurisdiction_path == scope.jurisdiction_path or (
            jurisdiction_id in scope.ancestor_jurisdiction_ids
        )
    return jurisdiction_in_subtree(scope, jurisdiction_path) or (
        jurisdiction_id in scope.ancestor_jurisdiction_ids
    )


def body_visible(scope: Scope, body: BodyFacts) -> bool:
    """Law art. 30: a body is visible to its own users and to those whose subtree and sectors
    cover it; a department sees only the bodies of the sectors it regulates (Plan §2.3)."""
    if body.id == scope.body_id:
        return True
    if scope.own_body_only:
        return False
    if not jurisdiction_in_subtree(scope, body.jurisdiction_path):
        return False
    return scope.sectors is None or bool(body.sectors & scope.sectors)


def may_place_body(scope: Scope, *, jurisdiction_path: str, sectors: frozenset[str]) -> bool:
    """Where a caller may create or move a body: inside its subtree, and for a department only
    with sectors it regulates (Law art. 30, Plan §2.3)."""
    if scope.own_body_only or not jurisdiction_in_subtree(scope, jurisdiction_path):
        return False
    return scope.sectors is None or (bool(sectors) and sectors <= scope.sectors)


def may_create_jurisdiction(scope: Scope, *, parent_path: str) -> bool:
    """New jurisdictions go below one the caller governs (Plan §2.4, City §3)."""
    return not scope.own_body_only and scope.sectors is None and (
        jurisdiction_in_subtree(scope, parent_path)
    )


# --- Contacts (7×24 channels, Support obligation 3; Plan §2.2 liaison officers) ----------------


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEBHOOK = "webhook"
    DINGTALK = "dingtalk"  # DingTalk group robot webhook
    WECOM = "wecom"  # WeCom (企业微信) group robot webhook
    FEISHU = "feishu"  # Feishu (飞书) custom group robot webhook
    SMS = "sms"  # a mobile number, texted through the SMS gateway (FENGHUO_SMS_URL)


#: Channels the outbox can deliver to. Phone numbers are for people on duty; a body whose only
#: contacts are phone numbers is texted at its Chinese mobile numbers when an SMS gateway is set
#: (org.directory, :func:`cn_mobile_number`).
DELIVERABLE_CHANNELS = frozenset({Channel.EMAIL, Channel.WEBHOOK, Channel.DINGTALK,
                                  Channel.WECOM, Channel.FEISHU, Channel.SMS})


class BodyFunction(StrEnum):
    """Functions that routing rules look for, beyond a body's kind."""

    NATIONAL_EMERGENCY_OFFICE = "national_emergency_office"  # Plan §2.2, §4.1
    PUBLIC_SECURITY = "public_security"  # CAC 2025 art. 4: CII incidents also to public security
    STATE_SECRECY = "state_secrecy"  # Plan §2.1
    #: 中央网信办, which organizes exercises regularly (Plan §2.1, §6.2 ¶1)
    CENTRAL_CYBERSPACE_OFFICE = "central_cyberspace_office"


PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{4,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBHOOK = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


#: A Chinese mobile number: 11 digits from 13 to 19, with or without +86 / 0086 / 86 in front.
CN_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9][0-9]{9})$")
#: An E.164 number: +, a country code not starting with 0, at most 15 digits in all (ITU-T E.164).
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_NUMBER_SEPARATORS = re.compile(r"[\s\-().]")


def cn_mobile_number(value: str) -> str | None:
    """The E.164 form (+86…) of ``value`` if it is a Chinese mobile number, else None."""
    found = CN_MOBILE.match(_NUMBER_SEPARATORS.sub("", value))
    return f"+86{found.group(1)}" if found else None


def sms_number(value: str) -> str | None:
    """The E.164 form of ``value`` if it can take an SMS, else None: a Chinese mobile number
    (a +86 number must be one; landlines take no SMS) or another country's E.164 number."""
    compact = _NUMBER_SEPARATORS.sub("", value)
    if compact.startswith(("+86", "0086")) or not compact.startswith("+"):
        return cn_mobile_number(compact)
    return compact if E164.match(compact) else None


def contact_value_problem(channel: Channel, value: str) -> str | None:
    """Why ``value`` is not a usable address for ``channel``, or None when it is."""
    url = "an http:// or https:// URL"
    hints = {
        Channel.PHONE: "a phone number of digits, spaces, dashes and an optional leading +",
        Channel.EMAIL: "an email address such as duty@example.cn",
        Channel.WEBHOOK: url, Channel.DINGTALK: url, Channel.WECOM: url, Channel.FEISHU: url,
        Channel.SMS: "a mobile number: 13800138000, +86 138 0013 8000 or another country's "
                     "E.164 number such as +852 5123 4567",
    }
    if channel is Channel.SMS:
        usable = sms_number(value) is not None
    else:
        patterns = {Channel.PHONE: PHONE, Channel.EMAIL: EMAIL, Channel.WEBHOOK: WEBHOOK,
                    Channel.DINGTALK: WEBHOOK, Channel.WECOM: WEBHOOK, Channel.FEISHU: WEBHOOK}
        usable = bool(patterns[channel].match(value.strip()))
    return None if usable else f"not a valid {channel.value}: expected {hints[channel]}"


KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


def key_problem(key: str) -> str | None:
    """Stable keys are lowercase letters, digits, dots, dashes and underscores (2–80)."""
    if not KEY.match(key):
        return "must be 2–80 characters of a-z, 0-9, '.', '-', '_' starting with a letter or digit"
    return None


def contact_tier(contacts: Sequence[C], step: int) -> list[C]:
    """Escalation along a body's contacts (Plan §2.2: offices are reachable 7×24; Support: a
    fixed contact whose 7×24 channel works). Contacts are ranked by ``priority``, the lower the
    more urgent: step 0 (the notification) reaches the contacts of the most urgent rank; each
    later step (a reminder when nobody acknowledged in time) the next rank; past the last rank,
    the last rank again. Contacts of equal rank are reached together."""
    ranks = sorted({c.priority for c in contacts})
    if not ranks:
        return []
    rank = ranks[min(step, len(ranks) - 1)]
    return [c for c in contacts if c.priority == rank]
