"""Sorting a list by a whitelisted column, in SQL (issue 19 item 1): the caller names the
columns a list may be sorted by; anything else keeps the list's default order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def order_by(columns: Mapping[str, Any], sort: str | None, desc: bool, *, tiebreak: Any,
             default: Any) -> tuple:
    """The ORDER BY of a page: ``columns[sort]`` then ``tiebreak`` (both in the asked direction,
    so the order is total and paging is stable), or ``default`` when ``sort`` is not one of
    ``columns``. Undated rows (NULL) come last either way."""
    if not sort or sort not in columns:
        return default if isinstance(default, tuple) else (default,)
    column = columns[sort]
    key = column.desc() if desc else column.asc()
    return (column.is_(None), key, tiebreak.desc() if desc else tiebreak.asc())
