"""The audit hash chain detects edits, insertions and deletions (Plan §7.10 needs a trustworthy
record of who did what)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fenghuo.audit.rules import GENESIS, Link, link_hash, verify_chain


def chain(n: int) -> list[tuple[Link, str]]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        link = Link(seq=i, at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i),
                    actor="admin", actor_user_id=1, action="body.update", entity_type="body",
                    entity_key=f"b{i}", scope_path="/1/", detail='{"x":1}', prev_hash=prev)
        prev = link_hash(link)
        rows.append((link, prev))
    return rows


def head(rows):
    return {"head_seq": rows[-1][0].seq, "head_hash": rows[-1][1]} if rows else {
        "head_seq": 0, "head_hash": GENESIS}


def test_intact_chain_verifies():
    rows = chain(5)
    assert verify_chain(rows, **head(rows)) == []
    assert verify_chain([], **head([])) == []


FIELDS = {"actor": "mallory", "action": "body.delete", "entity_key": "other",
          "detail": '{"x":2}', "scope_path": "/1/2/", "actor_user_id": 99,
          "at": datetime(2020, 1, 1, tzinfo=UTC), "entity_type": "user"}


@given(st.integers(1, 6), st.sampled_from(sorted(FIELDS)))
def test_any_edited_field_is_detected(index, field):
    rows = chain(6)
    link, stored = rows[index - 1]
    rows[index - 1] = (replace(link, **{field: FIELDS[field]}), stored)
    breaks = verify_chain(rows, **head(chain(6)))
    assert [b.seq for b in breaks] == [index]


def test_deleted_row_in_the_middle_is_detected():
    rows = chain(5)
    full_head = head(rows)
    del rows[2]
    breaks = verify_chain(rows, **full_head)
    assert {b.seq for b in breaks} == {4}


def test_deleted_rows_at_the_end_are_detected():
    rows = chain(5)
    full_head = head(rows)
    breaks = verify_chain(rows[:3], **full_head)
    assert breaks and "head says 5" in breaks[-1].problem


def test_rehashed_edit_still_breaks_the_next_link():
    rows = chain(4)
    link, _ = rows[1]
    forged = replace(link, actor="mallory")
    rows[1] = (forged, link_hash(forged))
    breaks = verify_chain(rows, **head(chain(4)))
    assert [b.seq for b in breaks] == [3]
