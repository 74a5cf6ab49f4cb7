"""Envelopes pushed into a writable TAXII 2.1 collection, and their status resources (OASIS
TAXII 2.1 §5.5 "Add Objects", §4.3 "Status"; issue 20 item 4).

A peer (a province's instance, a support unit) posts an envelope of STIX 2.1 objects into the
monitoring collection; it is imported exactly as a bundle would be (``sharing.stix_import``:
monitoring information of the caller's body with its context, Plan §3.2, Law arts. 51–52; the
caller needs ``monitoring:submit``), and a status resource records, per object, whether it was
kept or why not. The import and its status are one transaction. Imports finish within the
request, so every status is ``complete`` with no pendings.

A status is read back only by the body that pushed the envelope (Law art. 30: an envelope of
one body says nothing to another).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import NotFound
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing import stix_import
from fenghuo.sharing.models import TaxiiStatus


def taxii_time(value: datetime) -> str:
    """A TAXII 2.1 timestamp (§3.2: RFC 3339, UTC, ``Z``, here with microseconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _version(obj: dict) -> str | None:
    value = obj.get("modified") or obj.get("created")
    return value if isinstance(value, str) else None


def _details(objects: list[dict], result: stix_import.ImportResult) -> dict[str, list[dict]]:
    """Per object: a success, or a failure with the importer's reason (TAXII 2.1 §4.3.1)."""
    reasons = {d["id"]: d["reason"] for d in result.dropped}
    successes, failures = [], []
    for obj in objects:
        detail: dict[str, Any] = {"id": obj["id"]}
        if (version := _version(obj)) is not None:
            detail["version"] = version
        if obj["id"][:200] in reasons:
            failures.append(detail | {"message": reasons[obj["id"][:200]]})
        else:
            successes.append(detail)
    return {"successes": successes, "failures": failures, "pendings": []}


def push(uow: UnitOfWork, clock: Clock, *, principal: Principal, collection: str,
         objects: list[dict]) -> dict[str, Any]:
    """Import an envelope's objects; the status resource (already stored) as JSON."""
    require(principal, Permission.MONITORING_SUBMIT)
    now, status_id = clock.now(), str(uuid.uuid4())
    bundle = {"type": "bundle", "id": f"bundle--{status_id}", "objects": objects}
    stored: list[TaxiiStatus] = []

    def record(s: Session, result: stix_import.ImportResult) -> None:
        details = _details(objects, result)
        row = TaxiiStatus(
            id=status_id, body_id=principal.body_id, user_id=principal.user_id,
            collection=collection, status="complete", request_timestamp=now,
            total_count=len(objects), success_count=len(details["successes"]),
            failure_count=len(details["failures"]), pending_count=0,
            details=json.dumps(details, ensure_ascii=False))
        s.add(row)
        s.flush()
        stored.append(row)

    stix_import.import_bundle(uow, clock, principal=principal, raw=bundle, then=record)
    return resource(stored[0])


def status(uow: UnitOfWork, *, principal: Principal, status_id: str) -> dict[str, Any]:
    """A status resource of the caller's body (404 for any other)."""
    with uow() as s:
        row = s.get(TaxiiStatus, status_id)
        if row is None or row.body_id != principal.body_id:
            raise NotFound(f"no status {status_id!r}")
        return resource(row)


def resource(row: TaxiiStatus) -> dict[str, Any]:
    """The TAXII 2.1 status resource (§4.3.1) of a stored status."""
    details = json.loads(row.details)
    return {"id": row.id, "status": row.status,
            "request_timestamp": taxii_time(row.request_timestamp),
            "total_count": row.total_count, "success_count": row.success_count,
            "successes": details["successes"], "failure_count": row.failure_count,
            "failures": details["failures"], "pending_count": row.pending_count,
            "pendings": details["pendings"]}
