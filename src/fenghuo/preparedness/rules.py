"""Pure rules of prevention and safeguards: who keeps an emergency plan, who must exercise, who
assesses risks, and when each recurring duty is met, due soon, overdue, missing or unreported.
No I/O; each rule cites its clause.

Sources (``shared/domain.md`` §7; the Plan's Chinese text is authoritative):

* Plan §8.1 本预案原则上每年评估一次，根据实际情况适时修订 … 各省（区、市）、各部门、各单位要根据
  本预案制定或修订本地区、本部门、本行业、本单位网络安全事件应急预案 — every region, department and
  unit keeps a plan, evaluated once a year.
* Law art. 25 网络运营者应当制定网络安全事件应急预案 — operators keep a plan.
* Plan §6.2 ¶1 中央网信办协调有关部门定期组织演练，检验和完善预案，提高实战能力 — the Central
  Cyberspace Office organizes exercises regularly.
* Plan §6.2 ¶2 各省（区、市）、各部门每年至少组织一次预案演练，并将演练情况报中央网信办 —
  every province and department organizes at least one exercise a year and reports it to the Central
  Cyberspace Office.
* Law art. 34(4) 制定网络安全事件应急预案，并定期进行演练; art. 39(2) the state organizes CII
  operators' exercises — CII operators exercise regularly (organizing or taking part).
* Law art. 38 关键信息基础设施的运营者应当…每年至少进行一次检测评估，并将检测评估情况和改进措施报送
  相关负责关键信息基础设施安全保护工作的部门 — a yearly CII risk assessment, reported.
* Law art. 34(2) 定期对从业人员进行网络安全教育、技术培训和技能考核; Plan §6.4 培训 — trainings.
* Plan §7.8 加强对网络安全应急装备、工具的储备，及时调整、升级软件硬件工具 — reserves.

Readings and choices where the documents are silent (each says so where it is used):

* "Once a year" is twelve calendar months from the last occasion (``common.periods.add_months``):
  a plan evaluated thirteen months ago is overdue, eleven months ago is not.
* *Due soon* means due within 30 days (the project's choice), so reminders go out in time.
* The province's duty to exercise lies with its province-level office; departments at national
  and province level carry their own. The Central Cyberspace Office (the body with that function)
  carries the duty of ¶1 at its own interval, "regularly" being a setting
  (``FENGHUO_CENTRAL_EXERCISE_INTERVAL_MONTHS``, twelve months unless set; the project's reading)
  with nothing to report to itself; other national offices carry no exercise duty.
* "Regularly" for CII operators (Law 34(4)) and their trainings (Law 34(2)) is read as every
  twelve months (the project's choice); a missing training is advisory only.
* Reserves are checked every 180 days unless a reserve says otherwise (the project's choice);
  one never checked counts from the day it was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from fenghuo.common.periods import add_months
from fenghuo.common.reasons import Decision, Reason, decide, transition_decision
from fenghuo.org.rules import BodyKind, JurisdictionLevel

# --- thresholds -------------------------------------------------------------------------------

#: Plan §8.1 原则上每年评估一次
PLAN_EVALUATION_MONTHS = 12
#: Plan §6.2 每年至少组织一次预案演练
EXERCISE_MONTHS = 12
#: Law art. 34(4) 定期进行演练: "regularly" read as every twelve months (the project's choice)
CII_EXERCISE_MONTHS = 12
#: Plan §6.2 ¶1 中央网信办…定期组织演练: "regularly", unless the deployment sets
#: FENGHUO_CENTRAL_EXERCISE_INTERVAL_MONTHS (the project's reading)
CENTRAL_EXERCISE_MONTHS = 12
#: ``Session.info`` key of the Central Cyberspace Office's exercise interval (the setting)
CENTRAL_EXERCISE_INFO_KEY = "fenghuo.central_exercise_months"
#: Law art. 38 每年至少进行一次检测评估
CII_ASSESSMENT_MONTHS = 12
#: Law art. 34(2) 定期…培训: "regularly" read as every twelve months (the project's choice)
TRAINING_MONTHS = 12
#: a duty falls "due soon" this many days before it is due (the project's choice)
DUE_SOON_DAYS = 30
#: reserves are checked this often unless a reserve says otherwise (the project's choice)
RESERVE_CHECK_DEFAULT_DAYS = 180
#: a reserve check falls "due soon" this many days before it is due, at most half its interval
#: (the project's choice)
RESERVE_DUE_SOON_DAYS = 14


# --- vocabularies -----------------------------------------------------------------------------


class Duty(StrEnum):
    PLAN = "plan"
    EXERCISE = "exercise"
    CII_ASSESSMENT = "cii_assessment"
    RESERVES = "reserves"
    TRAINING = "training"


DUTY_LABELS: Mapping[Duty, tuple[str, str]] = MappingProxyType({
    Duty.PLAN: ("应急预案", "emergency plan"),
    Duty.EXERCISE: ("应急演练", "exercise"),
    Duty.CII_ASSESSMENT: ("关键信息基础设施检测评估", "CII risk assessment"),
    Duty.RESERVES: ("装备工具储备", "equipment and tool reserves"),
    Duty.TRAINING: ("培训", "training"),
})


class Status(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MISSING = "missing"
    NOT_REPORTED = "not_reported"
    ADVISORY = "advisory"


STATUS_LABELS: Mapping[Status, tuple[str, str]] = MappingProxyType({
    Status.OK: ("符合", "ok"),
    Status.DUE_SOON: ("即将到期", "due soon"),
    Status.OVERDUE: ("已逾期", "overdue"),
    Status.MISSING: ("缺失", "missing"),
    Status.NOT_REPORTED: ("未报送", "not reported"),
    Status.ADVISORY: ("提示", "advisory"),
})

#: statuses that are a current non-compliance (the others are met, or advice)
NONCOMPLIANT = frozenset({Status.OVERDUE, Status.MISSING, Status.NOT_REPORTED})
#: worst first, to summarize several checks of one duty
_SEVERITY = (Status.MISSING, Status.OVERDUE, Status.NOT_REPORTED, Status.ADVISORY,
             Status.DUE_SOON, Status.OK)


class EvaluationOutcome(StrEnum):
    ADEQUATE = "adequate"
    REVISED = "revised"


OUTCOME_LABELS: Mapping[EvaluationOutcome, tuple[str, str]] = MappingProxyType({
    EvaluationOutcome.ADEQUATE: ("评估适用", "adequate"),
    EvaluationOutcome.REVISED: ("已修订", "revised"),
})


class ExerciseForm(StrEnum):
    TABLETOP = "tabletop"
    FUNCTIONAL = "functional"
    FULL_SCALE = "full_scale"


FORM_LABELS: Mapping[ExerciseForm, tuple[str, str]] = MappingProxyType({
    ExerciseForm.TABLETOP: ("桌面推演", "tabletop"),
    ExerciseForm.FUNCTIONAL: ("功能演练", "functional"),
    ExerciseForm.FULL_SCALE: ("实战演练", "full-scale"),
})


class ExerciseState(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


EXERCISE_STATE_LABELS: Mapping[ExerciseState, tuple[str, str]] = MappingProxyType({
    ExerciseState.PLANNED: ("计划中", "planned"),
    ExerciseState.HELD: ("已举行", "held"),
    ExerciseState.CANCELLED: ("已取消", "cancelled"),
})

_EXERCISE_MOVES: Mapping[ExerciseState, frozenset[ExerciseState]] = MappingProxyType({
    ExerciseState.PLANNED: frozenset({ExerciseState.HELD, ExerciseState.CANCELLED}),
    ExerciseState.HELD: frozenset(),
    ExerciseState.CANCELLED: frozenset(),
})


class ReserveKind(StrEnum):
    EQUIPMENT = "equipment"
    TOOL = "tool"
    SOFTWARE = "software"
    OTHER = "other"


RESERVE_KIND_LABELS: Mapping[ReserveKind, tuple[str, str]] = MappingProxyType({
    ReserveKind.EQUIPMENT: ("装备", "equipment"),
    ReserveKind.TOOL: ("工具", "tool"),
    ReserveKind.SOFTWARE: ("软件", "software"),
    ReserveKind.OTHER: ("其他", "other"),
})


# --- who carries which duty -------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """What the duty rules need to know of a body."""

    kind: BodyKind
    level: JurisdictionLevel
    cii: bool = False
    #: the body is the Central Cyberspace Office (Plan §6.2 ¶1)
    central: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", BodyKind(self.kind))
        object.__setattr__(self, "level", JurisdictionLevel(self.level))


PLAN_KEEPER_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT, BodyKind.OPERATOR})

PLAN_BASIS_OFFICE = Reason(
    "plan.keeper", "Plan §8.1",
    "各省（区、市）、各部门、各单位要根据本预案制定或修订本地区、本部门、本行业、本单位网络安全事件"
    "应急预案",
    "every region, department and unit draws up or revises its own network-security incident "
    "emergency plan")
PLAN_BASIS_OPERATOR = Reason(
    "plan.keeper", "Law art. 25; Plan §8.1",
    "网络运营者应当制定网络安全事件应急预案",
    "network operators draw up a network-security incident emergency plan")
EXERCISE_BASIS = Reason(
    "exercise.yearly", "Plan §6.2",
    "各省（区、市）、各部门每年至少组织一次预案演练，并将演练情况报中央网信办",
    "every province and department organizes at least one exercise of its plan a year and "
    "reports it to the Central Cyberspace Office")
CENTRAL_EXERCISE_BASIS = Reason(
    "exercise.central", "Plan §6.2 ¶1",
    "中央网信办协调有关部门定期组织演练，检验和完善预案，提高实战能力（间隔按本系统设置）",
    "the Central Cyberspace Office organizes exercises with the departments regularly, to test "
    "and improve the plans (at the interval this deployment sets)")
CII_EXERCISE_BASIS = Reason(
    "exercise.cii", "Law arts. 34(4), 39(2)",
    "关键信息基础设施的运营者制定网络安全事件应急预案，并定期进行演练（间隔十二个月为本系统的取值）",
    "CII operators exercise their plan regularly (every twelve months is the project's reading)")
ASSESSMENT_BASIS = Reason(
    "cii_assessment.yearly", "Law art. 38",
    "关键信息基础设施的运营者应当自行或者委托网络安全服务机构对其网络的安全性和可能存在的风险每年至少"
    "进行一次检测评估，并将检测评估情况和改进措施报送相关负责关键信息基础设施安全保护工作的部门",
    "CII operators assess their networks' security and risks at least once a year, themselves or "
    "through a service, and report the results and improvements to the department in charge "
    "of their protection")
TRAINING_BASIS = Reason(
    "training.regular", "Law art. 34(2); Plan §6.4",
    "定期对从业人员进行网络安全教育、技术培训和技能考核（间隔十二个月为本系统的取值）",
    "CII operators train their staff regularly (every twelve months is the project's reading)")
RESERVE_BASIS = Reason(
    "reserve.check", "Plan §7.8",
    "加强对网络安全应急装备、工具的储备，及时调整、升级软件硬件工具",
    "equipment and tools are held in reserve and kept up to date, software and hardware alike")


#: the rules that set each duty: a check lists its basis after the reasons for its status
DUTY_BASES = frozenset({PLAN_BASIS_OFFICE, PLAN_BASIS_OPERATOR, EXERCISE_BASIS,
                        CENTRAL_EXERCISE_BASIS, CII_EXERCISE_BASIS, ASSESSMENT_BASIS,
                        TRAINING_BASIS, RESERVE_BASIS})


def plan_duty(holder: Holder) -> Reason | None:
    """Offices of every jurisdiction, departments and operator units keep an emergency plan
    (Plan §8.1 各地区、各部门、各单位; Law art. 25 网络运营者); other kinds do not have to."""
    if holder.kind == BodyKind.OPERATOR:
        return PLAN_BASIS_OPERATOR
    if holder.kind in PLAN_KEEPER_KINDS:
        return PLAN_BASIS_OFFICE
    return None


def exercise_duty(holder: Holder, central_months: int = CENTRAL_EXERCISE_MONTHS
                  ) -> tuple[Reason, int, bool] | None:
    """Whether a body must exercise: (basis, interval in months, must report to the Central
    Cyberspace Office), or None.

    Plan §6.2 ¶1: the Central Cyberspace Office, regularly (every ``central_months``, the
    setting), reporting to nobody. Plan §6.2 ¶2: each province (its province-level office) and
    each department at national or province level, yearly and reported. Law 34(4): CII
    operators, regularly (twelve months, the project's reading), with no report to the Central
    Cyberspace Office."""
    if holder.central:
        return CENTRAL_EXERCISE_BASIS, central_months, False
    if holder.kind == BodyKind.OFFICE and holder.level == JurisdictionLevel.PROVINCE:
        return EXERCISE_BASIS, EXERCISE_MONTHS, True
    if holder.kind == BodyKind.DEPARTMENT and holder.level in (JurisdictionLevel.NATIONAL,
                                                               JurisdictionLevel.PROVINCE):
        return EXERCISE_BASIS, EXERCISE_MONTHS, True
    if holder.kind == BodyKind.OPERATOR and holder.cii:
        return CII_EXERCISE_BASIS, CII_EXERCISE_MONTHS, False
    return None


def assessment_duty(holder: Holder) -> Reason | None:
    """Law art. 38: CII operators assess their risks at least once a year."""
    return ASSESSMENT_BASIS if holder.kind == BodyKind.OPERATOR and holder.cii else None


def training_duty(holder: Holder) -> Reason | None:
    """Law art. 34(2): CII operators train their staff regularly (advisory here)."""
    return TRAINING_BASIS if holder.kind == BodyKind.OPERATOR and holder.cii else None


# --- when a recurring duty is met -------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One duty of one body: its status, the rules that explain it, the last occasion and when
    the next falls due."""

    duty: Duty
    status: Status
    reasons: tuple[Reason, ...] = ()
    last_on: date | None = None
    due_on: date | None = None
    items: tuple[str, ...] = field(default=())

    @property
    def compliant(self) -> bool:
        return self.status not in NONCOMPLIANT

    @property
    def findings(self) -> tuple[Reason, ...]:
        """The reasons for this status without the rule that sets the duty (``DUTY_BASES``)."""
        return tuple(r for r in self.reasons if r not in DUTY_BASES)


def due_after(last: date, months: int) -> date:
    """The day a yearly (``months``-monthly) duty falls due: ``months`` calendar months after
    the last occasion. It is met on that day and overdue the day after."""
    return add_months(last, months)


def timing(due: date, today: date, soon_days: int = DUE_SOON_DAYS) -> Status:
    """overdue after ``due``; due soon within ``soon_days`` before it (the project's 30 days);
    ok otherwise."""
    if today > due:
        return Status.OVERDUE
    if (due - today).days <= soon_days:
        return Status.DUE_SOON
    return Status.OK


def _d(x: date | None) -> str:
    return x.isoformat() if x else "—"


def plan_check(adopted_on: date, last_evaluated_on: date | None, today: date) -> tuple[Status,
                                                                                       date]:
    """Plan §8.1 原则上每年评估一次: due twelve months after the last evaluation (or adoption
    when never evaluated); overdue after that (thirteen months is overdue, eleven is not)."""
    due = due_after(last_evaluated_on or adopted_on, PLAN_EVALUATION_MONTHS)
    return timing(due, today), due


def plan_reason(status: Status, key: str, due: date) -> Reason:
    src = "Plan §8.1"
    if status == Status.OVERDUE:
        return Reason("plan.evaluation_overdue", src,
                      f"预案 {key} 原则上每年评估一次，应于 {due} 前评估，已逾期",
                      f"plan {key} is evaluated once a year; it was due by {due} and is overdue")
    if status == Status.DUE_SOON:
        return Reason("plan.evaluation_due_soon", src,
                      f"预案 {key} 年度评估将于 {due} 到期",
                      f"plan {key}'s yearly evaluation falls due on {due}")
    return Reason("plan.evaluated", src, f"预案 {key} 年度评估有效至 {due}",
                  f"plan {key}'s yearly evaluation holds until {due}")


PLAN_MISSING = Reason(
    "plan.missing", "Plan §8.1; Law art. 25",
    "未制定网络安全事件应急预案", "no network-security incident emergency plan is kept")


def plans_check(holder: Holder, plans: Iterable[tuple[str, date, date | None]],
                today: date) -> Check | None:
    """The plan duty of a body: each of its plans (key, adopted_on, last_evaluated_on) by
    :func:`plan_check`; a body that must keep one and has none is missing (Plan §8.1, Law 25).
    None for a body without the duty and without plans."""
    plans = list(plans)
    basis = plan_duty(holder)
    if not plans:
        if basis is None:
            return None
        return Check(Duty.PLAN, Status.MISSING, (PLAN_MISSING, basis))
    checks = []
    for key, adopted, evaluated in plans:
        status, due = plan_check(adopted, evaluated, today)
        checks.append((status, due, key, evaluated or adopted))
    worst = min(checks, key=lambda c: (_SEVERITY.index(c[0]), c[1]))
    reasons = tuple(plan_reason(st, key, due) for st, due, key, _ in
                    sorted(checks, key=lambda c: (_SEVERITY.index(c[0]), c[1])))
    return Check(Duty.PLAN, worst[0], reasons, last_on=max(c[3] for c in checks),
                 due_on=worst[1], items=tuple(c[2] for c in checks))


def recurring_check(duty: Duty, basis: Reason, months: int, last: date | None,
                    last_reported: date | None, must_report: bool, today: date) -> Check:
    """A duty held every ``months`` months and, when ``must_report``, reported:

    * none ever → missing; the last more than ``months`` ago → overdue (Plan §6.2 每年至少一次,
      Law 38 每年至少一次);
    * held in time but none of those in time reported → not reported (Plan §6.2 并将演练情况报
      中央网信办; Law 38 报送…部门);
    * otherwise ok, or due soon within 30 days of the next due day (the project's)."""
    code = duty.value
    zh_name, en_name = DUTY_LABELS[duty]
    if last is None:
        return Check(duty, Status.MISSING, (Reason(
            f"{code}.missing", basis.source, f"从未记录{zh_name}", f"no {en_name} on record"),
            basis))
    due = due_after(last, months)
    if today > due:
        return Check(duty, Status.OVERDUE, (Reason(
            f"{code}.overdue", basis.source,
            f"最近一次{zh_name}为 {last}，{months}个月内没有{zh_name}（应于 {due} 前）",
            f"the last {en_name} was on {last}: none in the last {months} months "
            f"(due by {due})"), basis), last_on=last, due_on=due)
    if must_report:
        if last_reported is None or today > due_after(last_reported, months):
            return Check(duty, Status.NOT_REPORTED, (Reason(
                f"{code}.not_reported", basis.source,
                f"{last} 的{zh_name}未报送", f"the {en_name} of {last} was not reported"),
                basis), last_on=last, due_on=due)
        due = due_after(last_reported, months)
    status = timing(due, today)
    text = ((f"{zh_name}将于 {due} 到期", f"the next {en_name} falls due on {due}")
            if status == Status.DUE_SOON else
            (f"最近一次{zh_name}为 {last}，有效至 {due}", f"the last {en_name} was on {last}; "
             f"it holds until {due}"))
    return Check(duty, status, (Reason(f"{code}.{status.value}", basis.source, *text),),
                 last_on=last, due_on=due)


def exercise_check(holder: Holder, last_held: date | None, last_reported_held: date | None,
                   today: date, central_months: int = CENTRAL_EXERCISE_MONTHS) -> Check | None:
    """Plan §6.2 ¶1 (the Central Cyberspace Office, every ``central_months``), ¶2 (provinces
    and departments, reported) and Law 34(4) (CII operators) by :func:`recurring_check`; None
    for a body without the duty."""
    duty = exercise_duty(holder, central_months)
    if duty is None:
        return None
    basis, months, must_report = duty
    return recurring_check(Duty.EXERCISE, basis, months, last_held, last_reported_held,
                           must_report, today)


#: an exercise is reminded this many months before its interval runs out (the project's choice:
#: eleven months into a yearly duty)
EXERCISE_REMINDER_LEAD_MONTHS = 1


def exercise_reminder_due(last_on: date | None, months: int, today: date) -> bool:
    """Whether a body that must exercise every ``months`` is reminded on ``today``: none on
    record, or the last one at least ``months`` − 1 months ago (the project's choice)."""
    return last_on is None or last_on <= add_months(
        today, -(months - EXERCISE_REMINDER_LEAD_MONTHS))


def assessment_check(holder: Holder, last: date | None, last_reported: date | None,
                     today: date) -> Check | None:
    """Law art. 38: a CII operator's yearly risk assessment, reported; None for other bodies."""
    if assessment_duty(holder) is None:
        return None
    return recurring_check(Duty.CII_ASSESSMENT, ASSESSMENT_BASIS, CII_ASSESSMENT_MONTHS, last,
                           last_reported, True, today)


def training_check(holder: Holder, last: date | None, today: date) -> Check | None:
    """Law art. 34(2), Plan §6.4: a CII operator with no training in twelve months gets an
    advisory flag, never a non-compliance (the interval is the project's reading)."""
    if training_duty(holder) is None:
        return None
    if last is None or today > due_after(last, TRAINING_MONTHS):
        return Check(Duty.TRAINING, Status.ADVISORY, (Reason(
            "training.advisory", TRAINING_BASIS.source,
            f"{TRAINING_MONTHS}个月内没有培训记录（最近一次：{_d(last)}）",
            f"no training on record in the last {TRAINING_MONTHS} months (last: {_d(last)})"),
            TRAINING_BASIS), last_on=last)
    due = due_after(last, TRAINING_MONTHS)
    return Check(Duty.TRAINING, Status.OK, (Reason(
        "training.ok", TRAINING_BASIS.source, f"最近一次培训为 {last}",
        f"the last training was on {last}"),), last_on=last, due_on=due)


def reserve_due(last_checked_on: date | None, recorded_on: date, every_days: int) -> date:
    """Plan §7.8 (interval the project's): the next check falls due ``every_days`` after the
    last one, or after the day the reserve was recorded when never checked."""
    return (last_checked_on or recorded_on) + timedelta(days=every_days)


def reserve_status(last_checked_on: date | None, recorded_on: date, every_days: int,
                   today: date) -> tuple[Status, date]:
    """overdue after the due day; due soon within 14 days of it, at most half the interval."""
    due = reserve_due(last_checked_on, recorded_on, every_days)
    return timing(due, today, min(RESERVE_DUE_SOON_DAYS, every_days // 2)), due


def reserves_check(reserves: Iterable[tuple[str, date | None, date, int]],
                   today: date) -> Check | None:
    """The reserves of a body, each (key, last_checked_on, recorded_on, check_every_days):
    overdue when any check is overdue (Plan §7.8 及时调整、升级); None without reserves."""
    rows = []
    for key, checked, recorded, every in reserves:
        status, due = reserve_status(checked, recorded, every, today)
        rows.append((status, due, key, checked))
    if not rows:
        return None
    rows.sort(key=lambda r: (_SEVERITY.index(r[0]), r[1]))
    reasons = []
    for status, due, key, checked in rows:
        if status == Status.OVERDUE:
            reasons.append(Reason("reserve.check_overdue", RESERVE_BASIS.source,
                                  f"储备 {key} 应于 {due} 前检查（上次：{_d(checked)}），已逾期",
                                  f"reserve {key} was due for a check by {due} (last: "
                                  f"{_d(checked)}) and is overdue"))
        elif status == Status.DUE_SOON:
            reasons.append(Reason("reserve.check_due_soon", RESERVE_BASIS.source,
                                  f"储备 {key} 将于 {due} 到检查期", f"reserve {key} falls due "
                                  f"for a check on {due}"))
    if not reasons:
        reasons.append(Reason("reserve.checked", RESERVE_BASIS.source, "储备均按期检查",
                              "every reserve has been checked in time"))
    checked_days = [r[3] for r in rows if r[3]]
    return Check(Duty.RESERVES, rows[0][0], tuple(reasons),
                 last_on=max(checked_days) if checked_days else None, due_on=rows[0][1],
                 items=tuple(r[2] for r in rows))


# --- decisions on writes ----------------------------------------------------------------------


def evaluation_versions(outcome: EvaluationOutcome, before: str,
                        after: str | None) -> Decision:
    """Plan §8.1 根据实际情况适时修订: a revised plan gets a new version; an adequate one keeps
    its version."""
    src = "Plan §8.1"
    if outcome == EvaluationOutcome.REVISED and (not after or after == before):
        return decide([Reason("plan.revision_version", src,
                              f"修订后的预案应有新的版本号（当前为 {before}）",
                              f"a revised plan needs a new version (it is {before})")])
    if outcome == EvaluationOutcome.ADEQUATE and after and after != before:
        return decide([Reason("plan.adequate_version", src,
                              "评估认为适用的预案不改变版本号；修订请选择“已修订”",
                              "an adequate plan keeps its version; choose 'revised' to revise")])
    return decide((), Reason("plan.evaluation", src,
                             "本预案原则上每年评估一次，根据实际情况适时修订",
                             "the plan is evaluated once a year and revised when needed"))


def exercise_move(current: ExerciseState, target: ExerciseState) -> Decision:
    """An exercise is planned, then held or cancelled; nothing follows either (Plan §6.2)."""
    return transition_decision("exercise.state", "Plan §6.2", EXERCISE_STATE_LABELS,
                               _EXERCISE_MOVES, current, target)


def exercise_report(state: ExerciseState, already_reported: bool) -> Decision:
    """Plan §6.2 并将演练情况报中央网信办: what is reported is a held exercise, once."""
    refusals = []
    if state != ExerciseState.HELD:
        refusals.append(Reason("exercise.report_not_held", "Plan §6.2",
                               "只有已举行的演练才能报送演练情况",
                               "only a held exercise can be reported"))
    if already_reported:
        refusals.append(Reason("exercise.already_reported", "Plan §6.2",
                               "该演练情况已报中央网信办",
                               "this exercise has already been reported"))
    return decide(refusals, Reason("exercise.report", "Plan §6.2", "将演练情况报中央网信办",
                                   "the exercise is reported to the Central Cyberspace Office"))


def action_overdue(due_on: date | None, done_on: date | None, today: date) -> bool:
    """A follow-up action not done by its due day is overdue (the exercise's findings are acted
    on, Plan §6.2 检验和完善预案)."""
    return due_on is not None and done_on is None and today > due_on


@dataclass(frozen=True)
class Department:
    """A candidate recipient of a CII assessment report, as the rule needs it."""

    kind: BodyKind
    jurisdiction_path: str
    sectors: frozenset[str]


def assessment_recipient(operator_path: str, operator_sectors: frozenset[str],
                         recipient: Department) -> Decision:
    """Law art. 38 报送相关负责关键信息基础设施安全保护工作的部门: the recipient is a department
    regulating one of the operator's sectors, in the operator's jurisdiction or above it."""
    refusals = []
    if BodyKind(recipient.kind) != BodyKind.DEPARTMENT:
        refusals.append(Reason("cii_assessment.recipient_kind", "Law art. 38",
                               "检测评估情况应报送负责关键信息基础设施安全保护工作的部门",
                               "the assessment goes to the department in charge of CII "
                               "protection, not another kind of body"))
    elif not recipient.sectors & operator_sectors:
        refusals.append(Reason("cii_assessment.recipient_sector", "Law art. 38",
                               "该部门不负责本单位所在行业的关键信息基础设施安全保护",
                               "that department does not regulate the operator's sector"))
    if not operator_path.startswith(recipient.jurisdiction_path):
        refusals.append(Reason("cii_assessment.recipient_jurisdiction", "Law art. 38",
                               "该部门的辖区不包含本单位",
                               "that department's jurisdiction does not contain the operator"))
    return decide(refusals, ASSESSMENT_BASIS)


def worst(checks: Iterable[Check]) -> Status:
    """The worst status among ``checks`` (ok when there are none)."""
    statuses = [c.status for c in checks]
    return min(statuses, key=_SEVERITY.index) if statuses else Status.OK


# --- who commends (Plan §7.10) -----------------------------------------------------------------

#: bodies that commend: the offices and groups that run emergency work, the departments for their
#: sectors and CNCERT for its support units (Plan §7.10 对…作出突出贡献的先进集体和个人给予
#: 表彰和奖励; Support obligation 9 对于表现优秀的应急服务支撑单位给予通报表扬)
COMMENDING_KINDS = frozenset({BodyKind.LEADING_GROUP, BodyKind.OFFICE, BodyKind.DEPARTMENT,
                              BodyKind.CERT})


def may_commend(giver_kind: BodyKind | str) -> Decision:
    """Whether a body of ``giver_kind`` gives commendations (Plan §7.10; Support obl. 9)."""
    basis = Reason("commend.authority", "Plan §7.10",
                   "对网络安全事件应急管理工作中作出突出贡献的先进集体和个人给予表彰和奖励",
                   "those who made outstanding contributions to emergency work are commended")
    if BodyKind(giver_kind) in COMMENDING_KINDS:
        return decide((), basis)
    return decide([Reason("commend.not_authority", "Plan §7.10",
                          "只有领导小组、应急办、行业主管部门和CNCERT给予表彰",
                          "only leading groups, offices, departments and CNCERT give "
                          "commendations")])


# --- responsible persons (Plan §7.10) ----------------------------------------------------------
#
# Plan §7.10 网络安全事件应急处置工作实行责任追究制 … 对有关责任人给予处分；构成犯罪的，
# 依法追究刑事责任; and 对…作出突出贡献的先进集体和个人给予表彰和奖励: accountability and
# commendation name persons as well as bodies. The decision is recorded by the body that made
# it, which must have authority over the person's body: the body lies in its part of the tree
# (its jurisdiction's subtree and, for a department, its sectors — the caller's scope, Law
# art. 30), or is the body itself.


class Conduct(StrEnum):
    """What a person is held to account for: the failings Plan §7.10 names."""

    NO_PLAN = "no_plan"
    NO_EXERCISE = "no_exercise"
    LATE_REPORT = "late_report"
    FALSE_REPORT = "false_report"
    CONCEALED_REPORT = "concealed_report"
    OMITTED_REPORT = "omitted_report"
    DERELICTION = "dereliction"


CONDUCT_LABELS: Mapping[Conduct, tuple[str, str]] = MappingProxyType({
    Conduct.NO_PLAN: ("不按照规定制定预案", "did not draw up a plan as required"),
    Conduct.NO_EXERCISE: ("不按照规定组织开展演练", "did not organize exercises as required"),
    Conduct.LATE_REPORT: ("迟报", "late report"),
    Conduct.FALSE_REPORT: ("谎报", "false report"),
    Conduct.CONCEALED_REPORT: ("瞒报", "concealed report"),
    Conduct.OMITTED_REPORT: ("漏报", "omitted report"),
    Conduct.DERELICTION: ("应急管理工作中其他失职、渎职行为",
                          "other neglect or dereliction of duty in emergency work"),
})


class Sanction(StrEnum):
    """The decision (处分): the usual sanctions of public-service discipline, referral for
    criminal responsibility (构成犯罪的，依法追究刑事责任), or another measure said in words."""

    WARNING = "warning"
    DEMERIT = "demerit"
    MAJOR_DEMERIT = "major_demerit"
    DEMOTION = "demotion"
    DISMISSAL = "dismissal"
    EXPULSION = "expulsion"
    CRIMINAL_REFERRAL = "criminal_referral"
    OTHER = "other"


SANCTION_LABELS: Mapping[Sanction, tuple[str, str]] = MappingProxyType({
    Sanction.WARNING: ("警告", "warning"),
    Sanction.DEMERIT: ("记过", "demerit"),
    Sanction.MAJOR_DEMERIT: ("记大过", "major demerit"),
    Sanction.DEMOTION: ("降级", "demotion"),
    Sanction.DISMISSAL: ("撤职", "dismissal from post"),
    Sanction.EXPULSION: ("开除", "expulsion"),
    Sanction.CRIMINAL_REFERRAL: ("移送司法机关依法追究刑事责任",
                                 "referred for criminal responsibility"),
    Sanction.OTHER: ("其他", "other"),
})

#: bodies that decide on responsible persons: 中央网信办及有关地区和部门 (Plan §7.10) — the
#: offices and leading groups of the regions, and the departments
DECIDING_KINDS = frozenset({BodyKind.LEADING_GROUP, BodyKind.OFFICE, BodyKind.DEPARTMENT})

_DECIDES = Reason("accountability.authority", "Plan §7.10",
                  "中央网信办及有关地区和部门依照相关规定对有关责任人给予处分",
                  "the Cyberspace Office and the regions and departments concerned decide on "
                  "the persons responsible")


def outside_authority(key: str) -> Reason:
    """The refusal for a person's body outside the deciding body's part of the tree; one that
    does not exist reads the same (Law art. 30)."""
    return Reason("accountability.outside_authority", "Plan §7.10; Law art. 30",
                  f"单位 {key} 不在本单位的管辖范围内（或不存在）",
                  f"body {key!r} is not under your body's authority (or does not exist)")


def outside(bodies: Mapping[str, bool]) -> list[Reason]:
    """A refusal for each person's body (key → under the decider's authority) that is not."""
    return [outside_authority(k) for k, within in bodies.items() if not within]


def may_decide_on_person(decider_kind: BodyKind | str, *, bodies: Mapping[str, bool]
                         ) -> Decision:
    """Whether a body of ``decider_kind`` records a decision (处分) about persons of
    ``bodies`` (key → under its authority), Plan §7.10."""
    refusals = outside(bodies)
    if BodyKind(decider_kind) not in DECIDING_KINDS:
        refusals.insert(0, Reason("accountability.not_authority", "Plan §7.10",
                                  "只有领导小组、网信办（应急办）和有关部门对责任人给予处分",
                                  "only leading groups, offices and departments decide on "
                                  "the persons responsible"))
    return decide(refusals, _DECIDES)


def persons_within(bodies: Mapping[str, bool]) -> Decision:
    """The persons a commendation names serve in bodies under the giver's authority (key →
    whether it is), Plan §7.10 先进集体和个人."""
    return decide(outside(bodies), Reason(
        "commend.persons_within", "Plan §7.10", "表彰的个人所在单位在本单位的管辖范围内",
        "the persons commended serve in bodies under your body's authority"))


def sanction_problem(sanction: Sanction, text: str | None) -> str | None:
    """Another measure must be said in words; a named sanction may add words."""
    if sanction == Sanction.OTHER and not (text and text.strip()):
        return "say what the decision is (sanction_text) when the sanction is 'other'"
    return None
