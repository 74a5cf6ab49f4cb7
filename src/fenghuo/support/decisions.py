"""CNCERT's decision ending a support unit's status at any time (Support 五 授权约定: CNCERT有权
随时终止授权，并取消其应急服务支撑单位的资格; obligation 9), on a ground the rubric does not
compute — a breach of confidentiality (obligation 2), say: recorded with its reason and the
ground it cites, by the national center only, audited; the status ends as an evaluation's
disqualification ends it (:func:`fenghuo.support.units.end_status`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.notify.compose import Words
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.support import rules
from fenghuo.support.facts import active_membership, decision_out
from fenghuo.support.models import SupportDecision, SupportMembership, SupportRound
from fenghuo.support.schemas import DecisionIn, DecisionOut
from fenghuo.support.units import end_status, manager, record, support_unit


def decide(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: DecisionIn
           ) -> DecisionOut:
    """End a unit's status now: the CNCERT national center only (others are refused with the
    rule, Support obligation 9); a unit whose status already ended is a conflict (409)."""
    now = clock.now()
    errors = rules.decision_problems(data.ground, data.reason)
    with uow() as s:
        me = manager(s, principal)
        body = support_unit(s, principal, data.unit)
        if errors:
            raise ValidationFailed(errors)
        membership = active_membership(s, body.id)
        if membership is None:
            ended = s.scalar(select(SupportMembership.ended_on).where(
                SupportMembership.body_id == body.id).order_by(
                SupportMembership.admitted_on.desc()).limit(1))
            if ended is None:
                raise ValidationFailed([FieldError("unit", f"{body.key} is not a member of any "
                                                   "round", source=rules.SUPPORT)])
            raise Conflict(f"{body.key}'s status already ended on {ended}")
        d = SupportDecision(membership_id=membership.id, body_id=body.id, ground=data.ground,
                            reason=data.reason.strip(), decided_on=rules.day_of(now),
                            decided_by=principal.username, decided_by_body_id=me.id,
                            decided_at=now)
        s.add(d)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"{body.key}'s status has just been ended") from exc
        source, zh, en = rules.DECISION_GROUNDS[data.ground]
        number = s.get(SupportRound, membership.round_id).number
        end_status(s, principal, now, membership, body, ground=Words(
            f"{zh}（{source}）", f"{en} ({source})"),
            reason=d.reason, ended_reason=rules.ended_reason(data.ground, data.reason),
            detail={"by": "decision", "ground": data.ground, "source": source})
        record(s, principal, now, "support.decide", "support_decision", f"{number}/{body.key}",
               body, {"ground": data.ground, "source": source, "reason": d.reason})
        return decision_out(s, d, number, body)


def list_decisions(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                   unit: str | None = None) -> Page[DecisionOut]:
    """CNCERT's decisions on units in the caller's scope, newest first."""
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = (select(SupportDecision, SupportRound.number, Body)
            .join(SupportMembership, SupportMembership.id == SupportDecision.membership_id)
            .join(SupportRound, SupportRound.id == SupportMembership.round_id)
            .join(Body, Body.id == SupportDecision.body_id)
            .where(scoping.visible_bodies(principal.scope)))
    if unit:
        stmt = stmt.where(Body.key == unit)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=(SupportDecision.decided_at.desc(),
                                                   SupportDecision.id.desc()),
                          convert=lambda row: decision_out(s, *row))
