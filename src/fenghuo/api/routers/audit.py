"""The audit trail, scoped to the caller's jurisdiction subtree."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.audit import service as audit
from fenghuo.common.errors import Forbidden
from fenghuo.common.pagination import Page
from fenghuo.org.rules import Permission
from fenghuo.org.service import require

router = APIRouter(tags=["audit"])


class AuditOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_key: str
    detail: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    rows: int
    breaks: list[dict]


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(*, rt: RuntimeDep, me: CurrentUser, page: Paging, entity_type: str | None = None,
               entity_key: str | None = None):
    require(me, Permission.AUDIT_READ)
    return audit.list_entries(rt.uow, scope=me.scope, page=page, entity_type=entity_type,
                              entity_key=entity_key)


@router.get("/audit/verify", response_model=VerifyOut)
def verify_audit(*, rt: RuntimeDep, me: CurrentUser) -> VerifyOut:
    """Recompute the whole hash chain (national administrators only: it spans every scope)."""
    require(me, Permission.AUDIT_READ)
    if not me.scope.is_national:
        raise Forbidden("verifying the whole chain is for national administrators")
    result = audit.verify(rt.uow)
    return VerifyOut(ok=result.ok, rows=result.rows,
                     breaks=[{"seq": b.seq, "problem": b.problem} for b in result.breaks])
