"""Pure rules of owner notices (通报) from monitoring, with the unit's handling feedback (处置反馈).

Law art. 51: the state builds a system of monitoring, early warning and information notification
(信息通报制度); art. 52: CII protection departments do the same for their sector; Plan §3.2:
monitoring information goes to whom it concerns, CNCERT finding the owners of what it sees; Law
art. 25: an operator handles vulnerabilities, viruses and attacks in time (及时处置); Law art. 30:
the information is used for security work only and stays within scope; Plan §7.10: whoever does
not handle what it is told is held to account.

* :func:`urgency` — whether what monitoring attributed to a unit goes out at once (anything on a
  CII unit; a C2 or backdoor in a government network) or in the unit's daily digest.
* :func:`deadline` — when the unit's handling feedback is due.
* :data:`ALLOWED`, :func:`action_conflict` — the states and what may be done in each: sent →
  acknowledged → feedback reported → closed; contested → resolved (withdrawn) or back to
  acknowledged (upheld).
* :func:`next_step` — reminders near and after the deadline, then the local office is told.
* :func:`may_send`, :func:`may_decide` — who sends a notice to a unit, who closes one and
  resolves a contest.

The texts give no hours: the figures are settings (``FENGHUO_NOTICE_*``, README "Owner
notices"). No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType

from fenghuo.common.periods import CST
from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.org.rules import SELF_SCOPED_KINDS, BodyKind

# --- states -----------------------------------------------------------------------------------


class NoticeState(StrEnum):
    PENDING = "pending"  # a digest still collecting the day's events; not sent yet
    SENT = "sent"  # 已通报
    ACKNOWLEDGED = "acknowledged"  # 已签收
    FEEDBACK_REPORTED = "feedback_reported"  # 已反馈处置情况
    CLOSED = "closed"  # 已办结
    CONTESTED = "contested"  # 归属有异议
    RESOLVED = "resolved"  # 异议成立，通报撤回


STATE_LABELS: Mapping[NoticeState, tuple[str, str]] = MappingProxyType({
    NoticeState.PENDING: ("待汇总发送", "pending (daily digest)"),
    NoticeState.SENT: ("已通报", "sent"),
    NoticeState.ACKNOWLEDGED: ("已签收", "acknowledged"),
    NoticeState.FEEDBACK_REPORTED: ("已反馈处置情况", "handling reported"),
    NoticeState.CLOSED: ("已办结", "closed"),
    NoticeState.CONTESTED: ("归属有异议", "attribution contested"),
    NoticeState.RESOLVED: ("异议成立，已撤回", "contest upheld, withdrawn"),
})


class NoticeAction(StrEnum):
    SEND = "send"  # a pending digest goes out now
    ACKNOWLEDGE = "acknowledge"  # 签收
    FEEDBACK = "feedback"  # 处置反馈
    CONTEST = "contest"  # 对归属提出异议
    RESOLVE = "resolve"  # the office decides the contest
    CLOSE = "close"  # the office closes it after the feedback


_ANSWERING = frozenset({NoticeAction.ACKNOWLEDGE, NoticeAction.FEEDBACK, NoticeAction.CONTEST})
ALLOWED: Mapping[NoticeState, frozenset[NoticeAction]] = MappingProxyType({
    NoticeState.PENDING: frozenset({NoticeAction.SEND}),
    NoticeState.SENT: _ANSWERING,
    NoticeState.ACKNOWLEDGED: _ANSWERING - {NoticeAction.ACKNOWLEDGE},
    NoticeState.FEEDBACK_REPORTED: frozenset({NoticeAction.FEEDBACK, NoticeAction.CLOSE}),
    NoticeState.CONTESTED: frozenset({NoticeAction.RESOLVE}),
    NoticeState.CLOSED: frozenset(),
    NoticeState.RESOLVED: frozenset(),
})
TERMINAL = frozenset(s for s, actions in ALLOWED.items() if not actions)
#: states in which the unit owes its handling feedback (Law art. 25: 及时处置); a contested
#: notice waits for the office instead, and its clock starts again if the attribution is kept
AWAITING_FEEDBACK = frozenset({NoticeState.SENT, NoticeState.ACKNOWLEDGED})


def action_conflict(state: NoticeState, action: NoticeAction) -> str | None:
    """Why ``action`` cannot be taken on a notice in ``state`` (a 409), or None when it can."""
    if action in ALLOWED[state]:
        return None
    zh = STATE_LABELS[state][0]
    if state in TERMINAL:
        return (f"the notice is already {state.value} ({zh}); it cannot be given a "
                f"{action.value} any more")
    allowed = ", ".join(sorted(a.value for a in ALLOWED[state]))
    return f"the notice is {state.value} ({zh}); what can be done now: {allowed}"


# --- at once or in the daily digest -----------------------------------------------------------


class Mode(StrEnum):
    IMMEDIATE = "immediate"  # 即时通报
    DIGEST = "digest"  # 每日汇总通报


MODE_LABELS: Mapping[Mode, tuple[str, str]] = MappingProxyType({
    Mode.IMMEDIATE: ("即时通报", "immediate notice"),
    Mode.DIGEST: ("每日汇总通报", "daily digest"),
})

#: bodies of the state: their networks are government networks whatever their sector
GOVERNMENT_KINDS = frozenset({BodyKind.LEADING_GROUP, BodyKind.OFFICE, BodyKind.DEPARTMENT,
                              BodyKind.HEADQUARTERS, BodyKind.FIELD_COMMAND})


@dataclass(frozen=True)
class Policy:
    """The settings the rules read (``FENGHUO_NOTICE_*``)."""

    immediate_cii: bool = True
    immediate_kinds: frozenset[str] = frozenset({"c2-server", "backdoor"})
    government_sectors: frozenset[str] = frozenset({"e-government"})
    digest_hour: int = 8
    immediate_hours: float = 24
    digest_hours: float = 72
    remind_before_hours: float = 4
    office_after_hours: float = 24


@dataclass(frozen=True)
class Unit:
    """What the rules need to know of the unit a notice goes to."""

    kind: BodyKind
    cii: bool
    sectors: frozenset[str]


def is_government(unit: Unit, policy: Policy) -> bool:
    return unit.kind in GOVERNMENT_KINDS or bool(unit.sectors & policy.government_sectors)


def urgency(unit: Unit, kind: str, policy: Policy) -> Reason | None:
    """The rule that makes an event of ``kind`` at ``unit`` go out at once, or None (digest)."""
    if unit.cii and policy.immediate_cii:
        return Reason("notice.cii", "Law art. 31; Plan §3.2",
                      "关键信息基础设施运营者的监测事件即时通报",
                      "anything on a critical information infrastructure unit is notified at "
                      "once")
    if kind in policy.immediate_kinds and is_government(unit, policy):
        return Reason("notice.government", "Law art. 51; Plan §3.2",
                      f"政务网络中的{kind}事件即时通报",
                      f"a {kind} event in a government network is notified at once")
    return None


DIGEST_REASON = Reason("notice.digest", "Law art. 51; Plan §3.2", "其余监测事件按日汇总通报",
                       "other events are notified in the unit's daily digest")


def deadline(sent_at: datetime, mode: Mode, policy: Policy) -> datetime:
    """When the unit's handling feedback (处置反馈) is due."""
    hours = policy.immediate_hours if mode is Mode.IMMEDIATE else policy.digest_hours
    return sent_at + timedelta(hours=hours)


