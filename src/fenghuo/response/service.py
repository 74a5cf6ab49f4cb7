"""Use cases of emergency response (Plan §4.2–§4.3) and investigation (Plan §5): activate a
level with its headquarters and participants, set up the city's headquarters and field command
inside it (City §3.3.3–3.3.4), report progress, request and coordinate support, end by the
level's rule (telling whom it names, and recording who was told), and write the 30-day
investigation report.

Every decision comes from the pure modules of this package (rules, ending, investigation); a
refusal names each rule that refused, and nothing is stored.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
)
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.reasons import Decision
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import handling, owner_rules
from fenghuo.incident.grading import GRADE_LABELS, Grade
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import rollup_of, visible_incident
from fenghuo.incident.rules import TRANSITIONS as INCIDENT_TRANSITIONS
from fenghuo.incident.rules import State as IncidentState
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import directory
from fenghuo.org.bodies import put_body
from fenghuo.org.models import Body, BodySector, Expert, Jurisdiction, User
from fenghuo.org.rules import (
    LEVEL_ORDER,
    BodyFunction,
    BodyKind,
    JurisdictionLevel,
    Permission,
    contact_tier,
    path_ids,
)
from fenghuo.org.schemas import BodyIn
from fenghuo.org.service import emergency_office, require, visible_body
from fenghuo.response import ending, investigation, rules
from fenghuo.response.models import (
    DutyShift,
    HeadquartersMember,
    Investigation,
    ProgressReport,
    Response,
    ResponseBody,
    ResponseEvent,
    ResponseNotice,
    SupportDispatch,
    SupportRequest,
)
from fenghuo.response.schemas import (
    ActivateIn,
    CommandIn,
    DispatchIn,
    EndIn,
    MemberIn,
    ProgressIn,
    ResponseOut,
    ResponseSummary,
    SectionsIn,
    ShiftIn,
    ShiftOut,
    SupportIn,
)
from fenghuo.response.views import (
    member_of,
    response_out,
    summary_out,
    visible_response,
    visible_responses,
)


def actor_of(s: Session, body_id: int) -> rules.Actor:
    body = s.get(Body, body_id)
    return rules.Actor(body.id, BodyKind(body.kind), body.jurisdiction.path,
                       frozenset(body.sector_codes),
                       BodyFunction(body.function) if body.function else None)


def subject_of(incident: Incident) -> rules.Subject:
    """What the response rules know of an incident: where, its sector, grade and category."""
    return rules.Subject(incident.jurisdiction_path, incident.sector_code, incident.grade,
                         incident.category)


def _event(s: Session, r: Response, now: datetime, kind: str, actor: str,
           detail: dict | None = None) -> None:
    s.add(ResponseEvent(response_id=r.id, at=now, kind=kind, actor=actor,
                        detail=json.dumps(detail or {}, ensure_ascii=False, default=str)))


def _audit(s: Session, principal: Principal | None, r: Response, action: str, now: datetime,
           detail: dict | None = None) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type="response", entity_key=r.ref, scope_path=r.jurisdiction_path,
                 detail=detail or {"level": r.level, "state": r.state})


#: what each response event adds to the level's label, and what it asks of the receiver
_EVENTS = {
    "response.activated": (Words("启动", "ACTIVATED"),
                           Words("按响应级别开展应急处置，落实指挥部部署",
                                 "respond at this level as headquarters directs")),
    "response.progress_overdue": (Words("进展报告逾期", "PROGRESS OVERDUE"),
                                  Words("立即报送处置进展", "send the progress report now")),
    "response.support_requested": (Words("请求支援", "SUPPORT REQUESTED"),
                                   Words("研究并调派支援力量", "decide on and dispatch support")),
    "response.dispatched": (Words("已派出支援", "SUPPORT DISPATCHED"),
                            Words("接洽并配合支援力量", "receive and work with the support")),
    "response.end_proposed": (Words("建议结束", "END PROPOSED"),
                              Words("审议是否批准结束响应", "decide whether the response ends")),
    "response.ended": (Words("结束", "ENDED"), Words("停止应急响应措施", "end the measures")),
    "response.end_relayed": (Words("结束（应急办通报）", "ENDED (EMERGENCY OFFICE NOTICE)"),
                             Words("据此调整防范措施，停止相应应急措施",
                                   "adjust your prevention and stand down your measures")),
    "response.command_set_up": (Words("成立指挥部", "COMMAND SET UP"),
                                Words("按指挥部部署参加现场应急处置",
                                      "take part in the response as the command directs")),
}


def _notify(s: Session, r: Response, incident: Incident, body_ids: list[int], now: datetime,
            event: str, note: str) -> dict[int, int]:
    """Tell the bodies' first contacts, in words and Chinese first (issue 16 item 7); returns
    how many messages each body was sent (0: no contact to reach)."""
    level = rules.ResponseLevel(r.level)
    tag, asked = _EVENTS[event]
    grade = GRADE_LABELS[Grade(incident.grade)]
    category = get_taxonomy().words(incident.category)
    subject, text = compose(Notice(
        what=Words(incident.title, incident.title),
        tag=Words(level.label_zh + tag.zh, f"{level.label_en.upper()} {tag.en}"),
        ref=f"{r.ref} {incident.ref}", category=Words(*category), grade=Words(*grade),
        asked=asked))
    text += f"说明 Note: {note}\n"
    payload = {"event": event, "ref": r.ref, "incident": incident.ref, "level": r.level,
               "state": r.state}
    contacts = directory.current(s).contacts
    first = {body_id: contact_tier(contacts.get(body_id, ()), 0)
             for body_id in dict.fromkeys(body_ids)}
    outbox.enqueue(s, now=now, messages=[
        outbox.Message(c, subject, text, payload,
                       incident_id=incident.id, priority=0 if level == rules.ResponseLevel.I
                       else 20)
        for tier in first.values() for c in tier])
    return {body_id: len(tier) for body_id, tier in first.items()}


# --- activation (Plan §4.2) -------------------------------------------------------------------


def activate(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ActivateIn
             ) -> ResponseOut:
    """Activate the level's response (Plan §4.2); one response runs per incident."""
    require(principal, Permission.RESPONSE_COMMAND)
    try:
        return _activate(uow, clock.now(), principal, data)
    except IntegrityError as exc:  # a concurrent activation won
        raise Conflict(f"incident {data.incident} already has a response running") from exc


