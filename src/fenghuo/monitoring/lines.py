"""Lines held as one bytes object and the offset where each ends, without an object per line:
the chunk reader's form for line formats (Suricata EVE), which the compiled decoder reads in
place (issue 15, the 200,000 events/s per core target: a bytes object per line cost about a
microsecond an alert in cutting and joining alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

try:
    from fenghuo.monitoring import _eve
except ImportError:  # pragma: no cover - no compiler at install: numpy finds the newlines
    _eve = None


def newline_offsets(data: bytes | memoryview) -> np.ndarray:
    """The offsets (int64) of every newline in ``data``."""
    if _eve is not None:
        return np.frombuffer(_eve.newlines(data), dtype=np.int64)
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10).astype(np.int64)


class Lines(Sequence[bytes]):
    """``data`` is exactly the lines joined by newlines; line ``i`` ends at ``ends[i]``."""

    __slots__ = ("data", "ends")

    def __init__(self, data: bytes, ends: np.ndarray) -> None:
        self.data, self.ends = data, ends

    @classmethod
    def of(cls, data: bytes) -> Lines:
        """The lines of ``data`` (a last line without a newline counts; b"" is one line)."""
        return cls(data, np.append(newline_offsets(data), np.int64(len(data))))

    def __len__(self) -> int:
        return len(self.ends)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.data.split(b"\n"))

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return self.data.split(b"\n")[i]
        n = len(self.ends)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("line index out of range")
        start = int(self.ends[i - 1]) + 1 if i else 0
        return self.data[start:int(self.ends[i])]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lines):
            return len(self) == len(other) and self.data == other.data
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Lines({len(self)} lines, {len(self.data)} bytes)"

    def lengths(self) -> np.ndarray:
        """The length of each line (int64)."""
        starts = np.empty_like(self.ends)
        if len(starts):
            starts[0] = 0
            starts[1:] = self.ends[:-1] + 1
        return self.ends - starts


def join(parts: Sequence[tuple[bytes | memoryview, np.ndarray]]) -> Lines:
    """One Lines of several (data, ends) parts, joined by newlines (one copy of the data)."""
    data = b"\n".join(p for p, _ in parts)
    ends, offset = [], 0
    for piece, piece_ends in parts:
        ends.append(piece_ends + offset)
        offset += len(piece) + 1
    return Lines(data, np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64))
