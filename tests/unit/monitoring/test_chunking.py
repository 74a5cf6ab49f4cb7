"""Cutting input into chunks (issue 15 item 3): the keys a re-run repeats, line numbers kept,
CRLF and a missing final newline handled, blocks joined across their boundaries."""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenghuo.common.errors import ValidationFailed
from fenghuo.monitoring import chunking
from fenghuo.monitoring import lines as lines_mod


def _lines(data: bytes, **kw) -> list:  # noqa: ANN003
    return list(chunking.line_chunks(io.BytesIO(data), "f", **kw))


def test_chunks_number_their_lines_and_key_them_by_content():
    data = b"".join(b"line %d\n" % i for i in range(1, 8))
    got = _lines(data, chunk_lines=3)
    assert [c.first_line for c in got] == [1, 4, 7]
    assert [len(c.lines) for c in got] == [3, 3, 1]
    assert got[1].lines == [b"line 4", b"line 5", b"line 6"]
    digest = hashlib.sha256(b"line 4\nline 5\nline 6").hexdigest()[:32]
    assert got[1].key == f"f:4:{digest}"
    assert got[1].joined() == b"line 4\nline 5\nline 6"
    assert [c.key for c in _lines(data, chunk_lines=3)] == [c.key for c in got]


def test_crlf_blank_lines_and_a_missing_final_newline():
    got = _lines(b"a\r\n\r\nb\r\nc", chunk_lines=10)
    assert got[0].lines == [b"a", b"", b"b", b"c"]  # the blank line keeps its number


def test_a_changed_line_changes_only_its_chunks_key():
    a = _lines(b"1\n2\n3\n4\n", chunk_lines=2)
    b = _lines(b"1\n2\n3\nX\n", chunk_lines=2)
    assert a[0].key == b[0].key and a[1].key != b[1].key


@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
                max_size=60), st.integers(1, 7), st.integers(1, 64))
def test_lines_survive_any_block_size(lines, per_chunk, block):
    data = b"\n".join(lines) + (b"\n" if lines else b"")
    old = chunking.BLOCK_BYTES
    chunking.BLOCK_BYTES = block
    try:
        got = _lines(data, chunk_lines=per_chunk)
    finally:
        chunking.BLOCK_BYTES = old
    assert [line for c in got for line in c.lines] == lines
    assert all(len(c.lines) == per_chunk for c in got[:-1])
    assert all(c.joined() == b"\n".join(c.lines) for c in got)


def test_document_formats_go_whole_and_are_bounded(monkeypatch):
    got = list(chunking.chunks(io.BytesIO(b"h1,h2\nx,y\n"), "f", "scan-csv"))
    assert len(got) == 1 and got[0].lines == [b"h1,h2", b"x,y"]
    monkeypatch.setattr(chunking, "WHOLE_FILE_LIMIT", 4)
    with pytest.raises(ValidationFailed) as caught:
        list(chunking.chunks(io.BytesIO(b"0123456789"), "f", "stix"))
    assert "read whole" in caught.value.errors[0].message


def test_groups():
    items = _lines(b"".join(b"%d\n" % i for i in range(10)), chunk_lines=1)
    assert [len(list(g)) for g in chunking.groups(iter(items), 4)] == [4, 4, 2]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=30))
def test_lines_held_joined_behave_as_a_list(items):
    """``Lines`` (the data once, the ends of its lines) reads as the list of its lines, with
    and without the compiled newline scan."""
    data = b"\n".join(items)
    expected = data.split(b"\n")
    for scan in (lines_mod._eve, None):
        old, lines_mod._eve = lines_mod._eve, scan
        try:
            held = lines_mod.Lines.of(data)
        finally:
            lines_mod._eve = old
        assert len(held) == len(expected) and list(held) == expected and held == expected
        assert [held[i] for i in range(-len(held), len(held))] == expected + expected
        assert held[1:3] == expected[1:3]
        assert held.lengths().tolist() == [len(x) for x in expected]
    half = len(expected) // 2
    parts = [lines_mod.Lines.of(b"\n".join(expected[:half]) or b""), lines_mod.Lines.of(
        b"\n".join(expected[half:]))] if half else [lines_mod.Lines.of(data)]
    joined = lines_mod.join([(p.data, p.ends) for p in parts])
    assert joined.data == data and list(joined) == expected
    with pytest.raises(IndexError):
        held[len(held)]
