"""Use cases of CNCERT support units (Support): rounds and admission, the work log, 7×24 contact
checks, six-monthly work reports and evaluations. Each opens one transaction, checks the
permission, the scope (Law art. 30) and the rule, writes and audits."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.periods import Half, Month
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.deliveries import managed_bodies
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import visible_incident
from fenghuo.notify import masking, outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import scoping
from fenghuo.org.models import Body, Contact, Expert
from fenghuo.org.rules import BodyKind, Permission, has_permission, path_ids, scope_for
from fenghuo.org.service import facts, require, visible_body
from fenghuo.preparedness.models import Commendation
from fenghuo.response.models import Response
from fenghuo.response.views import visible_response
from fenghuo.support import notices, rules
from fenghuo.support.facts import (
    active_membership,
    decision_out,
    deliverable_24x7,
    half_facts,
    label,
    reason_out,
)
from fenghuo.support.models import (
    Assignment,
    ContactCheck,
    Evaluation,
    SupportDecision,
    SupportMembership,
    SupportRound,
    WorkEntry,
    WorkReport,
)
from fenghuo.support.schemas import (
    AdmitIn,
    AnswerIn,
    CheckIn,
    CheckOut,
    DecisionOut,
    EvaluationIn,
    EvaluationOut,
    MembershipOut,
    RoundIn,
    RoundOut,
    RubricOut,
    ScoreOut,
    WorkIn,
    WorkOut,
    WorkReportIn,
    WorkReportOut,
)
from fenghuo.warning.models import EarlyWarning
from fenghuo.warning.views import visible_warning

# --- shared helpers ---------------------------------------------------------------------------


def record(s: Session, principal: Principal | None, now: datetime, action: str, entity_type: str,
           key: str, body: Body, detail: dict) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type=entity_type, entity_key=key, scope_path=body.jurisdiction.path,
                 detail=detail)


def caller_body(s: Session, principal: Principal) -> Body:
    return s.get(Body, principal.body_id)


def manager(s: Session, principal: Principal) -> Body:
    """Support obligation 9: CNCERT's business management, by the national center."""
    body = caller_body(s, principal)
    rules.may_manage(rules.ManagerFacts(
        BodyKind(body.kind), len(path_ids(body.jurisdiction.path)) == 1,
        has_permission(principal.roles, Permission.SUPPORT_MANAGE))).enforce()
    return body


def support_unit(s: Session, principal: Principal, key: str) -> Body:
    """A support unit inside the caller's scope; anything else is not found (Law art. 30)."""
    body = visible_body(s, principal.scope, key)
    if body.kind != BodyKind.SUPPORT_UNIT.value:
        raise NotFound(f"{key!r} is not a support unit")
    return body


def parse_period(cls: type[Half] | type[Month], text: str, field: str):  # noqa: ANN201
    """A half or month from the 20th or 21st century, or a 422 naming the field."""
    try:
        period = cls.parse(text)
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, str(exc))]) from exc
    if not 1900 <= period.year <= 2199:
        raise ValidationFailed([FieldError(field, f"{text!r}: the year is out of range")])
    return period


def parse_half(text: str, field: str = "half") -> Half:
    return parse_period(Half, text, field)


def today(clock: Clock):  # noqa: ANN201 - date
    return rules.day_of(clock.now())


# --- rounds and membership (Support obligation 9) ---------------------------------------------


def _round_out(s: Session, r: SupportRound) -> RoundOut:
    n = s.scalar(select(func.count()).select_from(SupportMembership).where(
        SupportMembership.round_id == r.id)) or 0
    return RoundOut(number=r.number, name_zh=r.name_zh, name_en=r.name_en, starts_on=r.starts_on,
                    ends_on=r.ends_on, members=n)


