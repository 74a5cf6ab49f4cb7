"""Sharing in the console (issue 19 item 5; Plan §3.2; Law art. 29): an incident's shares with
their acknowledgements and the form to share it (``_console_incident_shares.html``, included in
the incident page of :mod:`fenghuo.web.incidents`), the shares the caller's body sent and
received with an acknowledge button (``/web/shares``), and STIX 2.1 and MISP exports of
incidents for the session's caller (the API's exports need a bearer token the browser has not).

What may be shared, with whom, under which TLP, and what an export holds is decided by
:mod:`fenghuo.sharing.service`, ``sharing.stix`` and ``sharing.misp``; this module renders their
answers.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.api.deps import ObjectId
from fenghuo.common.errors import DomainError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.org import bodies
from fenghuo.org.rules import BodyFunction, BodyKind, JurisdictionLevel, Permission
from fenghuo.sharing import misp, service, stix, tlp
from fenghuo.sharing.tlp import TLP_LABELS, Tlp

from . import session
from .pages import Posted, error_page, page_count, page_params, posted, render, to_login, user

router = APIRouter()
#: refs one console export takes (a page of the incidents list is 25)
MAX_REFS = 200
STATE_LABELS = {"acknowledged": ("已确认接收", "acknowledged"),
                "unacknowledged": ("未确认接收", "not acknowledged")}


def _tlp_labels() -> dict:
    return {t.value: TLP_LABELS[t] for t in Tlp}


def _recipients(rt, me: Principal, own: str) -> list:  # noqa: ANN001 - Runtime
    """The bodies the service would accept: active provincial offices and departments, not the
    caller's own (``service.recipient_problem``)."""
    out = []
    for kind in (BodyKind.OFFICE, BodyKind.DEPARTMENT):
        try:
            page = bodies.list_bodies(rt.uow, principal=me, page=PageParams(limit=500),
                                      kind=kind)
        except Forbidden:  # no directory for this role: nothing to choose from
            return []
        out += [b for b in page.items if service.recipient_problem(
            kind=b.kind, level=JurisdictionLevel(b.jurisdiction.level), active=b.active,
            is_sharer=b.key == own) is None]
    return sorted(out, key=lambda b: (b.kind != BodyKind.OFFICE, b.key))


def context(rt, me: Principal, me_out, out) -> dict:  # noqa: ANN001 - Runtime, Me, IncidentOut
    """What the incident page's sharing part needs: the shares, whether the caller's body may
    share it (the national Emergency Office, as the service decides) and under its TLP label
    (TLP:RED is not passed on), and the recipients to choose from."""
    try:
        shares = service.list_incident_shares(rt.uow, principal=me, ref=out.ref)
    except (Forbidden, NotFound):
        shares = []
    perms = set(me_out.permissions)
    office = me_out.body.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE and (
        me_out.body.jurisdiction.level == JurisdictionLevel.NATIONAL)
    may = service.may_share_incident(national_emergency_office=office)
    onward = tlp.may_reshare(out.tlp)
    share_form = (Permission.INCIDENT_HANDLE.value in perms and may.allowed and onward.allowed)
    chosen = {s.body for s in shares}
    return {"shares": {
        "rows": shares, "form": share_form, "state_labels": STATE_LABELS,
        "refusals": [r.as_dict() for r in (may.refusals if not may.allowed else
                                           onward.refusals)] if office else [],
        "recipients": [b for b in _recipients(rt, me, me_out.body.key) if b.key not in chosen]
        if share_form else [],
        "mine": next((s for s in shares if s.body == me_out.body.key), None),
        "export": Permission.INCIDENT_READ.value in perms}}


def _again(request: Request, me: Principal, ref: str, errors: dict, form: dict) -> Response:
    from .incidents import _detail  # the page of web.incidents (which includes this router)

    return _detail(request, me, ref, errors=errors, form=form, status=422)


