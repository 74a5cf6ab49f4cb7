"""Pure rules of the work queue: what each kind of row is called (zh, en), the clause behind a
row that was recorded without one, and the order (overdue first, then soonest due, undated last;
CAC 2025 art. 4 and 8, Plan §3.3 and §4.1, Law art. 55–56 set the deadlines). The clause text
itself is :func:`fenghuo.common.clauses.render`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from fenghuo.incident.rules import DUTY_LABELS, DutyKind
from fenghuo.supervision.rules import KIND_LABELS as SUPERVISION_LABELS
from fenghuo.supervision.rules import KIND_SOURCES as SUPERVISION_SOURCES
from fenghuo.supervision.rules import Kind as SupervisionKind

#: the kinds of row that are not an incident clock, Chinese first
KIND_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "incident": ("指派给我的事件", "incident assigned to me"),
    "task": ("事件任务", "incident task"),
    "warning_ack": ("待签收预警", "warning to acknowledge"),
    "warning_approve": ("待审批预警", "warning awaiting approval"),
    "warning_task": ("预警响应任务", "warning response task"),
    "assessment": ("待签收研判报告", "assessment report to acknowledge"),
    "monitoring": ("待签收监测信息", "monitoring information to acknowledge"),
    "owner_notice": ("待反馈监测通报", "monitoring notice awaiting feedback"),
    **{f"duty:{k.value}": v for k, v in DUTY_LABELS.items()},
    **{f"supervision:{k.value}": v for k, v in SUPERVISION_LABELS.items()},
})

#: the clause of a kind whose rows carry none of their own
KIND_SOURCES: Mapping[str, str] = MappingProxyType({
    "incident": "Plan §4.1",
    "warning_ack": "Plan §3.3",
    "warning_approve": "Plan §3.3",
    "assessment": "Plan §3.3 ¶1",
    "monitoring": "Plan §3.2",
    "owner_notice": "Law art. 25",
    f"duty:{DutyKind.ACKNOWLEDGE.value}": "Plan §4.1",
    **{f"supervision:{k.value}": v for k, v in SUPERVISION_SOURCES.items()},
})

#: clocks recorded with a description instead of a clause (``incident.rules.intake_duties``)
_NO_CLAUSE = frozenset({"acknowledgement of receipt"})


def kind_label(kind: str) -> tuple[str, str]:
    """(zh, en) name of a row kind; an unknown kind is shown as it is."""
    return KIND_LABELS.get(kind, (kind, kind))


def source_for(kind: str, source: str | None) -> str:
    """The citation to show for a row: its own clause, else the one its kind rests on (a routed
    body acknowledges under Plan §4.1 even when the clock was recorded without a clause)."""
    if source and source not in _NO_CLAUSE:
        return source
    return KIND_SOURCES.get(kind, "")


def supervision_kind(kind: str) -> str:
    return f"supervision:{SupervisionKind(kind).value}"


def order_key(due_at: datetime | None, row_id: int, kind: str = ""
              ) -> tuple[int, datetime | None, str, int]:
    """Soonest due first (overdue are the earliest), undated last, kind and id break ties."""
    return (1, None, kind, row_id) if due_at is None else (0, due_at, kind, row_id)
