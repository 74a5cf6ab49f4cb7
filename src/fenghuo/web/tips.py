"""Public tips in the console (Law art. 14): the list with each tip's handling clock, and a
tip's page — what was reported, who holds it, the tipster (for the holder's incident handlers
only), its clock and history — with the holder's actions: accept (受理), transfer (移送) to a
body the rules allow, close with an outcome for the tipster.

Everything shown and allowed comes from :mod:`fenghuo.incident.tips` and ``tip_handling``;
a refusal (a transfer out of the rules, a closed tip) is the error page with its reasons.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.common.errors import DomainError, FieldError, ValidationFailed
from fenghuo.incident import tip_handling, tips
from fenghuo.incident.tip_rules import STATE_LABELS, TipState
from fenghuo.incident.tip_schemas import AcceptIn, CloseIn, TransferIn

from . import session
from .pages import Posted, error_page, page_count, page_params, posted, render, to_login, user

router = APIRouter()


@router.get("/tips")
def tips_page(request: Request, state: str = "", overdue: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    state = state if state in set(TipState) else ""
    try:
        found = tips.list_tips(rt.uow, rt.clock, principal=me, page=page_params(page),
                               state=state or None, overdue=bool(overdue))
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_tips.html", {
        "me": user(rt, me), "nav": "tips", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "f": {"state": state, "overdue": bool(overdue)},
        "states": {s.value: STATE_LABELS[s] for s in TipState},
        "query": (f"state={state}&" if state else "") + ("overdue=1&" if overdue else "")})


@router.get("/tips/{ref}")
def tip_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        t = tips.get_tip(rt.uow, rt.clock, principal=me, ref=ref)
        targets = tip_handling.transfer_targets(rt.uow, principal=me, ref=ref) if (
            "transfer" in t.actions) else []
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_tip.html", {"me": user(rt, me), "nav": "tips", "t": t,
                                                "targets": targets})


async def _act(request: Request, ref: str, action: str) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt, form = session.runtime(request), got.form
    settings = tips.settings_of(rt.settings)

    def text(name: str) -> str | None:
        return str(form.get(name, "")).strip() or None

    try:
        if action == "accept":
            tip_handling.accept(rt.uow, rt.clock, principal=got.me, ref=ref,
                                data=AcceptIn(note=text("note")), settings=settings)
        elif action == "transfer":
            tip_handling.transfer(rt.uow, rt.clock, principal=got.me, ref=ref, settings=settings,
                                  data=TransferIn(to=text("to") or "", reason=text("reason") or ""))
            rt.wake_worker()
        else:
            tip_handling.close(rt.uow, rt.clock, principal=got.me, ref=ref,
                               data=CloseIn(outcome=text("outcome") or "", note=text("note")))
    except ValidationError as exc:
        problems = [FieldError(".".join(str(p) for p in e["loc"]), e["msg"])
                    for e in exc.errors()]
        return error_page(request, got.me, ValidationFailed(problems, "; ".join(
            str(p) for p in problems)))
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return RedirectResponse(f"/web/tips/{quote(ref, safe='')}", status_code=303)


@router.post("/tips/{ref}/accept")
async def accept(request: Request, ref: str) -> Response:
    return await _act(request, ref, "accept")


@router.post("/tips/{ref}/transfer")
async def transfer(request: Request, ref: str) -> Response:
    return await _act(request, ref, "transfer")


@router.post("/tips/{ref}/close")
async def close(request: Request, ref: str) -> Response:
    return await _act(request, ref, "close")
