"""Pure rules of the support network: CNCERT's business management of support units, their
monthly and six-monthly obligations, the evaluation rubric, and the standby and dispatch of
technical support teams and experts. No I/O; each rule cites its clause.

Sources (``shared/domain.md`` §7, §8): **Support** — the CNCERT cooperation plan with emergency
service support units, "应急服务支撑单位需履行的义务" items 1–9 (cited as "Support obligation 4");
**Plan** §3.4.1 (3) (national technical support teams on standby during a red warning), §7.2
(technical support teams), §7.3 (experts).

Readings and choices where the documents are silent (each is the project's, and says so):

* **Averaged over the evaluation period.** Obligations 4 and 5 say "平均每月" (on average per
  month), so they are judged on the half-year of the six-monthly evaluation (obligation 9),
  counting only the months the unit owed (:func:`owed`): met once the half's total reaches
  months × 1 response (× 40 h); unmet only when every owed month is over short of it; otherwise
  in progress, with what the remaining months must bring (:class:`Progress`). A month is shown
  as its share and the half's progress, never judged on its own (issue 17 item 1).
* **Days are China Standard Time** (UTC+8, no daylight saving): a day of work, the month it
  falls in and "today" are read on the documents' clock (:func:`day_of`).
* **A month that is not over is "in progress"**, never "unmet" (obligation 6).
* **Contact checks** (obligation 6): a check is passed when the unit answers with its token
  within :data:`CHECK_ANSWER_LIMIT` (30 minutes, the project's threshold); a month with no check
  is "untested", not unmet; one failed check makes the month's channel unmet.
* **Incidents discovered** (obligation 7) are counted; the document sets no minimum.
* **Work reports** (obligation 8) are due :data:`REPORT_DUE_DAYS` (15, the project's deadline)
  days after the half ends, i.e. by 15 January and 15 July; missing after that is flagged.
* **Obligations start** with the first whole month of membership (a unit admitted on the 1st
  owes that month; otherwise the next) and stop with the last whole month before its status
  ended.
* **CNCERT may end a unit's status at any time** (Support 五, 授权约定: 有权随时终止授权，并取消
  其应急服务支撑单位的资格) on a ground the rubric does not compute, such as a breach of
  confidentiality (obligation 2): a decision with its reason and the obligation or ground it
  cites (:data:`DECISION_GROUNDS`); it ends the status as a rubric disqualification does.
* **The evaluation rubric** (:data:`RUBRIC`) is the project's, built from obligations 1–9.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from fenghuo.common.errors import FieldError
from fenghuo.common.periods import Half, Month, day_of, start_of  # noqa: F401 - re-exported
from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.org.rules import BodyKind
from fenghuo.warning.rules import WarningScope

SUPPORT = "Support"

def obligation(n: int) -> str:
    return f"{SUPPORT} obligation {n}"


# --- constants from the documents, and the project's --------------------------------------------

#: Support obligation 4: 平均每月参与不少于1次的网络安全事件应急服务
MIN_RESPONSES_PER_MONTH = 1
#: Support obligation 5: 平均每月提供不少于5×8工时的网络安全技术支持 (5 × 8 h, in minutes)
MIN_SUPPORT_MINUTES_PER_MONTH = 5 * 8 * 60
#: Support obligation 6 (7×24): answered within this, a check passes (project's threshold)
CHECK_ANSWER_LIMIT = timedelta(minutes=30)
#: Support obligation 8 (每半年提交工作报告): due this many days after the half (project's)
REPORT_DUE_DAYS = 15
#: a day holds at most 24 hours of one unit's or expert's work
MAX_MINUTES_PER_DAY = 24 * 60
#: reminders of the half's obligations 4–5 (behind the average) start on this day of the month
#: (project's)
MONTH_REMINDER_DAY = 20
#: reminders of a work report start this many days before it is due (project's)
REPORT_REMINDER_DAYS = 15


# --- labels -------------------------------------------------------------------------------------


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    DISQUALIFIED = "disqualified"
    WITHDRAWN = "withdrawn"


MEMBERSHIP_LABELS: Mapping[MembershipStatus, tuple[str, str]] = MappingProxyType({
    MembershipStatus.ACTIVE: ("有效", "active"),
    MembershipStatus.DISQUALIFIED: ("已取消资格", "disqualified"),
    MembershipStatus.WITHDRAWN: ("已退出", "withdrawn"),
})


class WorkKind(StrEnum):
    """Support obligation 4 (incident response) and 5 (technical support)."""

    INCIDENT_RESPONSE = "incident_response"
    TECHNICAL_SUPPORT = "technical_support"


WORK_KIND_LABELS: Mapping[WorkKind, tuple[str, str]] = MappingProxyType({
    WorkKind.INCIDENT_RESPONSE: ("事件应急服务", "incident response"),
    WorkKind.TECHNICAL_SUPPORT: ("技术支持", "technical support"),
})


class Status(StrEnum):
    MET = "met"
    UNMET = "unmet"
    IN_PROGRESS = "in_progress"
    UNTESTED = "untested"
    COUNTED = "counted"
    NOT_DUE = "not_due"


STATUS_LABELS: Mapping[Status, tuple[str, str]] = MappingProxyType({
    Status.MET: ("已履行", "met"),
    Status.UNMET: ("未履行", "unmet"),
    Status.IN_PROGRESS: ("进行中", "in progress"),
    Status.UNTESTED: ("未检测", "untested"),
    Status.COUNTED: ("已统计", "counted"),
    Status.NOT_DUE: ("未到期", "not due"),
})


class Code(StrEnum):
    """The obligations tracked, by their number in the Support plan."""

    RESPONSES = "responses"  # 4
    HOURS = "hours"  # 5
    CONTACT = "contact"  # 6
    DISCOVERED = "discovered"  # 7
    WORK_REPORT = "work_report"  # 8


OBLIGATIONS: Mapping[Code, tuple[int, str, str]] = MappingProxyType({
    Code.RESPONSES: (4, "平均每月参与不少于1次的网络安全事件应急服务",
                     "on average at least one incident response a month with the center or a "
                     "branch"),
    Code.HOURS: (5, "平均每月提供不少于5×8工时的网络安全技术支持",
                 "on average at least 5×8 hours of technical support a month"),
    Code.CONTACT: (6, "固定联系人及7×24小时联系机制", "a fixed contact with a tested 7×24 channel"),
    Code.DISCOVERED: (7, "自主发现的重要网络安全事件第一时间报告",
                      "incidents it discovers reported at once"),
    Code.WORK_REPORT: (8, "每半年提交工作报告", "a work report every six months"),
})

#: Support obligation 8: what the work report contains
REPORT_SECTIONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "bids_and_publicity": ("以应急服务支撑单位名义进行的投标及商务宣传、市场活动情况",
                           "bids, publicity and marketing in the name of a support unit"),
    "services": ("以应急服务支撑单位名义开展的服务情况",
                 "services provided in the name of a support unit"),
    "center_cooperation": ("参与CNCERT国家中心及分中心的事件处理以及技术支持情况",
                           "incident handling and technical support with the national center "
                           "and branches"),
    "own_cases": ("自主开展的典型应急处理案例", "typical emergency cases handled on its own"),
})


class Availability(StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    STANDBY = "standby"  # computed during a red warning, never stored (Plan §3.4.1 (3))


AVAILABILITY_LABELS: Mapping[Availability, tuple[str, str]] = MappingProxyType({
    Availability.AVAILABLE: ("可调用", "available"),
    Availability.UNAVAILABLE: ("不可调用", "unavailable"),
    Availability.STANDBY: ("待命", "standby"),
})


class Outcome(StrEnum):
    COMMENDED = "commended"
    SATISFACTORY = "satisfactory"
    WARNED = "warned"
    DISQUALIFIED = "disqualified"


OUTCOME_LABELS: Mapping[Outcome, tuple[str, str]] = MappingProxyType({
    Outcome.COMMENDED: ("通报表扬", "commended"),
    Outcome.SATISFACTORY: ("合格", "satisfactory"),
    Outcome.WARNED: ("警示", "warned"),
    Outcome.DISQUALIFIED: ("取消资格", "disqualified"),
})


class AssignmentState(StrEnum):
    DISPATCHED = "dispatched"
    RELEASED = "released"


ASSIGNMENT_LABELS: Mapping[AssignmentState, tuple[str, str]] = MappingProxyType({
    AssignmentState.DISPATCHED: ("已派遣", "dispatched"),
    AssignmentState.RELEASED: ("已撤回", "released"),
})


# --- CNCERT's business management (Support obligation 9) ----------------------------------------


@dataclass(frozen=True)
class ManagerFacts:
    """The caller's body as the management rule needs it."""

    kind: BodyKind
    national: bool
    may_manage: bool  # holds support:manage


