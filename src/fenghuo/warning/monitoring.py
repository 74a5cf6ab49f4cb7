"""Monitoring information and risk assessments (Plan §3.2, Law arts. 51–54).

Units, departments, provinces and support units submit what they observe. A unit's important
item goes up the chain it came from — the offices of its region and its sector's department —
which report it on to the Emergency Office; a province's or department's goes to the Office at
once (``monitoring_rules``). The Office shares items across provinces and departments; every
share, acknowledgement and report onward is recorded. Analysts assess risk over items, and the
domain proposes a warning level with its reasons (Law art. 54(2)): the level of the grade the
possible incident would have (Plan §3.1, §1.4). A province's or department's assessment that
proposes orange or red goes to the Emergency Office with a clock (Plan §3.3 ¶1,
:mod:`fenghuo.warning.assessment_reports`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common import sorting
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, page_path, unit_field
from fenghuo.org import directory, scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyFunction, BodyKind, Permission, contact_tier, path_ids
from fenghuo.org.service import emergency_office, require
from fenghuo.warning import assessment_reports, places, rules, subject
from fenghuo.warning import monitoring_rules as mrules
from fenghuo.warning.models import MonitoringItem, MonitoringShare, RiskAssessment
from fenghuo.warning.schemas import (
    AssessmentIn,
    AssessmentOut,
    IndicatorIn,
    MonitoringIn,
    MonitoringOut,
    PossibleFactsIn,
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
        shares=[_share_out(sh, b) for sh, b in shares],
        unit=s.get(Body, item.subject_body_id).key if item.subject_body_id else None)


def _share_out(sh: MonitoringShare, b: Body) -> ShareOut:
    zh, en = mrules.label(sh.reason)
    return ShareOut(body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en,
                    reason=sh.reason, reason_zh=zh, reason_en=en, shared_by=sh.shared_by,
                    shared_at=sh.shared_at, acknowledged_at=sh.acknowledged_at,
                    acknowledged_by=sh.acknowledged_by, reported_up_at=sh.reported_up_at,
                    reported_up_by=sh.reported_up_by,
                    may_report_up=sh.reason in mrules.CHAIN_REASONS
                    and sh.reported_up_at is None)


# --- submit, share, acknowledge, report up ----------------------------------------------------


def submit(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: MonitoringIn,
           idempotency_key: str | None = None) -> MonitoringOut:
    """Record monitoring information; an important item goes up at once (Plan §3.2): a
    unit's to its region's offices and its sector's department, any other body's to the
    Emergency Office (``monitoring_rules.first_recipients``)."""
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
    about = unit or body
    if unit is not None and unit.id != body.id:  # Support obligation 7: the unit's chain
        subject.reach_chain(s, item, unit, body, actor=principal.username, now=now)
    for r in _first_recipients(s, item, body, about):
        _share(s, item, s.get(Body, r.body_id), about, reason=r.reason,
               actor=principal.username, now=now)
    audit.record(s, at=now, actor=audit.Actor.of(principal), action="monitoring.submit",
                 entity_type="monitoring", entity_key=item.ref,
                 scope_path=item.jurisdiction_path,
                 detail={"important": item.important, **({"unit": unit.key} if unit else {})})
    return item


def _first_recipients(s: Session, item: MonitoringItem, body: Body, about: Body
                      ) -> list[mrules.Recipient]:
    """Who the item reaches as it is submitted (``monitoring_rules.first_recipients``, Plan
    §3.2), among the offices, departments and the Emergency Office of the unit's chain."""
    chain = tuple(reversed(path_ids(about.jurisdiction.path)))
    receivers = directory.current(s).receivers
    candidates = [mrules.Candidate(b.id, b.kind, b.jurisdiction_id, b.sectors, b.function)
                  for jid in chain for b in receivers.get(jid, ())]
    origin = mrules.Origin(body.id, BodyKind(body.kind), chain, frozenset(about.sector_codes))
    return mrules.first_recipients(origin, important=item.important, candidates=candidates)


def _share(s: Session, item: MonitoringItem, body: Body, about: Body, *, reason: str,
           actor: str, now: datetime) -> None:
    """Share the item with ``body`` for ``reason`` and notify its first rank of contacts;
    nothing when the body holds it already."""
    if s.scalar(select(MonitoringShare.id).where(MonitoringShare.item_id == item.id,
                                                 MonitoringShare.body_id == body.id)):
        return
    s.add(MonitoringShare(item_id=item.id, body_id=body.id, reason=reason, shared_by=actor,
                          shared_at=now))
    subject_line, text, payload = share_notice(item, about, reason)
    contacts = contact_tier(directory.contacts_of(s, [body.id]).get(body.id, ()), 0)
    outbox.enqueue(s, now=now, messages=[
        outbox.Message(c, subject_line, text, payload, priority=50) for c in contacts])


