"""Reading responses: scoped visibility and the full view (the response console's data)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from fenghuo.common.clock import Clock
from fenghuo.common.errors import NotFound
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import visible_incident
from fenghuo.incident.schemas import EventOut, ReasonOut
from fenghuo.org.models import Body, Expert, User
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.response import investigation, rules
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
    DispatchOut,
    EndNoticeOut,
    InvestigationOut,
    MemberOut,
    ParticipantOut,
    ProgressOut,
    ResponseOut,
    ResponseSummary,
    SupportOut,
)


def visible_responses(principal: Principal) -> ColumnElement[bool]:
    """Responses the caller's body takes part in, and, for offices (whole-subtree scope),
    responses to incidents in its jurisdiction (Law art. 30)."""
    scope = principal.scope
    taking_part = Response.id.in_(select(ResponseBody.response_id).where(
        ResponseBody.body_id == scope.body_id)) | Response.id.in_(
        select(HeadquartersMember.response_id).where(
            HeadquartersMember.user_id == principal.user_id))
    if scope.own_body_only or scope.sectors is not None:
        return taking_part
    return taking_part | Response.jurisdiction_path.startswith(scope.jurisdiction_path)


def visible_response(s: Session, principal: Principal, ref: str) -> Response:
    r = s.scalar(select(Response).where(Response.ref == ref, visible_responses(principal)))
    if r is None:
        raise NotFound(f"no response {ref!r}")
    return r


def member_of(s: Session, response_id: int, user_id: int, command_body_id: int | None = None
              ) -> bool:
    """Whether the user is a named member of the response's own headquarters (``command_body_id``
    None: Plan §4.2.1, whose members approve a Level I end, §4.3.1) or of the city headquarters
    or field command ``command_body_id`` set up inside it (City §3.3.3–3.3.4)."""
    where = HeadquartersMember.command_body_id.is_(None) if command_body_id is None \
        else HeadquartersMember.command_body_id == command_body_id
    return s.scalar(select(HeadquartersMember.id).where(
        HeadquartersMember.response_id == response_id, HeadquartersMember.user_id == user_id,
        where).limit(1)) is not None


def on_duty(s: Session, body_id: int, now: datetime) -> list[str]:
    return list(s.scalars(select(DutyShift.officer).where(
        DutyShift.body_id == body_id, DutyShift.starts_at <= now, DutyShift.ends_at > now)
        .order_by(DutyShift.starts_at)))


def _participants(s: Session, r: Response, now: datetime) -> list[ParticipantOut]:
    cadence = timedelta(minutes=r.progress_every_minutes)
    out = []
    for p, b in s.execute(select(ResponseBody, Body).join(Body, Body.id == ResponseBody.body_id)
                          .where(ResponseBody.response_id == r.id).order_by(ResponseBody.id)):
        reporting = p.role in rules.REPORTING_ROLES and r.state != "ended"
        out.append(ParticipantOut(
            body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en, role=p.role,
            duty_24h=p.duty_24h, joined_at=p.joined_at, last_progress_at=p.last_progress_at,
            next_progress_due=rules.next_due(p.last_progress_at, p.joined_at, cadence),
            progress_state=rules.progress_state(p.last_progress_at, p.joined_at, cadence,
                                                now).value if reporting else "not_required",
            on_duty=on_duty(s, b.id, now)))
    return out


def _support(s: Session, r: Response) -> list[SupportOut]:
    out = []
    for req in s.scalars(select(SupportRequest).where(SupportRequest.response_id == r.id)
                         .order_by(SupportRequest.id)):
        dispatches = [DispatchOut(
            body=s.get(Body, d.body_id).key if d.body_id else None,
            expert=s.get(Expert, d.expert_id).key if d.expert_id else None,
            dispatched_by=d.dispatched_by, dispatched_at=d.dispatched_at, note=d.note)
            for d in s.scalars(select(SupportDispatch).where(
                SupportDispatch.request_id == req.id).order_by(SupportDispatch.id))]
        out.append(SupportOut(
            ref=req.ref, requesting_body=s.get(Body, req.requesting_body_id).key,
            requested_by=req.requested_by, needs=req.needs, state=req.state,
            coordinator=req.coordinator, note=req.note, created_at=req.created_at,
            dispatches=dispatches))
    return out


def _investigation(s: Session, r: Response, now: datetime) -> InvestigationOut | None:
    inv = s.scalar(select(Investigation).where(Investigation.response_id == r.id))
    if inv is None:
        return None
    sections = json.loads(inv.sections)
    return InvestigationOut(
        organizer=inv.organizer, organizer_body=s.get(Body, inv.organizer_body_id).key,
        file_with_emergency_office=inv.file_with_emergency_office, due_at=inv.due_at,
        state=inv.state, clock=investigation.investigation_state(
            inv.due_at, inv.approved_at, now).value,
        sections=sections, missing_sections=investigation.missing_sections(sections),
        submitted_at=inv.submitted_at, approved_at=inv.approved_at, approved_by=inv.approved_by,
        filed_entered_at=inv.filed_entered_at, filed_entered_by=inv.filed_entered_by)


def _end_notices(s: Session, r: Response) -> list[EndNoticeOut]:
    """Who was told of the end, by whom (Plan §4.3.1–4.3.2)."""
    sender = aliased(Body)
    rows = s.execute(select(ResponseNotice, Body, sender.key)
                     .join(Body, Body.id == ResponseNotice.body_id)
                     .join(sender, sender.id == ResponseNotice.sent_by_body_id)
                     .where(ResponseNotice.response_id == r.id).order_by(ResponseNotice.id))
    return [EndNoticeOut(body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en,
                         kind=n.kind, sent_by=by, at=n.at, messages=n.messages)
            for n, b, by in rows]


def summary_out(s: Session, r: Response) -> ResponseSummary:
    level = rules.ResponseLevel(r.level)
    return ResponseSummary(
        ref=r.ref, incident=s.get(Incident, r.incident_id).ref, level=r.level,
        level_label={"zh": level.label_zh, "en": level.label_en}, state=r.state,
        activated_by=s.get(Body, r.activated_by_body_id).key, activated_at=r.activated_at,
        ended_at=r.ended_at)


def response_out(s: Session, r: Response, now: datetime) -> ResponseOut:
    events = s.scalars(select(ResponseEvent).where(ResponseEvent.response_id == r.id)
                       .order_by(ResponseEvent.id)).all()
    activated = json.loads(next((e.detail for e in events if e.kind == "activated"), "{}"))
    command = aliased(Body)
    members = s.execute(select(HeadquartersMember, Body.key, User.username, command.key)
                        .outerjoin(Body, Body.id == HeadquartersMember.body_id)
                        .outerjoin(User, User.id == HeadquartersMember.user_id)
                        .outerjoin(command, command.id == HeadquartersMember.command_body_id)
                        .where(HeadquartersMember.response_id == r.id)
                        .order_by(HeadquartersMember.id)).all()
    progress = s.execute(select(ProgressReport, Body.key).join(
        Body, Body.id == ProgressReport.body_id).where(ProgressReport.response_id == r.id)
        .order_by(ProgressReport.id)).all()
    return ResponseOut(
        **summary_out(s, r).model_dump(),
        activation=[ReasonOut(**x) for x in activated.get("activation", [])],
        effects=[ReasonOut(code=x["code"], source=x["source"], text_zh=x["text_zh"],
                           text_en=x["text_en"]) for x in activated.get("effects", [])],
        headquarters=[MemberOut(name=m.name, title=m.title, body=key, username=username,
                                command=command_key, added_at=m.added_at)
                      for m, key, username, command_key in members],
        participants=_participants(s, r, now),
        progress=[ProgressOut(body=key, reported_by=p.reported_by, at=p.at,
                              developments=p.developments, progress=p.progress)
                  for p, key in progress],
        support=_support(s, r), end_proposed_by=r.end_proposed_by,
        end_proposed_at=r.end_proposed_at, end_approved_by=r.end_approved_by,
        end_approved_at=r.end_approved_at, end_reason=r.end_reason,
        end_entered_at=r.end_entered_at, end_entered_by=r.end_entered_by,
        end_notices=_end_notices(s, r), investigation=_investigation(s, r, now),
        timeline=[EventOut(at=e.at, kind=e.kind, actor=e.actor, detail=json.loads(e.detail))
                  for e in events])


def responses_of_incident(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                          incident_ref: str) -> list[ResponseOut]:
    """Every response to one incident that the caller may see, oldest first; an incident the
    caller cannot see is not found (as in ``get_incident``)."""
    require(principal, Permission.RESPONSE_READ)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, incident_ref)
        found = s.scalars(select(Response).where(Response.incident_id == incident.id,
                                                 visible_responses(principal))
                          .order_by(Response.id)).all()
        return [response_out(s, r, now) for r in found]