def may_manage(actor: ManagerFacts) -> Decision:
    """Support obligation 9 (接受CNCERT对本单位的业务管理): rounds, admission and evaluations are
    CNCERT's business management, done by the national center (a national ``cert`` body) with
    the support:manage permission; a branch or an office does not."""
    refusals = []
    if not actor.may_manage:
        refusals.append(Reason("manage.permission", obligation(9),
                               "需要支撑单位管理权限", "needs the support:manage permission"))
    if BodyKind(actor.kind) != BodyKind.CERT or not actor.national:
        refusals.append(Reason("manage.not_national_cert", obligation(9),
                               "支撑单位的业务管理由CNCERT国家中心负责",
                               "support units are managed by the CNCERT national center"))
    return decide(refusals, Reason("manage.cncert", obligation(9),
                                   "应急服务支撑单位接受CNCERT的业务管理",
                                   "support units accept CNCERT's business management"))


@dataclass(frozen=True)
class PastMembership:
    round_number: int
    barred_from_next_round: bool


def may_admit(kind: BodyKind | str, round_number: int, past: Iterable[PastMembership]
              ) -> Decision:
    """Only a body of kind support_unit is admitted (Support, 应急服务支撑单位); a unit that lost
    its status is refused the next round (Support obligation 9: 停止下一届申请资格)."""
    refusals = []
    if BodyKind(kind) != BodyKind.SUPPORT_UNIT:
        refusals.append(Reason("admit.not_support_unit", SUPPORT,
                               "只有应急服务支撑单位可以入选",
                               "only a body of kind support_unit can be admitted"))
    for m in past:
        if m.barred_from_next_round and m.round_number + 1 == round_number:
            refusals.append(Reason(
                "admit.barred", obligation(9),
                f"该单位在第{m.round_number}届被取消资格，停止下一届申请资格",
                f"the unit lost its status in round {m.round_number} and may not apply for the "
                "next round"))
    return decide(refusals, Reason("admit.ok", SUPPORT, "可以入选", "may be admitted"))


