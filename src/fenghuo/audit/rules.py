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
    #: the checkpoint the break was found against, if any
    checkpoint: str = ""


def verify_chain(
    rows: Iterable[tuple[Link, str]], *, head_seq: int | None, head_hash: str | None,
    start_seq: int = 0, start_hash: str = GENESIS,
) -> list[Break]:
    """Find every place where the chain is broken: a row whose stored hash does not match its
    content (edited), a gap or wrong back-link (deleted or inserted), a head that does not
    match the last row (rows deleted from the end), a missing head row (``head_seq`` None), and
    every row recording that the chainer once found the head missing (:data:`HEAD_RECREATED`).

    After a retention purge (Law art. 21 (3): kept not less than six months, then purged) the
    chain starts after the last purged row: ``start_seq`` and its hash ``start_hash``, which
    the first remaining row must link back to."""
    breaks: list[Break] = []
    expected_seq, prev = start_seq + 1, start_hash
    for link, stored in rows:
        if link.seq != expected_seq:
            breaks.append(Break(link.seq, f"sequence gap: expected {expected_seq}"))
        if link.prev_hash != prev:
            breaks.append(Break(link.seq, "back-link does not match the previous row's hash"))
        if link_hash(link) != stored:
            breaks.append(Break(link.seq, "row content does not match its hash (edited)"))
        if (marker := head_recreated_break(link)) is not None:
            breaks.append(marker)
        expected_seq, prev = link.seq + 1, stored
    if head_seq is None:
        breaks.append(Break(expected_seq - 1, f"{HEAD_MISSING}: audit_head has no row (deleted "
                            f"by hand?); the chain ends at row {expected_seq - 1}"))
    elif expected_seq - 1 != head_seq or prev != head_hash:
        breaks.append(
            Break(expected_seq - 1, f"chain ends at {expected_seq - 1} but head says {head_seq}")
        )
    return breaks


# --- the head row and its loss ---------------------------------------------------------------

#: the action of the row the chainer appends when it finds the head row gone and recreates it
#: from the last row: the loss stays on record, inside the chain, and ``verify`` reports it
#: every time (等保 2.0 GB/T 22239-2019 8.1.4.3 c: audit records are protected from deletion;
#: a missing head is how a deletion at the end of the chain shows)
HEAD_RECREATED = "audit.head_recreated"
HEAD_MISSING = "head row missing"


def head_recreated_break(link: Link) -> Break | None:
    """The break a head-recreated marker row stands for, if ``link`` is one."""
    if link.action != HEAD_RECREATED:
        return None
    when = link.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return Break(link.seq, f"{HEAD_MISSING}: the chainer found audit_head empty at {when} UTC "
                 f"and continued after row {link.seq - 1}; rows deleted from the end before "
                 "then are only caught by a checkpoint")


# --- checkpoints: the head, signed, kept outside the database ---------------------------------
#
# A checkpoint says "at time T the chain ended at row SEQ whose hash was HASH, with COUNT rows".
# It is signed with a key the database never holds and appended to a file (and optionally sent
# to a second party), so that rows cut from the end, a rewound or reset head, or a chain
# rewritten from some row on are caught, although the chain itself (which lives in the same
# database) would verify (等保 2.0 GB/T 22239-2019 8.1.4.3 c/d: audit records are protected
# and backed up against unexpected deletion, modification or overwriting; Law art. 21 (3):
# network logs kept not less than six months, which a quietly shortened trail would defeat).

CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    count: int


