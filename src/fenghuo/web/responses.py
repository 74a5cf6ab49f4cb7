"""Emergency response pages of the console (Plan §4.2–§4.3, §5): the list, the activation form
and the response console — level and state, headquarters, participants with their duty and
progress clocks, the city's headquarters and field command (City §3.3.3–3.3.4), the caller's
duty roster, progress reports, support requests and dispatches, the ending actions open to the
caller (and why the others are not) and who was told of the end, the 30-day investigation.

Every page reads :mod:`fenghuo.response.console` and every form calls one use case of
:mod:`fenghuo.response.service`; both apply the caller's scope and the rules. A refusal is shown
beside the form with each rule and clause, a form that fails validation comes back with its
errors next to the fields and what was typed, and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, FieldError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.incident.grading import GRADE_LABELS
from fenghuo.response import console, ending, investigation, rules
from fenghuo.response import service as responses
from fenghuo.response.schemas import (
    ActivateIn,
    CommandIn,
    DispatchIn,
    EndIn,
    ProgressIn,
    SectionsIn,
    ShiftIn,
    SupportIn,
)
from fenghuo.support import service as support

from . import list_sort, session
from .pages import (
    Posted,
    error_page,
    errors_by_field,
    local_time,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)

router = APIRouter()
STATES = tuple(rules.RESPONSE_STATE_LABELS)
DONE = re.compile(r"[a-z]+(-[A-Za-z0-9_-]+)?")  # ?done=progress, dispatch-SR-…: what was done
HQ_ROWS = 6  # rows for headquarters members on the activation form
COMMAND_ROWS = 4  # rows for members on the form of a city command
#: the domain's bilingual labels, by what they label (templates: ``L.state[r.state] | label``)
LABELS = {
    "grade": GRADE_LABELS, "level": rules.LEVEL_LABELS, "state": rules.RESPONSE_STATE_LABELS,
    "role": rules.PARTICIPANT_ROLE_LABELS, "progress": rules.PROGRESS_LABELS,
    "support": rules.SUPPORT_STATE_LABELS, "notify": ending.NOTIFY_LABELS,
    "notice": ending.NOTICE_KIND_LABELS,
    "organizer": investigation.ORGANIZER_LABELS,
    "clock": investigation.INVESTIGATION_STATE_LABELS,
    "report": investigation.REPORT_STATE_LABELS, "section": investigation.REPORT_SECTIONS,
}


def _field_errors(exc: ValidationError, prefix: Callable[[tuple], str] | None = None
                  ) -> list[FieldError]:
    return [FieldError(prefix(e["loc"]) if prefix else ".".join(str(p) for p in e["loc"]),
                       e["msg"]) for e in exc.errors()]


# --- the list ---------------------------------------------------------------------------------


@router.get("/responses")
def responses_page(request: Request, state: str = "", sort: str = "", desc: str = "",
                   page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    state = state if state in STATES else ""
    order = list_sort.context({"state": state}, sort, desc, console.SORTS)
    found = console.list_rows(rt.uow, rt.clock, principal=me, page=page_params(page),
                              state=state or None, sort=order["sort"] or None,
                              desc=order["desc"])
    return render(request, "console_responses.html", {
        "me": user(rt, me), "nav": "responses", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "f": {"state": state}, "states": STATES, "L": LABELS,
        **order})


# --- activation (Plan §4.2) -------------------------------------------------------------------


def _new_page(request: Request, me: Principal, incident: str, form: dict | None = None,
              errors: list[FieldError] | None = None, reasons: list | None = None,
              problem: str = "", status: int = 200) -> Response:
    rt = session.runtime(request)
    options = None
    if incident:
        try:
            options = console.activation_options(rt.uow, principal=me, incident_ref=incident)
        except DomainError as exc:
            return error_page(request, me, exc)
    return render(request, "console_response_new.html", {
        "me": user(rt, me), "nav": "responses", "incident": incident, "o": options,
        "form": form or {}, "fe": errors_by_field(errors or []), "reasons": reasons or [],
        "problem": problem, "hq_rows": range(HQ_ROWS), "L": LABELS}, status)


@router.get("/responses/new")
def new_response_page(request: Request, incident: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _new_page(request, me, incident.strip())


def _members(form: dict, count: int = HQ_ROWS) -> tuple[list[dict], list[int]]:
    """The headquarters rows that were filled in, and the form row of each."""
    members, rows = [], []
    for i in range(count):
        row = {k: form.get(f"hq-{i}-{k}", "").strip() for k in ("name", "title", "body",
                                                               "username")}
        if any(row.values()):
            members.append({**row, "body": row["body"] or None,
                            "username": row["username"] or None})
            rows.append(i)
    return members, rows


@router.post("/responses/new")
async def activate(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    incident = form.get("incident", "").strip()
    retry = {"request": request, "me": me, "incident": incident, "form": form}
    members, rows = _members(form)

    def field(loc: tuple) -> str:  # headquarters.0.name → the form row's hq-3-name
        return f"hq-{rows[loc[1]]}-{loc[2]}" if loc[0] == "headquarters" and len(loc) > 2 \
            else str(loc[0])

    try:
        data = ActivateIn(incident=incident, level=form.get("level", ""), headquarters=members,
                          progress_every_minutes=form.get("progress_every_minutes") or None)
        out = responses.activate(rt.uow, rt.clock, principal=me, data=data)
    except ValidationError as exc:
        return _new_page(**retry, errors=_field_errors(exc, field), status=422)
    except ValidationFailed as exc:
        return _new_page(**retry, errors=exc.errors, status=422)
    except Refused as exc:
        return _new_page(**retry, reasons=exc.reasons, status=exc.status)
    except DomainError as exc:  # a response already running, an unknown incident, a role
        return _new_page(**retry, problem=exc.detail, status=exc.status)
    rt.wake_worker()
    return RedirectResponse(f"/web/responses/{quote(out.ref)}?done=activated", status_code=303)


# --- the response console ---------------------------------------------------------------------


def _console_page(request: Request, me: Principal, ref: str, *, action: str = "",
                  form: dict | None = None, errors: list[FieldError] | None = None,
                  reasons: list | None = None, status: int = 200, done: str = "") -> Response:
    rt = session.runtime(request)
    try:
        c = console.console(rt.uow, rt.clock, principal=me, ref=ref)
        roster = responses.list_shifts(rt.uow, rt.clock, principal=me)
        assigned = support.assignments_for_response(rt.uow, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_response.html", {
        "me": user(rt, me), "nav": "responses", "c": c, "r": c.response, "a": c.actions,
        "roster": roster, "assigned": assigned, "action": action, "form": form or {},
        "fe": errors_by_field(errors or []), "reasons": reasons or [], "done": done,
        "now": rt.clock.now(), "member_rows": range(COMMAND_ROWS), "L": LABELS}, status)


@router.get("/responses/{ref}")
def response_page(request: Request, ref: str, done: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _console_page(request, me, ref, done=done if DONE.fullmatch(done) else "")


async def _act(request: Request, ref: str, action: str,
               call: Callable[[Runtime, Principal, dict], object], wake: bool = False
               ) -> Response:
    """One POST form of the console: CSRF, one use case, then back to the console; a refusal or
    an invalid form is shown at the form (``action`` names it), and nothing is stored."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    retry = {"request": request, "me": me, "ref": ref, "action": action, "form": form}
    try:
        call(rt, me, form)
    except ValidationError as exc:
        return _console_page(**retry, errors=_field_errors(exc), status=422)
    except ValidationFailed as exc:
        return _console_page(**retry, errors=exc.errors, status=422)
    except Refused as exc:
        return _console_page(**retry, reasons=exc.reasons, status=exc.status)
    except DomainError as exc:  # not found, a role that does not allow it, a conflict
        return _console_page(**retry, errors=[FieldError("form", exc.detail)],
                             status=exc.status)
    if wake:
        rt.wake_worker()
    return RedirectResponse(f"/web/responses/{quote(ref)}?done={action}#{action}",
                            status_code=303)