def first_obligated_month(admitted_on: date) -> Month:
    """The first month a member owes obligations 4–6: the month of admission when admitted on
    the 1st, otherwise the next (project's choice)."""
    m = Month.of(admitted_on)
    return m if admitted_on.day == 1 else m.next()


# --- the work log (Support obligations 4–5) -----------------------------------------------------


@dataclass(frozen=True)
class WorkFacts:
    kind: WorkKind
    minutes: int
    worked_on: date
    today: date
    #: minutes already logged that day for the same unit or expert
    day_minutes: int
    links_incident_or_response: bool
    links_warning: bool
    with_body_kind: BodyKind | None


def work_problems(w: WorkFacts) -> list[FieldError]:
    """What is wrong with a time entry, field by field (empty when it may be logged)."""
    errors = []
    if w.minutes <= 0:
        errors.append(FieldError("minutes", "must be more than 0"))
    elif w.day_minutes + w.minutes > MAX_MINUTES_PER_DAY:
        errors.append(FieldError(
            "minutes", f"a day holds at most 24 hours: {w.day_minutes} minutes are already "
            f"logged on {w.worked_on}, {w.minutes} more would make "
            f"{w.day_minutes + w.minutes} (> {MAX_MINUTES_PER_DAY})"))
    if w.worked_on > w.today:
        errors.append(FieldError("worked_on", f"{w.worked_on} is in the future (today is "
                                 f"{w.today})"))
    if w.kind == WorkKind.INCIDENT_RESPONSE:
        if not w.links_incident_or_response:
            errors.append(FieldError("incident", "an incident response names the incident or "
                                     "response it served", source=obligation(4)))
        if w.links_warning:
            errors.append(FieldError("warning", "an incident response links an incident or a "
                                     "response, not a warning", source=obligation(4)))
    if w.with_body_kind is not None and BodyKind(w.with_body_kind) != BodyKind.CERT:
        errors.append(FieldError("with_body", "the work is with the CNCERT national center or "
                                 "a branch (a cert body)", source=obligation(4) + "–5"))
    return errors


def may_log(caller_body_id: int, caller_kind: BodyKind | str, unit_body_id: int) -> Decision:
    """Support obligations 4–5 (配合CNCERT国家中心及分中心工作): the unit logs its own work; the
    national center or a branch (a cert body, within its scope) may log it on the unit's
    behalf. Nobody else does."""
    if caller_body_id == unit_body_id:
        return decide((), Reason("log.own_unit", obligation(4) + "–5", "本单位登记",
                                 "the unit logs its own work"))
    if BodyKind(caller_kind) == BodyKind.CERT:
        return decide((), Reason("log.cert", obligation(4) + "–5", "CNCERT代为登记",
                                 "CNCERT logs it on the unit's behalf"))
    return decide([Reason("log.not_unit_or_cert", obligation(4) + "–5",
                          "只有本单位或CNCERT国家中心、分中心可登记支撑单位的工作",
                          "only the unit itself or the CNCERT center or a branch logs its work")])


def may_check(caller_kind: BodyKind | str) -> Decision:
    """Support obligation 6 (建立与CNCERT保持7×24小时联系机制): the channel is CNCERT's, so the
    national center or a branch tests it."""
    if BodyKind(caller_kind) == BodyKind.CERT:
        return decide((), Reason("check.cert", obligation(6), "CNCERT检测联系机制",
                                 "CNCERT tests the channel"))
    return decide([Reason("check.not_cert", obligation(6), "联络检测由CNCERT国家中心或分中心发起",
                          "contact checks are started by the CNCERT center or a branch")])


# --- monthly obligations (Support obligations 4–7) ----------------------------------------------


@dataclass(frozen=True)
class Check:
    """A contact check: sent, and answered (or not)."""

    sent_at: datetime
    answered_at: datetime | None


class CheckState(StrEnum):
    PASSED = "passed"
    LATE = "late"
    UNANSWERED = "unanswered"
    PENDING = "pending"


CHECK_LABELS: Mapping[CheckState, tuple[str, str]] = MappingProxyType({
    CheckState.PASSED: ("通过", "passed"),
    CheckState.LATE: ("超时应答", "answered late"),
    CheckState.UNANSWERED: ("未应答", "unanswered"),
    CheckState.PENDING: ("等待应答", "awaiting answer"),
})


def check_state(c: Check, now: datetime) -> CheckState:
    """Support obligation 6 (7×24小时联系机制): answered within 30 minutes (project's threshold)
    passes; answered later is late; not answered after 30 minutes fails; before that it waits."""
    if c.answered_at is not None:
        return CheckState.PASSED if c.answered_at - c.sent_at <= CHECK_ANSWER_LIMIT \
            else CheckState.LATE
    return CheckState.PENDING if now - c.sent_at < CHECK_ANSWER_LIMIT else CheckState.UNANSWERED


