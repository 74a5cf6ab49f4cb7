"""Directives and interviews in the console (Law arts. 55, 56): the list with each item's
deadline, the form of an office or department to direct a unit or record an interview (约谈),
and an item's page — requirements, the unit's rectification reports (整改), history — with the
unit's actions (acknowledge, report with evidence) and the issuer's (verify and close, reopen).

Everything shown and allowed comes from :mod:`fenghuo.supervision.queries` and ``service``; a
form that fails validation comes back with its errors beside the fields, a refusal (a unit
outside the caller's scope) with each rule and its clause, and nothing is stored.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.common.errors import DomainError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.org.rules import Permission, has_permission
from fenghuo.supervision import queries, service
from fenghuo.supervision import rules as r
from fenghuo.supervision.schemas import (
    AcknowledgeIn,
    DirectiveIn,
    InterviewIn,
    RectificationIn,
    ReopenIn,
    VerifyIn,
)

from . import session
from .pages import (
    Posted,
    error_page,
    local_time,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)
from .preparedness_body import blank, form_errors

router = APIRouter()

LABELS = {"kind": r.KIND_LABELS, "state": r.STATE_LABELS, "role": r.INTERVIEWEE_LABELS}


@router.get("/supervision")
def list_page(request: Request, kind: str = "", state: str = "", overdue: str = "",
              page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    kind = kind if kind in set(r.Kind) else ""
    state = state if state in set(r.State) else ""
    try:
        found = queries.list_items(rt.uow, rt.clock, principal=me, page=page_params(page),
                                   kind=kind or None, state=state or None,
                                   overdue=bool(overdue))
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_supervision_list.html", {
        "me": user(rt, me), "nav": "supervision", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "L": LABELS,
        "f": {"kind": kind, "state": state, "overdue": bool(overdue)},
        "may_issue": has_permission(me.roles, Permission.SUPERVISION_WRITE),
        "query": "".join(f"{k}={v}&" for k, v in (("kind", kind), ("state", state),
                                                   ("overdue", "1" if overdue else "")) if v)})


def _form_page(request: Request, me: Principal, kind: str, *, form: dict | None = None,
               fe: dict | None = None, reasons: list | None = None,
               status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        units = queries.units(rt.uow, principal=me)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_supervision_new.html", {
        "me": user(rt, me), "nav": "supervision", "kind": kind, "units": units, "action": "new",
        "form": form or {}, "fe": fe or {}, "reasons": reasons or [], "L": LABELS}, status)


@router.get("/supervision/new")
def new_page(request: Request, kind: str = "directive") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _form_page(request, me, kind if kind in set(r.Kind) else r.Kind.DIRECTIVE.value)


@router.post("/supervision/new")
async def create(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt, form = session.runtime(request), {k: str(v) for k, v in got.form.items()}
    kind = form.get("kind") if form.get("kind") in set(r.Kind) else r.Kind.DIRECTIVE.value
    tz = rt.settings.timezone
    common = {"unit": form.get("unit", ""), "title": form.get("title", ""),
              "findings": form.get("findings", ""),
              "requirements": form.get("requirements", ""),
              "due_at": local_time(form.get("due_at", ""), tz)}
    try:
        if kind == r.Kind.INTERVIEW.value:
            out = service.record_interview(rt.uow, rt.clock, principal=got.me, data=InterviewIn(
                **common, interviewee=form.get("interviewee", ""),
                interviewee_role=form.get("interviewee_role") or "legal_representative",
                interviewed_at=local_time(form.get("interviewed_at", ""), tz)))
        else:
            out = service.issue_directive(rt.uow, rt.clock, principal=got.me,
                                          data=DirectiveIn(**common))
    except (ValidationError, ValidationFailed) as exc:
        return _form_page(request, got.me, kind, form=form, fe=form_errors(request, exc),
                          status=422)
    except Refused as exc:
        return _form_page(request, got.me, kind, form=form, reasons=exc.reasons, status=403)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/supervision/{quote(out.ref, safe='')}", status_code=303)


@router.get("/supervision/{ref}")
def item_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        x = queries.get_item(rt.uow, rt.clock, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_supervision_item.html", {"me": user(rt, me),
                                                             "nav": "supervision", "x": x})


@router.post("/supervision/{ref}/{action}")
async def act(request: Request, ref: str, action: str) -> Response:
    """The unit's and the issuer's actions; a refusal or a conflict (a closed item) is the
    error page with its reasons."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt, form = session.runtime(request), got.form
    text = {k: blank(form.get(k)) for k in ("note", "measures", "evidence", "reason",
                                           "due_at", "attachments")}
    kw = {"principal": got.me, "ref": ref}
    try:
        if action == "acknowledge":
            service.acknowledge(rt.uow, rt.clock, **kw, data=AcknowledgeIn(note=text["note"]))
        elif action == "rectification":
            service.report(rt.uow, rt.clock, **kw, data=RectificationIn(
                measures=text["measures"] or "", evidence=text["evidence"] or "",
                attachments=(text["attachments"] or "").split()))
        elif action == "verify":
            service.verify(rt.uow, rt.clock, **kw, data=VerifyIn(note=text["note"]))
        elif action == "reopen":
            service.reopen(rt.uow, rt.clock, **kw, data=ReopenIn(
                reason=text["reason"] or "",
                due_at=local_time(text["due_at"] or "", rt.settings.timezone)))
        else:
            return error_page(request, got.me, DomainError(f"no action {action!r}"))
    except (ValidationError, ValidationFailed) as exc:
        fe = form_errors(request, exc)
        return error_page(request, got.me, ValidationFailed(message="; ".join(
            f"{k}: {v}" for k, v in fe.items())))
    except DomainError as exc:
        return error_page(request, got.me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/supervision/{quote(ref, safe='')}", status_code=303)