def digest_due_at(day: date, policy: Policy) -> datetime:
    """When the digest of ``day`` (China Standard Time) goes out: the next day at the digest
    hour."""
    return datetime.combine(day + timedelta(days=1), time(policy.digest_hour), CST)


# --- reminders and the local office (Plan §7.10) ----------------------------------------------


class Step(StrEnum):
    REMIND = "remind"  # the deadline is near: a reminder to the unit
    OVERDUE = "overdue"  # the deadline passed: a reminder to the unit's next contacts
    TELL_OFFICE = "tell_office"  # still nothing: the local office is told


def next_step(now: datetime, due: datetime, reminders: int, office_told: bool,
              policy: Policy) -> Step | None:
    """What the watchdog does now for a notice still awaiting feedback, or None: a reminder
    ``remind_before_hours`` before the deadline, another when it passed, and the local office
    told ``office_after_hours`` after it. Each step happens once; a late run does the last
    step due (a run after the deadline sends the overdue reminder, not the early one)."""
    if office_told:
        return None
    if now >= due + timedelta(hours=policy.office_after_hours) and reminders >= 2:
        return Step.TELL_OFFICE
    if now >= due and reminders < 2:
        return Step.OVERDUE
    if now >= due - timedelta(hours=policy.remind_before_hours) and reminders < 1 and now < due:
        return Step.REMIND
    return None


def unremediated(state: NoticeState, due: datetime | None, now: datetime) -> bool:
    """A notice whose deadline passed with no handling feedback (Plan §7.10)."""
    return due is not None and due <= now and state in AWAITING_FEEDBACK


# --- who sends, who decides (Law art. 30, Plan §3.2) -------------------------------------------


def may_send(sender_kind: BodyKind, unit_in_scope: bool, unit: str) -> Decision:
    """An office, CERT or department sends notices to the units in its scope; a unit (an
    operator, a support unit) answers its own and sends none."""
    refusals = []
    if sender_kind in SELF_SCOPED_KINDS:
        refusals.append(Reason("notice.sender", "Plan §3.2; Law art. 51",
                               "通报由网信办、应急中心或行业主管部门发出，运营单位不发通报",
                               "notices are sent by offices, CERTs and departments, not by "
                               "operator or support units"))
    if not unit_in_scope:
        refusals.append(Reason("notice.scope", "Law art. 30; Plan §3.2",
                               f"{unit} 不在本单位的管辖范围内，不能向其通报",
                               f"{unit} is not within your scope: you cannot send it a notice"))
    return decide(refusals, Reason("notice.send", "Law art. 51; Plan §3.2",
                                   "向管辖范围内的单位通报", "a notice to a unit in your scope"))


def may_decide(actor_kind: BodyKind, is_unit: bool, unit_in_scope: bool) -> Decision:
    """Closing a notice and resolving a contest are for a body above the unit whose scope holds
    it (its office, CNCERT, its sector's department), never the unit itself."""
    if is_unit or actor_kind in SELF_SCOPED_KINDS or not unit_in_scope:
        return decide([Reason("notice.decide", "Plan §3.2; Law art. 30",
                              "通报的办结和异议处理由管辖该单位的网信办、应急中心或行业主管部门决定",
                              "a notice is closed, and a contest resolved, by the office, CERT "
                              "or department whose scope holds the unit")])
    return decide((), Reason("notice.decide", "Plan §3.2", "管辖范围内的通报",
                             "a notice of a unit in your scope"))