@router.post("/responses/{ref}/commands")
async def set_up_command(request: Request, ref: str) -> Response:
    """The city's headquarters or a field command (City §3.3.3–3.3.4); the form names its
    kind, so a refusal shows at that form."""
    form = await request.form()
    kind = str(form.get("kind", ""))
    action = f"command-{kind}" if kind in ("headquarters", "field_command") else "command"
    return await _act(request, ref, action, lambda rt, me, f: responses.set_up_command(
        rt.uow, rt.clock, principal=me, ref=ref, data=CommandIn(
            kind=f.get("kind", ""), members=_members(f, COMMAND_ROWS)[0])), wake=True)


def _command(form: dict) -> str | None:
    """The city command a member acts for (City §3.3.3–3.3.4); none: the caller's own body."""
    return form.get("command", "").strip() or None


@router.post("/responses/{ref}/progress")
async def report_progress(request: Request, ref: str) -> Response:
    return await _act(request, ref, "progress", lambda rt, me, f: responses.report_progress(
        rt.uow, rt.clock, principal=me, ref=ref, data=ProgressIn(
            developments=f.get("developments", ""), progress=f.get("progress", ""),
            command=_command(f))))


@router.post("/responses/{ref}/support")
async def request_support(request: Request, ref: str) -> Response:
    return await _act(request, ref, "support", lambda rt, me, f: responses.request_support(
        rt.uow, rt.clock, principal=me, ref=ref, data=SupportIn(needs=f.get("needs", ""))),
        wake=True)


