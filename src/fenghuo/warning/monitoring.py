"""Monitoring information and risk assessments (Plan §3.2, Law arts. 51–54).

Units, departments, provinces and support units submit what they observe; important items go
up to the Emergency Office at once; the Office shares items across provinces and departments,
and every share and its acknowledgement is recorded. Analysts assess risk over items, and the
domain proposes a warning level with its reasons (Law art. 54(2)).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.notify import outbox
from fenghuo.org import directory, scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyFunction, Permission, contact_tier
from fenghuo.org.service import emergency_office, require
from fenghuo.warning import places, rules, subject
from fenghuo.warning.models import MonitoringItem, MonitoringShare, RiskAssessment
from fenghuo.warning.schemas import (
    AssessmentIn,
    AssessmentOut,
    IndicatorIn,
    MonitoringIn,
    MonitoringOut,
    ProposalOut,
    ShareIn,
    ShareOut,
)

# --- visibility (Law art. 30) -----------------------------------------------------------------


def visible_items(scope: Scope) -> ColumnElement[bool]:
    """Items the caller's body submitted or received, and, for offices and departments, items
    submitted by bodies in their scope."""
    received = MonitoringItem.id.in_(select(MonitoringShare.item_id).where(
        MonitoringShare.body_id == scope.body_id))
    own = MonitoringItem.body_id == scope.body_id
    if scope.own_body_only:
        return own | received
    in_scope = MonitoringItem.body_id.in_(select(Body.id).where(scoping.visible_bodies(scope)))
    return own | received | in_scope


def _item(s: Session, scope: Scope, ref: str) -> MonitoringItem:
    item = s.scalar(select(MonitoringItem).where(MonitoringItem.ref == ref, visible_items(scope)))
    if item is None:
        raise NotFound(f"no monitoring item {ref!r}")
    return item


def item_out(s: Session, item: MonitoringItem) -> MonitoringOut:
    body = s.get(Body, item.body_id)
    shares = s.execute(select(MonitoringShare, Body).join(Body, Body.id == MonitoringShare.body_id)
                       .where(MonitoringShare.item_id == item.id)
                       .order_by(MonitoringShare.id)).all()
    return MonitoringOut(
        ref=item.ref, body=body.key, body_name_zh=body.name_zh, body_name_en=body.name_en,
        title=item.title, observed=item.observed, observed_at=item.observed_at,
        category=item.category, jurisdictions=json.loads(item.jurisdictions),
        sectors=json.loads(item.sectors), systems=item.systems,
        indicators=[IndicatorIn(**i) for i in json.loads(item.indicators)],
        important=item.important, tlp=rules.Tlp(item.tlp), created_at=item.created_at,
        shares=[ShareOut(body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en,
                         reason=sh.reason, shared_by=sh.shared_by, shared_at=sh.shared_at,
                         acknowledged_at=sh.acknowledged_at, acknowledged_by=sh.acknowledged_by)
                for sh, b in shares],
        unit=s.get(Body, item.subject_body_id).key if item.subject_body_id else None)


# --- submit, share, acknowledge ---------------------------------------------------------------


def submit(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: MonitoringIn,
           idempotency_key: str | None = None) -> MonitoringOut:
    """Record monitoring information; an important item is shared upward to the Emergency
    Office at once (Plan §3.2: 重要监测信息报应急办)."""
    require(principal, Permission.MONITORING_SUBMIT)
    now = clock.now()
    try:
        with uow() as s:
            if idempotency_key:
                existing = s.scalar(select(MonitoringItem).where(
                    MonitoringItem.submitted_by_user_id == principal.user_id,
                    MonitoringItem.idempotency_key == idempotency_key))
                if existing is not None:
                    if existing.request_hash != _request_hash(data):
                        raise Conflict("this Idempotency-Key was already used for different "
                                       "monitoring information")
                    return item_out(s, existing)
            item = write_item(s, principal, data, now, idempotency_key)
            return item_out(s, item)
    except IntegrityError as exc:
        raise Conflict("this Idempotency-Key is being used by a concurrent submission") from exc


def _request_hash(data: MonitoringIn) -> str:
    raw = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def write_item(s: Session, principal: Principal, data: MonitoringIn, now: datetime,
               key: str | None) -> MonitoringItem:
    """Write one monitoring item in the caller's transaction ``s`` (submission, and imports
    from STIX and MISP that record what they imported in the same transaction)."""
    places.check_category(data.category)
    places.jurisdictions(s, data.jurisdictions)
    places.sectors(s, data.sectors)
    body = s.get(Body, principal.body_id)
    unit = subject.subject_unit(s, principal, body, data.unit) if data.unit else None
    item = MonitoringItem(
        ref=new_ref("MI", now), body_id=body.id, submitted_by_user_id=principal.user_id,
        idempotency_key=key, request_hash=_request_hash(data),
        jurisdiction_path=body.jurisdiction.path,
        sector_code=(body.sector_codes or [None])[0], title=data.title, observed=data.observed,
        observed_at=data.observed_at, category=data.category,
        jurisdictions=places.dumps(data.jurisdictions), sectors=places.dumps(data.sectors),
        systems=data.systems, indicators=places.dumps([i.model_dump() for i in data.indicators]),
        important=data.important, tlp=data.tlp.value, created_at=now,
        subject_body_id=unit.id if unit else None)
    s.add(item)
    s.flush()
    office = emergency_office(s)
    if data.important and office is not None and office.id != body.id:
        _share(s, item, office, reason="upward", actor=principal.username, now=now)
    if unit is not None and unit.id != body.id:  # Support obligation 7: the unit's chain
        subject.reach_chain(s, item, unit, body, actor=principal.username, now=now)
    audit.record(s, at=now, actor=audit.Actor.of(principal), action="monitoring.submit",
                 entity_type="monitoring", entity_key=item.ref,
                 scope_path=item.jurisdiction_path,
                 detail={"important": item.important, **({"unit": unit.key} if unit else {})})
    return item


def _share(s: Session, item: MonitoringItem, body: Body, *, reason: str, actor: str,
           now: datetime) -> None:
    if s.scalar(select(MonitoringShare.id).where(MonitoringShare.item_id == item.id,
                                                 MonitoringShare.body_id == body.id)):
        return
    s.add(MonitoringShare(item_id=item.id, body_id=body.id, reason=reason, shared_by=actor,
                          shared_at=now))
    subject = f"[监测信息 MONITORING] {item.ref} {item.title}"
    text = f"{item.title}\n{item.observed}\nTLP:{item.tlp.upper()}\n"
    payload = {"event": "monitoring.shared", "ref": item.ref, "title": item.title,
               "important": item.important, "tlp": item.tlp, "reason": reason}
    contacts = contact_tier(directory.current(s).contacts.get(body.id, ()), 0)
    outbox.enqueue(s, now=now, messages=[outbox.Message(c, subject, text, payload, priority=50)
                                         for c in contacts])


def share(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: ShareIn
          ) -> MonitoringOut:
    """The Emergency Office shares an item with chosen provinces and departments (Plan §3.2:
    应急办…通报); who received it is recorded."""
    require(principal, Permission.MONITORING_SUBMIT)
    now = clock.now()
    with uow() as s:
        me = s.get(Body, principal.body_id)
        if me.function != BodyFunction.NATIONAL_EMERGENCY_OFFICE.value:
            raise Forbidden("only the Emergency Office shares monitoring information across "
                            "provinces and departments (Plan §3.2)")
        item = _item(s, principal.scope, ref)
        targets = s.scalars(select(Body).where(Body.key.in_(data.bodies))).all()
        unknown = sorted(set(data.bodies) - {b.key for b in targets})
        if unknown:
            raise ValidationFailed([FieldError("bodies", f"no body {k!r}") for k in unknown])
        for body in targets:
            _share(s, item, body, reason="shared", actor=principal.username, now=now)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="monitoring.share",
                     entity_type="monitoring", entity_key=item.ref,
                     scope_path=item.jurisdiction_path, detail={"bodies": sorted(data.bodies)})
        return item_out(s, item)


def acknowledge(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                ) -> MonitoringOut:
    """The caller's body confirms it received a shared item."""
    require(principal, Permission.MONITORING_READ)
    now = clock.now()
    with uow() as s:
        item = _item(s, principal.scope, ref)
        sh = s.scalar(select(MonitoringShare).where(MonitoringShare.item_id == item.id,
                                                    MonitoringShare.body_id == principal.body_id))
        if sh is None:
            raise Forbidden("the item was not shared with your body")
        if sh.acknowledged_at is None:
            sh.acknowledged_at, sh.acknowledged_by = now, principal.username
            audit.record(s, at=now, actor=audit.Actor.of(principal),
                         action="monitoring.acknowledge", entity_type="monitoring",
                         entity_key=item.ref, scope_path=item.jurisdiction_path)
        return item_out(s, item)