def membership_out(m: SupportMembership, round_number: int, body: Body,
                   decision: DecisionOut | None = None) -> MembershipOut:
    return MembershipOut(round=round_number, unit=body.key, name_zh=body.name_zh,
                         name_en=body.name_en, status=m.status,
                         status_label=label(rules.MEMBERSHIP_LABELS, m.status),
                         admitted_on=m.admitted_on, ended_on=m.ended_on,
                         ended_reason=m.ended_reason,
                         barred_from_next_round=m.barred_from_next_round, decision=decision)


def end_status(s: Session, principal: Principal, now: datetime, membership: SupportMembership,
               body: Body, *, ground: Words, reason: str, ended_reason: str, detail: dict
               ) -> None:
    """End a unit's status (Support obligation 9: 取消其作为应急服务支撑单位的权利，并停止下一届
    申请资格; 五: CNCERT有权随时…取消其资格): disqualified from today, so it no longer has an
    active membership (the bulletins' support-unit right, dispatch), barred from the next
    round, audited, and the unit told through the outbox on which ``ground`` and why
    (``reason``); ``ended_reason`` is kept on the membership. The evaluation's disqualification
    and CNCERT's decision both end it here."""
    number = s.get(SupportRound, membership.round_id).number
    membership.status = rules.MembershipStatus.DISQUALIFIED.value
    membership.ended_on = rules.day_of(now)
    membership.ended_reason = ended_reason
    membership.barred_from_next_round = True
    record(s, principal, now, "support.disqualify", "support_membership",
           f"{number}/{body.key}", body, detail)
    notices.status_ended(s, body, number, now, ground=ground, reason=reason)


def create_round(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: RoundIn
                 ) -> RoundOut:
    """A selection round, by the CNCERT national center (Support obligation 9)."""
    require(principal, Permission.SUPPORT_MANAGE)
    now = clock.now()
    if data.ends_on and data.ends_on < data.starts_on:
        raise ValidationFailed([FieldError("ends_on", "ends before it starts")])
    with uow() as s:
        body = manager(s, principal)
        if s.scalar(select(SupportRound.id).where(SupportRound.number == data.number)):
            raise Conflict(f"round {data.number} exists")
        r = SupportRound(number=data.number, name_zh=data.name_zh, name_en=data.name_en,
                         starts_on=data.starts_on, ends_on=data.ends_on, created_at=now)
        s.add(r)
        s.flush()
        record(s, principal, now, "support.round.create", "support_round", str(r.number), body,
               data.model_dump(mode="json"))
        return _round_out(s, r)


