"""Logging in and out of the console: the same hashed bearer tokens as the API, kept in an
http-only cookie (:mod:`fenghuo.web.session`), with a double-submit CSRF token on both forms.

The login page is a console page without the navigation, in the caller's language (its header
carries the language switch, which keeps ``next``). After logging in the browser goes to
``next`` only when it is a path on this site (:func:`fenghuo.web.i18n.safe_next`): the login
page is never a way to send someone elsewhere. Too many failed logins (org.throttle) answer
429 with ``Retry-After`` and say so, with the minutes to wait, in the caller's language.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fenghuo.common.errors import Unauthorized
from fenghuo.org import accounts
from fenghuo.org.throttle import LoginLocked

from . import session
from .i18n import safe_next
from .pages import render
from .session import SESSION

router = APIRouter()


def _page(request: Request, next: str, username: str = "", failed: bool = False,
          status: int = 200, locked_minutes: int | None = None) -> HTMLResponse:
    return render(request, "login.html", {"me": None, "nav": "", "next": safe_next(next),
                                          "username": username, "failed": failed,
                                          "locked_minutes": locked_minutes}, status)


@router.get("/login")
def login_page(request: Request, next: str = "/web/") -> HTMLResponse:
    return _page(request, next)


@router.post("/login")
def login(request: Request, username: str = Form(), password: str = Form(), csrf: str = Form(),
          next: str = Form("/web/")) -> Response:
    session.check_csrf(request, csrf)
    rt = session.runtime(request)
    try:
        result = accounts.login(rt.uow, rt.clock, username=username, password=password,
                                session_hours=rt.settings.session_hours,
                                address=request.client.host if request.client else None,
                                via="web")
    except Unauthorized:
        return _page(request, next, username=username, failed=True, status=401)
    except LoginLocked as exc:  # org.throttle: 429, said in the caller's language
        resp = _page(request, next, username=username, failed=True, status=429,
                     locked_minutes=max(1, math.ceil(exc.retry_after / 60)))
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    resp = RedirectResponse(safe_next(next), status_code=303)
    session.set_cookie(request, resp, SESSION, result.access_token,
                       max_age=rt.settings.session_hours * 3600)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form()) -> Response:
    session.check_csrf(request, csrf)
    me = session.principal(request)
    if me:
        rt = session.runtime(request)
        accounts.logout(rt.uow, rt.clock, principal=me)
    resp = RedirectResponse("/web/login", status_code=303)
    session.clear_cookie(request, resp, SESSION)
    return resp
