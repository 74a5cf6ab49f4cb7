"""Casework on an incident over HTTP (issue 19): observables, tasks and internal notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.common.types import Timestamp
from fenghuo.incident import casework

router = APIRouter(tags=["incidents"])


class ObservableIn(BaseModel):
    value: Annotated[str, Field(min_length=1, max_length=2048)]
    kind: str | None = Field(None, description="ip/ipv4/ipv6/domain/url/hash/md5/sha1/sha256/"
                             "cve/email; inferred from the value when absent")
    note: str = ""


class TaskIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=300)]
    owner: str | None = Field(None, description="username of a user of a body handling it")
    due_at: Timestamp | None = None


class TaskDoneIn(BaseModel):
    done: bool = True


class CommentIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=10000)]


@router.get("/incidents/{ref}/observables")
def list_observables(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> list[dict]:
    return casework.list_observables(rt.uow, principal=me, ref=ref)


@router.post("/incidents/{ref}/observables", status_code=201)
def add_observable(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ObservableIn) -> dict:
    return casework.add_observable(rt.uow, rt.clock, principal=me, ref=ref, value=data.value,
                                   kind=data.kind, note=data.note)


@router.delete("/incidents/{ref}/observables/{observable_id}", status_code=204)
def remove_observable(*, rt: RuntimeDep, me: CurrentUser, ref: str, observable_id: int
                      ) -> Response:
    casework.remove_observable(rt.uow, rt.clock, principal=me, ref=ref,
                               observable_id=observable_id)
    return Response(status_code=204)


@router.get("/incidents/{ref}/tasks")
def list_tasks(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> list[dict]:
    return casework.list_tasks(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/incidents/{ref}/tasks", status_code=201)
def add_task(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: TaskIn) -> dict:
    return casework.add_task(rt.uow, rt.clock, principal=me, ref=ref, title=data.title,
                             owner=data.owner, due_at=data.due_at)


@router.post("/incidents/{ref}/tasks/{task_id}/done")
def task_done(*, rt: RuntimeDep, me: CurrentUser, ref: str, task_id: int,
              data: TaskDoneIn | None = None) -> dict:
    """Mark a task done; ``{"done": false}`` reopens it."""
    return casework.set_task_done(rt.uow, rt.clock, principal=me, ref=ref, task_id=task_id,
                                  done=data.done if data else True)


@router.get("/incidents/{ref}/comments")
def list_comments(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> list[dict]:
    return casework.list_comments(rt.uow, principal=me, ref=ref)


@router.post("/incidents/{ref}/comments", status_code=201)
def add_comment(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: CommentIn) -> dict:
    return casework.add_comment(rt.uow, rt.clock, principal=me, ref=ref, text=data.text)