def share_notice(item: MonitoringItem, about: Body, reason: str) -> tuple[str, str, dict]:
    """What a body the item is shared with is told (issue 16 item 7), Chinese first: what was
    observed, at which unit, the category in words, what it is asked and why it got it."""
    payload = {"event": "monitoring.shared", "ref": item.ref, "title": item.title,
               "important": item.important, "tlp": item.tlp, "reason": reason,
               "unit": unit_field(about.key, about.name_zh, about.name_en)}
    asked = mrules.ASKED.get(reason, mrules.ASKED[mrules.SHARED])
    subject_line, text = compose(Notice(
        what=Words(item.title, item.title), tag=Words(*mrules.tag(item.important)),
        ref=item.ref, unit=Words(about.name_zh, about.name_en),
        system=Words(item.systems, item.systems) if item.systems else None,
        category=Words(*get_taxonomy().words(item.category)) if item.category else None,
        asked=Words(*asked), link=page_path(payload)))
    why_zh, why_en = mrules.label(reason)
    text += (f"监测情况 Observed: {item.observed}\nTLP: {item.tlp.upper()}\n"
             f"送达原因 Why you: {why_zh} / {why_en}\n")
    return subject_line, text, payload


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
        about = s.get(Body, item.subject_body_id or item.body_id)
        for body in targets:
            _share(s, item, body, about, reason=mrules.SHARED, actor=principal.username,
                   now=now)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="monitoring.share",
                     entity_type="monitoring", entity_key=item.ref,
                     scope_path=item.jurisdiction_path, detail={"bodies": sorted(data.bodies)})
        return item_out(s, item)


def report_up(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
              ) -> MonitoringOut:
    """An office or department that received a unit's item up its chain reports it on to the
    Emergency Office (Plan §3.2: 各省（区、市）、各部门将重要监测信息报应急办); its share
    records when and by whom. Idempotent: reported once, a repeat changes nothing."""
    require(principal, Permission.MONITORING_SUBMIT)
    now = clock.now()
    with uow() as s:
        item = _item(s, principal.scope, ref)
        me = s.get(Body, principal.body_id)
        mine = s.scalar(select(MonitoringShare).where(MonitoringShare.item_id == item.id,
                                                      MonitoringShare.body_id == me.id))
        mrules.may_report_up(mine.reason if mine else None, emergency_office=(
            me.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE.value)).enforce()
        if mine.reported_up_at is not None:
            return item_out(s, item)
        office = emergency_office(s)
        if office is None:
            raise NotFound("no body has the national Emergency Office function (Plan §2.2)")
        mine.reported_up_at, mine.reported_up_by = now, principal.username
        about = s.get(Body, item.subject_body_id or item.body_id)
        _share(s, item, office, about, reason=mrules.REPORTED_UP, actor=principal.username,
               now=now)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="monitoring.report_up",
                     entity_type="monitoring", entity_key=item.ref,
                     scope_path=item.jurisdiction_path,
                     detail={"by": me.key, "to": office.key})
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


#: the columns the list of received items sorts by
RECEIVED_SORTS = ("shared_at", "observed_at", "title", "ref")


def list_received(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                  sort: str | None = None, desc: bool = False) -> Page[MonitoringOut]:
    """Monitoring items shared with the caller's body (Plan §3.2), newest share first (or by
    ``sort``, one of :data:`RECEIVED_SORTS`, in SQL); each item's ``shares`` holds the caller's
    own row with its acknowledgement."""
    require(principal, Permission.MONITORING_READ)
    stmt = select(MonitoringItem).join(MonitoringShare, and_(
        MonitoringShare.item_id == MonitoringItem.id,
        MonitoringShare.body_id == principal.body_id))
    with uow() as s:
        columns = {"shared_at": MonitoringShare.shared_at, "ref": MonitoringItem.ref,
                   "observed_at": MonitoringItem.observed_at, "title": MonitoringItem.title}
        order = sorting.order_by(columns, sort, desc, tiebreak=MonitoringShare.id,
                                 default=MonitoringShare.id.desc())
        return fetch_page(s, stmt, page, order_by=order, convert=lambda item: item_out(s, item))


# --- risk assessment (Law art. 54(2)) ---------------------------------------------------------


