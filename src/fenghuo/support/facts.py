"""Reading a support unit's facts for the obligation rules (Support obligations 4–8): its work
log, contacts and contact checks, incidents reported through the intake, work reports. Queries
only; the judgement is :mod:`fenghuo.support.rules`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fenghuo.common.periods import Half, Month
from fenghuo.common.reasons import Reason
from fenghuo.incident.models import Incident
from fenghuo.org.models import Body, Contact
from fenghuo.org.rules import DELIVERABLE_CHANNELS
from fenghuo.response.models import Response
from fenghuo.support import rules
from fenghuo.support.models import (
    ContactCheck,
    SupportDecision,
    SupportMembership,
    WorkEntry,
    WorkReport,
)
from fenghuo.support.schemas import DecisionOut, Label, ObligationOut, ReasonOut
from fenghuo.warning.models import MonitoringItem


def has_24x7(s: Session, body_id: int) -> bool:
    return bool(s.scalar(select(Contact.id).where(Contact.body_id == body_id,
                                                  Contact.is_24x7.is_(True)).limit(1)))


def deliverable_24x7(s: Session, body_id: int) -> list[Contact]:
    return [c for c in s.scalars(select(Contact).where(
        Contact.body_id == body_id, Contact.is_24x7.is_(True)).order_by(Contact.priority,
                                                                        Contact.id))
            if c.channel in DELIVERABLE_CHANNELS]


def month_facts(s: Session, body_id: int, months: Sequence[Month]) -> list[rules.MonthFacts]:
    """The facts of each month for one unit, in four queries over the whole range."""
    if not months:
        return []
    first, last = min(months).start, max(months).end
    entries = s.execute(
        select(WorkEntry.worked_on, WorkEntry.kind, WorkEntry.minutes,
               func.coalesce(WorkEntry.incident_id, Response.incident_id))
        .outerjoin(Response, Response.id == WorkEntry.response_id)
        .where(WorkEntry.body_id == body_id, WorkEntry.with_body_id.is_not(None),
               WorkEntry.worked_on >= first, WorkEntry.worked_on < last)).all()
    checks = s.execute(select(ContactCheck.sent_at, ContactCheck.answered_at).where(
        ContactCheck.body_id == body_id, ContactCheck.sent_at >= rules.start_of(first),
        ContactCheck.sent_at < rules.start_of(last))).all()
    # Support obligation 7: what it reported, at its own network or another unit's (an
    # incident at many units counts once: its parent, not each affected unit's)
    reported = s.scalars(select(Incident.reported_at).where(
        Incident.reporting_body_id == body_id, Incident.parent_id.is_(None),
        Incident.reported_at >= rules.start_of(first),
        Incident.reported_at < rules.start_of(last))).all()
    # … and the monitoring items it reported about another unit (issue 16 item 5)
    reported += s.scalars(select(MonitoringItem.created_at).where(
        MonitoringItem.body_id == body_id, MonitoringItem.subject_body_id.is_not(None),
        MonitoringItem.subject_body_id != body_id,
        MonitoringItem.created_at >= rules.start_of(first),
        MonitoringItem.created_at < rules.start_of(last))).all()
    contact = has_24x7(s, body_id)
    out = []
    for m in months:
        mine = [e for e in entries if m.start <= e[0] < m.end]
        incidents = {e[3] for e in mine if e[1] == rules.WorkKind.INCIDENT_RESPONSE and e[3]}
        out.append(rules.MonthFacts(
            month=m, responses=len(incidents), support_minutes=sum(e[2] for e in mine),
            has_24x7_contact=contact,
            checks=tuple(rules.Check(c[0], c[1]) for c in checks
                         if Month.of(rules.day_of(c[0])) == m),
            discovered=sum(Month.of(rules.day_of(at)) == m for at in reported)))
    return out


def report_submitted_on(s: Session, body_id: int, half: Half):  # noqa: ANN201 - date | None
    at = s.scalar(select(WorkReport.submitted_at).where(WorkReport.body_id == body_id,
                                                       WorkReport.half == str(half)))
    return rules.day_of(at) if at else None


def owed_months(s: Session, body_id: int, months: Sequence[Month]) -> list[Month]:
    """The months among ``months`` the unit owed its obligations under its latest membership
    (``rules.owed``: its whole months); all of them when it has none."""
    latest = s.execute(select(SupportMembership.admitted_on, SupportMembership.ended_on).where(
        SupportMembership.body_id == body_id).order_by(SupportMembership.admitted_on.desc())
        .limit(1)).first()
    return list(months) if latest is None else rules.owed(months, *latest)


def owed_facts(s: Session, body_id: int, half: Half) -> list[rules.MonthFacts]:
    return month_facts(s, body_id, owed_months(s, body_id, half.months()))


def period(s: Session, body_id: int, half: Half, now: datetime) -> rules.PeriodAssessment:
    """The unit's evaluation period: its owed months of ``half`` and the half's average of
    Support obligations 4–5."""
    return rules.assess_period(half, owed_facts(s, body_id, half), now)


def month_assessment(s: Session, body_id: int, month: Month, now: datetime
                     ) -> tuple[rules.MonthAssessment, rules.PeriodAssessment]:
    """One month with the half it belongs to (obligations 4–5 are judged on the half); a month
    the unit did not owe is assessed without the half's average."""
    p = period(s, body_id, Half.of(month.start), now)
    return p.month(month) or rules.assess_month(month_facts(s, body_id, [month])[0], now,
                                                None), p


