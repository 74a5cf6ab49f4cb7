"""Pure rules of the reporting chain: routing, clocks (duties) and the incident lifecycle.

Grading lives in ``incident.grading`` and the taxonomy in ``incident.taxonomy``. Sources: Plan
§4.1 (report; especially major and major immediately to the Emergency Office), Plan §2.3
(departments answer for their sector), Plan §2.1 (the State Secrecy Bureau and others answer for
incidents in their remit: criterion ② on state secrets), CAC 2025 Measures art. 4 (reporting
chains and deadlines) and art. 8 (final report within 30 days), Plan §7.10 (late, omitted,
false, concealed reports).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.org.rules import BodyFunction, BodyKind

SEVERE_GRADES = frozenset({"especially_major", "major"})  # Plan §4.1, CAC 2025 art. 4


# --- lifecycle (item 8 of the reporting-chain issue) ------------------------------------------


class State(StrEnum):
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    HANDLING = "handling"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATE_LABELS = {
    State.REPORTED: ("已报告", "reported"),
    State.ACKNOWLEDGED: ("已接收", "acknowledged"),
    State.HANDLING: ("处置中", "handling"),
    State.RESOLVED: ("已处置", "resolved"),
    State.CLOSED: ("已关闭", "closed"),
}

TRANSITIONS: dict[State, frozenset[State]] = {
    State.REPORTED: frozenset({State.ACKNOWLEDGED, State.HANDLING, State.RESOLVED}),
    State.ACKNOWLEDGED: frozenset({State.HANDLING, State.RESOLVED}),
    State.HANDLING: frozenset({State.RESOLVED}),
    State.RESOLVED: frozenset({State.HANDLING, State.CLOSED}),
    State.CLOSED: frozenset(),
}


def transition_problem(current: State, target: State) -> str | None:
    if target in TRANSITIONS[current]:
        return None
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
    return f"an incident that is {current.value} cannot become {target.value} (allowed: {allowed})"


# --- routing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The unit where the incident happened, as routing sees it."""

    body_id: int
    kind: BodyKind
    sector: str | None
    cii: bool
    #: jurisdiction ids from the unit's own up to the nation
    chain: tuple[int, ...]


@dataclass(frozen=True)
class Candidate:
    """A body that may receive the report: an office, a department or a public security organ."""

    body_id: int
    kind: BodyKind
    jurisdiction_id: int
    sectors: frozenset[str]
    function: BodyFunction | None


@dataclass
class Route:
    body_id: int
    reasons: list[Reason] = field(default_factory=list)
    immediate: bool = False
    #: hours within which this body must pass a severe incident on (CAC 2025 art. 4), if any
    escalation_hours: float | None = None


@dataclass(frozen=True)
class ClockSettings:
    """Deadlines of a grading profile (CAC 2025 art. 4 and 8; the plan's "immediately")."""

    report_hours_cii: float = 1
    report_hours_central: float = 2
    report_hours_other: float = 4
    escalation_hours_protection: float = 0.5
    escalation_hours_office: float = 1
    acknowledge_hours: float = 1
    immediate_minutes: float = 15
    final_report_days: int = 30


def _nearest(cands: list[Candidate], chain: tuple[int, ...], pred) -> list[Candidate]:  # noqa: ANN001
    """The matching bodies at the lowest jurisdiction of the chain that has any."""
    for jid in chain:
        found = [c for c in cands if c.jurisdiction_id == jid and pred(c)]
        if found:
            return found
    return []


#: grading reason codes of Plan §1.4 criterion ② (``incident.grading``: plan.criterion2.<degree>)
SECRETS_CRITERION = "plan.criterion2."


def secrets_at_stake(reason_codes: Iterable[str]) -> bool:
    """Whether the grading found Plan §1.4 criterion ②: 国家秘密信息、重要敏感信息和关键数据丢失
    或被窃取、篡改、假冒 — the criterion on state secrets, whichever grade it reached."""
    return any(code.startswith(SECRETS_CRITERION) for code in reason_codes)


_STATE_SECRECY = Reason(
    "state_secrecy", "Plan §2.1; Plan §1.4 criterion ②",
    "涉及国家秘密信息等丢失或被窃取、篡改、假冒（情形②），国家保密局等部门按照职责分工负责相关网络安全事件"
    "应对工作：报保密行政管理部门",
    "state secrets, important sensitive information or key data lost, stolen, tampered with or "
    "counterfeited (criterion ②): the secrecy administration answers for such incidents")