@router.post("/incidents/{ref}/shares")
async def share(request: Request, ref: str) -> Response:
    """The Emergency Office shares the incident with the chosen bodies (Plan §3.2); refused
    with the rules' reasons (TLP 2.0) on the error page, bad input back on the form."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me = got.me
    rt = session.runtime(request)
    keys = [str(k) for k in got.form.getlist("bodies") if str(k).strip()]
    note = str(got.form.get("note", ""))
    try:
        service.share_incident(rt.uow, rt.clock, principal=me, ref=ref, bodies=keys, note=note)
    except ValidationError:
        return _again(request, me, ref, {"share": {"bodies": "Choose at least one body."}},
                      {"note": note})
    except ValidationFailed as exc:
        return _again(request, me, ref, {"share": {
            "bodies": "; ".join(e.message for e in exc.errors)}}, {"note": note})
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/incidents/{ref}#shares", status_code=303)


@router.get("/shares")
def shares_page(request: Request, page: int = 1, state: str = "") -> Response:
    """Incidents shared with the caller's body (to acknowledge) and those it shared."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    wanted = state if state in STATE_LABELS else None
    try:
        received = service.list_received(rt.uow, principal=me, page=page_params(page),
                                         state=wanted)
        sent = service.list_sent(rt.uow, principal=me, page=PageParams(limit=100))
    except DomainError as exc:
        return error_page(request, me, exc)
    me_out = user(rt, me)
    return render(request, "console_shares.html", {
        "me": me_out, "nav": "shares", "received": received, "sent": sent,
        "page": max(page, 1), "pages": page_count(received.total), "state": wanted or "",
        "state_labels": STATE_LABELS, "tlp_labels": _tlp_labels(),
        "may_ack": Permission.INCIDENT_HANDLE.value in me_out.permissions})


@router.post("/shares/{share_id}/acknowledge")
async def acknowledge(request: Request, share_id: ObjectId) -> Response:
    """The caller's body confirms it received a shared incident; another body's share is
    not found (Law art. 30)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        out = service.acknowledge_share(rt.uow, rt.clock, principal=got.me, share_id=share_id)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    back = str(got.form.get("back", ""))
    if back == "incident":
        return RedirectResponse(f"/web/incidents/{out.incident}#shares", status_code=303)
    return RedirectResponse("/web/shares#received", status_code=303)


# --- exports ----------------------------------------------------------------------------------


def _download(document: dict, name: str, media_type: str) -> Response:
    return Response(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
                    media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _refs(ref: list[str] | None) -> list[str]:
    refs = list(dict.fromkeys(r.strip() for r in ref or [] if r.strip()))
    if not refs or len(refs) > MAX_REFS or any(len(r) > 64 for r in refs):
        raise ValidationFailed([])
    return refs


RefQuery = Annotated[list[str] | None, Query()]


@router.get("/exports/stix.json")
def export_stix(request: Request, ref: RefQuery = None) -> Response:
    """A STIX 2.1 bundle of the incidents named (``?ref=…`` repeated), as the caller's scope
    and TLP 2.0 allow (``sharing.stix.export_bundle``, audited); a ref out of scope is a 404."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        refs = _refs(ref)
        result = stix.export_bundle(rt.uow, rt.clock, principal=me, incidents=refs,
                                    warnings=[], monitoring=[])
    except ValidationFailed:
        return error_page(request, me, NotFound("no incidents named for the export"))
    except DomainError as exc:
        return error_page(request, me, exc)
    name = f"stix-{refs[0]}.json" if len(refs) == 1 else f"stix-incidents-{len(refs)}.json"
    resp = _download(result.bundle, name, "application/stix+json;version=2.1")
    resp.headers["X-Fenghuo-Withheld"] = str(result.withheld)
    return resp


@router.get("/exports/misp.json")
def export_misp(request: Request, ref: RefQuery = None) -> Response:
    """The incidents named as MISP events (a JSON list of ``{"Event": …}``), as the caller's
    scope and TLP 2.0 allow (``sharing.misp.export_events``); none of them readable is a 404."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        refs = _refs(ref)
        out = misp.export_events(rt.uow, principal=me, kind="incident", refs=refs,
                                 timezone=rt.settings.timezone)
        if not out.events and not out.withheld:
            raise NotFound(f"no incident {refs[0]!r}")
    except ValidationFailed:
        return error_page(request, me, NotFound("no incidents named for the export"))
    except DomainError as exc:
        return error_page(request, me, exc)
    name = f"misp-{refs[0]}.json" if len(refs) == 1 else f"misp-incidents-{len(refs)}.json"
    resp = _download(out.document(), name, "application/json")
    resp.headers["X-Fenghuo-Withheld"] = str(len(out.withheld))
    return resp