@router.post("/responses/{ref}/support/{request_ref}/dispatch")
async def dispatch(request: Request, ref: str, request_ref: str) -> Response:
    return await _act(request, ref, f"dispatch-{request_ref}", lambda rt, me, f: (
        responses.dispatch(rt.uow, rt.clock, principal=me, ref=ref, request_ref=request_ref,
                           data=DispatchIn(body=f.get("body", "").strip() or None,
                                           expert=f.get("expert", "").strip() or None,
                                           note=f.get("note", "")))), wake=True)


@router.post("/responses/{ref}/end-proposal")
async def propose_end(request: Request, ref: str) -> Response:
    return await _act(request, ref, "propose", lambda rt, me, f: responses.propose_end(
        rt.uow, rt.clock, principal=me, ref=ref, data=EndIn(reason=f.get("reason", ""))))


@router.post("/responses/{ref}/end-approval")
async def approve_end(request: Request, ref: str) -> Response:
    return await _act(request, ref, "approve", lambda rt, me, f: responses.approve_end(
        rt.uow, rt.clock, principal=me, ref=ref), wake=True)


@router.post("/responses/{ref}/end")
async def end(request: Request, ref: str) -> Response:
    return await _act(request, ref, "end", lambda rt, me, f: responses.end(
        rt.uow, rt.clock, principal=me, ref=ref, data=EndIn(reason=f.get("reason", ""))),
        wake=True)


def _sections(form: dict) -> SectionsIn:
    return SectionsIn(sections={k: form.get(f"section-{k}", "")
                                for k in investigation.REPORT_SECTIONS})


@router.post("/responses/{ref}/investigation")
async def write_investigation(request: Request, ref: str) -> Response:
    return await _act(request, ref, "investigation", lambda rt, me, f: (
        responses.write_investigation(rt.uow, rt.clock, principal=me, ref=ref,
                                      data=_sections(f))))


@router.post("/responses/{ref}/investigation/{target}")
async def advance_investigation(request: Request, ref: str, target: str) -> Response:
    state = {"submit": "submitted", "approve": "approved"}.get(target)
    if state is None:
        return Response(status_code=404)
    return await _act(request, ref, f"investigation-{target}", lambda rt, me, f: (
        responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=ref, target=state)))


@router.post("/responses/{ref}/shifts")
async def add_shift(request: Request, ref: str) -> Response:
    return await _act(request, ref, "roster", lambda rt, me, f: responses.add_shift(
        rt.uow, rt.clock, principal=me, data=ShiftIn(
            officer=f.get("officer", ""), contact=f.get("contact", ""),
            starts_at=local_time(f.get("starts_at", ""), rt.settings.timezone),
            ends_at=local_time(f.get("ends_at", ""), rt.settings.timezone),
            handover_note=f.get("handover_note", ""), command=_command(f))))
