"""Pure rules of incidents with many owners (issue 16 item 5): who may report about a unit, the
roll-up of a parent incident's affected units, and what the parent may become.

A botnet or an exploitation wave hits many units at once. One parent incident lists the
affected units; each affected unit is a child incident of its own, routed along its own chain
with its own clocks and notices ("谁主管谁负责、谁运行谁负责", Plan §1.5; CAC 2025 art. 4), and
the parent rolls up their states.

Who may report about a unit: a body reports about the units inside its scope (Law art. 30;
Plan §4.1 — regions and departments handle and report what happens in their region and
sector); a support unit or support team also reports the incidents it discovers at any operator
unit (Support obligation 7: 发现重要事件立即报告), which routes along that unit's chain and
counts as discovered for the support unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.incident.grading import Grade
from fenghuo.incident.rules import State
from fenghuo.org.rules import BodyKind

#: bodies that report what they discover at other units (Support obligation 7)
DISCOVERING_KINDS = frozenset({BodyKind.SUPPORT_UNIT, BodyKind.SUPPORT_TEAM})
#: affected units in one request: a few hundred is the expected wave; more goes in batches
MAX_AFFECTED = 2000
OPEN_STATES = frozenset({State.REPORTED, State.ACKNOWLEDGED, State.HANDLING})


# --- who may report about a unit --------------------------------------------------------------

_IN_SCOPE = Reason("report_about.in_scope", "Law art. 30; Plan §4.1",
                   "该单位在本单位的职责范围内", "the unit lies within your body's scope")
_DISCOVERED = Reason("report_about.discovered", "Support obligation 7",
                     "支撑单位发现的重要事件应立即报告，沿事发单位的报告链报送",
                     "a support unit reports at once the incidents it discovers; the report "
                     "goes along the affected unit's chain")


def _out_of_scope(key: str) -> Reason:
    return Reason("report_about.out_of_scope", "Law art. 30",
                  f"单位 {key} 不在本单位可报告的范围内（或不存在）",
                  f"unit {key!r} is not one your body may report about (or does not exist)")


def may_report_about(*, reporter_kind: BodyKind, key: str, unit_kind: BodyKind | None,
                     in_scope: bool) -> Decision:
    """Whether a body of ``reporter_kind`` may file an incident about the unit ``key``
    (``unit_kind`` None: no such unit). Out of scope and missing read the same (Law art. 30)."""
    if unit_kind is not None and in_scope:
        return decide((), _IN_SCOPE)
    if unit_kind == BodyKind.OPERATOR and reporter_kind in DISCOVERING_KINDS:
        return decide((), _DISCOVERED)
    return decide([_out_of_scope(key)])


def duplicates(keys: Iterable[str]) -> list[str]:
    """Keys named more than once, in order of first repetition."""
    seen: set[str] = set()
    out: list[str] = []
    for k in keys:
        if k in seen and k not in out:
            out.append(k)
        seen.add(k)
    return out


def common_path(paths: Iterable[str]) -> str | None:
    """The lowest jurisdiction over every one of ``paths`` (materialized ``/1/4/27/``)."""
    split = [p.strip("/").split("/") for p in paths]
    if not split:
        return None
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/" + "".join(f"{p}/" for p in common) if common else None


# --- the roll-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollup:
    """The affected units' incidents seen together: how many in each state, the worst grade."""

    total: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    worst_grade: Grade | None = None

    @property
    def open(self) -> int:
        return sum(self.by_state.get(s.value, 0) for s in OPEN_STATES)

    @property
    def all_closed(self) -> bool:
        return self.total > 0 and self.by_state.get(State.CLOSED.value, 0) == self.total

    @property
    def all_resolved(self) -> bool:
        """Every affected unit's incident is resolved or closed."""
        return self.total > 0 and self.open == 0


def rollup(children: Iterable[tuple[str, str]]) -> Rollup:
    """The roll-up of ``(state, grade)`` pairs, one per affected unit."""
    states: Counter[str] = Counter()
    worst: Grade | None = None
    for state, grade in children:
        states[state] += 1
        g = Grade(grade)
        worst = g if worst is None or g.rank > worst.rank else worst
    return Rollup(total=sum(states.values()), by_state=dict(states), worst_grade=worst)


def worst_reason(r: Rollup) -> dict:
    """Why the parent has its grade: the highest its units' incidents reach (Plan §1.4)."""
    grade = r.worst_grade.value if r.worst_grade else None
    return {"code": "parent.worst_grade", "grade": grade, "source": "Plan §1.4",
            "text_zh": f"取{r.total}个受影响单位事件中的最高等级",
            "text_en": f"the highest grade among the incidents of its {r.total} affected "
                       "unit(s)"}


# --- what the parent may become ---------------------------------------------------------------

_PARENT_SOURCE = "Plan §4.3; issue 16 item 5"


def parent_may_become(target: State, r: Rollup) -> Decision:
    """A parent is resolved when every affected unit's incident is resolved or closed, and
    closed when every one is closed: each unit ends its own handling (Plan §4.3), the parent
    only gathers them."""
    basis = Reason("parent.rollup", _PARENT_SOURCE, "受影响单位的事件均已处置",
                   "every affected unit's incident allows it")
    if target == State.CLOSED and not r.all_closed:
        n = r.total - r.by_state.get(State.CLOSED.value, 0)
        return decide([Reason("parent.children_not_closed", _PARENT_SOURCE,
                              f"还有{n}个受影响单位的事件未关闭，母事件不能关闭",
                              f"{n} affected unit(s) still have an incident that is not closed; "
                              "the parent cannot close")])
    if target == State.RESOLVED and not r.all_resolved:
        return decide([Reason("parent.children_open", _PARENT_SOURCE,
                              f"还有{r.open}个受影响单位的事件仍在处置，母事件不能办结",
                              f"{r.open} affected unit(s) are still handling their incident; "
                              "the parent cannot be resolved")])
    return decide((), basis)