def list_rounds(uow: UnitOfWork, *, principal: Principal) -> list[RoundOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        return [_round_out(s, r) for r in s.scalars(select(SupportRound)
                                                     .order_by(SupportRound.number))]


def get_round(s: Session, number: int) -> SupportRound:
    r = s.scalar(select(SupportRound).where(SupportRound.number == number))
    if r is None:
        raise NotFound(f"no round {number}")
    return r


def admit(uow: UnitOfWork, clock: Clock, *, principal: Principal, number: int, data: AdmitIn
          ) -> MembershipOut:
    """Admit a support unit to a round (Support obligation 9); a unit that lost its status in the
    previous round is refused with the rule."""
    require(principal, Permission.SUPPORT_MANAGE)
    now = clock.now()
    with uow() as s:
        me = manager(s, principal)
        r = get_round(s, number)
        body = visible_body(s, principal.scope, data.unit)
        past = [rules.PastMembership(n, barred) for n, barred in s.execute(
            select(SupportRound.number, SupportMembership.barred_from_next_round)
            .join(SupportRound, SupportRound.id == SupportMembership.round_id)
            .where(SupportMembership.body_id == body.id)).all()]
        rules.may_admit(body.kind, r.number, past).enforce()
        if any(p.round_number == r.number for p in past):
            raise Conflict(f"{body.key} is already in round {r.number}")
        m = SupportMembership(round_id=r.id, body_id=body.id,
                              status=rules.MembershipStatus.ACTIVE.value,
                              admitted_on=data.admitted_on or rules.day_of(now),
                              barred_from_next_round=False, created_at=now)
        s.add(m)
        s.flush()
        record(s, principal, now, "support.admit", "support_membership",
               f"{r.number}/{body.key}", body, {"admitted_on": str(m.admitted_on),
                                                "by": me.key})
        return membership_out(m, r.number, body)


def list_memberships(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                     number: int | None = None, unit: str | None = None
                     ) -> Page[MembershipOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = (select(SupportMembership, SupportRound.number, Body, SupportDecision)
            .join(SupportRound, SupportRound.id == SupportMembership.round_id)
            .join(Body, Body.id == SupportMembership.body_id)
            .outerjoin(SupportDecision, SupportDecision.membership_id == SupportMembership.id)
            .where(scoping.visible_bodies(principal.scope)))
    with uow() as s:
        if number is not None:
            stmt = stmt.where(SupportRound.number == number)
        if unit:
            stmt = stmt.where(Body.key == unit)
        def convert(row) -> MembershipOut:  # noqa: ANN001
            m, number, body, d = row
            return membership_out(m, number, body,
                                  decision_out(s, d, number, body) if d else None)

        return fetch_page(s, stmt, page, order_by=(SupportRound.number, Body.key),
                          convert=convert)


# --- the work log (Support obligations 4–5) ---------------------------------------------------


def work_out(s: Session, e: WorkEntry) -> WorkOut:
    def key(model, attr: str, id_: int | None) -> str | None:  # noqa: ANN001
        return s.scalar(select(getattr(model, attr)).where(model.id == id_)) if id_ else None

    return WorkOut(
        id=e.id, unit=key(Body, "key", e.body_id), expert=key(Expert, "key", e.expert_id),
        kind=e.kind, kind_label=label(rules.WORK_KIND_LABELS, e.kind),
        with_body=key(Body, "key", e.with_body_id),
        incident=key(Incident, "ref", e.incident_id),
        response=key(Response, "ref", e.response_id),
        warning=key(EarlyWarning, "ref", e.warning_id),
        assignment=key(Assignment, "ref", e.assignment_id), task=e.task, worked_on=e.worked_on,
        minutes=e.minutes, description=e.description, recorded_by=e.recorded_by,
        recorded_at=e.recorded_at)


def day_minutes(s: Session, *, body_id: int | None, expert_id: int | None, day) -> int:  # noqa: ANN001
    stmt = select(func.coalesce(func.sum(WorkEntry.minutes), 0)).where(WorkEntry.worked_on == day)
    stmt = stmt.where(WorkEntry.expert_id == expert_id) if expert_id else stmt.where(
        WorkEntry.body_id == body_id, WorkEntry.expert_id.is_(None))
    return int(s.scalar(stmt) or 0)


def _links(s: Session, principal: Principal, caller: Body, with_body: Body | None, data: WorkIn
           ) -> tuple[dict, list[FieldError]]:
    """Resolve the linked incident, response and warning: in the caller's scope for a CERT,
    in the scope of the center or branch the work was with for the unit's own users (the unit
    knows the refs of what it worked on with them)."""
    if caller.kind != BodyKind.CERT.value and with_body is not None:
        scope = scope_for(facts(with_body))
        who = Principal(user_id=0, username=principal.username, body_id=with_body.id,
                        roles=frozenset(), scope=scope)
    else:
        scope, who = principal.scope, principal
    ids: dict = {}
    errors = []
    lookups = (("incident", lambda ref: visible_incident(s, scope, ref).id),
               ("response", lambda ref: visible_response(s, who, ref).id),
               ("warning", lambda ref: visible_warning(s, scope, ref).id))
    for name, find in lookups:
        ref = getattr(data, name)
        if ref:
            try:
                ids[f"{name}_id"] = find(ref)
            except NotFound:
                errors.append(FieldError(name, f"no {name} {ref!r} visible to "
                                         f"{(with_body or caller).key}"))
    return ids, errors


def log_work(uow: UnitOfWork, clock: Clock, *, principal: Principal, unit: str, data: WorkIn
             ) -> WorkOut:
    """Log time of a support unit (Support obligations 4–5): by its own users, or by the CNCERT
    center or a branch whose scope contains it."""
    require(principal, Permission.SUPPORT_LOG)
    now = clock.now()
    with uow() as s:
        body = support_unit(s, principal, unit)
        caller = caller_body(s, principal)
        rules.may_log(caller.id, caller.kind, body.id).enforce()
        errors: list[FieldError] = []
        with_body = None
        if data.with_body:
            with_body = s.scalar(select(Body).where(Body.key == data.with_body))
            if with_body is None:
                errors.append(FieldError("with_body", f"no body {data.with_body!r}"))
        elif caller.kind == BodyKind.CERT.value:
            with_body = caller
        else:
            errors.append(FieldError("with_body", "name the CNCERT center or branch the work was "
                                     "with", source="Support obligations 4–5"))
        ids, link_errors = _links(s, principal, caller, with_body, data)
        errors += link_errors
        errors += rules.work_problems(rules.WorkFacts(
            kind=rules.WorkKind(data.kind), minutes=data.minutes, worked_on=data.worked_on,
            today=rules.day_of(now),
            day_minutes=day_minutes(s, body_id=body.id, expert_id=None, day=data.worked_on),
            links_incident_or_response=bool(data.incident or data.response),
            links_warning=bool(data.warning),
            with_body_kind=BodyKind(with_body.kind) if with_body else None))
        if errors:
            raise ValidationFailed(errors)
        e = WorkEntry(body_id=body.id, kind=data.kind, with_body_id=with_body.id,
                      task=data.task, worked_on=data.worked_on, minutes=data.minutes,
                      description=data.description, recorded_by=principal.username,
                      recorded_at=now, **ids)
        s.add(e)
        s.flush()
        record(s, principal, now, "support.work.log", "support_work", str(e.id), body,
               data.model_dump(mode="json"))
        return work_out(s, e)


def list_work(uow: UnitOfWork, *, principal: Principal, unit: str, page: PageParams,
              month: str | None = None) -> Page[WorkOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        body = support_unit(s, principal, unit)
        stmt = select(WorkEntry).where(WorkEntry.body_id == body.id)
        if month:
            m = parse_period(Month, month, "month")
            stmt = stmt.where(WorkEntry.worked_on >= m.start, WorkEntry.worked_on < m.end)
        return fetch_page(s, stmt, page, order_by=(WorkEntry.worked_on.desc(),
                                                   WorkEntry.id.desc()),
                          convert=lambda e: work_out(s, e))


# --- 7×24 contact checks (Support obligation 6) -----------------------------------------------


def check_out(c: ContactCheck, body: Body, now: datetime, *, manager: bool) -> CheckOut:
    """A check as its reader sees it: the channel's address in full only for a reader who may
    manage the unit's channels (``manager``), masked otherwise (issue 18 item 5; Law art. 30)."""
    state = rules.check_state(rules.Check(c.sent_at, c.answered_at), now)
    return CheckOut(id=c.id, unit=body.key, channel=c.channel,
                    value=masking.shown_address(c.channel, c.value, manager=manager),
                    checked_by=c.checked_by, sent_at=c.sent_at, answered_at=c.answered_at,
                    answered_by=c.answered_by, state=state.value,
                    state_label=label(rules.CHECK_LABELS, state),
                    minutes_to_answer=round((c.answered_at - c.sent_at).total_seconds() / 60, 1)
                    if c.answered_at else None)


def start_check(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: CheckIn
                ) -> CheckOut:
    """CNCERT tests a unit's 7×24 channel (Support obligation 6): a token goes to the channel
    through the outbox; the unit answers with it, within 30 minutes to pass (project's)."""
    require(principal, Permission.SUPPORT_MANAGE)
    now = clock.now()
    with uow() as s:
        body = support_unit(s, principal, data.unit)
        caller = caller_body(s, principal)
        rules.may_check(caller.kind).enforce()
        contacts = deliverable_24x7(s, body.id)
        if data.contact_id is not None:
            contacts = [c for c in contacts if c.id == data.contact_id]
        if not contacts:
            raise ValidationFailed([FieldError(
                "contact_id", "the unit has no 7×24 contact the outbox can reach (email, "
                "webhook, DingTalk or WeCom)", source="Support obligation 6")])
        contact: Contact = contacts[0]
        token = secrets.token_hex(8)
        c = ContactCheck(body_id=body.id, contact_id=contact.id, channel=contact.channel,
                         value=contact.value, token=token, checked_by=principal.username,
                         sent_at=now)
        s.add(c)
        s.flush()
        subject, text = compose(Notice(
            what=Words(f"{caller.name_zh}检测贵单位的7×24小时联络渠道（支撑单位义务第6条）",
                       f"{caller.name_en} is testing your 7×24 channel (Support obligation 6)"),
            tag=Words("联络检测", "CONTACT CHECK"), ref=token,
            unit=Words(body.name_zh, body.name_en),
            asked=Words(f"请用应答码 {token} 应答：fenghuo support answer {token} --as 用户名，"
                        f"或 POST /api/v1/support/contact-checks/{token}/answer",
                        f"answer with the code {token}: fenghuo support answer {token} --as "
                        f"USER, or POST /api/v1/support/contact-checks/{token}/answer"),
            due=now + rules.CHECK_ANSWER_LIMIT))
        outbox.enqueue(s, now=now, messages=[outbox.Message(
            contact, subject, text,
            {"event": "support.contact_check", "unit": body.key, "token": token}, priority=10)])
        record(s, principal, now, "support.check.start", "contact_check", str(c.id), body,
               {"channel": c.channel, "value": c.value})
        return check_out(c, body, now, manager=_manages(s, principal, body))


def _manages(s: Session, principal: Principal, body: Body) -> bool:
    return body.id in managed_bodies(s, principal, (body.id,))


def answer_check(uow: UnitOfWork, clock: Clock, *, principal: Principal, token: str,
                 data: AnswerIn) -> CheckOut:
    """The unit answers a contact check with the token it received (Support obligation 6)."""
    require(principal, Permission.SUPPORT_LOG)
    now = clock.now()
    with uow() as s:
        c = s.scalar(select(ContactCheck).where(ContactCheck.token == token,
                                                ContactCheck.body_id == principal.body_id))
        if c is None:
            raise NotFound("no contact check with that token for your unit")
        if c.answered_at is not None:
            raise Conflict("this check has been answered")
        c.answered_at, c.answered_by, c.note = now, principal.username, data.note or None
        body = s.get(Body, c.body_id)
        out = check_out(c, body, now, manager=_manages(s, principal, body))
        record(s, principal, now, "support.check.answer", "contact_check", str(c.id), body,
               {"state": out.state, "minutes": out.minutes_to_answer})
        return out


def list_checks(uow: UnitOfWork, clock: Clock, *, principal: Principal, unit: str,
                page: PageParams) -> Page[CheckOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    now = clock.now()
    with uow() as s:
        body = support_unit(s, principal, unit)
        manager = _manages(s, principal, body)
        return fetch_page(s, select(ContactCheck).where(ContactCheck.body_id == body.id), page,
                          order_by=ContactCheck.sent_at.desc(),
                          convert=lambda c: check_out(c, body, now, manager=manager))


# --- work reports (Support obligation 8) ------------------------------------------------------


def report_out(r: WorkReport, body: Body) -> WorkReportOut:
    half = Half.parse(r.half)
    due = rules.report_due(half)
    return WorkReportOut(unit=body.key, half=r.half, sections=json.loads(r.sections),
                         section_labels={k: label(rules.REPORT_SECTIONS, k)
                                         for k in rules.REPORT_SECTIONS},
                         submitted_by=r.submitted_by, submitted_at=r.submitted_at, due_on=due,
                         on_time=rules.day_of(r.submitted_at) <= due)


def submit_report(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: WorkReportIn
                  ) -> WorkReportOut:
    """The six-monthly work report (Support obligation 8) with its four contents; one per half."""
    require(principal, Permission.SUPPORT_LOG)
    now = clock.now()
    half = parse_half(data.half)
    errors = [FieldError(f"sections.{k}", "required: " + rules.REPORT_SECTIONS[k][1],
                         source="Support obligation 8")
              for k in rules.REPORT_SECTIONS if not data.sections.get(k, "").strip()]
    errors += [FieldError(f"sections.{k}", f"unknown section (expected one of "
                          f"{', '.join(rules.REPORT_SECTIONS)})")
               for k in data.sections if k not in rules.REPORT_SECTIONS]
    if rules.day_of(now) < half.start:
        errors.append(FieldError("half", f"{half} has not begun"))
    if any(len(v) > 50_000 for v in data.sections.values()):
        errors.append(FieldError("sections", "a section holds at most 50,000 characters"))
    with uow() as s:
        body = support_unit(s, principal, data.unit)
        caller = caller_body(s, principal)
        rules.may_log(caller.id, caller.kind, body.id).enforce()
        if errors:
            raise ValidationFailed(errors)
        if s.scalar(select(WorkReport.id).where(WorkReport.body_id == body.id,
                                                WorkReport.half == str(half))):
            raise Conflict(f"{body.key} has submitted its {half} report")
        r = WorkReport(body_id=body.id, half=str(half),
                       sections=json.dumps(data.sections, ensure_ascii=False),
                       submitted_by=principal.username, submitted_at=now)
        s.add(r)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"{body.key} has submitted its {half} report") from exc
        record(s, principal, now, "support.report.submit", "support_work_report",
               f"{body.key}/{half}", body, {"half": str(half)})
        return report_out(r, body)


def list_reports(uow: UnitOfWork, *, principal: Principal, unit: str) -> list[WorkReportOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    with uow() as s:
        body = support_unit(s, principal, unit)
        return [report_out(r, body) for r in s.scalars(
            select(WorkReport).where(WorkReport.body_id == body.id).order_by(WorkReport.half))]


# --- evaluations (Support obligation 9) -------------------------------------------------------


def _score_out(x: rules.Score) -> ScoreOut:
    c = x.criterion
    return ScoreOut(code=c.code, label_zh=c.label_zh, label_en=c.label_en, source=c.source,
                    max=c.max, score=x.score, basis=x.basis, judged=c.judged)


def _rubric(s: Session, body: Body, half: Half, cooperation: int, now: datetime
            ) -> rules.Rubric:
    return rules.score(half_facts(s, body.id, half, now), cooperation)


def preview_evaluation(uow: UnitOfWork, clock: Clock, *, principal: Principal, unit: str,
                       half: str, cooperation: int = 0) -> RubricOut:
    """The rubric for a unit's half with the proposed outcome and the grounds for loss of status
    the rule found (Support obligation 9); nothing is stored."""
    require(principal, Permission.PREPAREDNESS_READ)
    h = parse_half(half)
    with uow() as s:
        body = support_unit(s, principal, unit)
        r = _rubric(s, body, h, cooperation, clock.now())
        return RubricOut(unit=body.key, half=str(h), scores=[_score_out(x) for x in r.scores],
                         total=r.total, max=rules.RUBRIC_MAX,
                         grounds=[reason_out(x) for x in r.grounds], proposed=r.proposed.value,
                         proposed_label=label(rules.OUTCOME_LABELS, r.proposed))


def evaluation_out(e: Evaluation, body: Body) -> EvaluationOut:
    stored = json.loads(e.scores)
    by_code = {c.code: c for c in rules.RUBRIC}
    scores = [ScoreOut(code=k, label_zh=by_code[k].label_zh, label_en=by_code[k].label_en,
                       source=by_code[k].source, max=by_code[k].max, score=v["score"],
                       basis=v["basis"], judged=by_code[k].judged)
              for k, v in stored["scores"].items() if k in by_code]
    return EvaluationOut(unit=body.key, half=e.half, scores=scores, total=e.total,
                         outcome=e.outcome, outcome_label=label(rules.OUTCOME_LABELS, e.outcome),
                         grounds=stored.get("grounds", []), note=e.note,
                         evaluated_by=e.evaluated_by, evaluated_at=e.evaluated_at)


def evaluate(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: EvaluationIn
             ) -> EvaluationOut:
    """Record the six-monthly comprehensive evaluation (Support obligation 9): the best are
    commended (a Commendation is written); with grounds and the evaluator's confirmation the
    unit loses its status and the next round; without confirmation a proposed loss of status is
    recorded as a warning."""
    require(principal, Permission.SUPPORT_MANAGE)
    now = clock.now()
    half = parse_half(data.half)
    with uow() as s:
        me = manager(s, principal)
        body = support_unit(s, principal, data.unit)
        if s.scalar(select(Evaluation.id).where(Evaluation.body_id == body.id,
                                                Evaluation.half == str(half))):
            raise Conflict(f"{body.key} has been evaluated for {half}")
        membership = active_membership(s, body.id)
        if membership is None:
            raise ValidationFailed([FieldError("unit", f"{body.key} has no active membership")])
        rules.may_evaluate(half, rules.day_of(now), False).enforce()
        r = _rubric(s, body, half, data.cooperation, now)
        if data.disqualify:
            rules.may_disqualify(r.grounds, data.confirm).enforce()
            outcome = rules.Outcome.DISQUALIFIED
        else:
            outcome = r.proposed if r.proposed != rules.Outcome.DISQUALIFIED \
                else rules.Outcome.WARNED
        grounds = [x.as_dict() for x in r.grounds]
        e = Evaluation(body_id=body.id, half=str(half), total=r.total, outcome=outcome.value,
                       scores=json.dumps({"scores": {x.criterion.code: {
                           "score": x.score, "basis": x.basis} for x in r.scores},
                           "grounds": grounds}, ensure_ascii=False),
                       note=data.note, evaluated_by=principal.username,
                       evaluated_by_body_id=me.id, evaluated_at=now)
        s.add(e)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"{body.key} has been evaluated for {half}") from exc
        day = rules.day_of(now)
        if outcome == rules.Outcome.COMMENDED:
            s.add(Commendation(body_id=body.id, given_on=day, source="support_evaluation",
                               reason=f"{half} 综合评价表现优秀 outstanding in the six-monthly "
                               f"evaluation ({r.total}/100, Support obligation 9)",
                               given_by_body_id=me.id, given_by=principal.username,
                               created_at=now))
        if outcome == rules.Outcome.DISQUALIFIED:
            end_status(s, principal, now, membership, body,
                       ground=Words(f"{half}综合评价（{rules.obligation(9)}）",
                                    f"the {half} evaluation ({rules.obligation(9)})"),
                       reason="; ".join(f"{x.text_zh} / {x.text_en}" for x in r.grounds),
                       ended_reason="; ".join(x.text_en for x in r.grounds),
                       detail={"grounds": grounds, "by": "evaluation", "half": str(half)})
        record(s, principal, now, "support.evaluate", "support_evaluation",
               f"{body.key}/{half}", body, {"total": r.total, "outcome": outcome.value})
        return evaluation_out(e, body)


def list_evaluations(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                     unit: str | None = None) -> Page[EvaluationOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = select(Evaluation, Body).join(Body, Body.id == Evaluation.body_id).where(
        scoping.visible_bodies(principal.scope))
    if unit:
        stmt = stmt.where(Body.key == unit)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=(Evaluation.half.desc(), Body.key),
                          convert=lambda row: evaluation_out(*row))
