"""The browser session shared by every server-rendered page: the runtime, the logged-in caller
(a bearer token in an http-only cookie) and double-submit CSRF protection.

Every cookie of the console is HttpOnly, SameSite and, with ``FENGHUO_COOKIE_SECURE`` (behind
TLS), Secure: :func:`set_cookie` and :func:`clear_cookie` are the only ways pages set them."""

from __future__ import annotations

import secrets
from typing import Literal

from fastapi import Request, Response

from fenghuo.api.deps import noted
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import Unauthorized
from fenghuo.common.scope import Principal
from fenghuo.org import accounts

SESSION, CSRF = "fh_session", "fh_csrf"


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def set_cookie(request: Request, response: Response, name: str, value: str, *,
               samesite: Literal["lax", "strict"] = "lax", max_age: int | None = None) -> None:
    """``name`` set HttpOnly and SameSite, Secure when the setting ``cookie_secure`` says so."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite=samesite,
                        secure=runtime(request).settings.cookie_secure)


def clear_cookie(request: Request, response: Response, name: str) -> None:
    """``name`` removed, with the attributes it was set with (a Secure cookie is removed by a
    Secure ``Set-Cookie`` only)."""
    response.delete_cookie(name, httponly=True, samesite="lax",
                           secure=runtime(request).settings.cookie_secure)


def csrf_token(request: Request) -> str:
    """The page's CSRF token: the cookie's, or a new one to set with the page."""
    return request.cookies.get(CSRF) or secrets.token_urlsafe(24)


def check_csrf(request: Request, sent: str) -> None:
    cookie = request.cookies.get(CSRF)
    if not cookie or not secrets.compare_digest(cookie, sent):
        raise Unauthorized("the form expired or came from elsewhere; reload the page")


def principal(request: Request) -> Principal | None:
    """The logged-in caller, or None when there is no valid session."""
    token = request.cookies.get(SESSION)
    if not token:
        return None
    rt = runtime(request)
    try:
        return noted(request, accounts.authenticate(rt.uow, rt.clock, token=token))
    except Unauthorized:
        return None