def get_item(uow: UnitOfWork, *, principal: Principal, ref: str) -> MonitoringOut:
    require(principal, Permission.MONITORING_READ)
    with uow() as s:
        return item_out(s, _item(s, principal.scope, ref))


def list_items(uow: UnitOfWork, *, principal: Principal, page: PageParams,
               important: bool | None = None, q: str | None = None) -> Page[MonitoringOut]:
    require(principal, Permission.MONITORING_READ)
    stmt = select(MonitoringItem).where(visible_items(principal.scope))
    if important is not None:
        stmt = stmt.where(MonitoringItem.important.is_(important))
    if q:
        stmt = stmt.where(or_(MonitoringItem.title.icontains(q, autoescape=True),
                              MonitoringItem.ref == q,
                              MonitoringItem.indicators.contains(q, autoescape=True)))
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=MonitoringItem.id.desc(),
                          convert=lambda item: item_out(s, item))


# --- risk assessment (Law art. 54(2)) ---------------------------------------------------------


def assess(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: AssessmentIn
           ) -> AssessmentOut:
    """Record an assessment of likelihood, extent and degree of harm; the domain proposes a
    level with reasons (``warning.rules.propose_level``)."""
    require(principal, Permission.WARNING_DRAFT)
    now = clock.now()
    with uow() as s:
        items = [_item(s, principal.scope, ref) for ref in dict.fromkeys(data.items)]
        proposal = rules.propose_level(rules.RiskAssessment(data.likelihood, data.extent,
                                                            data.harm))
        body = s.get(Body, principal.body_id)
        row = RiskAssessment(
            ref=new_ref("RA", now), body_id=body.id,
            jurisdiction_path=body.jurisdiction.path, assessed_by=principal.username,
            likelihood=data.likelihood.value, extent=data.extent.value, harm=data.harm.value,
            notes=data.notes, proposed_level=proposal.level.value,
            proposal=places.dumps(proposal.as_dict()), item_ids=places.dumps([i.id for i in items]),
            created_at=now)
        s.add(row)
        s.flush()
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="risk.assess",
                     entity_type="assessment", entity_key=row.ref,
                     scope_path=row.jurisdiction_path, detail={"level": row.proposed_level})
        return assessment_out(s, row)