def route(subject: Subject, grade: str, candidates: list[Candidate],
          clocks: ClockSettings, *, secrets: bool = False) -> list[Route]:
    """Who must receive the report, each with the clause that sends it there; ``secrets``
    (:func:`secrets_at_stake`) adds the nearest secrecy administration of the unit's chain,
    the province's or else the State Secrecy Bureau (Plan §2.1 国家保密局等相关部门按照职责分工
    负责相关网络安全事件应对工作)."""
    routes: dict[int, Route] = {}

    def add(c: Candidate, reason: Reason, **kw) -> None:  # noqa: ANN003
        r = routes.setdefault(c.body_id, Route(c.body_id))
        r.reasons.append(reason)
        r.immediate = r.immediate or kw.get("immediate", False)
        if kw.get("escalation_hours") is not None:
            hours = kw["escalation_hours"]
            r.escalation_hours = min(hours, r.escalation_hours or hours)

    severe = grade in SEVERE_GRADES
    national = subject.chain[-1]
    for c in candidates:
        if c.kind == BodyKind.OFFICE and c.jurisdiction_id in subject.chain[:-1]:
            province = c.jurisdiction_id == subject.chain[-2]
            add(c, Reason("local_office", "Plan §4.1; CAC 2025 art. 4",
                          "属地网信部门" + ("（省级）" if province else ""),
                          "local cyberspace office" + (" (province)" if province else "")),
                escalation_hours=clocks.escalation_hours_office if severe and province else None)
    departments = _nearest(candidates, subject.chain, lambda c: (
        c.kind == BodyKind.DEPARTMENT and c.function is None and subject.sector in c.sectors))
    for c in departments:
        add(c, Reason("sector_department", "Plan §2.3", "行业主管部门",
                      "the department regulating the unit's sector"))
        if subject.cii:
            add(c, Reason("cii_protection_department", "CAC 2025 art. 4",
                          "关键信息基础设施保护工作部门", "the CII protection department"),
                escalation_hours=clocks.escalation_hours_protection if severe else None)
    if subject.cii:
        for c in _nearest(candidates, subject.chain,
                          lambda c: c.function == BodyFunction.PUBLIC_SECURITY):
            add(c, Reason("public_security", "CAC 2025 art. 4", "公安机关",
                          "the public security organ (CII operator's incident)"))
    if secrets:
        for c in _nearest(candidates, subject.chain,
                          lambda c: c.function == BodyFunction.STATE_SECRECY):
            add(c, _STATE_SECRECY)
    if severe:
        for c in candidates:
            if c.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE and (
                    c.jurisdiction_id == national):
                add(c, Reason("national_emergency_office", "Plan §4.1",
                              "初判为特别重大、重大的事件，立即报告国家网络安全应急办公室",
                              "first judged especially major or major: report immediately to "
                              "the National Emergency Office"), immediate=True)
    return list(routes.values())


# --- clocks -----------------------------------------------------------------------------------


class DutyKind(StrEnum):
    REPORT = "report"  # the unit reports within the deadline (CAC 2025 art. 4)
    ACKNOWLEDGE = "acknowledge"  # a routed body acknowledges / escalates
    FINAL_REPORT = "final_report"  # CAC 2025 art. 8: within 30 days of the end of handling
    INFORM_USERS = "inform_users"  # Law art. 42 ¶2: tell the users whose information leaked


#: the clocks in words, Chinese first (what a reminder says is late)
DUTY_LABELS = {
    DutyKind.REPORT: ("报告事件", "report the incident"),
    DutyKind.ACKNOWLEDGE: ("签收并上报", "acknowledge and escalate"),
    DutyKind.FINAL_REPORT: ("提交总结报告", "submit the final report"),
    DutyKind.INFORM_USERS: ("告知个人信息受影响的用户", "inform the users whose data leaked"),
}


class ClockState(StrEnum):
    MET = "met"
    LATE = "late"  # done, but after the deadline (迟报 when it is the unit's report)
    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DutySpec:
    body_id: int
    kind: DutyKind
    source: str
    starts_at: datetime
    due_at: datetime
    done_at: datetime | None = None


def report_deadline_hours(subject: Subject, clocks: ClockSettings) -> tuple[float, str]:
    """CAC 2025 art. 4: CII operators 1 h; central and state organs' units 2 h; others 4 h."""
    return first_report_hours(cii=subject.cii, central=len(subject.chain) == 1, clocks=clocks)


