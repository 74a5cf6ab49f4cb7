"""Evidence preserved with an incident (Plan §4.1 "preserve evidence"): stored with its SHA-256,
size- and type-checked, with a chain of custody of who added, viewed and downloaded it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import CustodyEvent, Evidence
from fenghuo.incident.queries import visible_incident
from fenghuo.incident.service import event
from fenghuo.org.rules import Permission
from fenghuo.org.service import require

MAX_BYTES = 20 * 1024 * 1024

#: accepted content types, and the leading bytes a file of that type must start with (if any)
CONTENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/vnd.tcpdump.pcap": (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a"),
    "application/json": (),
    "text/plain": (),
    "text/csv": (),
    "message/rfc822": (),
    "application/octet-stream": (),
}


def content_problem(content_type: str, content: bytes, max_bytes: int = MAX_BYTES) -> str | None:
    if not content:
        return "the file is empty"
    if len(content) > max_bytes:
        return f"larger than the limit of {max_bytes} bytes"
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in CONTENT_TYPES:
        return f"content type {ctype!r} is not accepted; use one of {sorted(CONTENT_TYPES)}"
    magic = CONTENT_TYPES[ctype]
    if magic and not content.startswith(magic):
        return f"the content does not look like {ctype}"
    return None


@dataclass(frozen=True)
class EvidenceOut:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    added_at: datetime
    added_by: str
    custody: list[dict]


def add(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, filename: str,
        content_type: str, content: bytes) -> EvidenceOut:
    require(principal, Permission.INCIDENT_REPORT)
    problem = content_problem(content_type, content)
    if problem:
        raise ValidationFailed([FieldError("file", problem)])
    now = clock.now()
    digest = hashlib.sha256(content).hexdigest()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        ev = Evidence(incident_id=incident.id, filename=filename[:300],
                      content_type=content_type.split(";")[0].strip().lower(), size=len(content),
                      sha256=digest, content=content, added_at=now, added_by=principal.username)
        s.add(ev)
        s.flush()
        s.add(CustodyEvent(evidence_id=ev.id, at=now, actor=principal.username, action="added"))
        event(s, incident, at=now, kind="evidence_added", actor=principal.username,
              detail={"evidence": ev.id, "filename": ev.filename, "sha256": digest})
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="evidence.add",
                     entity_type="evidence", entity_key=f"{ref}/{ev.id}",
                     scope_path=incident.jurisdiction_path, detail={"sha256": digest})
        return _out(s, ev)


def _out(s, ev: Evidence) -> EvidenceOut:  # noqa: ANN001
    custody = s.scalars(select(CustodyEvent).where(CustodyEvent.evidence_id == ev.id)
                        .order_by(CustodyEvent.id)).all()
    return EvidenceOut(ev.id, ev.filename, ev.content_type, ev.size, ev.sha256, ev.added_at,
                       ev.added_by, [{"at": c.at, "actor": c.actor, "action": c.action}
                                     for c in custody])


def _get(s, principal: Principal, ref: str, evidence_id: int) -> Evidence:  # noqa: ANN001
    incident = visible_incident(s, principal.scope, ref)
    ev = s.scalar(select(Evidence).where(Evidence.id == evidence_id,
                                         Evidence.incident_id == incident.id))
    if ev is None:
        raise NotFound(f"no evidence {evidence_id} on {ref}")
    return ev


def list_evidence(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str
                  ) -> list[EvidenceOut]:
    """Lists evidence; each listing is recorded as a view in the chain of custody."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        items = s.scalars(select(Evidence).where(Evidence.incident_id == incident.id)
                          .order_by(Evidence.id)).all()
        for ev in items:
            s.add(CustodyEvent(evidence_id=ev.id, at=clock.now(), actor=principal.username,
                               action="viewed"))
        s.flush()
        return [_out(s, ev) for ev in items]


def download(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
             evidence_id: int) -> tuple[EvidenceOut, bytes]:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        ev = _get(s, principal, ref, evidence_id)
        s.add(CustodyEvent(evidence_id=ev.id, at=clock.now(), actor=principal.username,
                           action="downloaded"))
        s.flush()
        return _out(s, ev), ev.content