@dataclass(frozen=True)
class MonthFacts:
    month: Month
    #: distinct incidents or responses among incident_response entries with a cert body
    responses: int
    #: minutes logged with a cert body (both kinds)
    support_minutes: int
    has_24x7_contact: bool
    checks: tuple[Check, ...] = ()
    #: incidents the unit reported through the normal intake
    discovered: int = 0


@dataclass(frozen=True)
class Result:
    code: Code
    status: Status
    value: float | None
    required: float | None
    reasons: tuple[Reason, ...]

    @property
    def obligation(self) -> int:
        return OBLIGATIONS[self.code][0]


@dataclass(frozen=True)
class MonthAssessment:
    month: Month
    complete: bool
    started: bool
    results: tuple[Result, ...]

    def result(self, code: Code) -> Result:
        return next(r for r in self.results if r.code == code)

    def unmet(self) -> list[Reason]:
        """The month's own unmet obligations (6). Obligations 4–5 are judged on the half
        (:meth:`PeriodAssessment.unmet`), so a month never makes them unmet by itself."""
        return [x for r in self.results if r.status == Status.UNMET and r.code not in AVERAGED
                for x in r.reasons]


def _hours(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h}h{m:02d}" if m else f"{h}h"


# --- obligations 4–5: the average over the evaluation period ------------------------------------

#: Support obligations 4–5 (平均每月): what a month brings on average (responses; minutes)
AVERAGED: Mapping[Code, int] = MappingProxyType({
    Code.RESPONSES: MIN_RESPONSES_PER_MONTH, Code.HOURS: MIN_SUPPORT_MINUTES_PER_MONTH})


def owed(months: Iterable[Month], admitted_on: date, ended_on: date | None) -> list[Month]:
    """The months among ``months`` a member owes obligations 4–6: from its first whole month
    (:func:`first_obligated_month`) to the last whole month before its status ended."""
    first = first_obligated_month(admitted_on)
    return [m for m in months if m >= first and (ended_on is None or m.end <= ended_on)]


#: obligation 4 is counted in responses, 5 in minutes shown as hours
DISPLAY_UNIT: Mapping[Code, int] = MappingProxyType({Code.RESPONSES: 1, Code.HOURS: 60})


def _amount(f: MonthFacts, code: Code) -> int:
    return f.responses if code == Code.RESPONSES else f.support_minutes


def _figure(code: Code, amount: int) -> str:
    """An amount of obligation 4 (responses) or 5 (minutes, shown as hours)."""
    return str(amount) if code == Code.RESPONSES else _hours(amount)


def _words(code: Code, amount: int) -> tuple[str, str]:
    """An amount of obligation 4 or 5 in words, zh and en."""
    if code == Code.RESPONSES:
        return f"事件应急服务{amount}次", f"{amount} incident response(s)"
    return f"技术支持{_hours(amount)}", f"{_hours(amount)} of technical support"


#: the average each obligation asks, in words
AVERAGE_WORDS: Mapping[Code, tuple[str, str]] = MappingProxyType({
    Code.RESPONSES: ("平均每月不少于1次", "at least 1 a month on average"),
    Code.HOURS: ("平均每月不少于5×8工时", "at least 5×8 = 40h a month on average"),
})


@dataclass(frozen=True)
class Progress:
    """Support obligation 4 or 5 over its evaluation period — the owed months of a half —
    judged on the average (平均每月), never month by month."""

    code: Code
    half: Half
    months: int  # owed months of the half
    begun: int  # owed months begun
    remaining: int  # owed months not over (the current one included)
    total: int  # responses, or minutes, in the owed months so far

    @property
    def per_month(self) -> int:
        return AVERAGED[self.code]

    @property
    def required(self) -> int:
        return self.months * self.per_month

    @property
    def need(self) -> int:
        """What the remaining months must still bring."""
        return max(0, self.required - self.total)

    @property
    def average(self) -> float:
        """The average per begun month so far (responses, or hours)."""
        unit = DISPLAY_UNIT[self.code]
        return round(self.total / self.begun / unit, 2) if self.begun else 0.0

    @property
    def behind(self) -> bool:
        """Below the average so far: less than the begun months owe."""
        return self.total < self.begun * self.per_month

    @property
    def status(self) -> Status:
        """Met as soon as the total reaches months × the average (a total only grows); unmet
        when every owed month is over short of it; in progress in between."""
        if not self.begun:
            return Status.NOT_DUE
        if not self.need:
            return Status.MET
        return Status.UNMET if not self.remaining else Status.IN_PROGRESS

    def reason(self) -> Reason:
        n, h, code = OBLIGATIONS[self.code][0], str(self.half), self.code.value
        (got_zh, got_en), (all_zh, all_en) = (_words(self.code, self.total),
                                              _words(self.code, self.required))
        rule_zh, rule_en = AVERAGE_WORDS[self.code]
        need_zh, need_en = _words(self.code, self.need)
        if self.status == Status.NOT_DUE:
            return Reason(f"{code}.not_due", obligation(n), f"{h}尚无应履行的月份",
                          f"{h}: no owed month has begun")
        if self.status == Status.MET:
            return Reason(f"{code}.met", obligation(n),
                          f"{h}已有{got_zh}，达到{self.months}个月{rule_zh}（共需{all_zh}）",
                          f"{h}: {got_en}, reaching {rule_en} over {self.months} month(s) "
                          f"({all_en} in all)")
        if self.status == Status.UNMET:
            return Reason(f"{code}.unmet", obligation(n),
                          f"{h}共{got_zh}，{self.months}个月共需{all_zh}（{rule_zh}），差{need_zh}",
                          f"{h}: {got_en} over {self.months} month(s), {all_en} needed "
                          f"({rule_en}); {need_en} short")
        return Reason(f"{code}.short", obligation(n),
                      f"{h}已有{got_zh}，{self.months}个月共需{all_zh}（{rule_zh}）；"
                      f"余下{self.remaining}个月还需{need_zh}",
                      f"{h}: {got_en} so far, {all_en} needed over {self.months} month(s) "
                      f"({rule_en}); needs another {need_en} in the remaining {self.remaining} "
                      "month(s)")

    def result(self) -> Result:
        unit = DISPLAY_UNIT[self.code]
        return Result(self.code, self.status, self.total / unit, self.required / unit,
                      (self.reason(),))


