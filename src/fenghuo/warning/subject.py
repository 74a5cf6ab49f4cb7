"""The unit a monitoring item is about (issue 16 item 5; Support obligation 7: a support unit
reports at once what it discovers at another unit). Who may name a unit is the incident side's
pure rule (``incident.owner_rules.may_report_about``: a body names the units in its scope, a
support unit or team any operator unit); the item then reaches that unit's chain — the unit
itself and its jurisdiction's office — shared and notified in the submitter's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from fenghuo.common.errors import Refused
from fenghuo.common.scope import Principal
from fenghuo.incident.owner_rules import may_report_about
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, page_path
from fenghuo.org import directory, scoping
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyKind
from fenghuo.org.service import local_office
from fenghuo.warning import monitoring_rules
from fenghuo.warning.models import MonitoringItem, MonitoringShare


def subject_unit(s: Session, principal: Principal, reporter: Body, key: str) -> Body:
    """The unit ``key`` if the caller may report about it, else refused naming the rule
    (Law art. 30; Support obligation 7). A missing unit reads as one out of scope."""
    in_scope = case((scoping.visible_bodies(principal.scope), True), else_=False)
    row = s.execute(select(Body, in_scope).where(Body.key == key)).first()
    decision = may_report_about(reporter_kind=BodyKind(reporter.kind), key=key,
                                unit_kind=BodyKind(row[0].kind) if row else None,
                                in_scope=bool(row[1]) if row else False)
    if decision.refusals:
        raise Refused([r.as_dict() for r in decision.refusals])
    return row[0]


def _category(code: str | None) -> Words | None:
    return Words(*get_taxonomy().label(code)) if code else None


def notice(item: MonitoringItem, unit: Body, reporter: Body) -> tuple[str, str, dict]:
    """Subject, text and payload of the message to the unit's chain, Chinese first."""
    payload = {"event": "monitoring.subject", "ref": item.ref, "title": item.title,
               "unit": unit.key, "tlp": item.tlp, "important": item.important}
    ask = Words(f"{reporter.name_zh}报送了关于{unit.name_zh}的监测信息（支撑单位义务第7条）。"
                "请立即核实并采取防范措施，发现事件按规定报告",
                f"{reporter.name_en} reported monitoring information about {unit.name_en} "
                "(Support obligation 7). Verify it and take protective measures at once; report "
                "any incident as required")
    subject, text = compose(Notice(
        what=Words(item.title, item.title), tag=Words(*monitoring_rules.tag(item.important)),
        ref=item.ref, unit=Words(unit.name_zh, unit.name_en),
        system=Words(item.systems, item.systems) if item.systems else None,
        category=_category(item.category), asked=ask, link=page_path(payload)))
    return subject, text, payload


def reach_chain(s: Session, item: MonitoringItem, unit: Body, reporter: Body, *, actor: str,
                now: datetime) -> None:
    """Share the item with the unit and its jurisdiction's office (each once; never back to the
    submitter) and notify each one's first rank of contacts."""
    office = local_office(s, unit)
    targets = {b.id: (b, reason) for b, reason in ((office, monitoring_rules.SUBJECT_OFFICE),
                                                   (unit, monitoring_rules.SUBJECT))
               if b is not None and b.id != reporter.id}
    shared = set(s.scalars(select(MonitoringShare.body_id).where(
        MonitoringShare.item_id == item.id)))
    targets = {i: t for i, t in targets.items() if i not in shared}
    contacts = directory.contacts_of(s, targets)
    subject, text, payload = notice(item, unit, reporter)
    messages = []
    for body_id, (_, reason) in targets.items():
        s.add(MonitoringShare(item_id=item.id, body_id=body_id, reason=reason, shared_by=actor,
                              shared_at=now))
        messages += [outbox.Message(c, subject, text, payload, priority=50)
                     for c in org_rules.contact_tier(contacts.get(body_id, ()), 0)]
    if messages:
        outbox.enqueue(s, now=now, messages=messages)
