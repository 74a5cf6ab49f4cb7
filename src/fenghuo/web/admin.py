"""Users and API tokens of the console, for administrators: the users of the caller's scope,
creating one (its initial password shown once), changing roles, disabling and enabling, and
API tokens (listed per user, issued to oneself with the secret shown once, revoked).

Who may do what is decided by :mod:`fenghuo.org.accounts` (``user:read`` to list, ``user:manage``
to change; Law art. 30 scope); a refusal is shown as a 403 page. Secrets appear only in the
response to the request that made them, which is never cached.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.api.deps import ObjectId
from fenghuo.common.errors import DomainError, FieldError, Forbidden, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.org import accounts, bodies
from fenghuo.org.rules import ROLE_LABELS, Permission, Role, has_permission
from fenghuo.org.schemas import TokenIn, UserIn, UserPatch

from . import session
from .pages import Posted, error_page, page_count, page_params, posted, render, to_login, user

router = APIRouter()
FIELDS = ["username", "display_name", "body", "roles"]


def _roles() -> list[tuple[str, tuple[str, str]]]:
    return [(r.value, ROLE_LABELS[r]) for r in Role]


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _errors(exc: ValidationError) -> list[FieldError]:
    return [FieldError(str(e["loc"][0]) if e["loc"] else "form", e["msg"]) for e in exc.errors()]


def _invalid(exc: ValidationError) -> ValidationFailed:
    """For the forms without a page of their own: the errors named on the error page."""
    errors = _errors(exc)
    return ValidationFailed(errors, "; ".join(str(e) for e in errors))


def _users_page(request: Request, me: Principal, page: int = 1, form: dict | None = None,
                errors: list[FieldError] | None = None, status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        found = accounts.list_users(rt.uow, principal=me, page=page_params(page))
        may_manage = has_permission(me.roles, Permission.USER_MANAGE)
        choices = bodies.list_bodies(rt.uow, principal=me, page=PageParams(limit=500)).items \
            if may_manage else []
    except DomainError as exc:
        return error_page(request, me, exc)
    fe: dict[str, str] = {}
    for e in errors or []:
        fe[e.field] = f"{fe[e.field]}; {e.message}" if e.field in fe else e.message
    return _no_store(render(request, "console_admin_users.html", {
        "me": user(rt, me), "nav": "admin", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "may_manage": may_manage, "bodies": choices,
        "roles": _roles(), "form": form or {"roles": []}, "errors": errors or [], "fe": fe,
        "my_id": me.user_id, "role_labels": dict(ROLE_LABELS)}, status))


@router.get("/admin/users")
def users_page(request: Request, page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _users_page(request, me, page)


@router.post("/admin/users")
async def create_user(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, raw = got.me, got.form
    form = {"username": str(raw.get("username", "")).strip(),
            "display_name": str(raw.get("display_name", "")).strip(),
            "body": str(raw.get("body", "")), "roles": [str(r) for r in raw.getlist("roles")]}
    rt = session.runtime(request)
    password = accounts.new_password()
    try:
        data = UserIn.model_validate({**form, "password": password})
        created = accounts.create_user(rt.uow, rt.clock, principal=me, data=data)
    except ValidationError as exc:
        return _users_page(request, me, form=form, errors=_errors(exc), status=422)
    except ValidationFailed as exc:
        return _users_page(request, me, form=form, errors=exc.errors, status=422)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _no_store(render(request, "console_admin_secret.html", {
        "me": user(rt, me), "nav": "admin", "u": created, "password": password}, 201))


def _user_page(request: Request, me: Principal, user_id: int, issued=None,
               status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        target = accounts.get_user(rt.uow, principal=me, user_id=user_id)
    except DomainError as exc:
        return error_page(request, me, exc)
    try:
        tokens = accounts.list_tokens(rt.uow, principal=me, user_id=user_id)
    except Forbidden:
        tokens = None  # another user's tokens are for user managers only
    return _no_store(render(request, "console_admin_user.html", {
        "me": user(rt, me), "nav": "admin", "u": target, "tokens": tokens,
        "roles": _roles(), "is_me": user_id == me.user_id, "issued": issued,
        "may_manage": has_permission(me.roles, Permission.USER_MANAGE),
        "role_labels": dict(ROLE_LABELS)}, status))


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: ObjectId) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _user_page(request, me, user_id)


async def _patch(request: Request, user_id: int, patch_of) -> Response:  # noqa: ANN001
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, raw = got.me, got.form
    rt = session.runtime(request)
    try:
        patch = UserPatch.model_validate(patch_of(raw))
        accounts.update_user(rt.uow, rt.clock, principal=me, user_id=user_id, patch=patch)
    except ValidationError as exc:
        return error_page(request, me, _invalid(exc))
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/roles")
async def change_roles(request: Request, user_id: ObjectId) -> Response:
    return await _patch(request, user_id, lambda raw: {
        "roles": [str(r) for r in raw.getlist("roles")]})


@router.post("/admin/users/{user_id}/active")
async def set_active(request: Request, user_id: ObjectId) -> Response:
    return await _patch(request, user_id, lambda raw: {"active": raw.get("active") == "true"})


@router.post("/admin/tokens")
async def issue_token(request: Request) -> Response:
    """Issue an API token acting as the caller (the service issues tokens only to oneself)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, raw = got.me, got.form
    rt = session.runtime(request)
    days = str(raw.get("expires_days", "")).strip()
    try:
        data = TokenIn.model_validate({"name": str(raw.get("name", "")).strip(),
                                       "expires_days": days or None})
    except ValidationError as exc:
        return error_page(request, me, _invalid(exc))
    issued = accounts.issue_token(rt.uow, rt.clock, principal=me, data=data)
    return _user_page(request, me, me.user_id, issued=issued, status=201)


@router.post("/admin/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: ObjectId) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, raw = got.me, got.form
    rt = session.runtime(request)
    try:
        accounts.revoke_token(rt.uow, rt.clock, principal=me, token_id=token_id)
    except DomainError as exc:
        return error_page(request, me, exc)
    back = str(raw.get("user", "")) or str(me.user_id)
    return RedirectResponse(f"/web/admin/users/{int(back) if back.isdigit() else me.user_id}",
                            status_code=303)