def progress(code: Code, half: Half, owed_facts: Sequence[MonthFacts], now: datetime
             ) -> Progress:
    """Obligation 4 or 5 over ``half`` from the facts of the months the unit owed in it."""
    today = day_of(now)
    return Progress(code, half, len(owed_facts),
                    sum(f.month.start <= today for f in owed_facts),
                    sum(today < f.month.end for f in owed_facts),
                    sum(_amount(f, code) for f in owed_facts))


def _share(f: MonthFacts, code: Code, p: Progress | None, started: bool) -> Result:
    """A month's part of obligation 4 or 5: its own amount, with the status and reason of the
    half's average ``p``; not due when the month has not begun or is not owed (``p`` None)."""
    n, m = OBLIGATIONS[code][0], str(f.month)
    unit, amount = DISPLAY_UNIT[code], _amount(f, code)
    zh, en = _words(code, amount)
    if p is None:
        return Result(code, Status.NOT_DUE, amount / unit, AVERAGED[code] / unit, (
            Reason(f"{code.value}.not_owed", obligation(n), f"{m}不在应履行义务的会员月份内",
                   f"{m} is not a month of membership that owes the obligation"),))
    share = Reason(f"{code.value}.month", obligation(n), f"{m}：{zh}（计入{p.half}平均）",
                   f"{m}: {en} (counts toward the {p.half} average)")
    return Result(code, p.status if started else Status.NOT_DUE, amount / unit,
                  AVERAGED[code] / unit, (share, p.reason()))


def assess_month(f: MonthFacts, now: datetime,
                 averages: Mapping[Code, Progress] | None) -> MonthAssessment:
    """Each obligation of the month with its status and Reason (Support obligations 4–7).
    Obligations 4–5 show the month's amount with the status of the half's average
    (``averages``, from :func:`assess_period`; None when the month is not owed); obligation 6
    is the month's own: met, unmet (a month that is over), in progress or not due."""
    today = day_of(now)
    complete = today >= f.month.end
    started = today >= f.month.start
    results = [_share(f, code, averages[code] if averages else None, started)
               for code in AVERAGED]
    results.append(_contact(f, now, complete, started, str(f.month)))
    results.append(Result(Code.DISCOVERED, Status.COUNTED if started else Status.NOT_DUE,
                          f.discovered, None, (
        Reason("discovered.counted", obligation(7),
               f"{f.month}自主发现并报告事件{f.discovered}起",
               f"{f.month}: {f.discovered} incident(s) discovered and reported through the "
               "intake"),)))
    return MonthAssessment(f.month, complete, started, tuple(results))


@dataclass(frozen=True)
class PeriodAssessment:
    """A unit's evaluation period: the owed months of a half, each assessed, and the half's
    average of obligations 4–5."""

    half: Half
    months: tuple[MonthAssessment, ...]
    averages: Mapping[Code, Progress]

    def month(self, m: Month) -> MonthAssessment | None:
        return next((a for a in self.months if a.month == m), None)

    def unmet(self) -> list[Reason]:
        """Obligations 4–5 when the half's average is unmet, and each month's unmet 6."""
        return [p.reason() for p in self.averages.values() if p.status == Status.UNMET] + [
            r for a in self.months for r in a.unmet()]


def assess_period(half: Half, owed_facts: Sequence[MonthFacts], now: datetime
                  ) -> PeriodAssessment:
    """Support obligations 4–7 over ``half`` from the facts of the months the unit owed."""
    averages = MappingProxyType({c: progress(c, half, owed_facts, now) for c in AVERAGED})
    return PeriodAssessment(half, tuple(assess_month(f, now, averages) for f in owed_facts),
                            averages)


