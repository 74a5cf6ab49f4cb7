"""Possible major incidents reported at once (Plan §3.3 ¶1: 对可能发生重大及以上网络安全事件的
信息要及时向应急办报告): a risk assessment by a province or department that proposes orange or red
goes to the Emergency Office, which acknowledges it by a deadline; the watchdog reminds it once
when the deadline passes.

The rules are :func:`fenghuo.warning.rules.possible_major_route` (who reports what) and the
deadline setting ``FENGHUO_POSSIBLE_MAJOR_ACK_HOURS`` (the Plan says 及时 and gives no figure).
Messages go through the outbox, laid out with :mod:`fenghuo.notify.compose`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Forbidden
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import directory
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyFunction, contact_tier
from fenghuo.org.service import emergency_office
from fenghuo.warning import rules
from fenghuo.warning.models import AssessmentReport, MonitoringItem, RiskAssessment
from fenghuo.warning.schemas import AssessmentReportOut


def ack_hours(s: Session) -> float:
    """The deployment's deadline for the Emergency Office to acknowledge a possible major
    incident (``FENGHUO_POSSIBLE_MAJOR_ACK_HOURS``; Plan §3.3 ¶1 says only 及时)."""
    return float(s.info.get(rules.POSSIBLE_MAJOR_INFO_KEY, rules.DEFAULT_POSSIBLE_MAJOR_ACK_HOURS))


def report(s: Session, row: RiskAssessment, proposal: rules.Proposal, body: Body,
           now: datetime) -> AssessmentReport | None:
    """Route a new assessment to the Emergency Office when Plan §3.3 ¶1 asks for it: the
    report with its acknowledgement clock, and a message to the Office's first contacts."""
    reason = rules.possible_major_route(
        proposal, kind=body.kind, jurisdiction_path=body.jurisdiction.path,
        emergency_office=body.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE.value)
    office = emergency_office(s) if reason else None
    if office is None or office.id == body.id:
        return None
    sent = AssessmentReport(assessment_id=row.id, body_id=office.id, source=reason.source,
                            reported_at=now, ack_due_at=now + timedelta(hours=ack_hours(s)))
    s.add(sent)
    s.flush()
    _notify(s, row, sent, body, now, step=0)
    return sent


#: what each message adds to its subject, and what it asks (Plan §3.3 ¶1–2)
_ASKED = {
    "assessment.reported": (Words("可能发生重大事件", "POSSIBLE MAJOR INCIDENT"),
                            Words("请确认收到并组织研判（Plan §3.3 ¶1–2）",
                                  "acknowledge it and organize the judgment (Plan §3.3 ¶1–2)")),
    "assessment.reminder": (Words("逾期待确认", "OVERDUE"),
                            Words("尚未确认收到该风险评估，请立即确认",
                                  "the assessment is not yet acknowledged: acknowledge it now")),
}


def _notify(s: Session, row: RiskAssessment, sent: AssessmentReport, assessor: Body,
            now: datetime, *, step: int, event: str = "assessment.reported") -> None:
    """Tell the Office through its contacts of tier ``step`` (``org.rules.contact_tier``)."""
    proposal = json.loads(row.proposal)
    level = rules.WarningLevel(row.proposed_level)
    grade = rules.Grade(row.harm)
    titles = s.scalars(select(MonitoringItem.title).where(
        MonitoringItem.id.in_(json.loads(row.item_ids))).order_by(MonitoringItem.id)).all()
    what = "；".join(titles) or row.ref
    tag, asked = _ASKED[event]
    subject, text = compose(Notice(
        what=Words(what, what), tag=Words(f"{level.label_zh} {tag.zh}", f"{level.value.upper()} "
                                          f"{tag.en}"),
        ref=row.ref, unit=Words(assessor.name_zh, assessor.name_en),
        grade=Words(f"{grade.label_zh}（{level.label_zh}）",
                    f"{grade.label_en} ({level.label_en})"),
        asked=asked, due=sent.ack_due_at))
    text += "".join(f"依据 Reason: {r['text_zh']} / {r['text_en']} ({r['source']})\n"
                    for r in proposal["reasons"])
    payload = {"event": event, "ref": row.ref, "level": row.proposed_level, "grade": row.harm,
               "ack_due_at": sent.ack_due_at.isoformat(), "source": sent.source,
               "path": f"/web/warnings/new?assessment={row.ref}"}
    contacts = contact_tier(directory.contacts_of(s, [sent.body_id]).get(sent.body_id, ()), step)
    outbox.enqueue(s, now=now, messages=[
        outbox.Message(c, subject, text, payload, priority=0 if level == rules.WarningLevel.RED
                       else 10) for c in contacts])


def acknowledge(s: Session, row: RiskAssessment, principal: Principal, now: datetime) -> None:
    """The Office confirms it received the report; its clock stops (once: a second time
    changes nothing)."""
    sent = s.scalar(select(AssessmentReport).where(
        AssessmentReport.assessment_id == row.id,
        AssessmentReport.body_id == principal.body_id))
    if sent is None:
        raise Forbidden("the assessment was not reported to your body (Plan §3.3 ¶1)")
    if sent.acknowledged_at is None:
        sent.acknowledged_at, sent.acknowledged_by = now, principal.username
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="risk.acknowledge",
                     entity_type="assessment", entity_key=row.ref,
                     scope_path=row.jurisdiction_path)


def remind_overdue(uow: UnitOfWork, clock: Clock, *, limit: int = 500) -> int:
    """The watchdog: remind the Office once, through its next contact, of every report it has
    not acknowledged by the deadline; returns how many were reminded."""
    now = clock.now()
    with uow() as s:
        due = s.execute(select(AssessmentReport, RiskAssessment).join(
            RiskAssessment, RiskAssessment.id == AssessmentReport.assessment_id).where(
            AssessmentReport.acknowledged_at.is_(None), AssessmentReport.ack_due_at < now,
            AssessmentReport.reminded_at.is_(None)).order_by(AssessmentReport.ack_due_at)
            .limit(limit).with_for_update(skip_locked=True)).all()
        for sent, row in due:
            sent.reminded_at = now
            _notify(s, row, sent, s.get(Body, row.body_id), now, step=1,
                    event="assessment.reminder")
            audit.record(s, at=now, actor=audit.Actor("watchdog"), action="risk.report_overdue",
                         entity_type="assessment", entity_key=row.ref,
                         scope_path=row.jurisdiction_path,
                         detail={"due_at": sent.ack_due_at.isoformat()})
        return len(due)


def reports_out(s: Session, row: RiskAssessment, now: datetime) -> list[AssessmentReportOut]:
    rows = s.execute(select(AssessmentReport, Body).join(Body, Body.id == AssessmentReport.body_id)
                     .where(AssessmentReport.assessment_id == row.id)
                     .order_by(AssessmentReport.id)).all()
    return [AssessmentReportOut(
        body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en, source=r.source,
        reported_at=r.reported_at, ack_due_at=r.ack_due_at, acknowledged_at=r.acknowledged_at,
        acknowledged_by=r.acknowledged_by, reminded_at=r.reminded_at,
        state=rules.acknowledgement_state(r.ack_due_at, r.acknowledged_at, now))
        for r, b in rows]
