"""Login, logout, who am I, and one's API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from fenghuo.api.deps import CurrentUser, IdQuery, ObjectId, RuntimeDep
from fenghuo.org import accounts
from fenghuo.org.schemas import LoginResult, Me, TokenIn, TokenIssued, TokenOut

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=LoginResult)
def login(*, rt: RuntimeDep, request: Request,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> LoginResult:
    """Log in with a username and password; returns a bearer token for a login session.

    Failed logins are counted per account and per client address: past
    ``FENGHUO_LOGIN_MAX_FAILURES`` (per address ``…_PER_ADDRESS``) within the window the
    account (address) is locked, and every attempt answers **429** with ``Retry-After`` (the
    seconds until the lockout ends), even with the right password."""
    return accounts.login(rt.uow, rt.clock, username=form.username, password=form.password,
                          session_hours=rt.settings.session_hours,
                          address=request.client.host if request.client else None, via="api")


@router.post("/auth/logout", status_code=204)
def logout(*, rt: RuntimeDep, me: CurrentUser) -> Response:
    """Revoke the token used for this request."""
    accounts.logout(rt.uow, rt.clock, principal=me)
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def whoami(*, rt: RuntimeDep, me: CurrentUser) -> Me:
    return accounts.me(rt.uow, principal=me)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(*, rt: RuntimeDep, me: CurrentUser,
                user_id: IdQuery = None) -> list[TokenOut]:
    """Your API tokens, or (for user managers) those of a user in your scope."""
    return accounts.list_tokens(rt.uow, principal=me, user_id=user_id)


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def issue_token(*, rt: RuntimeDep, me: CurrentUser, token_in: TokenIn) -> TokenIssued:
    """Issue a machine token acting as you; the token is shown once and stored hashed."""
    return accounts.issue_token(rt.uow, rt.clock, principal=me, data=token_in)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(*, rt: RuntimeDep, me: CurrentUser, token_id: ObjectId) -> Response:
    accounts.revoke_token(rt.uow, rt.clock, principal=me, token_id=token_id)
    return Response(status_code=204)
