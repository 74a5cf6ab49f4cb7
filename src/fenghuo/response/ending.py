"""Who ends an emergency response, in how many steps, and who is told (Plan §4.3). Pure: no I/O.

Plan §4.3.1 (Level I): 应急办提出建议，报指挥部批准后，及时通报有关省（区、市）和部门 — the
Emergency Office proposes, the headquarters approves, then the provinces and departments
concerned are notified. Plan §4.3.2 (Level II): 由事件发生省（区、市）或部门决定，报应急办，
应急办通报相关省（区、市）和部门 — the province or department where it happened decides, reports
to the Emergency Office, which notifies the others.

Readings and decisions where the documents are silent:

* **Level I is a two-step rule.** The Office's proposal (:func:`may_propose_end`) and a
  headquarters member's approval (:func:`may_approve_end`) are recorded separately; the end
  itself (:func:`may_end`) is recorded by the Emergency Office, which then notifies the provinces
  and departments (it does the headquarters' day-to-day work, Plan §2.2).
* **Level II has no proposal or approval step**: the activator decides directly. "The province or
  department where it happened" is the body that activated the response (``response.rules``
  lets only that body activate Level II); the Emergency Office is told, and relays.
* **Level II is relayed** (:func:`relays_end`, :func:`relay_to`): on being told, the Emergency
  Office notifies "the provinces and departments concerned" (相关省（区、市）和部门). The Plan does
  not list them; the reading is every body that took part in the response (participants, the
  members of the city's headquarters and field command), that asked for or was sent support
  (§4.2.2(3)), and the incident's province office and the departments regulating its sector at
  national and province level (those told to strengthen prevention, §4.2.2(4)) — less the
  Office itself and the activator, which decided. The system sends the Office's notice when the
  end is recorded, and records who was told, by whom (``response_notices``).
* **Levels III and IV**: Plan §4.3 says nothing; they run under the region's or department's own
  plan (Plan §4.2.3), so the activator decides, as for Level II. No notification is required by
  the Plan (``none_required``); the activator may tell whom its plan names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.response.rules import Actor, ResponseLevel

#: who must be told when a response ends (values of :func:`notify_on_end`)
NOTIFY_PROVINCES_AND_DEPARTMENTS = "provinces_and_departments"
NOTIFY_EMERGENCY_OFFICE = "emergency_office"
NOTIFY_NONE_REQUIRED = "none_required"
NOTIFY_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    NOTIFY_PROVINCES_AND_DEPARTMENTS: ("有关省（区、市）和部门",
                                       "the provinces and departments concerned"),
    NOTIFY_EMERGENCY_OFFICE: ("应急办（由其通报相关省（区、市）和部门）",
                              "the Emergency Office (which notifies the others)"),
    NOTIFY_NONE_REQUIRED: ("无强制通报要求（按本地区、本部门预案）",
                           "none required (as the body's own plan says)"),
})

_OWN_PLAN_END = Reason(
    "end.level_iii_iv", "Plan §4.2.3; §4.3 (project reading)",
    "Ⅲ级、Ⅳ级响应按本地区、本部门预案由启动机构决定结束",
    "Level III and IV responses run under the body's own plan; the activator ends them")
END_BASIS: Mapping[ResponseLevel, Reason] = MappingProxyType({
    ResponseLevel.I: Reason(
        "end.level_i", "Plan §4.3.1",
        "应急办提出建议，报指挥部批准后，及时通报有关省（区、市）和部门",
        "the Emergency Office proposes, the headquarters approves, and the provinces and "
        "departments concerned are notified"),
    ResponseLevel.II: Reason(
        "end.level_ii", "Plan §4.3.2",
        "由事件发生省（区、市）或部门决定，报应急办，应急办通报相关省（区、市）和部门",
        "the province or department where it happened decides and reports to the Emergency "
        "Office, which notifies the other provinces and departments"),
    ResponseLevel.III: _OWN_PLAN_END,
    ResponseLevel.IV: _OWN_PLAN_END,
})


def _activator_decides(level: ResponseLevel, step_zh: str, step_en: str, code: str) -> Reason:
    return Reason(code, END_BASIS[level].source,
                  f"{level.label_zh}的结束没有{step_zh}环节，由启动机构直接决定",
                  f"a {level.label_en} has no {step_en} step: the activator decides directly")


def notify_on_end(level: ResponseLevel | str) -> list[str]:
    """Who must be notified when a ``level`` response ends: Level I the provinces and departments
    concerned (Plan §4.3.1); Level II the Emergency Office, which notifies the others (Plan
    §4.3.2); Levels III and IV nobody by the Plan (project reading, see the module docstring)."""
    level = ResponseLevel(level)
    if level == ResponseLevel.I:
        return [NOTIFY_PROVINCES_AND_DEPARTMENTS]
    if level == ResponseLevel.II:
        return [NOTIFY_EMERGENCY_OFFICE]
    return [NOTIFY_NONE_REQUIRED]


#: how a body was told of the end (``response_notices.kind``): the activator's report to the
#: Emergency Office (Plan §4.3.2), the Office's relay of it (§4.3.2), the Office's notice of a
#: Level I end (§4.3.1)
NOTICE_KIND_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "report": ("报应急办", "reported to the Emergency Office"),
    "relay": ("应急办通报", "relayed by the Emergency Office"),
    "notice": ("通报结束", "notified of the end"),
})
RELAY_BASIS = Reason("end.office_relays", "Plan §4.3.2", "应急办通报相关省（区、市）和部门",
                     "the Emergency Office notifies the other provinces and departments")


def relays_end(level: ResponseLevel | str) -> bool:
    """Whether the Emergency Office, told of the end, relays it to the provinces and
    departments concerned: Level II (Plan §4.3.2). Level I it notifies them itself (§4.3.1)."""
    return ResponseLevel(level) == ResponseLevel.II


def relay_to(*, office: int, activator: int, taking_part: Iterable[int],
             supporting: Iterable[int], regulators: Iterable[int]) -> list[int]:
    """The provinces and departments the Office tells of a Level II end (Plan §4.3.2, reading
    in the module docstring): those that took part, gave or asked for support, and the
    incident's province office and sector regulators; not the Office nor the activator. In that
    order, each once."""
    return [b for b in dict.fromkeys([*taking_part, *supporting, *regulators])
            if b not in (office, activator)]


def may_propose_end(actor: Actor, level: ResponseLevel | str,
                    activated_by_body_id: int) -> Decision:
    """Level I: only the Emergency Office proposes the end (Plan §4.3.1). Levels II–IV have no
    proposal step (Plan §4.3.2). ``activated_by_body_id`` is kept for a uniform signature: the
    proposer is the Emergency Office whoever recorded the activation."""
    level = ResponseLevel(level)
    if level != ResponseLevel.I:
        return decide([_activator_decides(level, "提出建议", "proposal", "end.no_proposal_step")])
    if actor.is_national_emergency_office:
        return decide((), Reason("end.propose", "Plan §4.3.1", "应急办提出结束Ⅰ级响应的建议",
                                 "the Emergency Office proposes to end the Level I response"))
    return decide([Reason("end.propose_not_emergency_office", "Plan §4.3.1",
                          "只有应急办可以提出结束Ⅰ级响应的建议",
                          "only the Emergency Office proposes to end a Level I response")])


def may_approve_end(actor_is_headquarters_member: bool, level: ResponseLevel | str) -> Decision:
    """Level I: a member of the headquarters approves the Office's proposal (Plan §4.3.1).
    Levels II–IV have no approval step (Plan §4.3.2)."""
    level = ResponseLevel(level)
    if level != ResponseLevel.I:
        return decide([_activator_decides(level, "批准", "approval", "end.no_approval_step")])
    if actor_is_headquarters_member:
        return decide((), Reason("end.approve", "Plan §4.3.1", "指挥部批准结束Ⅰ级响应",
                                 "the headquarters approves the end of the Level I response"))
    return decide([Reason("end.approve_not_headquarters", "Plan §4.3.1",
                          "只有指挥部成员可以批准结束Ⅰ级响应",
                          "only a member of the headquarters approves the end of a Level I "
                          "response")])


def may_end(actor: Actor, level: ResponseLevel | str, activated_by_body_id: int, *,
            proposed: bool, approved: bool) -> Decision:
    """Whether ``actor`` may end a ``level`` response that ``activated_by_body_id`` activated.

    Level I (Plan §4.3.1): the Emergency Office, after its proposal and the headquarters'
    approval; then the provinces and departments are notified. Level II (Plan §4.3.2): the
    province or department that activated it, which reports to the Emergency Office. Levels III
    and IV: the activator (project reading). ``proposed`` and ``approved`` matter for Level I
    only.
    """
    level = ResponseLevel(level)
    refusals: list[Reason] = []
    if level == ResponseLevel.I:
        if not actor.is_national_emergency_office:
            refusals.append(Reason("end.not_emergency_office", "Plan §4.3.1",
                                   "Ⅰ级响应的结束由应急办提出建议、指挥部批准，并由应急办通报",
                                   "a Level I response is ended by the Emergency Office on its "
                                   "proposal and the headquarters' approval, not by another "
                                   "body"))
        if not proposed:
            refusals.append(Reason("end.needs_proposal", "Plan §4.3.1",
                                   "应急办尚未提出结束建议",
                                   "the Emergency Office has not proposed to end it"))
        if not approved:
            refusals.append(Reason("end.needs_approval", "Plan §4.3.1",
                                   "指挥部尚未批准结束",
                                   "the headquarters has not approved the end"))
    elif actor.body_id != activated_by_body_id:
        refusals.append(Reason("end.not_activator", END_BASIS[level].source,
                               f"{level.label_zh}由启动该响应的省（区、市）或部门决定结束",
                               f"a {level.label_en} is ended by the province or department "
                               f"that activated it"))
    return decide(refusals, END_BASIS[level])