def _contact(f: MonthFacts, now: datetime, complete: bool, started: bool, m: str) -> Result:
    src = obligation(6)
    short = Status.UNMET if complete else (Status.IN_PROGRESS if started else Status.NOT_DUE)
    if not f.has_24x7_contact:
        return Result(Code.CONTACT, short, None, None, (
            Reason("contact.missing", src, "未指定固定联系人的7×24小时联系渠道",
                   "no fixed contact with a 7×24 channel"),))
    states = [check_state(c, now) for c in f.checks]
    failed = [s for s in states if s in (CheckState.LATE, CheckState.UNANSWERED)]
    passed = states.count(CheckState.PASSED)
    if failed:
        return Result(Code.CONTACT, short, passed, len(states), (
            Reason("contact.failed", src,
                   f"{m}联络检测{len(failed)}次未在30分钟内应答（共{len(states)}次）",
                   f"{m}: {len(failed)} of {len(states)} contact check(s) not answered within "
                   "30 minutes"),))
    if passed:
        return Result(Code.CONTACT, Status.MET, passed, len(states), (
            Reason("contact.passed", src, f"{m}联络检测{passed}次均在30分钟内应答",
                   f"{m}: {passed} contact check(s) answered within 30 minutes"),))
    if states:  # only pending checks
        return Result(Code.CONTACT, Status.IN_PROGRESS, 0, len(states), (
            Reason("contact.pending", src, f"{m}联络检测等待应答", f"{m}: a contact check "
                   "awaits its answer"),))
    return Result(Code.CONTACT, Status.UNTESTED if started else Status.NOT_DUE, 0, 0, (
        Reason("contact.untested", src, f"{m}未进行联络检测（不视为未履行）",
               f"{m}: the 7×24 channel was not tested (untested is not unmet)"),))


# --- six-monthly work report (Support obligation 8) ---------------------------------------------


def report_due(half: Half) -> date:
    """Support obligation 8: due on the 15th day after the half (15 January, 15 July; the
    project's deadline)."""
    return half.end + timedelta(days=REPORT_DUE_DAYS - 1)


def assess_report(half: Half, submitted_on: date | None, today: date) -> Result:
    """Support obligation 8 (每半年向CNCERT提交工作报告): submitted by the due day is met, later
    is met late (and scores less); not submitted after the due day is unmet (flagged)."""
    src, due, h = obligation(8), report_due(half), str(half)
    if submitted_on is not None:
        late = submitted_on > due
        return Result(Code.WORK_REPORT, Status.MET, 1, 1, (
            Reason("report.late" if late else "report.submitted", src,
                   f"{h}工作报告于{submitted_on}提交" + ("（逾期）" if late else ""),
                   f"{h} work report submitted on {submitted_on}" + (
                       f" (late: due {due})" if late else "")),))
    if today > due:
        return Result(Code.WORK_REPORT, Status.UNMET, 0, 1, (
            Reason("report.missing", src, f"{h}工作报告未提交（应于{due}前提交）",
                   f"{h} work report missing (due {due})"),))
    return Result(Code.WORK_REPORT, Status.IN_PROGRESS if today >= half.end else Status.NOT_DUE,
                  0, 1, (Reason("report.due", src, f"{h}工作报告应于{due}前提交",
                                f"{h} work report due by {due}"),))


# --- six-monthly evaluation (Support obligation 9) ----------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str
    label_zh: str
    label_en: str
    max: int
    source: str
    judged: bool = False  # scored by the evaluator


#: The rubric (project's, built from the obligations): 100 points.
RUBRIC: tuple[Criterion, ...] = (
    Criterion("responses", "平均每月事件应急服务（按半年总数达成比例）", "incident responses on "
              "average per month (share of the half's total reached)", 25, obligation(4)),
    Criterion("hours", "平均每月5×8工时技术支持（按半年总数达成比例）", "5×8 h of technical "
              "support on average per month (share of the half's total reached)", 25,
              obligation(5)),
    Criterion("contact", "7×24小时联络检测通过率", "7×24 contact checks passed", 15,
              obligation(6)),
    Criterion("discovered", "自主发现并报告事件（每起2分）", "incidents discovered and reported "
              "(2 points each)", 10, obligation(7)),
    Criterion("work_report", "按时提交半年工作报告", "six-monthly work report on time", 10,
              obligation(8)),
    Criterion("cooperation", "遵守规范、保密、配合与公益服务（评价人评分）", "rules, "
              "confidentiality, cooperation and public-interest service (evaluator's score)",
              15, obligation(1) + "–3, 9", judged=True),
)
RUBRIC_MAX = sum(c.max for c in RUBRIC)
#: outcome thresholds (project's): ≥ 90 commended (表现优秀的给予通报表扬), ≥ 70 satisfactory,
#: below warned; disqualification is proposed below 60 when there are grounds
COMMEND_AT, SATISFACTORY_AT, DISQUALIFY_BELOW = 90, 70, 60


@dataclass(frozen=True)
class HalfFacts:
    half: Half
    #: obligations 4–5 over the half's owed months (:func:`assess_period`)
    averages: Mapping[Code, Progress]
    discovered: int
    checks_passed: int
    checks_failed: int
    has_24x7_contact: bool
    report: Result


@dataclass(frozen=True)
class Score:
    criterion: Criterion
    score: int
    basis: str


@dataclass(frozen=True)
class Rubric:
    scores: tuple[Score, ...]
    total: int
    grounds: tuple[Reason, ...]
    proposed: Outcome


