"""The console's notice bell (issue 19 item 7): ``/web/bell.json`` (the unread count and latest
notices of the caller's body, labels in the request's language, times in the configured time
zone), ``POST /web/bell/seen`` (everything until now is read) and ``/web/inbox`` (the list as a
page; opening it marks it read). ``static/bell.js`` polls the JSON from every console page.

The POST is checked like every console form (double-submit CSRF, :func:`session.check_csrf`):
the token in the form field ``csrf`` or, for the script, in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fenghuo.common.errors import Unauthorized
from fenghuo.notify import inbox as service

from . import i18n, session
from .pages import render, to_login, user

router = APIRouter()
HEADER = "x-csrf-token"


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "not logged in"}, status_code=401,
                        headers={"Cache-Control": "no-store"})


def item_json(item: service.Item) -> dict:
    """One notice, its words in the current language (call after ``i18n.activate``)."""
    return {"kind": item.kind, "label": i18n.label(item.kind_label), "ref": item.ref,
            "title": item.title, "detail": i18n.label(item.detail) if item.detail else "",
            "time": i18n.format_dt(item.at, "short"), "at": item.at.isoformat(),
            "due": i18n.format_dt(item.due_at, "short") if item.due_at else "",
            "link": item.link, "unread": item.unread}


@router.get("/bell.json")
def bell_json(request: Request, limit: int = 10) -> Response:
    me = session.principal(request)
    if me is None:
        return _unauthorized()
    rt = session.runtime(request)
    box = service.inbox(rt.uow, rt.clock, me, limit=max(1, min(limit, 50)))
    i18n.activate(i18n.negotiate(request), rt.settings.timezone)
    return JSONResponse({"unread": box.unread, "badge": box.badge,
                         "items": [item_json(i) for i in box.items],
                         "poll_seconds": rt.settings.bell_poll_seconds},
                        headers={"Cache-Control": "no-store"})


@router.post("/bell/seen")
async def bell_seen(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return _unauthorized()
    sent = request.headers.get(HEADER)
    if sent is None:
        sent = str((await request.form()).get("csrf", ""))
    try:
        session.check_csrf(request, sent)
    except Unauthorized as exc:
        return JSONResponse({"error": str(exc)}, status_code=403)
    rt = session.runtime(request)
    service.mark_seen(rt.uow, rt.clock, me)
    return JSONResponse({"unread": 0, "badge": ""}, headers={"Cache-Control": "no-store"})


@router.get("/inbox")
def inbox_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    box = service.inbox(rt.uow, rt.clock, me, limit=50)
    service.mark_seen(rt.uow, rt.clock, me)
    return render(request, "console_inbox.html", {"me": user(rt, me), "nav": "inbox",
                                                  "box": box})
