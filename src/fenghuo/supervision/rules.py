"""Pure rules of supervision: directives to take measures within a time limit (责令限期采取措施)
and interviews (约谈) with rectification (整改) — their kinds, states, who may direct whom, the
deadlines, when an item is overdue, and the reminders before and after its deadline.

Law art. 55: when an incident happens, the authorities require the network operator to take
technical and other necessary measures (要求网络运营者采取技术措施和其他必要措施), to remove
the hidden danger and stop the harm spreading — here a *directive* with a time limit.
Law art. 56: the competent departments of people's governments at the provincial level or above
(省级以上人民政府有关部门), finding a large security risk or an incident, may interview (约谈)
the operator's legal representative or principal person in charge (法定代表人或者主要负责人);
the operator takes measures as required, rectifies (整改) and removes the hidden danger.
Who may direct whom follows the organization tree and the sectors (Plan §2.3–§2.4, Law art. 30):
an office over the units of its jurisdiction subtree, a sector department over the operator units
of its sectors there. How many hours before the deadline the unit is reminded is a project rule
(:data:`REMIND_BEFORE`; the texts give no figure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.org.rules import BodyKind, JurisdictionLevel

# --- kinds --------------------------------------------------------------------------------------


class Kind(StrEnum):
    DIRECTIVE = "directive"  # 责令采取措施, Law art. 55
    INTERVIEW = "interview"  # 约谈, Law art. 56


KIND_LABELS: Mapping[Kind, tuple[str, str]] = MappingProxyType({
    Kind.DIRECTIVE: ("责令限期采取措施", "directive to take measures"),
    Kind.INTERVIEW: ("约谈", "interview"),
})
KIND_SOURCES: Mapping[Kind, str] = MappingProxyType({
    Kind.DIRECTIVE: "Law art. 55", Kind.INTERVIEW: "Law art. 56"})
#: the prefix of an item's reference (``common.refs.new_ref``)
REF_PREFIX: Mapping[Kind, str] = MappingProxyType({Kind.DIRECTIVE: "DIR", Kind.INTERVIEW: "INT"})


class IntervieweeRole(StrEnum):
    """Whom Law art. 56 names: 法定代表人或者主要负责人."""

    LEGAL_REPRESENTATIVE = "legal_representative"
    PRINCIPAL = "principal"


INTERVIEWEE_LABELS: Mapping[IntervieweeRole, tuple[str, str]] = MappingProxyType({
    IntervieweeRole.LEGAL_REPRESENTATIVE: ("法定代表人", "legal representative"),
    IntervieweeRole.PRINCIPAL: ("主要负责人", "principal person in charge"),
})

# --- states and actions -----------------------------------------------------------------------


class State(StrEnum):
    ISSUED = "issued"  # 已下达: the unit has it and owes the measures
    ACKNOWLEDGED = "acknowledged"  # 已签收
    REPORTED = "reported"  # 已报告整改: the unit reported, the issuer verifies
    REOPENED = "reopened"  # 已退回: the issuer found the rectification wanting
    CLOSED = "closed"  # 已核验办结


STATE_LABELS: Mapping[State, tuple[str, str]] = MappingProxyType({
    State.ISSUED: ("已下达", "issued"),
    State.ACKNOWLEDGED: ("已签收", "acknowledged"),
    State.REPORTED: ("已报告整改", "rectification reported"),
    State.REOPENED: ("已退回重新整改", "reopened"),
    State.CLOSED: ("已核验办结", "verified and closed"),
})


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # the unit: 签收
    REPORT = "report"  # the unit: 报告整改情况, with evidence
    VERIFY = "verify"  # the issuer: 核验办结
    REOPEN = "reopen"  # the issuer: 退回重新整改, with a reason


class Side(StrEnum):
    UNIT = "unit"
    ISSUER = "issuer"


ACTION_SIDE: Mapping[Action, Side] = MappingProxyType({
    Action.ACKNOWLEDGE: Side.UNIT, Action.REPORT: Side.UNIT,
    Action.VERIFY: Side.ISSUER, Action.REOPEN: Side.ISSUER})

ALLOWED: Mapping[State, frozenset[Action]] = MappingProxyType({
    State.ISSUED: frozenset({Action.ACKNOWLEDGE, Action.REPORT}),
    State.ACKNOWLEDGED: frozenset({Action.REPORT}),
    State.REPORTED: frozenset({Action.VERIFY, Action.REOPEN}),
    State.REOPENED: frozenset({Action.REPORT}),
    State.CLOSED: frozenset(),
})
TERMINAL = frozenset(s for s, actions in ALLOWED.items() if not actions)
#: the unit owes the measures (the deadline runs against it)
OWED = frozenset({State.ISSUED, State.ACKNOWLEDGED, State.REOPENED})

AFTER: Mapping[Action, State] = MappingProxyType({
    Action.ACKNOWLEDGE: State.ACKNOWLEDGED, Action.REPORT: State.REPORTED,
    Action.VERIFY: State.CLOSED, Action.REOPEN: State.REOPENED})


def action_conflict(state: State, action: Action) -> str | None:
    """Why ``action`` cannot be taken on an item in ``state`` (a conflict, 409), or None."""
    if action in ALLOWED[state]:
        return None
    if state in TERMINAL:
        return (f"the item is already {state.value} ({STATE_LABELS[state][0]}); no more "
                f"feedback or rectification can be given on it")
    allowed = ", ".join(sorted(a.value for a in ALLOWED[state]))
    return f"the item is {state.value} ({STATE_LABELS[state][0]}); it can only be: {allowed}"


def actions_for(state: State, side: Side | None) -> list[str]:
    """What a caller on ``side`` (the unit's, the issuer's, or neither) may do now."""
    return sorted(a.value for a in ALLOWED[state] if side is not None and ACTION_SIDE[a] == side)


_SIDE_REASONS = {
    Side.UNIT: Reason("supervision.unit_acts", "Law arts. 55, 56",
                      "只有被责令或被约谈的单位签收并报告整改情况",
                      "only the unit directed or interviewed acknowledges and reports its "
                      "rectification"),
    Side.ISSUER: Reason("supervision.issuer_verifies", "Law arts. 55, 56",
                        "只有下达责令或组织约谈的机关核验整改、办结或退回",
                        "only the body that issued the directive or held the interview verifies "
                        "the rectification, closes or reopens it"),
}


def may_act(action: Action, side: Side | None) -> Decision:
    """The unit acknowledges and reports; the issuer verifies and reopens (Law arts. 55, 56)."""
    need = ACTION_SIDE[action]
    return decide([] if side == need else [_SIDE_REASONS[need]], _SIDE_REASONS[need])


# --- who may direct whom ----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """What the authority rule needs to know of the issuer and of the unit."""

    id: int
    kind: BodyKind
    jurisdiction_path: str
    level: JurisdictionLevel
    sectors: frozenset[str]
    active: bool = True


#: who directs and interviews: the cyberspace offices (网信) and the sector departments
ISSUER_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT})
#: who is directed: units answering for their own networks (网络运营者, Law arts. 55, 56)
UNIT_KINDS = frozenset({BodyKind.OPERATOR, BodyKind.SUPPORT_UNIT, BodyKind.SUPPORT_TEAM})
#: Law art. 56: 省级以上人民政府有关部门
INTERVIEW_LEVELS = frozenset({JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCE})

_AUTHORITY = Reason("supervision.authority", "Law arts. 55, 56; Plan §2.3–§2.4",
                    "本机关对该单位有监督管理职责（本辖区；行业主管部门限本行业）",
                    "your body supervises this unit (its jurisdiction; for a department, its "
                    "sectors there)")
_NOT_AN_AUTHORITY = Reason(
    "supervision.not_an_authority", "Law arts. 55, 56; Plan §2.3",
    "只有网信部门（网络安全应急办公室）和行业主管部门可以责令采取措施或约谈；单位不能责令或约谈",
    "only a cyberspace office (emergency office) or a sector department directs or interviews; "
    "a unit cannot direct")
_SELF = Reason("supervision.self", "Law arts. 55, 56", "不能责令或约谈本单位",
               "a body cannot direct or interview itself")
_NOT_A_UNIT = Reason(
    "supervision.not_a_unit", "Law arts. 55, 56",
    "责令和约谈的对象是网络运营者（运营单位、支撑单位或支撑队伍），不是机关、部门或应急技术机构",
    "directives and interviews go to network operators (operator units, support units or "
    "teams), not to offices, departments, groups or CERTs")
_INACTIVE = Reason("supervision.inactive", "Law arts. 55, 56", "该单位已停用",
                   "the unit is inactive")
_OUT_OF_JURISDICTION = Reason(
    "supervision.out_of_jurisdiction", "Law art. 56 (按照规定的权限); Plan §2.4; Law art. 30",
    "该单位不在本机关辖区内，不能对其责令或约谈",
    "the unit is outside your body's jurisdiction; you cannot direct or interview it")
_OUT_OF_SECTOR = Reason(
    "supervision.out_of_sector", "Plan §2.3; Law art. 31",
    "行业主管部门只对本行业的运营单位责令或约谈，该单位不属于本部门主管的行业",
    "a sector department directs or interviews only the operator units of its sectors; this "
    "unit is not in them")
_BELOW_PROVINCE = Reason(
    "interview.provincial_or_above", "Law art. 56",
    "约谈由省级以上人民政府有关部门进行，本机关不在省级以上",
    "interviews are held by departments of people's governments at the provincial level or "
    "above; your body is below the provincial level")


def may_direct(kind: Kind, issuer: Party, unit: Party) -> Decision:
    """Whether ``issuer`` may direct (Law art. 55) or interview (art. 56) ``unit``: an office
    over the units of its jurisdiction subtree, a department over the operator units of its
    sectors there; nobody over a unit outside; no unit over anyone; interviews only from the
    provincial level up (Law art. 56)."""
    refusals: list[Reason] = []
    if issuer.kind not in ISSUER_KINDS:
        return decide([_NOT_AN_AUTHORITY])
    if kind == Kind.INTERVIEW and issuer.level not in INTERVIEW_LEVELS:
        refusals.append(_BELOW_PROVINCE)
    if unit.id == issuer.id:
        return decide([*refusals, _SELF])
    if unit.kind not in UNIT_KINDS:
        refusals.append(_NOT_A_UNIT)
    if not unit.active:
        refusals.append(_INACTIVE)
    if not unit.jurisdiction_path.startswith(issuer.jurisdiction_path):
        refusals.append(_OUT_OF_JURISDICTION)
    elif issuer.kind == BodyKind.DEPARTMENT and not (unit.sectors & issuer.sectors):
        refusals.append(_OUT_OF_SECTOR)
    return decide(refusals, _AUTHORITY)


# --- deadlines ----------------------------------------------------------------------------------

#: a project rule against typing errors (a deadline in 2206): at most a year ahead
MAX_TIME_LIMIT = timedelta(days=366)
#: a project rule: the unit is reminded this long before the deadline, if it was given longer
REMIND_BEFORE = timedelta(hours=24)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    source: str


def deadline_problems(kind: Kind, *, now: datetime, due_at: datetime | None,
                      interviewed_at: datetime | None = None) -> list[Problem]:
    """What is wrong with the deadline: a directive needs its time limit (限期, Law art. 55),
    an interview its rectification deadline and the time it was held (Law art. 56); the
    deadline lies ahead, within :data:`MAX_TIME_LIMIT`; an interview is recorded once held."""
    source = KIND_SOURCES[kind]
    out: list[Problem] = []
    if kind == Kind.INTERVIEW:
        if interviewed_at is None:
            out.append(Problem("interviewed_at", "when the interview was held is required",
                               source))
        elif interviewed_at > now:
            out.append(Problem("interviewed_at", "an interview is recorded after it was held; "
                               "this time is in the future", source))
    what = "the time limit" if kind == Kind.DIRECTIVE else "the rectification deadline"
    if due_at is None:
        out.append(Problem("due_at", f"{what} is required", source))
    elif due_at <= now:
        out.append(Problem("due_at", f"{what} must lie in the future", source))
    elif due_at - now > MAX_TIME_LIMIT:
        out.append(Problem("due_at", f"{what} is more than {MAX_TIME_LIMIT.days} days away "
                           "(project rule)", source))
    return out


def reopen_problems(*, now: datetime, due_at: datetime | None) -> list[Problem]:
    """A new deadline given on reopening lies ahead, within :data:`MAX_TIME_LIMIT`."""
    if due_at is None:
        return []
    return [p for p in deadline_problems(Kind.DIRECTIVE, now=now, due_at=due_at)
            if p.field == "due_at"]


# --- overdue --------------------------------------------------------------------------------------


class ClockState(StrEnum):
    MET = "met"  # reported by the deadline
    LATE = "late"  # reported after it
    DUE = "due"  # still owed, before the deadline
    OVERDUE = "overdue"  # still owed, past the deadline


CLOCK_LABELS: Mapping[ClockState, tuple[str, str]] = MappingProxyType({
    ClockState.MET: ("按期报告", "reported in time"),
    ClockState.LATE: ("逾期报告", "reported late"),
    ClockState.DUE: ("未到期", "due"),
    ClockState.OVERDUE: ("逾期未整改", "overdue"),
})
#: what the accountability view counts (Plan §7.10)
FAILED = frozenset({ClockState.LATE, ClockState.OVERDUE})


def clock_state(state: State, due_at: datetime, reported_at: datetime | None,
                now: datetime) -> ClockState:
    """Against the deadline: an item the unit still owes is due or overdue; one it reported
    (awaiting verification, or verified) was reported in time or late — the last report counts,
    so a rectification reopened and reported again after the deadline is late."""
    if state in OWED or reported_at is None:
        return ClockState.DUE if now <= due_at else ClockState.OVERDUE
    return ClockState.MET if reported_at <= due_at else ClockState.LATE


class Reminder(StrEnum):
    DUE_SOON = "due_soon"  # the deadline nears
    OVERDUE = "overdue"  # it passed


def reminder_due(state: State, *, due_at: datetime, clock_started_at: datetime,
                 now: datetime, reminded_at: datetime | None,
                 overdue_flagged_at: datetime | None) -> Reminder | None:
    """The reminder to send now, each once per deadline: when the unit still owes the measures,
    :data:`REMIND_BEFORE` the deadline (only if it was given longer than that) and once it
    passed (the issuer is told too)."""
    if state not in OWED:
        return None
    if now > due_at:
        return Reminder.OVERDUE if overdue_flagged_at is None else None
    if (reminded_at is None and now >= due_at - REMIND_BEFORE
            and due_at - clock_started_at > REMIND_BEFORE):
        return Reminder.DUE_SOON
    return None