def first_report_hours(*, cii: bool, central: bool, clocks: ClockSettings
                       ) -> tuple[float, str]:
    """The unit's first-report deadline (CAC 2025 art. 4) from what an incident row keeps: its
    CII flag and whether its jurisdiction is the nation's (``central``)."""
    if cii:
        return clocks.report_hours_cii, "CAC 2025 art. 4 (CII operator: 1 h)"
    if central:
        return clocks.report_hours_central, "CAC 2025 art. 4 (central and state organs: 2 h)"
    return clocks.report_hours_other, "CAC 2025 art. 4 (other operators: 4 h)"


def intake_duties(subject: Subject, *, self_reported: bool, found_at: datetime,
                  reported_at: datetime, routes: list[Route], clocks: ClockSettings
                  ) -> list[DutySpec]:
    """The clocks an incident starts when it is reported."""
    duties = []
    if self_reported:
        hours, source = report_deadline_hours(subject, clocks)
        duties.append(DutySpec(subject.body_id, DutyKind.REPORT, source, found_at,
                               found_at + timedelta(hours=hours), done_at=reported_at))
    for r in routes:
        if r.immediate:
            delta, source = timedelta(minutes=clocks.immediate_minutes), "Plan §4.1 (immediately)"
        elif r.escalation_hours is not None:
            delta, source = timedelta(hours=r.escalation_hours), "CAC 2025 art. 4 (escalation)"
        else:
            delta, source = timedelta(hours=clocks.acknowledge_hours), "acknowledgement of receipt"
        duties.append(DutySpec(r.body_id, DutyKind.ACKNOWLEDGE, source, reported_at,
                               reported_at + delta))
    return duties


def final_report_duty(subject_body_id: int, resolved_at: datetime, clocks: ClockSettings
                      ) -> DutySpec:
    return DutySpec(subject_body_id, DutyKind.FINAL_REPORT, "CAC 2025 art. 8 (30 days)",
                    resolved_at, resolved_at + timedelta(days=clocks.final_report_days))


def clock_state(due_at: datetime, done_at: datetime | None, now: datetime) -> ClockState:
    if done_at is not None:
        return ClockState.MET if done_at <= due_at else ClockState.LATE
    return ClockState.DUE if now <= due_at else ClockState.OVERDUE


# --- acknowledgement of receipt --------------------------------------------------------------

_ROUTED = Reason("acknowledge.routed", "Plan §4.1; CAC 2025 art. 4",
                 "事件已报送本单位，由本单位确认接收",
                 "the incident was routed to your body, which confirms its receipt")
_NOT_ROUTED = Reason("acknowledge.not_routed", "Plan §4.1; CAC 2025 art. 4",
                     "事件未报送本单位，只有接收报告的单位才能确认接收",
                     "the incident was not routed to your body; only a body that received the "
                     "report acknowledges it")


def may_acknowledge(*, routed_to_caller: bool) -> Decision:
    """A body the report was routed to confirms receipt, which stops its clock; any other body
    has nothing to acknowledge (Plan §4.1; CAC 2025 art. 4)."""
    return decide([] if routed_to_caller else [_NOT_ROUTED], _ROUTED)


# --- scope (Law art. 30) ----------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFacts:
    subject_body_id: int
    reporting_body_id: int | None
    jurisdiction_path: str
    sector: str | None
    routed_body_ids: frozenset[int]
    #: bodies the Emergency Office shared it with (Plan §3.2): they read it, they don't handle it
    shared_body_ids: frozenset[int] = frozenset()


def incident_visible(scope, incident: IncidentFacts, *,  # noqa: ANN001 - a Scope
                     shared: bool = False) -> bool:
    """An incident is visible to the bodies it concerns (its unit, its reporter, the bodies it
    was routed to) and to those whose subtree and sectors cover its unit (Law art. 30); for
    reading (``shared``), also to the bodies it was shared with (Plan §3.2)."""
    if scope.body_id in {incident.subject_body_id, incident.reporting_body_id} or (
            scope.body_id in incident.routed_body_ids) or (
            shared and scope.body_id in incident.shared_body_ids):
        return True
    if scope.own_body_only or not incident.jurisdiction_path.startswith(scope.jurisdiction_path):
        return False
    return scope.sectors is None or incident.sector in scope.sectors