def _activate(uow: UnitOfWork, now: datetime, principal: Principal, data: ActivateIn
              ) -> ResponseOut:
    with uow() as s:
        incident = visible_incident(s, principal.scope, data.incident)
        actor = actor_of(s, principal.body_id)
        level = rules.ResponseLevel(data.level)
        subject = subject_of(incident)
        decision = rules.may_activate(actor, level, subject)
        decision.enforce()
        if s.scalar(select(Response.id).where(Response.incident_id == incident.id,
                                              Response.running.is_(True))):
            raise Conflict(f"incident {incident.ref} already has a response running")
        if rules.needs_headquarters(level) and not data.headquarters:
            raise ValidationFailed([FieldError(
                "headquarters", "a Level I response sets up a headquarters with named members "
                "(a city's own is set up inside the response)", source="Plan §4.2.1")])
        r = Response(
            ref=new_ref("ER", now), incident_id=incident.id, level=level.value, state="active",
            running=True,
            activated_by_body_id=actor.body_id, activated_by=principal.username,
            jurisdiction_path=incident.jurisdiction_path, activated_at=now,
            progress_every_minutes=data.progress_every_minutes or int(
                rules.DEFAULT_CADENCE[level].total_seconds() // 60), created_at=now)
        s.add(r)
        s.flush()
        _add_members(s, r, data.headquarters, now, "headquarters")
        joined = _join_participants(s, r, actor, level, subject, now)
        effects = rules.activation_effects(level,
                                           city_level=rules.covers_city(subject.jurisdiction_path))
        _event(s, r, now, "activated", principal.username, {
            "activation": [decision.basis.as_dict()], "effects": [e.as_dict() for e in effects]})
        _notify(s, r, incident, joined, now, "response.activated",
                "；".join(e.text_zh for e in effects) + " / "
                + "; ".join(e.text_en for e in effects))
        _move_incident(s, incident, IncidentState.HANDLING, now, principal.username, r)
        _audit(s, principal, r, "response.activate", now)
        return response_out(s, r, now)


def _add_members(s: Session, r: Response, members: list[MemberIn], now: datetime, field: str,
                 command_body_id: int | None = None) -> list[int]:
    """Named members of the response's headquarters, or of the city's command
    ``command_body_id``; returns the ids of the bodies they name."""
    bodies = []
    for m in members:
        body = s.scalar(select(Body).where(Body.key == m.body)) if m.body else None
        user = s.scalar(select(User).where(User.username == m.username)) if m.username else None
        if (m.body and body is None) or (m.username and user is None):
            raise ValidationFailed([FieldError(field, f"unknown body or user in "
                                               f"member {m.name!r}")])
        s.add(HeadquartersMember(response_id=r.id, name=m.name, title=m.title,
                                 body_id=body.id if body else None,
                                 user_id=user.id if user else None,
                                 command_body_id=command_body_id, added_at=now))
        bodies += [body.id] if body else []
    return bodies


def _join_participants(s: Session, r: Response, actor: rules.Actor, level: rules.ResponseLevel,
                       subject: rules.Subject, now: datetime) -> list[int]:
    """The activator; for Level I also the Emergency Office (24-hour duty), the province office
    and the national departments of the sector (emergency state, 24-hour duty, Plan §4.2.1);
    for Level II the Emergency Office is informed (§4.2.2)."""
    duty = level in (rules.ResponseLevel.I, rules.ResponseLevel.II)
    members: dict[int, tuple[str, bool]] = {actor.body_id: ("activator", duty)}
    chain = path_ids(subject.jurisdiction_path)
    office = _emergency_office(s)
    if level == rules.ResponseLevel.I:
        members.setdefault(office, ("command", True))
        for body_id in _province_office_and_regulators(s, chain, subject.sector, chain[:1]):
            members.setdefault(body_id, ("emergency_state", True))
    elif level == rules.ResponseLevel.II:
        members.setdefault(office, ("informed", False))
    for body_id, (role, on_duty) in members.items():
        s.add(ResponseBody(response_id=r.id, body_id=body_id, role=role, duty_24h=on_duty,
                           joined_at=now))
    return list(members)


def _province_office_and_regulators(s: Session, chain: list[int], sector: str | None,
                                    department_levels: list[int]) -> list[int]:
    """The active office of the incident's province (``chain``: its jurisdiction path's ids)
    and the departments regulating its sector in the jurisdictions ``department_levels``."""
    province_offices = (Body.kind == BodyKind.OFFICE.value) & (
        Body.jurisdiction_id == (chain[1] if len(chain) > 1 else -1))
    sector_departments = (Body.kind == BodyKind.DEPARTMENT.value) & (
        Body.jurisdiction_id.in_(department_levels)) & Body.id.in_(
            select(BodySector.body_id).where(BodySector.sector_code == sector))
    return list(s.scalars(select(Body.id).where(
        Body.active.is_(True), province_offices | sector_departments).order_by(Body.id)))


# --- the city's headquarters and field command (City §3.3.3–3.3.4) ----------------------------


def _commands(s: Session, r: Response) -> dict[BodyKind, Body]:
    """The city's headquarters and field command set up in the response, by kind."""
    found = s.scalars(select(Body).join(ResponseBody, ResponseBody.body_id == Body.id).where(
        ResponseBody.response_id == r.id,
        ResponseBody.role.in_(rules.COMMAND_ROLES.values()))).all()
    return {BodyKind(b.kind): b for b in found}


def may_set_up(s: Session, principal: Principal, r: Response, kind: BodyKind) -> Decision:
    """``rules.may_set_up_command`` with the response's facts (the console asks the same)."""
    return rules.may_set_up_command(actor_of(s, principal.body_id), kind, r.level,
                                    r.jurisdiction_path,
                                    headquarters_set_up=BodyKind.HEADQUARTERS in _commands(s, r))


def set_up_command(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                   data: CommandIn) -> ResponseOut:
    """The city's office converts its coordination group into the city's emergency
    headquarters (City §3.3.3), or the county where it happened (or the city's office) sets up
    a field command under it (§3.3.4), inside a running Level I or II response: a body of that
    kind that takes part in the response, with named members who keep its duty roster and
    report its progress. One of each per response; refusals name the rule."""
    require(principal, Permission.RESPONSE_COMMAND)
    try:
        return _set_up_command(uow, clock.now(), principal, ref, data)
    except IntegrityError as exc:  # a concurrent set-up of the same kind won (the body's key)
        raise Conflict(f"the response already has its {data.kind}") from exc


def _set_up_command(uow: UnitOfWork, now: datetime, principal: Principal, ref: str,
                    data: CommandIn) -> ResponseOut:
    kind = BodyKind(data.kind)
    with uow() as s:
        r = _active(s, principal, ref)
        may_set_up(s, principal, r, kind).enforce()
        commands = _commands(s, r)
        if kind in commands:
            raise Conflict(f"the response already has its {kind.value}: {commands[kind].key}")
        body = _command_body(s, principal, r, kind, commands, now)
        role = rules.COMMAND_ROLES[kind]
        s.add(ResponseBody(response_id=r.id, body_id=body.id, role=role, duty_24h=True,
                           joined_at=now))
        named = _add_members(s, r, data.members, now, "members", command_body_id=body.id)
        basis = rules.command_basis(kind)
        _event(s, r, now, role, principal.username,
               {"body": body.key, "parent": body.parent_body.key, "basis": basis.as_dict()})
        _notify(s, r, s.get(Incident, r.incident_id), [r.activated_by_body_id, *named], now,
                "response.command_set_up", f"{body.name_zh} / {body.name_en}: "
                f"{basis.text_zh} / {basis.text_en}")
        _audit(s, principal, r, f"response.{role}", now,
               {"body": body.key, "parent": body.parent_body.key, "members": len(data.members)})
        return response_out(s, r, now)


def _command_body(s: Session, principal: Principal, r: Response, kind: BodyKind,
                  commands: dict[BodyKind, Body], now: datetime) -> Body:
    """The new body: the headquarters in the city, under the coordination group it was
    converted from (else the office that set it up; City §3.3.3); the field command where it
    happened, under the headquarters (City §3.3.4)."""
    chain = path_ids(r.jurisdiction_path)
    if kind == BodyKind.HEADQUARTERS:
        place = s.get(Jurisdiction, chain[LEVEL_ORDER.index(JurisdictionLevel.CITY)])
        parent = s.scalar(select(Body).where(
            Body.jurisdiction_id == place.id, Body.kind == BodyKind.LEADING_GROUP.value,
            Body.active.is_(True)).order_by(Body.id)) or s.get(Body, principal.body_id)
        zh, en, key = "网络安全事件应急处置指挥部", "Network Security Incident Emergency " \
            "Headquarters", "hq"
    else:
        place, parent = s.get(Jurisdiction, chain[-1]), commands[BodyKind.HEADQUARTERS]
        zh, en, key = "网络安全事件现场指挥部", "Network Security Incident Field Command", "fc"
    body, _ = put_body(s, principal=principal, now=now, data=BodyIn(
        key=f"{key}.{r.ref.lower()}", kind=kind, jurisdiction=place.code,
        name_zh=f"{place.name_zh}{zh}（{r.ref}）", name_en=f"{place.name_en} {en} ({r.ref})",
        notes=f"{rules.command_basis(kind).source}; response {r.ref}"))
    body.parent_body = parent  # the headquarters may lie outside a county's scope
    s.flush()
    return body


def _acting_body(s: Session, principal: Principal, command: str | None) -> int:
    """The caller's own body, or the city headquarters or field command ``command`` it is a
    named member of (City §3.3.3–3.3.4), whose roster it keeps and whose progress it reports."""
    if command is None:
        return principal.body_id
    found = s.execute(select(Body.id, ResponseBody.response_id).join(
        ResponseBody, ResponseBody.body_id == Body.id).where(
        Body.key == command, Body.active.is_(True),
        ResponseBody.role.in_(rules.COMMAND_ROLES.values()))).first()
    if found is None:  # none such, or it stood down when its response ended
        raise ValidationFailed([FieldError("command", f"no city headquarters or field command "
                                           f"{command!r} in a running response",
                                           source="City §3.3.3–3.3.4")])
    body_id, response_id = found
    rules.may_act_for_command(member_of(s, response_id, principal.user_id, body_id)).enforce()
    return body_id


# --- progress and support (Plan §4.2.1–4.2.2) -------------------------------------------------


def _participant(s: Session, r: Response, body_id: int) -> ResponseBody:
    p = s.scalar(select(ResponseBody).where(ResponseBody.response_id == r.id,
                                            ResponseBody.body_id == body_id))
    rules.may_report_progress(p is not None).enforce()
    return p


def report_progress(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                    data: ProgressIn) -> ResponseOut:
    require(principal, Permission.RESPONSE_REPORT)
    now = clock.now()
    with uow() as s:
        r = _active(s, principal, ref)
        p = _participant(s, r, _acting_body(s, principal, data.command))
        s.add(ProgressReport(response_id=r.id, body_id=p.body_id, reported_by=principal.username,
                             at=now, developments=data.developments, progress=data.progress))
        p.last_progress_at, p.flagged_at = now, None
        _event(s, r, now, "progress", principal.username, {"body_id": p.body_id})
        _audit(s, principal, r, "response.progress", now)
        return response_out(s, r, now)


def flag_missing_progress(uow: UnitOfWork, clock: Clock) -> int:
    """The watchdog: flag (once per missed report) every reporting participant whose progress
    report is overdue, and remind it."""
    now = clock.now()
    with uow() as s:
        rows = s.execute(select(ResponseBody, Response).join(
            Response, Response.id == ResponseBody.response_id).where(
            Response.state != "ended", ResponseBody.flagged_at.is_(None),
            ResponseBody.role.in_(rules.REPORTING_ROLES))).all()
        flagged = 0
        for p, r in rows:
            cadence = timedelta(minutes=r.progress_every_minutes)
            if rules.progress_state(p.last_progress_at, p.joined_at, cadence, now).value \
                    != "overdue":
                continue
            p.flagged_at, flagged = now, flagged + 1
            _event(s, r, now, "progress_overdue", "watchdog", {"body_id": p.body_id})
            _notify(s, r, s.get(Incident, r.incident_id), [p.body_id], now,
                    "response.progress_overdue", "A progress report is overdue / 进展报告逾期")
        return flagged


def request_support(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                    data: SupportIn) -> ResponseOut:
    require(principal, Permission.RESPONSE_REPORT)
    now = clock.now()
    with uow() as s:
        r = _active(s, principal, ref)
        responding = set(s.scalars(select(ResponseBody.body_id).where(
            ResponseBody.response_id == r.id)))
        rules.may_request(actor_of(s, principal.body_id), responding).enforce()
        req = SupportRequest(ref=new_ref("SR", now), response_id=r.id,
                             requesting_body_id=principal.body_id,
                             requested_by=principal.username, needs=data.needs,
                             state=rules.SupportState.REQUESTED.value, created_at=now,
                             updated_at=now)
        s.add(req)
        s.flush()
        _notify(s, r, s.get(Incident, r.incident_id), [_emergency_office(s)], now,
                "response.support_requested", f"Support requested / 请求支援: {data.needs}")
        _event(s, r, now, "support_requested", principal.username, {"request": req.ref})
        _audit(s, principal, r, "response.support_request", now, {"request": req.ref})
        return response_out(s, r, now)


def dispatch(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
             request_ref: str, data: DispatchIn) -> ResponseOut:
    """The Emergency Office coordinates a request and records each team, body or expert it
    sends, with the time (Plan §4.2.2(3))."""
    require(principal, Permission.RESPONSE_COMMAND)
    now = clock.now()
    with uow() as s:
        r = _active(s, principal, ref)
        rules.may_coordinate(actor_of(s, principal.body_id)).enforce()
        req = s.scalar(select(SupportRequest).where(SupportRequest.ref == request_ref,
                                                    SupportRequest.response_id == r.id))
        if req is None:
            raise NotFound(f"no support request {request_ref!r}")
        if not (data.body or data.expert):
            raise ValidationFailed([FieldError("body", "name a body or an expert to send")])
        body = s.scalar(select(Body).where(Body.key == data.body)) if data.body else None
        expert = s.scalar(select(Expert).where(Expert.key == data.expert)) \
            if data.expert else None
        if (data.body and body is None) or (data.expert and expert is None):
            raise ValidationFailed([FieldError("body" if data.body else "expert",
                                               "no such body or expert")])
        if req.state != rules.SupportState.DISPATCHED:  # a further dispatch keeps the state
            for step in (rules.SupportState.COORDINATING, rules.SupportState.DISPATCHED):
                if req.state != step:
                    rules.can_transition_support(req.state, step).enforce()
                    req.state = step.value
        req.coordinator, req.updated_at = principal.username, now
        s.add(SupportDispatch(request_id=req.id, body_id=body.id if body else None,
                              expert_id=expert.id if expert else None,
                              dispatched_by=principal.username, dispatched_at=now,
                              note=data.note))
        notify = [req.requesting_body_id] + ([body.id] if body else [])
        _notify(s, r, s.get(Incident, r.incident_id), notify, now, "response.dispatched",
                f"Dispatched / 已派出: {data.body or data.expert}")
        _event(s, r, now, "dispatched", principal.username,
               {"request": req.ref, "body": data.body, "expert": data.expert})
        _audit(s, principal, r, "response.dispatch", now, {"request": req.ref})
        return response_out(s, r, now)


# --- ending (Plan §4.3) -----------------------------------------------------------------------


def _active(s: Session, principal: Principal, ref: str) -> Response:
    r = visible_response(s, principal, ref)
    if r.state == "ended":
        raise ValidationFailed([FieldError("ref", "the response has ended")])
    return r


def propose_end(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: EndIn
                ) -> ResponseOut:
    """Level I: the Emergency Office proposes ending; the headquarters approves (§4.3.1)."""
    require(principal, Permission.RESPONSE_COMMAND)
    now = clock.now()
    with uow() as s:
        r = _active(s, principal, ref)
        ending.may_propose_end(actor_of(s, principal.body_id), r.level,
                                              r.activated_by_body_id).enforce()
        r.state, r.end_proposed_by, r.end_proposed_at, r.end_reason = (
            "end_proposed", principal.username, now, data.reason)
        members = [b for b in s.scalars(select(HeadquartersMember.body_id).where(
            HeadquartersMember.response_id == r.id,
            HeadquartersMember.command_body_id.is_(None))) if b]
        _notify(s, r, s.get(Incident, r.incident_id), [r.activated_by_body_id, *members], now,
                "response.end_proposed", f"Ending proposed, approval awaited / 建议结束，待指挥部"
                f"批准: {data.reason}")
        _event(s, r, now, "end_proposed", principal.username, {"why": data.reason})
        _audit(s, principal, r, "response.propose_end", now)
        return response_out(s, r, now)


def approve_end(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                as_of: datetime | None = None) -> ResponseOut:
    """Level I: a member of the headquarters approves the Office's proposal, which ends the
    response; the Office's notice goes to the provinces and departments (Plan §4.3.1).
    ``as_of``: when it really ended, for an end recorded after the fact."""
    require(principal, Permission.RESPONSE_READ)
    now = clock.now()
    with uow() as s:
        r = _active(s, principal, ref)
        effective = effective_time(as_of, now, r.activated_at, "as_of")
        ending.may_approve_end(member_of(s, r.id, principal.user_id), r.level).enforce()
        office = _emergency_office(s)
        ending.may_end(actor_of(s, office), r.level, r.activated_by_body_id,
                                      proposed=r.state == "end_proposed", approved=True).enforce()
        r.end_approved_by, r.end_approved_at = principal.username, effective
        return _finish(s, principal, r, now, effective)


def end(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: EndIn
        ) -> ResponseOut:
    """End a response by its level's rule (Plan §4.3): Levels II–IV by the activating region
    or department; Level I only through ``propose_end`` and ``approve_end``, so here it is
    refused naming the steps missing."""
    require(principal, Permission.RESPONSE_COMMAND)
    now = clock.now()
    with uow() as s:
        r = _active(s, principal, ref)
        effective = effective_time(data.as_of, now, r.activated_at, "as_of")
        ending.may_end(actor_of(s, principal.body_id), r.level,
                                      r.activated_by_body_id,
                                      proposed=r.state == "end_proposed",
                                      approved=r.end_approved_at is not None).enforce()
        r.end_reason = data.reason
        return _finish(s, principal, r, now, effective)


def effective_time(as_of: datetime | None, now: datetime, began: datetime | None,
                   field: str) -> datetime:
    """The effective time of a step recorded now: ``as_of`` for one entered after the fact
    (issue 18 item 9), refused in the future or before the thing began; else now."""
    if as_of is None:
        return now
    if as_of > now:
        raise ValidationFailed([FieldError(field, "lies in the future")])
    if began is not None and as_of < began:
        raise ValidationFailed([FieldError(field, f"is before {began.isoformat()}, when it "
                                                  "began")])
    return as_of


def _finish(s: Session, principal: Principal, r: Response, now: datetime,
            effective: datetime | None = None) -> ResponseOut:
    """Ended: the bodies the level's rule names are notified, and for Level II the Emergency
    Office relays the end to the provinces and departments concerned, each recorded (Plan
    §4.3); the city's commands stand down; the investigation report falls due 30 days after
    the effective end (``effective``: an as-of time, or now) (Plan §5)."""
    level = rules.ResponseLevel(r.level)
    effective = effective or now
    r.state, r.ended_at, r.running = "ended", effective, None
    r.end_entered_at, r.end_entered_by = now, principal.username
    incident = s.get(Incident, r.incident_id)
    _open_investigation(s, r, incident, now, effective)
    _move_incident(s, incident, IncidentState.RESOLVED, now, principal.username, r)
    told = _to_notify(s, r, level)
    kind = "report" if ending.NOTIFY_EMERGENCY_OFFICE in ending.notify_on_end(level) else "notice"
    _record_notices(s, r, kind, r.activated_by_body_id if kind == "report"
                    else _emergency_office(s), now, _notify(
                        s, r, incident, told, now, "response.ended",
                        f"The response has ended / 应急响应结束: {r.end_reason or ''}"))
    relayed = _relay_end(s, r, incident, now) if ending.relays_end(level) else []
    stood_down = _stand_down(s, r, now)
    as_of = {"ended_at": effective.isoformat(), "entered_at": now.isoformat(),
             "entered_by": principal.username} if effective != now else {}
    _event(s, r, now, "ended", principal.username,
           {"notify": ending.notify_on_end(level), "why": r.end_reason, "relayed": relayed,
            **as_of})
    _audit(s, principal, r, "response.end", now, {"level": r.level, "state": r.state,
                                                   "relayed": relayed, "stood_down": stood_down,
                                                   **as_of})
    return response_out(s, r, now)


def _move_incident(s: Session, incident: Incident, target: IncidentState, now: datetime,
                   actor: str, r: Response) -> None:
    """Activation puts a reported/acknowledged incident in handling; the end resolves it
    (Plan §4.2, §4.3), through the incident's own transitions and final-report duty."""
    if target not in INCIDENT_TRANSITIONS[IncidentState(incident.state)]:
        return  # already further along (or closed): the response does not move it back
    if target == IncidentState.HANDLING and incident.state not in (IncidentState.REPORTED,
                                                                   IncidentState.ACKNOWLEDGED):
        return  # a response does not reopen a resolved incident
    if incident.is_parent and not owner_rules.parent_may_become(
            target, rollup_of(s, incident.id)).allowed:
        return  # a parent follows its units (Plan §4.3)
    handling.move_state(s, incident, target, now=now, actor=actor,
                        resolution=f"response {r.ref} ended / 应急响应{r.ref}结束"
                        if target == IncidentState.RESOLVED and not incident.resolution
                        else None,  # a resolution written by a person is kept
                        extra={"response": r.ref})


def _record_notices(s: Session, r: Response, kind: str, sent_by: int, now: datetime,
                    messages: dict[int, int]) -> None:
    for body_id, count in messages.items():
        s.add(ResponseNotice(response_id=r.id, body_id=body_id, kind=kind,
                             sent_by_body_id=sent_by, at=now, messages=count))


def _relay_end(s: Session, r: Response, incident: Incident, now: datetime) -> list[str]:
    """Level II: the Emergency Office, told of the end, notifies the provinces and departments
    concerned (Plan §4.3.2; ``ending.relay_to``); returns their keys."""
    office, chain = _emergency_office(s), path_ids(incident.jurisdiction_path)
    participants = s.scalars(select(ResponseBody.body_id).where(
        ResponseBody.response_id == r.id).order_by(ResponseBody.id))
    members = s.execute(select(HeadquartersMember.body_id, User.body_id).outerjoin(
        User, User.id == HeadquartersMember.user_id).where(
        HeadquartersMember.response_id == r.id).order_by(HeadquartersMember.id))
    requests = select(SupportRequest.id).where(SupportRequest.response_id == r.id)
    supporting = s.scalars(select(SupportRequest.requesting_body_id).where(
        SupportRequest.id.in_(requests)).order_by(SupportRequest.id)).all() + s.scalars(
        select(SupportDispatch.body_id).where(SupportDispatch.request_id.in_(requests),
                                              SupportDispatch.body_id.is_not(None))
        .order_by(SupportDispatch.id)).all()
    to = ending.relay_to(
        office=office, activator=r.activated_by_body_id,
        taking_part=[*participants, *(b for pair in members for b in pair if b)],
        supporting=supporting,
        regulators=_province_office_and_regulators(s, chain, incident.sector_code, chain[:2]))
    basis = ending.RELAY_BASIS
    _record_notices(s, r, "relay", office, now, _notify(
        s, r, incident, to, now, "response.end_relayed",
        f"{basis.text_zh}（{basis.source}）：{r.end_reason or ''} / {basis.text_en} "
        f"({basis.source})"))
    return list(s.scalars(select(Body.key).where(Body.id.in_(to)).order_by(Body.key)))


def _stand_down(s: Session, r: Response, now: datetime) -> list[str]:
    """The city's headquarters and field command exist only while the response runs (org.rules
    RESPONSE_BODY_KINDS; City §3.3.3–3.3.4)."""
    commands = list(_commands(s, r).values())
    for body in commands:
        body.active, body.updated_at = False, now
    return sorted(b.key for b in commands)


def _emergency_office(s: Session) -> int:
    office = emergency_office(s)
    if office is None:
        raise NotFound("no body has the national Emergency Office function (Plan §2.2)")
    return office.id


def _to_notify(s: Session, r: Response, level: rules.ResponseLevel) -> list[int]:
    who = ending.notify_on_end(level)
    if ending.NOTIFY_PROVINCES_AND_DEPARTMENTS in who:
        return list(s.scalars(select(ResponseBody.body_id).where(
            ResponseBody.response_id == r.id)))
    if ending.NOTIFY_EMERGENCY_OFFICE in who:
        return [_emergency_office(s)]
    return []


def _open_investigation(s: Session, r: Response, incident: Incident, now: datetime,
                        ended_at: datetime) -> None:
    plan = investigation.investigation_plan(incident.grade, ended_at)
    organizer = (_emergency_office(s) if plan.organizer == investigation.Organizer.EMERGENCY_OFFICE
                 else r.activated_by_body_id)
    s.add(Investigation(response_id=r.id, organizer=plan.organizer.value,
                        organizer_body_id=organizer,
                        file_with_emergency_office=plan.file_with_emergency_office,
                        due_at=plan.due_at, state="draft", sections="{}", created_at=now,
                        updated_at=now))


# --- investigation (Plan §5) ------------------------------------------------------------------


def _investigation(s: Session, principal: Principal, ref: str) -> tuple[Response, Investigation]:
    r = visible_response(s, principal, ref)
    inv = s.scalar(select(Investigation).where(Investigation.response_id == r.id))
    if inv is None:
        raise NotFound("the investigation opens when the response ends (Plan §5)")
    investigation.may_write_report(inv.organizer_body_id == principal.body_id).enforce()
    return r, inv


def write_investigation(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                        data: SectionsIn) -> ResponseOut:
    require(principal, Permission.RESPONSE_REPORT)
    now = clock.now()
    with uow() as s:
        r, inv = _investigation(s, principal, ref)
        unknown = sorted(set(data.sections) - set(investigation.REPORT_SECTIONS))
        if unknown:
            expected = ", ".join(investigation.REPORT_SECTIONS)
            raise ValidationFailed([FieldError(f"sections.{k}", "not a section of the report; "
                                               f"expected {expected}") for k in unknown])
        if inv.state != "draft":
            raise ValidationFailed([FieldError("state", f"the report is {inv.state}")])
        inv.sections = json.dumps({**json.loads(inv.sections), **data.sections},
                                  ensure_ascii=False)
        inv.updated_at = now
        _audit(s, principal, r, "investigation.write", now, {"sections": sorted(data.sections)})
        return response_out(s, r, now)


def advance_investigation(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                          target: str, as_of: datetime | None = None) -> ResponseOut:
    """Submit (every section written) or approve the report. ``as_of``: when it really was,
    for a filing recorded after the fact — not in the future, not before the response ended
    (or the report was submitted); the 30-day clock judges by it (Plan §5 ¶2)."""
    require(principal, Permission.RESPONSE_REPORT if target == "submitted"
            else Permission.RESPONSE_COMMAND)
    now = clock.now()
    with uow() as s:
        r, inv = _investigation(s, principal, ref)
        investigation.can_transition_report(inv.state, target,
                                                           json.loads(inv.sections)).enforce()
        began = inv.submitted_at if target == "approved" and inv.submitted_at else r.ended_at
        effective = effective_time(as_of, now, began, "as_of")
        inv.state, inv.updated_at = target, now
        inv.filed_entered_at, inv.filed_entered_by = now, principal.username
        if target == "submitted":
            inv.submitted_at = effective
        if target == "approved":
            inv.approved_at, inv.approved_by = effective, principal.username
        detail = {"at": effective.isoformat(), "entered_at": now.isoformat(),
                  "entered_by": principal.username} if effective != now else {}
        _event(s, r, now, f"investigation_{target}", principal.username, detail)
        _audit(s, principal, r, f"investigation.{target}", now,
               {"level": r.level, "state": r.state, **detail} if detail else None)
        return response_out(s, r, now)


def get_response(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                 ) -> ResponseOut:
    require(principal, Permission.RESPONSE_READ)
    with uow() as s:
        return response_out(s, visible_response(s, principal, ref), clock.now())



def active_counts_by_level(uow: UnitOfWork, *, principal: Principal) -> dict[str, int]:
    """How many responses the caller can see have not ended, per level: one grouped count
    (the dashboard, issue 21)."""
    require(principal, Permission.RESPONSE_READ)
    stmt = (select(Response.level, func.count())
            .where(visible_responses(principal), Response.state != "ended")
            .group_by(Response.level))
    with uow() as s:
        return dict(s.execute(stmt).tuples().all())


def list_responses(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                   state: str | None = None) -> Page[ResponseSummary]:
    require(principal, Permission.RESPONSE_READ)
    stmt = select(Response).where(visible_responses(principal))
    if state:
        stmt = stmt.where(Response.state == state)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=Response.id.desc(),
                          convert=lambda r: summary_out(s, r))


# --- duty rosters (24-hour duty, Plan §4.2.1) -------------------------------------------------


def add_shift(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: ShiftIn
              ) -> ShiftOut:
    """A shift of the caller's body's duty roster, or of the city headquarters or field command
    the caller is a member of (``data.command``, City §3.3.3–3.3.4). Several officers may be on
    duty at once; one officer's shifts do not overlap."""
    require(principal, Permission.RESPONSE_REPORT)
    now = clock.now()
    if data.ends_at <= data.starts_at:
        raise ValidationFailed([FieldError("ends_at", "a shift ends after it starts")])
    with uow() as s:
        body_id = _acting_body(s, principal, data.command)
        overlap = s.scalar(select(DutyShift.officer).where(
            DutyShift.body_id == body_id, DutyShift.starts_at < data.ends_at,
            DutyShift.ends_at > data.starts_at, DutyShift.officer == data.officer))
        if overlap:
            raise Conflict(f"{data.officer} already has a shift at that time")
        shift = DutyShift(body_id=body_id, officer=data.officer, contact=data.contact,
                          starts_at=data.starts_at, ends_at=data.ends_at,
                          handover_note=data.handover_note, created_at=now)
        s.add(shift)
        s.flush()
        body = s.get(Body, body_id)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="duty.shift",
                     entity_type="duty", entity_key=f"{body.key}#{shift.id}",
                     scope_path=body.jurisdiction.path,
                     detail={"officer": data.officer, "starts_at": data.starts_at,
                             "ends_at": data.ends_at})
        return shift_out(shift, body.key, now)


def list_shifts(uow: UnitOfWork, clock: Clock, *, principal: Principal, body: str | None = None,
                since: datetime | None = None) -> list[ShiftOut]:
    """A body's roster from ``since`` (default: now) on: the caller's own body, or one it can
    see."""
    require(principal, Permission.RESPONSE_READ)
    now = clock.now()
    with uow() as s:
        target = visible_body(s, principal.scope, body) if body else s.get(Body, principal.body_id)
        shifts = s.scalars(select(DutyShift).where(
            DutyShift.body_id == target.id, DutyShift.ends_at > (since or now))
            .order_by(DutyShift.starts_at).limit(200)).all()
        return [shift_out(x, target.key, now) for x in shifts]


def shift_out(x: DutyShift, body_key: str, now: datetime) -> ShiftOut:
    return ShiftOut(id=x.id, body=body_key, officer=x.officer, contact=x.contact,
                    starts_at=x.starts_at, ends_at=x.ends_at, handover_note=x.handover_note,
                    on_duty_now=x.starts_at <= now < x.ends_at)
