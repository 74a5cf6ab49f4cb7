"""The dashboard's map of China's 34 provincial-level divisions: a tile-grid cartogram (one
square per division at its approximate geographic position, labelled with its short name), drawn
as SVG on the server from ``mapdata/provinces.csv``. It is not an outline map: no boundary data
ships with the project, and a cartogram gives every division, however small, an equal tile.

Each tile takes the colour of the gravest published warning covering the division (Plan §3.1),
as :func:`fenghuo.warning.service.province_coverage` reports it under the caller's scope; the
map only draws what the service says.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fenghuo.warning.schemas import ProvinceWarnings

DATA = Path(__file__).parent / "mapdata" / "provinces.csv"
#: tile edge and the gap between tiles, in SVG user units
TILE, GAP = 52, 6


@dataclass(frozen=True)
class Division:
    code: str  # GB/T 2260
    short_zh: str
    short_en: str
    name_zh: str
    name_en: str
    col: int
    row: int


@dataclass(frozen=True)
class Tile:
    division: Division
    x: int
    y: int
    cover: ProvinceWarnings | None  # None: no published warning covers it

    @property
    def level(self) -> str:
        return self.cover.level.value if self.cover else "none"


@cache
def divisions() -> tuple[Division, ...]:
    """The 34 divisions of the data file (lines starting with ``#`` are comments)."""
    with DATA.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return tuple(Division(r["code"], r["short_zh"], r["short_en"], r["name_zh"],
                              r["name_en"], int(r["col"]), int(r["row"])) for r in rows)


def size() -> tuple[int, int]:
    """Width and height of the map in SVG user units."""
    ds = divisions()
    pitch = TILE + GAP
    return (max(d.col for d in ds) + 1) * pitch, (max(d.row for d in ds) + 1) * pitch


def tiles(covers: list[ProvinceWarnings]) -> list[Tile]:
    """Every division with its position and what covers it."""
    by_code = {c.code: c for c in covers}
    pitch = TILE + GAP
    return [Tile(d, d.col * pitch + GAP // 2, d.row * pitch + GAP // 2, by_code.get(d.code))
            for d in divisions()]