def visible_assessment(s: Session, scope: Scope, ref: str) -> RiskAssessment:
    row = s.scalar(select(RiskAssessment).where(
        RiskAssessment.ref == ref,
        RiskAssessment.body_id.in_(select(Body.id).where(scoping.visible_bodies(scope)))))
    if row is None:
        raise NotFound(f"no risk assessment {ref!r}")
    return row


def get_assessment(uow: UnitOfWork, *, principal: Principal, ref: str) -> AssessmentOut:
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        return assessment_out(s, visible_assessment(s, principal.scope, ref))


def assessment_out(s: Session, row: RiskAssessment) -> AssessmentOut:
    proposal = json.loads(row.proposal)
    refs = s.scalars(select(MonitoringItem.ref).where(
        MonitoringItem.id.in_(json.loads(row.item_ids))).order_by(MonitoringItem.id)).all()
    return AssessmentOut(
        ref=row.ref, body=s.get(Body, row.body_id).key, assessed_by=row.assessed_by,
        items=list(refs), likelihood=row.likelihood, extent=row.extent, harm=row.harm,
        notes=row.notes, created_at=row.created_at,
        proposal=ProposalOut(level=proposal["level"], reasons=proposal["reasons"],
                             emergency_office_only=proposal["emergency_office_only"],
                             report_to_emergency_office=proposal["report_to_emergency_office"]))
