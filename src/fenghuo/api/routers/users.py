"""Users of the bodies in the caller's scope."""

from __future__ import annotations

from fastapi import APIRouter

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.org import accounts
from fenghuo.org.schemas import UserIn, UserOut, UserPatch

router = APIRouter(tags=["users"])


@router.get("/users", response_model=Page[UserOut])
def list_users(*, rt: RuntimeDep, me: CurrentUser, page: Paging, body: str | None = None):
    return accounts.list_users(rt.uow, principal=me, page=page, body=body)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(*, rt: RuntimeDep, me: CurrentUser, user_in: UserIn) -> UserOut:
    return accounts.create_user(rt.uow, rt.clock, principal=me, data=user_in)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(*, rt: RuntimeDep, me: CurrentUser, user_id: ObjectId) -> UserOut:
    return accounts.get_user(rt.uow, principal=me, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(*, rt: RuntimeDep, me: CurrentUser, user_id: ObjectId, patch: UserPatch) -> UserOut:
    return accounts.update_user(rt.uow, rt.clock, principal=me, user_id=user_id, patch=patch)
