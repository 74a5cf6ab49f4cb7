"""Important-event protection periods in the console (Plan §6.5): the list of the periods in the
user's scope and a period's page — its span, scope, reason, the bodies in scope and the tasks of
the red-warning response. Read-only here: the Emergency Office declares, requires the response
and ends a period through the API or ``fenghuo protection``. Everything shown comes from
:mod:`fenghuo.warning.protection`, which applies the caller's scope."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fenghuo.common.errors import DomainError
from fenghuo.warning import protection
from fenghuo.warning.protection_rules import PHASE_LABELS, Phase

from . import session
from .pages import error_page, page_count, page_params, render, to_login, user

router = APIRouter()


@router.get("/protection")
def list_page(request: Request, phase: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    phase = phase if phase in set(Phase) else ""
    try:
        found = protection.list_periods(rt.uow, rt.clock, principal=me, page=page_params(page),
                                        phase=phase or None)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_protection_list.html", {
        "me": user(rt, me), "nav": "warnings", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "phases": PHASE_LABELS, "f": {"phase": phase},
        "query": f"phase={phase}&" if phase else ""})


@router.get("/protection/{ref}")
def detail_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        p = protection.get_period(rt.uow, rt.clock, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_protection.html", {
        "me": user(rt, me), "nav": "warnings", "p": p, "now": rt.clock.now()})
