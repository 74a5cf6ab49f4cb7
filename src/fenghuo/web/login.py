"""Logging in and out of the console: the same hashed bearer tokens as the API, kept in an
http-only cookie (:mod:`fenghuo.web.session`), with a double-submit CSRF token on both forms."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from fenghuo.common.errors import Unauthorized
from fenghuo.org import accounts

from . import session
from .session import CSRF, SESSION

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    token = session.csrf_token(request)
    resp = templates.TemplateResponse(request, name, {**ctx, "csrf": token}, status_code=status)
    resp.set_cookie(CSRF, token, httponly=True, samesite="strict")
    return resp


@router.get("/login")
def login_page(request: Request, next: str = "/web/") -> HTMLResponse:
    return _render(request, "login.html", {"next": next, "user": None})


@router.post("/login")
def login(request: Request, username: str = Form(), password: str = Form(), csrf: str = Form(),
          next: str = Form("/web/")) -> Response:
    session.check_csrf(request, csrf)
    rt = session.runtime(request)
    try:
        result = accounts.login(rt.uow, rt.clock, username=username, password=password,
                                session_hours=rt.settings.session_hours)
    except Unauthorized:
        return _render(request, "login.html", {"next": next, "user": None,
                                               "error": "用户名或密码错误 wrong username or "
                                               "password"}, status=401)
    target = next if next.startswith("/web/") else "/web/"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(SESSION, result.access_token, httponly=True, samesite="lax",
                    max_age=rt.settings.session_hours * 3600)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form()) -> Response:
    session.check_csrf(request, csrf)
    me = session.principal(request)
    if me:
        accounts.logout(session.runtime(request).uow, session.runtime(request).clock, principal=me)
    resp = RedirectResponse("/web/login", status_code=303)
    resp.delete_cookie(SESSION)
    return resp
