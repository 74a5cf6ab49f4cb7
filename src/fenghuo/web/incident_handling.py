"""The incident page's handling (issue 19 items 1–3): whom it is assigned to (and "assign to
me"), moving a unit's incident along its states with a resolution when it becomes resolved or
closed (Plan §4.4; CAC 2025 art. 8), and changing its TLP label with a reason (TLP 2.0).

What is shown and allowed comes from :mod:`fenghuo.incident.assignment`, ``handling`` and
:mod:`fenghuo.sharing.service`; the page is ``web.incidents``' own (``_detail``), with
``_console_incident_handling.html`` included in it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from fenghuo.common.errors import DomainError, NotFound, ValidationFailed
from fenghuo.incident import assignment, casework, handling
from fenghuo.incident.rules import STATE_LABELS, TRANSITIONS, State
from fenghuo.incident.schemas import StateIn
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.sharing import service as sharing
from fenghuo.sharing.schemas import TlpIn
from fenghuo.sharing.tlp import TLP_LABELS, Tlp

from . import session
from .incident_casework import back_to as _back
from .pages import Posted, error_page, errors_by_field, posted

router = APIRouter()
#: the states this form moves to (acknowledgement has its own button)
FORM_STATES = (State.HANDLING, State.RESOLVED, State.CLOSED)
#: the console asks how it was resolved before these (Plan §4.4; CAC 2025 art. 8)
NEEDS_RESOLUTION = handling.RESOLUTION_STATES
RESOLUTION_REQUIRED = "Say how it was resolved."


def context(rt, me, me_out, out) -> dict:  # noqa: ANN001 - Runtime, Principal, Me, IncidentOut
    """What the handling part of the page needs: the current assignee, whom it may be assigned
    to, the states it may move to and the TLP labels, as far as the caller may act."""
    handle = Permission.INCIDENT_HANDLE.value in set(me_out.permissions)
    try:
        candidates = casework.owner_candidates(rt.uow, principal=me, ref=out.ref)
        in_scope = True
    except NotFound:  # shared with the caller, not in its scope: it reads, does not handle
        candidates, in_scope = [], False
    may = handle and in_scope and out.state != State.CLOSED.value
    targets = [s for s in FORM_STATES if s in TRANSITIONS[State(out.state)]]
    return {"handling": {
        "may_assign": may, "candidates": candidates,
        "me_candidate": any(c["username"] == me.username for c in candidates),
        "states": [(s.value, STATE_LABELS[s]) for s in targets] if may and not out.rollup
        else [],
        "needs_resolution": sorted(NEEDS_RESOLUTION),
        "may_relabel": handle and in_scope and me_out.body.kind == BodyKind.OFFICE.value,
        "tlps": [(t.value, TLP_LABELS[t]) for t in Tlp]}}


def _again(request: Request, me, ref: str, key: str, errors: dict,  # noqa: ANN001
           form: dict) -> Response:
    from .incidents import _detail  # the page of web.incidents (which includes this router)

    return _detail(request, me, ref, errors={key: errors}, form=form, status=422)


@router.post("/incidents/{ref}/assignee")
async def set_assignee(request: Request, ref: str) -> Response:
    """Assign to a user of a body handling it, or to nobody (an empty choice)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form, rt = got.me, dict(got.form), session.runtime(request)
    try:
        assignment.assign(rt.uow, rt.clock, principal=me, ref=ref,
                          username=str(form.get("username") or "") or None)
    except ValidationFailed as exc:
        return _again(request, me, ref, "assign", errors_by_field(exc.errors), form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _back(ref, "handling")


@router.post("/incidents/{ref}/state")
async def set_state(request: Request, ref: str) -> Response:
    """Move the incident on; resolved and closed need a resolution (Plan §4.4)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form, rt = got.me, dict(got.form), session.runtime(request)
    target, resolution = str(form.get("state", "")), str(form.get("resolution", "")).strip()
    if target in NEEDS_RESOLUTION and not resolution:
        return _again(request, me, ref, "state", {"resolution": RESOLUTION_REQUIRED}, form)
    try:
        data = StateIn(state=target, note=str(form.get("note", "")),
                       resolution=resolution or None)
        handling.set_state(rt.uow, rt.clock, principal=me, ref=ref, data=data,
                           require_resolution=True)
    except ValidationError as exc:
        from .incidents import _field_errors

        return _again(request, me, ref, "state",
                      _field_errors(exc, ("state", "note", "resolution")), form)
    except ValidationFailed as exc:
        return _again(request, me, ref, "state", errors_by_field(exc.errors), form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _back(ref, "handling")


@router.post("/incidents/{ref}/tlp")
async def set_tlp(request: Request, ref: str) -> Response:
    """Change the TLP label with a reason (audited, on the timeline)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form, rt = got.me, dict(got.form), session.runtime(request)
    try:
        data = TlpIn(tlp=str(form.get("tlp", "")), reason=str(form.get("reason", "")).strip())
        sharing.set_incident_tlp(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    except ValidationError as exc:
        from .incidents import _field_errors

        return _again(request, me, ref, "tlp", _field_errors(exc, ("tlp", "reason")), form)
    except ValidationFailed as exc:
        return _again(request, me, ref, "tlp", errors_by_field(exc.errors), form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _back(ref, "handling")