def disqualification_grounds(h: HalfFacts) -> list[Reason]:
    """Support obligation 9 (未按要求履行义务): grounds for loss of status are a missing work
    report (obligation 8), or the response or hours obligation unmet on the half's average
    (obligations 4, 5: 平均每月), never a single short month."""
    out = []
    if h.report.status == Status.UNMET:
        out.append(Reason("grounds.no_report", obligation(8) + "; " + obligation(9),
                          f"{h.half}工作报告未提交", f"no work report for {h.half}"))
    for code, p in h.averages.items():
        if p.status == Status.UNMET:
            r = p.reason()
            out.append(Reason(f"grounds.{code.value}", r.source + "; " + obligation(9),
                              r.text_zh, r.text_en))
    return out


def _average_score(c: Criterion, p: Progress) -> tuple[int, str]:
    """Obligations 4–5: the share of the half's total (months × the average) reached."""
    basis = f"{_figure(p.code, p.total)}/{_figure(p.code, p.required)}"
    if not p.required:
        return c.max, basis
    return round(c.max * min(p.total, p.required) / p.required), basis


def score(h: HalfFacts, cooperation: int) -> Rubric:
    """The rubric's scores for the half's facts plus the evaluator's cooperation score, the
    total out of 100 and the proposed outcome (Support obligation 9)."""
    judged = next(c for c in RUBRIC if c.judged)
    if not 0 <= cooperation <= judged.max:
        raise ValueError(f"cooperation is scored 0–{judged.max}")
    out = []
    for c in RUBRIC:
        if c.code in ("responses", "hours"):
            value, basis = _average_score(c, h.averages[Code(c.code)])
        elif c.code == "contact":
            tested = h.checks_passed + h.checks_failed
            value = 0 if not h.has_24x7_contact else (
                round(c.max * h.checks_passed / tested) if tested else c.max)
            basis = f"{h.checks_passed}/{tested}" if h.has_24x7_contact else "no 7×24 contact"
        elif c.code == "discovered":
            value, basis = min(c.max, 2 * h.discovered), str(h.discovered)
        elif c.code == "work_report":
            codes = {r.code for r in h.report.reasons}
            value = c.max if "report.submitted" in codes else (
                c.max // 2 if "report.late" in codes else 0)
            basis = next(iter(codes))
        else:
            value, basis = cooperation, "evaluator"
        out.append(Score(c, value, basis))
    total = sum(x.score for x in out)
    grounds = disqualification_grounds(h)
    return Rubric(tuple(out), total, tuple(grounds), proposed_outcome(total, grounds))


def proposed_outcome(total: int, grounds: Sequence[Reason]) -> Outcome:
    """Support obligation 9: the best (≥ 90, no grounds) are commended (通报表扬); with grounds and
    below 60 the rubric proposes loss of status (视情取消, the evaluator confirms); ≥ 70
    satisfactory; otherwise warned. Thresholds are the project's."""
    if grounds and total < DISQUALIFY_BELOW:
        return Outcome.DISQUALIFIED
    if total >= COMMEND_AT and not grounds:
        return Outcome.COMMENDED
    if total >= SATISFACTORY_AT:
        return Outcome.SATISFACTORY
    return Outcome.WARNED


def may_disqualify(grounds: Sequence[Reason], confirmed: bool) -> Decision:
    """Support obligation 9 (视情取消其作为应急服务支撑单位的权利，并停止下一届申请资格): loss
    of status needs grounds the rule names, and the evaluator's confirmation."""
    refusals = []
    if not grounds:
        refusals.append(Reason("disqualify.no_grounds", obligation(9),
                               "无未履行义务的依据，不能取消资格",
                               "no unmet obligation to ground a disqualification"))
    if not confirmed:
        refusals.append(Reason("disqualify.not_confirmed", obligation(9),
                               "取消资格需评价人确认（视情取消）",
                               "the evaluator must confirm a disqualification (视情取消)"))
    return decide(refusals, Reason("disqualify.grounds", obligation(9),
                                   "未按要求履行义务，取消资格并停止下一届申请资格",
                                   "obligations unmet: status lost, and the next round"))


# --- CNCERT's decision ending a unit's status (Support 五; obligation 9) ------------------------

#: Support 五 (授权约定): CNCERT有权随时终止授权，并取消其应急服务支撑单位的资格
AUTHORIZATION = f"{SUPPORT} 五 (授权约定)"

#: what a decision cites (code → source, zh, en): an obligation the rubric does not compute, or
#: the authorization agreement; obligations 4–6 and 8 are judged by the six-monthly evaluation
DECISION_GROUNDS: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "obligation_1": (obligation(1), "未遵守CNCERT的有关规定和规范",
                     "CNCERT's rules and norms not followed"),
    "obligation_2": (obligation(2), "违反保密规定，泄露合作和服务过程中接触到的秘密信息",
                     "confidentiality breached: secret information met in the cooperation or "
                     "service disclosed"),
    "obligation_3": (obligation(3), "重大突发网络安全事件时未接受CNCERT协调与指导、未提供公益性"
                     "应急处理服务", "no coordination or public-interest emergency service in "
                     "a major incident"),
    "obligation_7": (obligation(7), "自主发现重要网络安全事件后未第一时间向CNCERT报告",
                     "an important incident it discovered not reported at once"),
    "obligation_9": (obligation(9), "未接受CNCERT的业务管理、长期配合不力、工作表现差",
                     "CNCERT's business management not accepted, long poor cooperation, poor "
                     "work"),
    "authorization": (AUTHORIZATION, "违反委托协议条款", "the terms of the entrustment "
                      "agreement breached"),
})


