"""Response checklists of early warning (Plan §3.4; §6.5 reuses the red one). Pure: no I/O.

Each level's tasks, whom they fall to and the clause they come from; :func:`checklist` turns them
into one task per body in scope with a due offset from publication. The Plan sets no time limits
for these tasks: :data:`DEFAULT_DUE` holds the project's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from fenghuo.warning.rules import WarningLevel

# --- response checklists (Plan §3.4) ----------------------------------------------------------


class TaskOwner(StrEnum):
    """Whom a response task of Plan §3.4 falls to."""

    EMERGENCY_OFFICE = "emergency_office"  # 应急办
    #: 有关省（区、市）、部门网络安全事件应急指挥机构: the offices and departments in scope
    RESPONDER = "responder"
    #: 国家网络安全应急技术支撑队伍 (Plan §7.2)
    SUPPORT_TEAM = "support_team"
    #: 运行单位 / 运营单位: the operating units a warning reaches (Plan §3.3 ¶1, §3.4.1 (2))
    OPERATING_UNIT = "operating_unit"


@dataclass(frozen=True)
class TaskSpec:
    """One task of a level's checklist, before it is given to a body."""

    code: str
    owner: TaskOwner
    source: str
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class ChecklistScope:
    """The bodies a published warning reaches, as the checklist needs them."""

    #: the national Emergency Office, if it is to get tasks
    emergency_office_id: int | None = None
    #: the offices and departments in scope (for yellow/blue: the region or department itself)
    responder_ids: tuple[int, ...] = ()
    #: national technical support teams (Plan §7.2)
    support_team_ids: tuple[int, ...] = ()
    #: the operating units (CII operators among them) in the warning's regions and sectors
    unit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TaskTemplate:
    """A task for one body, due ``due_after`` the warning's publication."""

    body_id: int
    code: str
    owner: TaskOwner
    source: str
    title_zh: str
    title_en: str
    due_after: timedelta


_EO, _RESP, _TEAM = TaskOwner.EMERGENCY_OFFICE, TaskOwner.RESPONDER, TaskOwner.SUPPORT_TEAM
_UNIT = TaskOwner.OPERATING_UNIT
#: Plan §3.3 ¶1 (the units that must take preventive measures are notified) and ¶3 (a warning
#: states the measures to take and their time limits): what every level asks of a unit
_UNIT_MEASURES = ("按预警要求在时限内采取防范措施，做好风险评估和控制，并反馈处置情况",
                  "Take the warning's measures within their time limits, assess and control the "
                  "risk, and report back what was done")
_START_PLAN = ("启动相应应急预案，指导组织开展预警响应",
               "Start the relevant contingency plan and guide the warning response")

