"""The pure comparison of the audit chain with its checkpoints (issue 18 item 6; 等保 2.0
GB/T 22239-2019 8.1.4.3 c: audit records protected from deletion, modification, overwriting)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fenghuo.audit.rules import (
    GENESIS,
    Checkpoint,
    CheckpointLine,
    check_checkpoints,
    checkpoint_fields,
    parse_checkpoint,
    verify_chain,
)
from tests.unit.test_audit_rules import chain

AT = datetime(2026, 12, 1, 8, tzinfo=UTC)


def line(n: int, seq: int, digest: str, signature: str = "good") -> CheckpointLine:
    return CheckpointLine(n, Checkpoint(seq, digest, AT, seq), signature)


def test_a_chain_at_or_past_its_checkpoints_passes():
    rows = chain(6)
    hashes = {link.seq: h for link, h in rows}
    lines = [line(1, 3, hashes[3]), line(2, 6, hashes[6]), line(3, 0, GENESIS)]
    assert check_checkpoints(lines, head_seq=6, row_hashes=hashes) == ([], [])


@pytest.mark.parametrize(("head_seq", "row_hashes", "flagged", "expect"), [
    (4, {3: "a" * 64}, [2], "chain ends at row 4 but the checkpoint saw row 6"),  # rewound
    (0, {}, [1, 2], "chain ends at row 0"),  # wiped and reset
    (9, {3: "a" * 64, 6: "b" * 64}, [2], "the chain was rewritten"),  # regrown past it
    (9, {3: "a" * 64}, [2], "row 6, which the checkpoint saw, is missing"),
    (9, {3: "b" * 64, 6: "c" * 64}, [1], "the chain was rewritten"),  # rewritten before
])
def test_each_way_of_shortening_or_rewriting_is_found(head_seq, row_hashes, flagged, expect):
    lines = [line(1, 3, "a" * 64), line(2, 6, "c" * 64)]
    findings, _ = check_checkpoints(lines, head_seq=head_seq, row_hashes=row_hashes)
    assert [f.checkpoint.split(" (")[0] for f in findings] == [
        f"checkpoint line {n}" for n in flagged]
    assert all(expect in f.problem for f in findings)


def test_forged_and_unreadable_lines_are_findings_unsigned_ones_warnings():
    lines = [line(1, 3, "a" * 64, "bad"), CheckpointLine(2, None, "unreadable", "not JSON"),
             line(3, 3, "a" * 64, "unsigned"), line(4, 3, "a" * 64, "unchecked")]
    findings, warnings = check_checkpoints(lines, head_seq=3, row_hashes={3: "a" * 64})
    assert [(f.checkpoint.split(" (")[0], f.problem.split(":")[0]) for f in findings] == [
        ("checkpoint line 1", "signature does not verify"),
        ("checkpoint line 2", "not a valid checkpoint")]
    assert len(warnings) == 1 and "line 3" in warnings[0]


def test_checkpoint_fields_round_trip_and_bad_ones_are_refused():
    cp = Checkpoint(7, "d" * 64, AT, 7)
    assert parse_checkpoint(checkpoint_fields(cp)) == cp
    for broken in ({**checkpoint_fields(cp), "seq": "7"}, {**checkpoint_fields(cp), "v": 2},
                   {k: v for k, v in checkpoint_fields(cp).items() if k != "hash"},
                   {**checkpoint_fields(cp), "at": "2026-12-01T08:00:00"}):
        with pytest.raises(ValueError):
            parse_checkpoint(broken)


def test_a_missing_head_is_a_break_not_an_error():
    rows = chain(4)
    [b] = verify_chain(rows, head_seq=None, head_hash=None)
    assert b.seq == 4 and b.problem.startswith("head row missing")
