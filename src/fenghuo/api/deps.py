"""FastAPI dependencies: the runtime, the caller and paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from fenghuo.api.access_log import CALLER
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import Unauthorized
from fenghuo.common.pagination import MAX_LIMIT, MAX_OFFSET, PageParams
from fenghuo.common.scope import Principal
from fenghuo.org import accounts

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in its
# thread pool, a hand-off per dependency per request (issue 21 item 5)
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def bearer_token(token: Annotated[str | None, Depends(oauth2)]) -> str:
    """The request's bearer token, not yet checked; none is refused at once."""
    if not token:
        raise Unauthorized("log in first: POST /api/v1/auth/token, then send "
                           "'Authorization: Bearer <token>'")
    return token


BearerToken = Annotated[str, Depends(bearer_token)]


def get_principal(rt: RuntimeDep, request: Request, token: BearerToken) -> Principal:
    return noted(request, accounts.authenticate(rt.uow, rt.clock, token=token))


def noted(request: Request, principal: Principal) -> Principal:
    """The caller, noted in the request's state for the access log (``api.access_log``)."""
    setattr(request.state, CALLER, principal.username)
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


#: the largest id: PostgreSQL's ``integer`` (most id columns), so a larger one is a 422 and not
#: a database error
MAX_ID = 2**31 - 1
#: a numeric id in a path
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: a numeric id in a query, or absent
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]

#: the longest ``Idempotency-Key`` (the column holds 200 characters); an empty key is refused
#: too: it would be taken for "no key" when looking up and stored as one
IDEMPOTENCY_KEY_MAX = 200


def idempotency_header(description: str):  # noqa: ANN201 - a type
    """The ``Idempotency-Key`` header: 1 to 200 visible ASCII characters (RFC 9110 token-ish),
    or absent."""
    return Annotated[str | None, Header(alias="Idempotency-Key", min_length=1,
                                        max_length=IDEMPOTENCY_KEY_MAX,
                                        pattern=r"^[\x21-\x7e]+$", description=description)]