def half_facts(s: Session, body_id: int, half: Half, now: datetime) -> rules.HalfFacts:
    facts = owed_facts(s, body_id, half)
    states = [rules.check_state(c, now) for f in facts for c in f.checks]
    return rules.HalfFacts(
        half=half, averages=rules.assess_period(half, facts, now).averages,
        discovered=sum(f.discovered for f in facts),
        checks_passed=states.count(rules.CheckState.PASSED),
        checks_failed=sum(x in (rules.CheckState.LATE, rules.CheckState.UNANSWERED)
                          for x in states),
        has_24x7_contact=has_24x7(s, body_id),
        report=rules.assess_report(half, report_submitted_on(s, body_id, half),
                                   rules.day_of(now)))


def active_membership(s: Session, body_id: int) -> SupportMembership | None:
    return s.scalar(select(SupportMembership).where(
        SupportMembership.body_id == body_id,
        SupportMembership.status == rules.MembershipStatus.ACTIVE.value)
        .order_by(SupportMembership.admitted_on.desc()).limit(1))


def status_ended(s: Session, body_id: int) -> bool:
    """The unit's latest membership ended (an evaluation or CNCERT's decision): it is no longer
    a support unit (Support obligation 9, 五). A unit never admitted has not lost a status."""
    status = s.scalar(select(SupportMembership.status).where(
        SupportMembership.body_id == body_id).order_by(SupportMembership.admitted_on.desc())
        .limit(1))
    return status is not None and status != rules.MembershipStatus.ACTIVE.value


def active_memberships(s: Session, body_ids=None, *, since=None,  # noqa: ANN001
                       until=None) -> list[SupportMembership]:  # noqa: ANN001
    """The latest membership of each unit: active now, or — given ``since`` and ``until`` —
    active at some time in ``[since, until)`` (admitted before its end and not ended before
    its start), so a unit that lost its status later still answers for the period."""
    if since is None:
        stmt = select(SupportMembership).where(
            SupportMembership.status == rules.MembershipStatus.ACTIVE.value)
    else:
        stmt = select(SupportMembership).where(
            SupportMembership.admitted_on < until,
            (SupportMembership.ended_on.is_(None)) | (SupportMembership.ended_on > since))
    if body_ids is not None:
        stmt = stmt.where(SupportMembership.body_id.in_(sorted(body_ids)))
    latest: dict[int, SupportMembership] = {}
    for m in s.scalars(stmt.order_by(SupportMembership.admitted_on)):
        latest[m.body_id] = m
    return list(latest.values())


# --- outputs ----------------------------------------------------------------------------------


def reason_out(r: Reason) -> ReasonOut:
    return ReasonOut(code=r.code, source=r.source, text_zh=r.text_zh, text_en=r.text_en)


def label(pairs, key: str) -> Label:  # noqa: ANN001
    return Label(**rules.label(pairs, key))


def obligation_out(r: rules.Result) -> ObligationOut:
    n, zh, en = rules.OBLIGATIONS[r.code]
    return ObligationOut(code=r.code.value, obligation=n, source=rules.obligation(n),
                         label_zh=zh, label_en=en, status=r.status.value,
                         status_label=label(rules.STATUS_LABELS, r.status),
                         value=r.value, required=r.required,
                         reasons=[reason_out(x) for x in r.reasons])



def decision_out(s: Session, d: SupportDecision, round_number: int, body: Body) -> DecisionOut:
    source, zh, en = rules.DECISION_GROUNDS.get(d.ground, (rules.AUTHORIZATION, d.ground,
                                                           d.ground))
    return DecisionOut(round=round_number, unit=body.key, ground=d.ground,
                       ground_label=Label(zh=zh, en=en), source=source, reason=d.reason,
                       decided_on=d.decided_on, decided_by=d.decided_by,
                       decided_by_body=s.get(Body, d.decided_by_body_id).key,
                       decided_at=d.decided_at)
