"""The audit trail, scoped to the caller's jurisdiction subtree."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.audit import checkpoints
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
    #: every problem: {"seq", "problem", "checkpoint"} (the checkpoints-file line it was found
    #: against, or ""); a missing head row is one ("head row missing: …"), not an error
    breaks: list[dict]
    #: what could not be checked (no checkpoints file, no verify key, unsigned checkpoints)
    warnings: list[str] = []
    #: checkpoint lines compared with the chain
    checkpoints: int = 0


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(*, rt: RuntimeDep, me: CurrentUser, page: Paging, entity_type: str | None = None,
               entity_key: str | None = None):
    require(me, Permission.AUDIT_READ)
    return audit.list_entries(rt.uow, scope=me.scope, page=page, entity_type=entity_type,
                              entity_key=entity_key)


@router.get("/audit/verify", response_model=VerifyOut)
def verify_audit(*, rt: RuntimeDep, me: CurrentUser) -> VerifyOut:
    """Recompute the whole hash chain and compare it with the signed checkpoints of
    FENGHUO_AUDIT_CHECKPOINT_FILE (national administrators only: it spans every scope)."""
    require(me, Permission.AUDIT_READ)
    if not me.scope.is_national:
        raise Forbidden("verifying the whole chain is for national administrators")
    result = audit.verify(rt.uow, checkpoints=checkpoints.config_of(rt.settings))
    return VerifyOut(ok=result.ok, rows=result.rows, warnings=result.warnings,
                     checkpoints=result.checkpoints,
                     breaks=[{"seq": b.seq, "problem": b.problem, "checkpoint": b.checkpoint}
                             for b in result.breaks])