def assess(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: AssessmentIn,
           profile: str) -> AssessmentOut:
    """Record an assessment of likelihood, extent and degree of harm; the domain proposes a
    level with reasons (``warning.rules.propose_level``): the possible incident's facts are
    graded under ``profile`` (Plan §1.4) as a reported incident's would be. An assessment that
    Plan §3.3 ¶1 asks to report goes to the Emergency Office, in the same transaction."""
    require(principal, Permission.WARNING_DRAFT)
    now = clock.now()
    with uow() as s:
        items = [_item(s, principal.scope, ref) for ref in dict.fromkeys(data.items)]
        assessment = _risk(data, profile)
        proposal = rules.propose_level(assessment)
        body = s.get(Body, principal.body_id)
        row = RiskAssessment(
            ref=new_ref("RA", now), body_id=body.id,
            jurisdiction_path=body.jurisdiction.path, assessed_by=principal.username,
            likelihood=data.likelihood.value, extent=data.extent.value,
            harm=assessment.harm.value, notes=data.notes,
            proposed_level=proposal.level.value if proposal.level else None,
            proposal=places.dumps(proposal.as_dict()), item_ids=places.dumps([i.id for i in items]),
            facts=data.facts.model_dump_json() if data.facts else None,
            grading_profile=assessment.graded.profile if assessment.graded else None,
            created_at=now)
        s.add(row)
        s.flush()
        sent = assessment_reports.report(s, row, proposal, body, now)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="risk.assess",
                     entity_type="assessment", entity_key=row.ref,
                     scope_path=row.jurisdiction_path,
                     detail={"level": row.proposed_level, "grade": row.harm,
                             **({"reported_to": "emergency_office"} if sent else {})})
        return assessment_out(s, row, now)


def _risk(data: AssessmentIn, profile: str) -> rules.RiskAssessment:
    """The assessment as the rules take it: the facts graded (Plan §1.4), or the grade as
    stated; a stated grade that contradicts the facts is refused."""
    if data.facts is None:
        return rules.RiskAssessment(data.likelihood, data.extent, data.harm)
    graded = rules.RiskAssessment.from_facts(
        data.likelihood, data.extent, grading.GradingFacts(**data.facts.model_dump()),
        grading.load_profile(profile))
    if data.harm is not None and data.harm != graded.harm:
        raise ValidationFailed([FieldError(
            "harm", f"the facts grade the possible incident as {graded.harm.label_en}, not "
            f"{data.harm.label_en}: leave harm out or make it agree / 按事实分级为"
            f"{graded.harm.label_zh}，与所填危害程度{data.harm.label_zh}不符",
            source="Plan §1.4; §3.1")])
    return graded


def visible_assessment(s: Session, scope: Scope, ref: str) -> RiskAssessment:
    row = s.scalar(select(RiskAssessment).where(
        RiskAssessment.ref == ref,
        RiskAssessment.body_id.in_(select(Body.id).where(scoping.visible_bodies(scope)))))
    if row is None:
        raise NotFound(f"no risk assessment {ref!r}")
    return row


def get_assessment(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                   ) -> AssessmentOut:
    require(principal, Permission.WARNING_READ)
    with uow() as s:
        return assessment_out(s, visible_assessment(s, principal.scope, ref), clock.now())


def acknowledge_assessment(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                           ) -> AssessmentOut:
    """The Emergency Office confirms it received an assessment reported to it as a possible
    major incident (Plan §3.3 ¶1); its clock stops."""
    require(principal, Permission.WARNING_RESPOND)
    now = clock.now()
    with uow() as s:
        row = visible_assessment(s, principal.scope, ref)
        assessment_reports.acknowledge(s, row, principal, now)
        return assessment_out(s, row, now)


def assessment_out(s: Session, row: RiskAssessment, now: datetime) -> AssessmentOut:
    proposal = json.loads(row.proposal)
    refs = s.scalars(select(MonitoringItem.ref).where(
        MonitoringItem.id.in_(json.loads(row.item_ids))).order_by(MonitoringItem.id)).all()
    return AssessmentOut(
        ref=row.ref, body=s.get(Body, row.body_id).key, assessed_by=row.assessed_by,
        items=list(refs), likelihood=row.likelihood, extent=row.extent, harm=row.harm,
        facts=PossibleFactsIn.model_validate_json(row.facts) if row.facts else None,
        grading_profile=row.grading_profile, notes=row.notes, created_at=row.created_at,
        proposal=ProposalOut(level=proposal["level"], grade=row.harm,
                             reasons=proposal["reasons"],
                             emergency_office_only=proposal["emergency_office_only"],
                             report_to_emergency_office=proposal["report_to_emergency_office"]),
        reports=assessment_reports.reports_out(s, row, now))
