"""What the duty console shows beside a response: for each action, whether the caller may take
it and, if not, every rule (with its clause) or role that stands in the way; the levels the
caller's body may activate for an incident; list rows with their next progress report.

Every decision is the one the use cases of :mod:`fenghuo.response.service` enforce, asked of the
same pure rules with the same facts (``rules.may_activate``, ``rules.may_request``,
``rules.may_coordinate``, ``rules.may_set_up_command``, ``ending.may_*``,
``investigation.can_transition_report``); nothing here is a rule of its own. Reads are scoped
like the service's (Law art. 30).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common import sorting
from fenghuo.common.clock import Clock
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import visible_incident
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyKind, Permission, has_permission
from fenghuo.org.service import emergency_office, require
from fenghuo.response import ending, investigation, rules
from fenghuo.response.models import HeadquartersMember, Investigation, Response, ResponseBody
from fenghuo.response.schemas import ResponseOut, ResponseSummary
from fenghuo.response.service import actor_of, may_set_up, subject_of
from fenghuo.response.views import (
    member_of,
    response_out,
    summary_out,
    visible_response,
    visible_responses,
)

ENDED = Reason("response.ended", "Plan §4.3", "应急响应已结束", "the response has ended")
NOT_ENDED = Reason("investigation.not_open", "Plan §5 ¶2",
                   "调查评估在应急响应结束后开始（30天内完成）",
                   "the investigation opens when the response ends (due within 30 days)")
def role_reason(permission: Permission) -> Reason:
    """Not a rule of the Plan: the caller's roles lack the permission the action needs."""
    return Reason("role.permission", "Fenghuo roles (org.rules.ROLE_PERMISSIONS)",
                  f"您的角色没有“{permission.value}”权限",
                  f"your roles do not include the permission {permission.value}")


def _with_role(principal: Principal, permission: Permission, decision: Decision) -> Decision:
    if has_permission(principal.roles, permission):
        return decision
    return Decision((role_reason(permission), *decision.refusals))


# --- activation (Plan §4.2) -------------------------------------------------------------------


@dataclass(frozen=True)
class LevelOption:
    level: rules.ResponseLevel
    decision: Decision
    #: a headquarters with named members is set up (Plan §4.2.1; City §3.3.3)
    needs_headquarters: bool
    cadence_minutes: int


@dataclass(frozen=True)
class ActivationOptions:
    incident: str
    title: str
    grade: str
    #: the ref of the response already running for the incident (one at a time)
    running: str | None
    levels: list[LevelOption]


