"""Cutting an input stream into the chunks that ``ingest.take_in`` takes (item 3).

A chunk's key is made of the input's label, its first line number and a digest of its lines,
so a second run over the same input repeats every key: a restarted ingest neither skips nor
counts twice. Line formats (Suricata EVE) are cut every ``CHUNK_LINES`` lines, read in
blocks of a few megabytes, their newlines found in C and the lines kept joined
(``lines.Lines``); the other formats carry headers or
are documents, and go whole.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import numpy as np

from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.monitoring import lines
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
    numbers stay those of the input), their lines held as :class:`~.lines.Lines`: the data
    once, no object per line."""
    first, parts, count = 1, [], 0
    for block in _blocks(fp, advance):
        ends = lines.newline_offsets(block)
        ends = np.append(ends, np.int64(len(block)))
        start = 0
        while count + len(ends) - start >= chunk_lines:
            stop = start + chunk_lines - count
            parts.append(_part(block, ends, start, stop))
            yield _chunk(label, first, lines.join(parts))
            first, parts, count, start = first + chunk_lines, [], 0, stop
        if start < len(ends):
            parts.append(_part(block, ends, start, len(ends)))
            count += len(ends) - start
    if count:
        yield _chunk(label, first, lines.join(parts))


def _part(block: memoryview, ends: np.ndarray, start: int,
          stop: int) -> tuple[memoryview, np.ndarray]:
    """Lines ``start`` to ``stop`` of a block: (their data, their ends within it)."""
    lo = int(ends[start - 1]) + 1 if start else 0
    return block[lo:int(ends[stop - 1])], ends[start:stop] - lo


def _chunk(label: str, first: int, held: lines.Lines) -> Chunk:
    return Chunk(f"{label}:{first}:{hashlib.sha256(held.data).hexdigest()[:32]}", held, first,
                 held.data)


def _blocks(fp: BinaryIO, advance: Callable[[int], object]) -> Iterator[memoryview]:
    """The complete lines of each block read, joined (the last, unterminated line too), with
    the ``\\r`` before each newline removed."""
    rest = b""
    while block := fp.read(BLOCK_BYTES):
        advance(len(block))
        data = rest + block
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1:]
        yield _without_cr(data, cut)
    if rest:
        yield _without_cr(rest, len(rest))


def _without_cr(data: bytes, cut: int) -> memoryview:
    if data.find(b"\r", 0, cut) < 0:
        return memoryview(data)[:cut]
    return memoryview(b"\n".join(line.rstrip(b"\r") for line in data[:cut].split(b"\n")))


def groups(items: Iterable[Chunk], size: int = GROUP_CHUNKS) -> Iterator[Iterator[Chunk]]:
    """Chunks in groups of ``size`` (one transaction each), each group read lazily: a chunk
    is read when the transaction comes to it, so memory holds a chunk or two, not a group.
    Consume each group before asking for the next."""
    it = iter(items)
    while (first := next(it, None)) is not None:
        yield itertools.chain([first], itertools.islice(it, size - 1))
