"""Pure hash-chain rules of the audit trail (Plan §7.10 accountability needs a record that
cannot be quietly changed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64


@dataclass(frozen=True)
class Link:
    seq: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    entity_type: str
    entity_key: str
    scope_path: str
    detail: str
    prev_hash: str


def canonical_detail(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def link_hash(link: Link) -> str:
    """SHA-256 over every field of the row and the previous row's hash."""
    payload = json.dumps(
        [
            link.seq,
            link.at.astimezone(UTC).isoformat(timespec="microseconds"),
            link.actor,
            link.actor_user_id,
            link.action,
            link.entity_type,
            link.entity_key,
            link.scope_path,
            link.detail,
            link.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


def verify_chain(
    rows: Iterable[tuple[Link, str]], *, head_seq: int, head_hash: str
) -> list[Break]:
    """Find every place where the chain is broken: a row whose stored hash does not match its
    content (edited), a gap or wrong back-link (deleted or inserted), or a head that does not
    match the last row (rows deleted from the end)."""
    breaks: list[Break] = []
    expected_seq, prev = 1, GENESIS
    for link, stored in rows:
        if link.seq != expected_seq:
            breaks.append(Break(link.seq, f"sequence gap: expected {expected_seq}"))
        if link.prev_hash != prev:
            breaks.append(Break(link.seq, "back-link does not match the previous row's hash"))
        if link_hash(link) != stored:
            breaks.append(Break(link.seq, "row content does not match its hash (edited)"))
        expected_seq, prev = link.seq + 1, stored
    if expected_seq - 1 != head_seq or prev != head_hash:
        breaks.append(
            Break(expected_seq - 1, f"chain ends at {expected_seq - 1} but head says {head_seq}")
        )
    return breaks
