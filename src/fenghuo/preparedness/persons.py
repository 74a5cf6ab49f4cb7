"""Responsible persons in accountability and commendation (Plan §7.10 网络安全事件应急处置工作实行
责任追究制 … 对有关责任人给予处分; 对…作出突出贡献的先进集体和个人给予表彰和奖励).

A decision about a person (处分) — name, post, the body they serve in, the incident or matter,
what they are held to account for, the sanction, the deciding body, the day and the reason — is
recorded by the body that made it, which must have authority over the person's body
(``rules.may_decide_on_person``: an office, leading group or department, over a body in its part
of the tree, Law art. 30). A commendation may name persons too (``rules.persons_within``). Every
record is audited; reads are scoped to the persons' bodies in the caller's scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.periods import day_of
from fenghuo.common.schemas import Label
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import visible_incident
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.preparedness import rules
from fenghuo.preparedness.models import AccountabilityDecision, CommendedPerson
from fenghuo.preparedness.schemas import DecisionIn, DecisionOut, PersonIn, PersonOut

IN_CHUNK = 2_000  # ids per query (SQLite binds at most 32,766 parameters)


def not_after_today(value: date | None, now: datetime, field: str) -> date:
    """The day a decision or commendation was made: today by default, never in the future."""
    today = day_of(now)
    if value is not None and value > today:
        raise ValidationFailed([FieldError(field, "cannot be in the future")])
    return value or today


def _under(s: Session, scope: Scope, keys: Iterable[str]) -> tuple[dict[str, Body],
                                                                   dict[str, bool]]:
    """The bodies ``keys`` under the caller's authority, and key → whether it is (a body that
    does not exist reads as one outside it, Law art. 30)."""
    wanted = sorted(set(keys))
    found = {b.key: b for b in s.scalars(select(Body).where(
        Body.key.in_(wanted), scoping.visible_bodies(scope)))}
    return found, {k: k in found for k in wanted}


# --- decisions about persons ------------------------------------------------------------------


def _decision_select():  # noqa: ANN202 - a Select
    decider = aliased(Body)
    return (select(AccountabilityDecision, Body.key, decider.key, Incident.ref)
            .join(Body, Body.id == AccountabilityDecision.body_id)
            .join(decider, decider.id == AccountabilityDecision.decided_by_body_id)
            .outerjoin(Incident, Incident.id == AccountabilityDecision.incident_id))


def _decision_out(d: AccountabilityDecision, body: str, decider: str,
                  incident: str | None) -> DecisionOut:
    conduct, sanction = rules.Conduct(d.conduct), rules.Sanction(d.sanction)
    return DecisionOut(
        id=d.id, name=d.name, position=d.position, body=body, incident=incident,
        matter=d.matter, conduct=d.conduct, conduct_label=Label(
            zh=rules.CONDUCT_LABELS[conduct][0], en=rules.CONDUCT_LABELS[conduct][1]),
        sanction=d.sanction, sanction_label=Label(
            zh=rules.SANCTION_LABELS[sanction][0], en=rules.SANCTION_LABELS[sanction][1]),
        sanction_text=d.sanction_text, decided_by_body=decider, decided_on=d.decided_on,
        reason=d.reason, recorded_by=d.recorded_by)


def record_decision(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                    data: DecisionIn) -> DecisionOut:
    """Record your body's decision about a responsible person of a body under its authority
    (处分, Plan §7.10)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        decider = s.get(Body, principal.body_id)
        found, within = _under(s, principal.scope, [data.body])
        rules.may_decide_on_person(decider.kind, bodies=within).enforce()
        body = found[data.body]
        incident = visible_incident(s, principal.scope, data.incident) if data.incident else None
        d = AccountabilityDecision(
            name=data.name.strip(), position=data.position.strip(), body_id=body.id,
            incident_id=incident.id if incident else None,
            matter=data.matter.strip() if data.matter else None, conduct=data.conduct.value,
            sanction=data.sanction.value, sanction_text=(data.sanction_text or "").strip() or None,
            decided_by_body_id=decider.id,
            decided_on=not_after_today(data.decided_on, now, "decided_on"),
            reason=data.reason.strip(), recorded_by=principal.username, created_at=now)
        s.add(d)
        s.flush()
        out = _decision_out(d, body.key, decider.key, incident.ref if incident else None)
        audit.record(s, at=now, actor=audit.Actor.of(principal),
                     action="accountability_decision.create",
                     entity_type="accountability_decision", entity_key=str(d.id),
                     scope_path=body.jurisdiction.path,
                     detail=out.model_dump(mode="json", include={
                         "name", "position", "body", "incident", "matter", "conduct",
                         "sanction", "sanction_text", "decided_by_body", "decided_on",
                         "reason"}))
        return out


def list_decisions(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                   body: str | None = None) -> Page[DecisionOut]:
    """Decisions about persons of bodies in your scope, newest first."""
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = _decision_select().where(scoping.visible_bodies(principal.scope))
    if body:
        stmt = stmt.where(Body.key == body)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=(AccountabilityDecision.decided_on.desc(),
                                                   AccountabilityDecision.id.desc()),
                          convert=lambda row: _decision_out(*row))


def decisions_in(s: Session, body_ids: list[int], since: date, until: date
                 ) -> dict[int, list[DecisionOut]]:
    """Per body, the decisions about its persons made on a day in [since, until)."""
    out: dict[int, list[DecisionOut]] = {}
    for i in range(0, len(body_ids), IN_CHUNK):
        for row in s.execute(_decision_select().where(
                AccountabilityDecision.body_id.in_(body_ids[i:i + IN_CHUNK]),
                AccountabilityDecision.decided_on >= since,
                AccountabilityDecision.decided_on < until)
                .order_by(AccountabilityDecision.decided_on, AccountabilityDecision.id)):
            out.setdefault(row[0].body_id, []).append(_decision_out(*row))
    return out


# --- persons a commendation names -------------------------------------------------------------


def named(s: Session, scope: Scope, commended: Body, persons: list[PersonIn]
          ) -> list[tuple[PersonIn, Body]]:
    """The persons and their bodies (default: the body commended), each under the giver's
    authority (``rules.persons_within``); refused naming every body that is not."""
    if not persons:
        return []
    keys = [p.body or commended.key for p in persons]
    found, within = _under(s, scope, keys)
    rules.persons_within(within).enforce()
    return [(p, found[k]) for p, k in zip(persons, keys, strict=True)]


def add_persons(s: Session, commendation_id: int, persons: list[tuple[PersonIn, Body]]
                ) -> list[PersonOut]:
    s.add_all([CommendedPerson(commendation_id=commendation_id, name=p.name.strip(),
                               position=p.position.strip(), body_id=b.id) for p, b in persons])
    return [PersonOut(name=p.name.strip(), position=p.position.strip(), body=b.key)
            for p, b in persons]


def persons_of(s: Session, commendation_ids: list[int]) -> dict[int, list[PersonOut]]:
    """The persons each commendation names, in the order given."""
    out: dict[int, list[PersonOut]] = {}
    for i in range(0, len(commendation_ids), IN_CHUNK):
        for p, key in s.execute(
                select(CommendedPerson, Body.key).join(Body, Body.id == CommendedPerson.body_id)
                .where(CommendedPerson.commendation_id.in_(commendation_ids[i:i + IN_CHUNK]))
                .order_by(CommendedPerson.id)):
            out.setdefault(p.commendation_id, []).append(
                PersonOut(name=p.name, position=p.position, body=key))
    return out
