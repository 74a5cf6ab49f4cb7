"""Read side of the work queue: one small indexed query per kind of row, each bounded by LIMIT,
merged and ordered in :mod:`fenghuo.queue.rules` (issue 19 item 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from fenghuo.common import clauses
from fenghuo.common.scope import Principal
from fenghuo.incident import casework
from fenghuo.incident.models import Duty, Incident
from fenghuo.incident.rules import State as IncidentState
from fenghuo.monitoring.notice_models import OwnerNotice
from fenghuo.monitoring.notice_rules import AWAITING_FEEDBACK
from fenghuo.queue import rules
from fenghuo.supervision.models import SupervisionItem
from fenghuo.supervision.rules import State as SupervisionState
from fenghuo.warning import service as warnings
from fenghuo.warning.models import (
    AssessmentReport,
    EarlyWarning,
    MonitoringItem,
    MonitoringShare,
    RiskAssessment,
    WarningRecipient,
    WarningTask,
)

#: the states in which the directed or interviewed unit still owes its measures (Law art. 55–56)
_SUPERVISION_OPEN = (SupervisionState.ISSUED.value, SupervisionState.ACKNOWLEDGED.value,
                     SupervisionState.REOPENED.value)
_INCIDENT_DONE = (IncidentState.RESOLVED.value, IncidentState.CLOSED.value)


@dataclass(frozen=True)
class QueueRow:
    kind: str            # rules.KIND_LABELS: "duty:<DutyKind>", "task", "warning_ack", …
    ref: str
    title: str
    due_at: datetime | None
    seconds_left: int | None  # negative = overdue, None = no deadline
    source: str          # the clause, as the code cites it
    link: str
    row_id: int = 0

    @property
    def kind_label(self) -> tuple[str, str]:
        return rules.kind_label(self.kind)

    @property
    def clause_zh(self) -> str:
        return clauses.render(self.source, "zh_CN")

    @property
    def clause_en(self) -> str:
        return clauses.render(self.source, "en")

    @property
    def left(self) -> timedelta | None:
        """Time left (negative: over), for the ``duration`` filter (which drops the sign)."""
        return None if self.seconds_left is None else timedelta(seconds=self.seconds_left)

    @property
    def overdue(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0


def _row(now: datetime, kind: str, ref: str, title: str, due: datetime | None, source: str | None,
         link: str, row_id: int) -> QueueRow:
    left = None if due is None else int((due - now).total_seconds())
    return QueueRow(kind=kind, ref=ref, title=title or "", due_at=due, seconds_left=left,
                    source=rules.source_for(kind, source), link=link, row_id=row_id)


def queue_for(uow, clock, *, principal: Principal, limit: int = 50) -> list[QueueRow]:
    """What waits on the caller or their body, soonest due first (overdue first, undated last):
    open incident clocks of the body, incidents assigned to the caller and their open tasks,
    warnings to acknowledge or approve and warning tasks, assessment reports to acknowledge,
    monitoring information shared to the body, owner notices awaiting the body's feedback and
    supervision directives the body owes measures for."""
    now, body, out = clock.now(), principal.body_id, []
    with uow() as s:
        for r in s.execute(
                select(Duty.id, Duty.kind, Duty.source, Duty.due_at, Incident.ref, Incident.title)
                .join(Incident, Incident.id == Duty.incident_id)
                .where(Duty.done_at.is_(None), Duty.body_id == body)
                .order_by(Duty.due_at, Duty.id).limit(limit)):
            out.append(_row(now, f"duty:{r.kind}", r.ref, r.title, r.due_at, r.source,
                            f"/web/incidents/{r.ref}", r.id))
        if principal.user_id is not None:
            for r in s.execute(
                    select(Incident.id, Incident.ref, Incident.title)
                    .where(Incident.assignee_user_id == principal.user_id,
                           Incident.state.not_in(_INCIDENT_DONE))
                    .order_by(Incident.id.desc()).limit(limit)):
                out.append(_row(now, "incident", r.ref, r.title, None, None,
                                f"/web/incidents/{r.ref}", r.id))
        for r in s.execute(
                select(WarningRecipient.id, WarningRecipient.ack_due_at, EarlyWarning.ref,
                       EarlyWarning.title)
                .join(EarlyWarning, EarlyWarning.id == WarningRecipient.warning_id)
                .where(WarningRecipient.body_id == body, WarningRecipient.acknowledged_at.is_(None),
                       EarlyWarning.lifted_at.is_(None))
                .order_by(WarningRecipient.ack_due_at, WarningRecipient.id).limit(limit)):
            out.append(_row(now, "warning_ack", r.ref, r.title, r.ack_due_at, None,
                            f"/web/warnings/{r.ref}", r.id))
        for r in s.execute(
                select(WarningTask.id, WarningTask.due_at, WarningTask.source,
                       WarningTask.title_zh, EarlyWarning.ref)
                .join(EarlyWarning, EarlyWarning.id == WarningTask.warning_id)
                .where(WarningTask.body_id == body, WarningTask.state == "open")
                .order_by(WarningTask.due_at, WarningTask.id).limit(limit)):
            out.append(_row(now, "warning_task", r.ref, r.title_zh, r.due_at, r.source,
                            f"/web/warnings/{r.ref}", r.id))
        for r in s.execute(
                select(AssessmentReport.id, AssessmentReport.ack_due_at, AssessmentReport.source,
                       RiskAssessment.ref)
                .join(RiskAssessment, RiskAssessment.id == AssessmentReport.assessment_id)
                .where(AssessmentReport.body_id == body, AssessmentReport.acknowledged_at.is_(None))
                .order_by(AssessmentReport.ack_due_at, AssessmentReport.id).limit(limit)):
            out.append(_row(now, "assessment", r.ref, "", r.ack_due_at, r.source,
                            f"/web/warnings/new?assessment={r.ref}", r.id))
        for r in s.execute(
                select(MonitoringShare.id, MonitoringItem.ref, MonitoringItem.title)
                .join(MonitoringItem, MonitoringItem.id == MonitoringShare.item_id)
                .where(MonitoringShare.body_id == body, MonitoringShare.acknowledged_at.is_(None))
                .order_by(MonitoringShare.id.desc()).limit(limit)):
            out.append(_row(now, "monitoring", r.ref, r.title, None, None,
                            f"/web/monitoring/{r.ref}", r.id))
        for r in s.execute(
                select(OwnerNotice.id, OwnerNotice.ref, OwnerNotice.deadline_at)
                .where(OwnerNotice.body_id == body,
                       OwnerNotice.state.in_([st.value for st in AWAITING_FEEDBACK]))
                .order_by(OwnerNotice.deadline_at, OwnerNotice.id).limit(limit)):
            out.append(_row(now, "owner_notice", r.ref, "", r.deadline_at, None,
                            f"/web/monitoring/notices/{r.ref}", r.id))
        for r in s.execute(
                select(SupervisionItem.id, SupervisionItem.kind, SupervisionItem.ref,
                       SupervisionItem.title, SupervisionItem.due_at)
                .where(SupervisionItem.unit_body_id == body,
                       SupervisionItem.state.in_(_SUPERVISION_OPEN))
                .order_by(SupervisionItem.due_at, SupervisionItem.id).limit(limit)):
            out.append(_row(now, rules.supervision_kind(r.kind), r.ref, r.title, r.due_at, None,
                            f"/web/supervision/{r.ref}", r.id))
    for t in casework.open_tasks_for(uow, principal, limit=limit):
        out.append(_row(now, "task", t.incident_ref, t.title, t.due_at, None,
                        f"/web/incidents/{t.incident_ref}", t.id))
    for a in warnings.awaiting_approval(uow, principal, limit):
        out.append(_row(now, "warning_approve", a.summary.ref, a.summary.title, None, None,
                        f"/web/warnings/{a.summary.ref}", 0))
    out.sort(key=lambda q: rules.order_key(q.due_at, q.row_id, q.kind))
    return out[:limit]
