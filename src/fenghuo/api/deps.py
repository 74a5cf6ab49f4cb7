"""FastAPI dependencies: the runtime, the caller and paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import Unauthorized
from fenghuo.common.pagination import MAX_LIMIT, MAX_OFFSET, PageParams
from fenghuo.common.scope import Principal
from fenghuo.org import accounts

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(rt: RuntimeDep, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    if not token:
        raise Unauthorized("log in first: POST /api/v1/auth/token, then send "
                           "'Authorization: Bearer <token>'")
    return accounts.authenticate(rt.uow, rt.clock, token=token)


CurrentUser = Annotated[Principal, Depends(get_principal)]


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


#: a numeric id in a path (bounded, so an absurd number is a 422 and not a database error)
ObjectId = Annotated[int, Path(ge=1, le=2**62)]