def decision_problems(ground: str, reason: str) -> list[FieldError]:
    """What is wrong with a decision ending a unit's status: it cites one of
    :data:`DECISION_GROUNDS` and gives its reason."""
    errors = []
    if ground not in DECISION_GROUNDS:
        errors.append(FieldError("ground", f"{ground!r} is not a ground: one of "
                                 f"{', '.join(DECISION_GROUNDS)} (obligations 4–6 and 8 are "
                                 "judged by the six-monthly evaluation)", source=AUTHORIZATION))
    if not reason.strip():
        errors.append(FieldError("reason", "say why the status ends", source=AUTHORIZATION))
    return errors


def ended_reason(ground: str, reason: str) -> str:
    """The membership's ended reason for a decision: the ground with its clause, and why."""
    source, _, en = DECISION_GROUNDS[ground]
    return f"{en} ({source}): {reason.strip()}"


def may_evaluate(half: Half, today: date, already: bool) -> Decision:
    """Support obligation 9 (每半年…进行综合评价): once per unit and half, after the half."""
    refusals = []
    if today < half.end:
        refusals.append(Reason("evaluate.half_not_over", obligation(9),
                               f"{half}尚未结束", f"{half} is not over"))
    if already:
        refusals.append(Reason("evaluate.once", obligation(9), f"{half}已评价",
                               f"{half} has been evaluated"))
    return decide(refusals)


# --- teams, experts: standby and dispatch (Plan §3.4.1 (3), §7.2, §7.3) ------------------------

#: Plan §3.4.1 (3), the red-warning measure
STANDBY_REASON = Reason("standby.red_warning", "Plan §3.4.1 (3)",
                        "国家网络安全应急技术支撑队伍进入待命状态，针对预警信息研究制定应对方案，"
                        "检查应急车辆、设备、软件工具等，确保处于良好状态",
                        "national technical support teams go on standby, prepare a response to "
                        "the warning and check vehicles, equipment and software tools")


@dataclass(frozen=True)
class RedWarning:
    ref: str
    scope: WarningScope


def standby(regions: Iterable[str], red: Iterable[RedWarning]) -> list[str]:
    """Plan §3.4.1 (3): during a published, not lifted red warning whose scope covers one of the
    regions (jurisdiction paths) — or is national — a team or expert is on standby. The refs of
    those warnings."""
    paths = list(regions)
    return [w.ref for w in red if w.scope.national or any(w.scope.touches(p) for p in paths)]


def availability(stored: Availability | str, standby_refs: Sequence[str]) -> Availability:
    """Stored availability, shown as standby while a red warning holds (computed)."""
    stored = Availability(stored)
    if stored == Availability.AVAILABLE and standby_refs:
        return Availability.STANDBY
    return stored


@dataclass(frozen=True)
class DispatchFacts:
    dispatcher_kind: BodyKind
    target_kind: BodyKind | None  # None for an expert
    available: bool
    #: a support unit whose latest membership ended (evaluation or CNCERT's decision)
    status_ended: bool = False


#: Plan §7.2–7.3, §2.2: the national center, its branches and the offices coordinate support
DISPATCHER_KINDS = frozenset({BodyKind.CERT, BodyKind.OFFICE})
DISPATCHABLE_KINDS = frozenset({BodyKind.SUPPORT_TEAM, BodyKind.SUPPORT_UNIT})


def may_dispatch(d: DispatchFacts) -> Decision:
    """Plan §7.2 (technical support teams), §7.3 (experts): a CERT or an office dispatches a team,
    support unit or expert; an unavailable one is refused, and so is a unit whose status as a
    support unit ended (Support obligation 9, 五)."""
    refusals = []
    if BodyKind(d.dispatcher_kind) not in DISPATCHER_KINDS:
        refusals.append(Reason("dispatch.not_coordinator", "Plan §2.2, §7.2",
                               "由CNCERT或应急办公室调派支撑力量",
                               "support is dispatched by a CERT or an emergency office"))
    if d.target_kind is not None and BodyKind(d.target_kind) not in DISPATCHABLE_KINDS:
        refusals.append(Reason("dispatch.not_support", "Plan §7.2",
                               "只能调派技术支撑队伍、支撑单位或专家",
                               "only a support team, support unit or expert is dispatched"))
    if not d.available:
        refusals.append(Reason("dispatch.unavailable", "Plan §7.2, §7.3",
                               "该队伍或专家当前不可调用", "the team or expert is unavailable"))
    if d.status_ended:
        refusals.append(Reason("dispatch.status_ended", f"{obligation(9)}; {AUTHORIZATION}",
                               "该单位已被取消应急服务支撑单位资格",
                               "the unit's status as a support unit has ended"))
    return decide(refusals, Reason("dispatch.ok", "Plan §7.2, §7.3", "可以调派",
                                   "may be dispatched"))


def label(pairs: Mapping, key: str) -> dict[str, str]:
    zh, en = pairs.get(key, (key, key))
    return {"zh": zh, "en": en}
