"""Warning pages of the console: the list of warnings in the caller's scope.

Everything shown comes from :mod:`fenghuo.warning.service`, which applies the caller's scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fenghuo.warning import service as warnings
from fenghuo.warning.rules import LEVEL_LABELS as WARNING_LEVELS
from fenghuo.warning.rules import LEVELS_DESC, WarningState

from . import session
from .pages import page_count, page_params, render, to_login, user

router = APIRouter()


@router.get("/warnings")
def warnings_page(request: Request, state: str = "published", level: str = "",
                  page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    state = state if state in {s.value for s in WarningState} else ""
    level = level if level in {v.value for v in LEVELS_DESC} else ""
    found = warnings.list_warnings(rt.uow, principal=me, page=page_params(page),
                                   state=state or None, level=level or None)
    return render(request, "console_warnings.html", {
        "me": user(rt, me), "nav": "warnings", "found": found, "page": max(page, 1),
        "pages": page_count(found.total),
        "f": {"state": state, "level": level},
        "levels": [(v.value, WARNING_LEVELS[v]) for v in LEVELS_DESC],
        "states": [s.value for s in WarningState]})
