"""Emergency response pages of the console: the list of responses in the caller's scope.

Everything shown comes from :mod:`fenghuo.response.service`, which applies the caller's scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fenghuo.response import service as responses

from . import session
from .pages import page_count, page_params, render, to_login, user

router = APIRouter()


@router.get("/responses")
def responses_page(request: Request, state: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    state = state if state in {"active", "ended"} else ""
    found = responses.list_responses(rt.uow, principal=me, page=page_params(page),
                                     state=state or None)
    return render(request, "console_responses.html", {
        "me": user(rt, me), "nav": "responses", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "f": {"state": state}})
