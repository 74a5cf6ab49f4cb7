"""Important-event protection periods (Plan §6.5 重要活动期间的预防措施). Pure: no I/O.

Plan §6.5: 在国家重要活动、会议期间，各省（区、市）、各部门要加强网络安全事件的防范和应急响应，
确保网络安全。应急办统筹协调网络安全保障工作，根据需要要求有关省（区、市）、部门启动红色预警
响应。有关省（区、市）、部门加强网络安全监测和分析研判，及时预警可能造成重大影响的风险和隐患，
重点部门、重点岗位保持24小时值班，及时发现和处置网络安全事件隐患。
During important national events and meetings the provinces and departments strengthen
prevention and response; the Emergency Office coordinates the protection work and, as needed,
requires the provinces and departments concerned to start the red-warning response; key
departments and posts keep 24-hour duty.

Readings where the Plan is silent (project rules, each named where it is applied):

* **Who.** The Emergency Office both declares a period (it 统筹协调 the protection work) and
  requires the red-warning response; one rule decides both,
  :func:`fenghuo.warning.authority.may_require_red_response`.
* **Scope.** Named like a warning's (:class:`~fenghuo.warning.rules.WarningScope`):
  jurisdictions and sectors; sectors alone mean those sectors in the whole country; at least one
  of the two is named. The bodies in scope are the provinces and departments a warning of that
  scope would make respond (:func:`fenghuo.warning.distribution.responders`).
* **The red-warning response** is the red checklist of Plan §3.4.1
  (:func:`fenghuo.warning.checklists.checklist`) for the Emergency Office (it organizes), the
  provinces and departments in scope (24-hour duty, monitoring, reports) and the national
  technical support teams (standby, Plan §3.4.1 (3)); not for operating units: §6.5 names the
  provinces and departments, which bring their units in under their own plans.
* **When.** It is required while the period runs (在……期间), once; a period ended early, or
  reaching its end, closes the open tasks (as lifting closes a warning's, Plan §3.5).
* **Reminders.** The bodies in scope are told once when the period starts and once when it ends
  (or is ended early); a period whose whole span passed while no worker ran gets only the end
  notice, since a start notice after the end would mislead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from fenghuo.common.reasons import Decision, Reason
from fenghuo.warning import authority, distribution
from fenghuo.warning.checklists import ChecklistScope
from fenghuo.warning.content import FieldProblem
from fenghuo.warning.rules import WarningScope

SOURCE = "Plan §6.5"


class Phase(StrEnum):
    """Where a period stands at a moment."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


PHASE_LABELS = MappingProxyType({Phase.SCHEDULED: ("未开始", "scheduled"),
                                 Phase.ACTIVE: ("进行中", "active"),
                                 Phase.ENDED: ("已结束", "ended")})


def effective_end(ends_at: datetime, ended_at: datetime | None) -> datetime:
    """When the period ends: its planned end, or earlier when the Emergency Office ended it."""
    return min(ends_at, ended_at) if ended_at is not None else ends_at


def phase(*, starts_at: datetime, ends_at: datetime, ended_at: datetime | None,
          now: datetime) -> Phase:
    """Scheduled before the start, active from the start until the end, ended afterwards."""
    if now >= effective_end(ends_at, ended_at):
        return Phase.ENDED
    return Phase.ACTIVE if now >= starts_at else Phase.SCHEDULED


# --- declaring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodDraft:
    """A period as declared; the scope as jurisdiction paths and sector codes."""

    starts_at: datetime
    ends_at: datetime
    scope: WarningScope


def _problem(field: str, code: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field, code, SOURCE, zh, en)


def period_problems(draft: PeriodDraft, now: datetime) -> list[FieldProblem]:
    """What makes a declaration unusable, field by field: the end must come after the start and
    not be past already (a period is declared for an event to come or under way), and the scope
    must name a jurisdiction or a sector (project rules on Plan §6.5)."""
    problems = []
    if draft.ends_at <= draft.starts_at:
        problems.append(_problem("ends_at", "invalid", "结束时间须晚于开始时间",
                                 "the end must come after the start"))
    elif draft.ends_at <= now:
        problems.append(_problem("ends_at", "invalid", "结束时间已过，不能宣布已结束的保障期",
                                 "the end is past: a period that is over cannot be declared"))
    if not draft.scope.jurisdictions and not draft.scope.sectors:
        problems.append(_problem("jurisdictions", "missing", "须指明涉及的辖区或行业",
                                 "name the jurisdictions or sectors the period covers"))
    return problems


def may_declare(issuer: authority.Issuer) -> Decision:
    """Only the Emergency Office declares, and ends, a period (Plan §6.5: 应急办统筹协调网络安全
    保障工作): the rule that lets it require the red-warning response."""
    return authority.may_require_red_response(issuer)


# --- the red-warning response -----------------------------------------------------------------

NOT_RUNNING = Reason("protection.not_running", SOURCE,
                     "只有进行中的保障期可以要求启动红色预警响应",
                     "the red-warning response is required while the period runs")
ALREADY_REQUIRED = Reason("protection.already_required", SOURCE,
                          "本保障期已要求启动红色预警响应",
                          "the red-warning response was already required for this period")
ALREADY_ENDED = Reason("protection.already_ended", SOURCE, "保障期已结束",
                       "the period has already ended")


def red_conflict(current: Phase, *, required: bool) -> Reason | None:
    """Why the period's state does not allow requiring the red-warning response now, if so."""
    if current != Phase.ACTIVE:
        return NOT_RUNNING
    return ALREADY_REQUIRED if required else None


def end_conflict(current: Phase) -> Reason | None:
    """A period is ended (early) once; an ended one is not ended again."""
    return ALREADY_ENDED if current == Phase.ENDED else None


def in_scope(scope: WarningScope, bodies: list[distribution.Body]) -> list[int]:
    """The provinces and departments the period covers: those a warning of that scope makes
    respond (Plan §6.5 有关省（区、市）、部门; ``distribution.responders``)."""
    return distribution.responders(scope, bodies)


def red_response_scope(scope: WarningScope, bodies: list[distribution.Body], *,
                       office_id: int) -> ChecklistScope:
    """Who gets which task of the red checklist (Plan §6.5 → §3.4.1): the Emergency Office, the
    provinces and departments in scope, the national support teams; no operating units."""
    return replace(distribution.checklist_scope(scope, bodies, issuer_id=office_id), unit_ids=())


# --- reminders at the start and the end -------------------------------------------------------


class Reminder(StrEnum):
    START = "start"
    END = "end"


def notices_due(*, starts_at: datetime, ends_at: datetime, ended_at: datetime | None,
                start_sent: bool, end_sent: bool, now: datetime) -> list[Reminder]:
    """The reminders due now, each once: the start notice while the period runs, the end notice
    once it is over."""
    current = phase(starts_at=starts_at, ends_at=ends_at, ended_at=ended_at, now=now)
    if current == Phase.ACTIVE and not start_sent:
        return [Reminder.START]
    if current == Phase.ENDED and not end_sent:
        return [Reminder.END]
    return []


# --- who sees a period ------------------------------------------------------------------------


def concerns(scope: WarningScope, jurisdiction_path: str,
             sectors: frozenset[str] | None) -> bool:
    """Whether a period concerns a caller rooted at ``jurisdiction_path`` who sees ``sectors``
    (None: every sector): it names the caller's region, one above it or one within it, and no
    sector or one the caller sees (Law art. 30; ``WarningScope.touches``)."""
    return scope.touches(jurisdiction_path) and (
        sectors is None or not scope.sectors or bool(scope.sectors & sectors))
