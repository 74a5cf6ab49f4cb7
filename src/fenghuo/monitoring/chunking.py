"""Cutting an input stream into the chunks that ``ingest.take_in`` takes (item 3).

A chunk's key is made of the input's label, its first line number and a digest of its lines,
so a second run over the same input repeats every key: a restarted ingest neither skips nor
counts twice. Line formats (Suricata EVE) are cut every ``CHUNK_LINES`` lines, read in blocks
of a few megabytes and split in C rather than line by line; the other formats carry headers or
are documents, and go whole.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.monitoring.ingest import Chunk

CHUNK_LINES = 50_000
GROUP_CHUNKS = 10  # one transaction per this many chunks (a group commit)
WHOLE_FILE_LIMIT = 256 << 20
BLOCK_BYTES = 8 << 20
LINE_FORMATS = frozenset({"suricata"})


def chunks(fp: BinaryIO, label: str, fmt: str,
           advance: Callable[[int], object] = lambda n: None,
           chunk_lines: int = CHUNK_LINES) -> Iterator[Chunk]:
    """The chunks of ``fp``; ``advance`` is told the bytes read (for a progress bar)."""
    if fmt in LINE_FORMATS:
        yield from line_chunks(fp, label, advance, chunk_lines)
        return
    data = fp.read(WHOLE_FILE_LIMIT + 1)
    if len(data) > WHOLE_FILE_LIMIT:
        raise ValidationFailed([FieldError("file", f"a {fmt} input is read whole; at most "
                                           f"{WHOLE_FILE_LIMIT >> 20} MB")])
    advance(len(data))
    yield Chunk(f"{label}:{hashlib.sha256(data).hexdigest()}", data.splitlines())


def line_chunks(fp: BinaryIO, label: str, advance: Callable[[int], object] = lambda n: None,
                chunk_lines: int = CHUNK_LINES) -> Iterator[Chunk]:
    """Chunks of ``chunk_lines`` lines (a trailing ``\\r`` removed, blank lines kept so line
    numbers stay those of the input)."""
    first, pending = 1, []
    for lines in _lines(fp, advance):
        pending.extend(lines)
        while len(pending) >= chunk_lines:
            yield _chunk(label, first, pending[:chunk_lines])
            first, pending = first + chunk_lines, pending[chunk_lines:]
    if pending:
        yield _chunk(label, first, pending)


def _chunk(label: str, first: int, lines: list[bytes]) -> Chunk:
    data = b"\n".join(lines)
    return Chunk(f"{label}:{first}:{hashlib.sha256(data).hexdigest()[:32]}", lines, first, data)


def _lines(fp: BinaryIO, advance: Callable[[int], object]) -> Iterator[list[bytes]]:
    """The complete lines of each block read (the last, unterminated line too)."""
    rest = b""
    while block := fp.read(BLOCK_BYTES):
        advance(len(block))
        data = rest + block
        lines = data.split(b"\n")
        rest = lines.pop()
        yield [line.rstrip(b"\r") for line in lines] if b"\r" in data else lines
    if rest:
        yield [rest.rstrip(b"\r")]


def groups(items: Iterable[Chunk], size: int = GROUP_CHUNKS) -> Iterator[Iterator[Chunk]]:
    """Chunks in groups of ``size`` (one transaction each), each group read lazily: a chunk
    is read when the transaction comes to it, so memory holds a chunk or two, not a group.
    Consume each group before asking for the next."""
    it = iter(items)
    while (first := next(it, None)) is not None:
        yield itertools.chain([first], itertools.islice(it, size - 1))
