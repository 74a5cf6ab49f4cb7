"""Monitoring information shared with the caller's body (issue 19 item 5; Plan §3.2): the
"incoming / 收到的" view, each item with the caller's own share row (why, when, acknowledged
when and by whom) and a button to acknowledge it (``warning.monitoring.acknowledge``).

Registered before ``/web/monitoring/{ref}`` in :mod:`fenghuo.web.routes`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from fenghuo.common.errors import DomainError
from fenghuo.org.rules import Permission
from fenghuo.sharing.tlp import TLP_LABELS, Tlp
from fenghuo.warning import monitoring

from . import list_sort, session
from .pages import Posted, error_page, page_count, page_params, posted, render, to_login, user

router = APIRouter()


@router.get("/monitoring/incoming")
def incoming_page(request: Request, sort: str = "", desc: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        order = list_sort.context({}, sort, desc, monitoring.RECEIVED_SORTS)
        found = monitoring.list_received(rt.uow, principal=me, page=page_params(page),
                                         sort=order["sort"] or None, desc=order["desc"])
    except DomainError as exc:
        return error_page(request, me, exc)
    me_out = user(rt, me)
    rows = [(item, next((s for s in item.shares if s.body == me_out.body.key), None))
            for item in found.items]
    return render(request, "monitoring_incoming.html", {
        "me": me_out, "nav": "monitoring_incoming", "rows": rows, "found": found,
        "page": max(page, 1), "pages": page_count(found.total), **order,
        "tlp_labels": {t.value: TLP_LABELS[t] for t in Tlp},
        "may_ack": Permission.MONITORING_READ.value in me_out.permissions})


@router.post("/monitoring/incoming/{ref}/acknowledge")
async def acknowledge(request: Request, ref: str) -> Response:
    """The caller's body confirms it received the shared item (audited)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        monitoring.acknowledge(rt.uow, rt.clock, principal=got.me, ref=ref)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return RedirectResponse("/web/monitoring/incoming", status_code=303)