CHECKLISTS: Mapping[WarningLevel, tuple[TaskSpec, ...]] = MappingProxyType({
    WarningLevel.RED: (
        TaskSpec("red.contact_experts", _EO, "Plan §3.4.1 (1)",
                 "组织预警响应，联系专家和有关机构，跟踪研判事态发展",
                 "Organize the warning response; contact experts and relevant agencies; track "
                 "and assess developments"),
        TaskSpec("red.study_measures", _EO, "Plan §3.4.1 (1)",
                 "研究制定防范措施和应急工作方案，协调资源调度和部门联动准备",
                 "Study and draw up preventive measures and an emergency work plan; prepare "
                 "resource scheduling and departmental linkage"),
        TaskSpec("red.duty_24h", _RESP, "Plan §3.4.1 (2)",
                 "应急指挥机构实行24小时值班，相关人员保持通信联络畅通",
                 "Keep 24-hour duty at the emergency command body; keep the people concerned "
                 "reachable"),
        TaskSpec("red.prepare", _RESP, "Plan §3.4.1 (2)",
                 "加强监测和信息搜集，组织指导支撑队伍、运行单位开展应急处置或准备、风险评估和控制",
                 "Strengthen monitoring and information gathering; have support teams and "
                 "operators prepare or handle, assess and control the risk"),
        TaskSpec("red.report", _RESP, "Plan §3.4.1 (2)", "重要情况报应急办",
                 "Report important developments to the Emergency Office"),
        TaskSpec("red.standby", _TEAM, "Plan §3.4.1 (3)",
                 "进入待命状态，针对预警信息研究制定应对方案",
                 "Go on standby and draw up a response plan for the warning"),
        TaskSpec("red.check_equipment", _TEAM, "Plan §3.4.1 (3)",
                 "检查应急车辆、设备、软件工具等，确保处于良好状态",
                 "Check emergency vehicles, equipment and software tools are in good order"),
        TaskSpec("red.unit_handle", _UNIT, "Plan §3.4.1 (2), §3.3 ¶3",
                 "开展应急处置或准备、风险评估和控制，按预警要求采取措施，重要情况及时报告",
                 "Carry out emergency handling or preparation, risk assessment and control; "
                 "take the warning's measures; report important developments at once"),
    ),
    WarningLevel.ORANGE: (
        TaskSpec("orange.start_plan", _RESP, "Plan §3.4.2 (1)",
                 "启动相应应急预案，组织开展预警响应",
                 "Start the relevant contingency plan and organize the warning response"),
        TaskSpec("orange.prepare", _RESP, "Plan §3.4.2 (1)",
                 "做好风险评估、应急准备和风险控制工作",
                 "Carry out risk assessment, emergency preparation and risk control"),
        TaskSpec("orange.report", _RESP, "Plan §3.4.2 (2)", "及时将事态发展情况报应急办",
                 "Report developments to the Emergency Office"),
        TaskSpec("orange.follow", _EO, "Plan §3.4.2 (2)",
                 "密切关注事态发展，重大事项及时通报相关省（区、市）和部门",
                 "Follow developments closely; notify the provinces and departments concerned "
                 "of major matters"),
        TaskSpec("orange.check_equipment", _TEAM, "Plan §3.4.2 (3)",
                 "保持联络畅通，检查应急车辆、设备、软件工具等",
                 "Stay reachable; check emergency vehicles, equipment and software tools"),
        TaskSpec("orange.unit_measures", _UNIT, "Plan §3.4.2 (1), §3.3 ¶1, ¶3",
                 *_UNIT_MEASURES),
    ),
    WarningLevel.YELLOW: (TaskSpec("yellow.start_plan", _RESP, "Plan §3.4.3", *_START_PLAN),
                          TaskSpec("yellow.unit_measures", _UNIT, "Plan §3.4.3, §3.3 ¶1, ¶3",
                                   *_UNIT_MEASURES)),
    WarningLevel.BLUE: (TaskSpec("blue.start_plan", _RESP, "Plan §3.4.3", *_START_PLAN),
                        TaskSpec("blue.unit_measures", _UNIT, "Plan §3.4.3, §3.3 ¶1, ¶3",
                                 *_UNIT_MEASURES)),
})

#: Time from publication to each task's due time. The Plan sets none; these are the project's
#: defaults ("at once" tasks 1 h; plans started within 2 h for orange, 4 h yellow, 24 h blue;
#: first reports and assessments within 24 h; the units' measures 12/24/48/72 h by level),
#: overridable per deployment.
DEFAULT_DUE: Mapping[str, timedelta] = MappingProxyType({
    "red.contact_experts": timedelta(hours=1),
    "red.study_measures": timedelta(hours=12),
    "red.duty_24h": timedelta(hours=1),
    "red.prepare": timedelta(hours=12),
    "red.report": timedelta(hours=24),
    "red.standby": timedelta(hours=1),
    "red.check_equipment": timedelta(hours=6),
    "orange.start_plan": timedelta(hours=2),
    "orange.prepare": timedelta(hours=24),
    "orange.report": timedelta(hours=24),
    "orange.follow": timedelta(hours=24),
    "orange.check_equipment": timedelta(hours=12),
    "yellow.start_plan": timedelta(hours=4),
    "blue.start_plan": timedelta(hours=24),
    # the units' tasks (project rule: a half day for red, then a day, two and three)
    "red.unit_handle": timedelta(hours=12),
    "orange.unit_measures": timedelta(hours=24),
    "yellow.unit_measures": timedelta(hours=48),
    "blue.unit_measures": timedelta(hours=72),
})


def _owners(scope: ChecklistScope, owner: TaskOwner) -> tuple[int, ...]:
    if owner == TaskOwner.EMERGENCY_OFFICE:
        return () if scope.emergency_office_id is None else (scope.emergency_office_id,)
    if owner == TaskOwner.OPERATING_UNIT:
        return scope.unit_ids
    return scope.responder_ids if owner == TaskOwner.RESPONDER else scope.support_team_ids


def checklist(level: WarningLevel | str, scope: ChecklistScope, *,
              due: Mapping[str, timedelta] | None = None) -> list[TaskTemplate]:
    """The response tasks of Plan §3.4 for a published warning of ``level``, one per task and
    body, in the Plan's order; ``due`` overrides :data:`DEFAULT_DUE` per task code.

    Plan §6.5 (important events) reuses the red checklist for the bodies it names.
    """
    due_after = {**DEFAULT_DUE, **(due or {})}
    return [TaskTemplate(body_id, spec.code, spec.owner, spec.source, spec.title_zh,
                         spec.title_en, due_after[spec.code])
            for spec in CHECKLISTS[WarningLevel(level)]
            for body_id in dict.fromkeys(_owners(scope, spec.owner))]