def checkpoint_payload(cp: Checkpoint) -> bytes:
    """The bytes that are signed: canonical JSON of the checkpoint's fields."""
    return json.dumps({"v": CHECKPOINT_VERSION, "seq": cp.seq, "hash": cp.hash,
                       "at": cp.at.astimezone(UTC).isoformat(timespec="seconds"),
                       "count": cp.count}, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_fields(cp: Checkpoint) -> dict:
    return json.loads(checkpoint_payload(cp))


def parse_checkpoint(fields: dict) -> Checkpoint:
    """A checkpoint from a line's fields; ``ValueError`` when they are not one."""
    try:
        if fields.get("v") != CHECKPOINT_VERSION:
            raise ValueError(f"unknown checkpoint version {fields.get('v')!r}")
        seq, count, digest = fields["seq"], fields["count"], fields["hash"]
        if not (isinstance(seq, int) and isinstance(count, int) and isinstance(digest, str)
                and seq >= 0 and len(digest) == 64):
            raise ValueError("seq, count or hash malformed")
        at = datetime.fromisoformat(fields["at"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"missing or malformed field: {exc}") from None
    if at.tzinfo is None:
        raise ValueError("time without a zone")
    return Checkpoint(seq=seq, hash=digest, at=at, count=count)


@dataclass(frozen=True)
class CheckpointLine:
    """One line of the checkpoints file, as read and checked by the adapter: ``signature`` is
    "good", "bad" (does not verify: forged or altered), "unsigned", "unchecked" (no key to check
    it with) or "unreadable" (not a checkpoint at all; ``error`` says why)."""

    line: int
    checkpoint: Checkpoint | None
    signature: str
    error: str = ""

    def label(self) -> str:
        if self.checkpoint is None:
            return f"checkpoint line {self.line}"
        return (f"checkpoint line {self.line} (row {self.checkpoint.seq} at "
                f"{self.checkpoint.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")


@dataclass(frozen=True)
class CheckpointFinding:
    seq: int
    problem: str
    checkpoint: str


def check_checkpoints(
    lines: Iterable[CheckpointLine], *, head_seq: int | None, row_hashes: dict[int, str],
    start_seq: int = 0, start_hash: str = GENESIS,
) -> tuple[list[CheckpointFinding], list[str]]:
    """Compare the chain with every checkpoint; returns (findings, warnings).

    ``head_seq`` is the head row's sequence (``None`` when the head row is missing: the last
    row's sequence is then given), ``row_hashes`` the stored hash of each row at a checkpoint's
    sequence that exists. Findings: a forged or unreadable checkpoint line; a chain that ends
    before a checkpoint's row (rows cut from the end, the head rewound, the log wiped and the
    head reset); the row at a checkpoint's sequence missing or with another hash (the chain
    rewritten from there, or before it). Unsigned or unchecked lines are still compared (a line
    can only add constraints, never hide a change) and give a warning. A checkpoint of a row
    that a retention purge removed (at or below ``start_seq``) is checked against the purge
    point's hash where it is that row, and otherwise constrains nothing more."""
    findings: list[CheckpointFinding] = []
    row_hashes = {**row_hashes, start_seq: start_hash} if start_seq else row_hashes
    warnings: list[str] = []
    end = head_seq or 0
    for ln in lines:
        label = ln.label()
        if ln.signature == "unreadable" or ln.checkpoint is None:
            findings.append(CheckpointFinding(0, f"not a valid checkpoint: {ln.error}", label))
            continue
        if ln.signature == "bad":
            why = f" ({ln.error})" if ln.error else ""
            findings.append(CheckpointFinding(
                ln.checkpoint.seq, f"signature does not verify{why}: the checkpoint was forged "
                "or altered", label))
            continue
        if ln.signature == "unsigned":
            warnings.append(f"{label} is unsigned: it was written without a signing key")
        cp = ln.checkpoint
        if cp.seq == 0 or 0 < cp.seq < start_seq:
            continue  # the empty chain, or a row purged before the purge point
        if end < cp.seq:
            findings.append(CheckpointFinding(
                end, f"chain ends at row {end} but the checkpoint saw row {cp.seq} "
                f"({cp.count} rows): rows cut from the end, the head rewound or the log wiped "
                "and reset", label))
            continue
        stored = row_hashes.get(cp.seq)
        if stored is None:
            findings.append(CheckpointFinding(
                cp.seq, f"row {cp.seq}, which the checkpoint saw, is missing", label))
        elif stored != cp.hash:
            findings.append(CheckpointFinding(
                cp.seq, f"row {cp.seq} has hash {stored[:12]}… but the checkpoint saw "
                f"{cp.hash[:12]}…: the chain was rewritten at or before this row", label))
    return findings, warnings