def activation_options(uow: UnitOfWork, *, principal: Principal, incident_ref: str
                       ) -> ActivationOptions:
    """Each level I–IV with the decision ``service.activate`` would take for the caller's body
    (Plan §4.2.1–4.2.3), and the role it needs."""
    require(principal, Permission.RESPONSE_READ)
    with uow() as s:
        incident = visible_incident(s, principal.scope, incident_ref)
        actor = actor_of(s, principal.body_id)
        subject = subject_of(incident)
        running = s.scalar(select(Response.ref).where(Response.incident_id == incident.id,
                                                      Response.running.is_(True)))
        levels = [LevelOption(
            level, _with_role(principal, Permission.RESPONSE_COMMAND,
                              rules.may_activate(actor, level, subject)),
            rules.needs_headquarters(level),
            int(rules.DEFAULT_CADENCE[level].total_seconds() // 60))
            for level in rules.LEVELS_DESC]
        return ActivationOptions(incident.ref, incident.title, incident.grade, running, levels)


# --- the response console ---------------------------------------------------------------------


@dataclass(frozen=True)
class Actions:
    """The caller's actions on one response, each allowed or refused with every reason."""

    progress: Decision
    support: Decision
    dispatch: Decision
    propose_end: Decision
    approve_end: Decision
    end: Decision
    write_investigation: Decision
    submit_investigation: Decision
    approve_investigation: Decision
    #: the caller's body reports progress on the cadence (it has a clock)
    must_report: bool
    #: set up the city's headquarters / a field command (City §3.3.3–3.3.4); refused once set up
    city_headquarters: Decision = Decision()
    field_command: Decision = Decision()
    #: the city commands the caller is a named member of: key → (name_zh, name_en); it reports
    #: progress and keeps the roster for them (City §3.3.3–3.3.4)
    acts_for: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Console:
    response: ResponseOut
    incident_title: str
    incident_grade: str
    actions: Actions
    #: the caller's body's key
    own_body: str
    #: body key → (name_zh, name_en), for every body the page names
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: notices an ending sends (``ending.notify_on_end``)
    notify_on_end: list[str] = field(default_factory=list)
    #: the incident happened in a city, which may set up its own commands (City §3.3.3–3.3.4)
    city: bool = False


def console(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> Console:
    """The whole response as ``get_response`` returns it, with the caller's actions."""
    require(principal, Permission.RESPONSE_READ)
    now = clock.now()
    with uow() as s:
        r = visible_response(s, principal, ref)
        incident = s.get(Incident, r.incident_id)
        out = response_out(s, r, now)
        own = s.get(Body, principal.body_id)
        return Console(out, incident.title, incident.grade, _actions(s, principal, r), own.key,
                       _names(s, out), ending.notify_on_end(r.level),
                       rules.covers_city(r.jurisdiction_path))


def _names(s: Session, out: ResponseOut) -> dict[str, tuple[str, str]]:
    keys = {out.activated_by, *(m.body for m in out.headquarters if m.body),
            *(m.command for m in out.headquarters if m.command),
            *(n.sent_by for n in out.end_notices),
            *(x.requesting_body for x in out.support),
            *(d.body for x in out.support for d in x.dispatches if d.body)}
    if out.investigation:
        keys.add(out.investigation.organizer_body)
    rows = s.execute(select(Body.key, Body.name_zh, Body.name_en).where(Body.key.in_(keys)))
    return {key: (zh, en) for key, zh, en in rows}


def _actions(s: Session, principal: Principal, r: Response) -> Actions:
    actor = actor_of(s, principal.body_id)
    role = {b: role for b, role in s.execute(select(ResponseBody.body_id, ResponseBody.role)
                                             .where(ResponseBody.response_id == r.id))}
    ended = r.state == "ended"
    commands = _command_actions(s, principal, r, role, ended)
    return Actions(
        progress=_progress(principal, principal.body_id in role or bool(commands["acts_for"]),
                           ended),
        support=_running(ended, _with_role(principal, Permission.RESPONSE_REPORT,
                                           rules.may_request(actor, set(role)))),
        dispatch=_running(ended, _with_role(principal, Permission.RESPONSE_COMMAND,
                                            rules.may_coordinate(actor))),
        propose_end=_running(ended, _with_role(principal, Permission.RESPONSE_COMMAND,
                                               ending.may_propose_end(
                                                   actor, r.level, r.activated_by_body_id))),
        approve_end=_running(ended, _approval(s, principal, r)),
        end=_running(ended, _with_role(principal, Permission.RESPONSE_COMMAND, ending.may_end(
            actor, r.level, r.activated_by_body_id, proposed=r.state == "end_proposed",
            approved=r.end_approved_at is not None))),
        **_investigation_actions(s, principal, r),
        must_report=role.get(principal.body_id) in rules.REPORTING_ROLES and not ended,
        **commands)


SET_UP = Reason("command.set_up", "City §3.3.3–3.3.4", "已成立", "already set up")


def _command_actions(s: Session, principal: Principal, r: Response, role: dict[int, str],
                     ended: bool) -> dict:
    """``service.set_up_command`` for each kind (one of each per response), and the commands
    the caller may act for (``service._acting_body``: a named member)."""
    there = set(role.values())

    def setting_up(kind: BodyKind) -> Decision:
        if rules.COMMAND_ROLES[kind] in there:
            return decide([SET_UP])
        return _running(ended, _with_role(principal, Permission.RESPONSE_COMMAND,
                                          may_set_up(s, principal, r, kind)))

    commands = s.execute(select(Body.key, Body.name_zh, Body.name_en).join(
        HeadquartersMember, HeadquartersMember.command_body_id == Body.id).where(
        HeadquartersMember.response_id == r.id,
        HeadquartersMember.user_id == principal.user_id).order_by(Body.id)).all()
    return {"city_headquarters": setting_up(BodyKind.HEADQUARTERS),
            "field_command": setting_up(BodyKind.FIELD_COMMAND),
            "acts_for": {} if ended else {k: (zh, en) for k, zh, en in commands}}


def _running(ended: bool, decision: Decision) -> Decision:
    return decide([ENDED]) if ended else decision


def _progress(principal: Principal, participant: bool, ended: bool) -> Decision:
    """``service.report_progress``: a participant body, or a member of a city command it
    reports for (``Actions.acts_for``), with the reporting role."""
    taking_part = rules.may_report_progress(participant)
    return _running(ended, _with_role(principal, Permission.RESPONSE_REPORT, taking_part))


def _approval(s: Session, principal: Principal, r: Response) -> Decision:
    """``service.approve_end``: a headquarters member approves the Office's proposal, which
    ends a Level I response (Plan §4.3.1)."""
    decision = ending.may_approve_end(member_of(s, r.id, principal.user_id), r.level)
    office = emergency_office(s)
    if not decision.allowed or office is None:
        return decision
    # the approval ends the response: the Office's end needs its proposal first (Plan §4.3.1)
    then = ending.may_end(actor_of(s, office.id), r.level, r.activated_by_body_id,
                          proposed=r.state == "end_proposed", approved=True)
    return Decision(then.refusals, None if then.refusals else decision.basis)


def _investigation_actions(s: Session, principal: Principal, r: Response) -> dict[str, Decision]:
    """``service.write_investigation`` / ``advance_investigation`` (Plan §5)."""
    inv = s.scalar(select(Investigation).where(Investigation.response_id == r.id))
    if inv is None:
        closed = decide([NOT_ENDED])
        return {"write_investigation": closed, "submit_investigation": closed,
                "approve_investigation": closed}
    organizer = list(investigation.may_write_report(
        inv.organizer_body_id == principal.body_id).refusals)
    sections = json.loads(inv.sections)
    write = decide(organizer + ([] if inv.state == "draft" else [Reason(
        "investigation.not_draft", "Plan §5 (project flow)", "报告已提交，不能再修改",
        "the report has been submitted and is no longer edited")]))

    def step(target: str, permission: Permission) -> Decision:
        moves = investigation.can_transition_report(inv.state, target, sections)
        refusals = (*organizer, *moves.refusals)
        return _with_role(principal, permission,
                          Decision(refusals, None if refusals else moves.basis))

    return {"write_investigation": _with_role(principal, Permission.RESPONSE_REPORT, write),
            "submit_investigation": step("submitted", Permission.RESPONSE_REPORT),
            "approve_investigation": step("approved", Permission.RESPONSE_COMMAND)}


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    summary: ResponseSummary
    incident_title: str
    leading_body: tuple[str, str]
    #: the earliest next progress report of the bodies that report; None once ended
    next_due: datetime | None
    overdue: bool
    #: the leading body's key, for its directory page
    leading_key: str = ""


#: the columns the response list sorts by (levels I–IV sort by gravity as written)
SORTS = ("activated_at", "level", "state", "ref")


def list_rows(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
              state: str | None = None, sort: str | None = None, desc: bool = False
              ) -> Page[Row]:
    """``service.list_responses`` with each row's incident, leading body and progress clock;
    ``sort`` (one of :data:`SORTS`, with ``desc``) orders the page in SQL, id breaking ties."""
    require(principal, Permission.RESPONSE_READ)
    now = clock.now()
    stmt = select(Response).where(visible_responses(principal))
    if state:
        stmt = stmt.where(Response.state == state)
    with uow() as s:
        columns = {"activated_at": Response.activated_at, "level": Response.level,
                   "state": Response.state, "ref": Response.ref}
        order = sorting.order_by(columns, sort, desc, tiebreak=Response.id,
                                 default=Response.id.desc())
        return fetch_page(s, stmt, page, order_by=order, convert=lambda r: _row(s, r, now))


def _row(s: Session, r: Response, now: datetime) -> Row:
    incident = s.get(Incident, r.incident_id)
    body = s.get(Body, r.activated_by_body_id)
    due, overdue = None, False
    if r.state != "ended":
        cadence = timedelta(minutes=r.progress_every_minutes)
        for last, joined in s.execute(select(ResponseBody.last_progress_at,
                                             ResponseBody.joined_at).where(
                ResponseBody.response_id == r.id, ResponseBody.role.in_(rules.REPORTING_ROLES))):
            at = rules.next_due(last, joined, cadence)
            due = at if due is None or at < due else due
            overdue = overdue or rules.progress_state(last, joined, cadence, now) == \
                rules.ProgressState.OVERDUE
    return Row(summary_out(s, r), incident.title, (body.name_zh, body.name_en), due, overdue,
               body.key)
