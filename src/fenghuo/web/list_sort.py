"""Sortable lists saved as a URL (issue 19 item 1): the sort of a list page, kept with its
filters in the column headers' links and in the pager's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote


def filters_query(f: Mapping[str, str], always: Iterable[str] = ()) -> str:
    """``k=v&`` for every filter set (the prefix of every link of the page); the keys in
    ``always`` are kept empty too (an empty filter that differs from its default: all states)."""
    keep = set(always)
    return "".join(f"{k}={quote(str(v), safe='')}&" for k, v in f.items() if v or k in keep)


def context(f: Mapping[str, str], sort: str, desc: str | bool, allowed: Iterable[str],
            always: Iterable[str] = ()) -> dict:
    """What a list template needs: the sort kept (an unknown column is dropped), the filters'
    query for the header links and the full query (filters and sort) for the pager."""
    sort = sort if sort in set(allowed) else ""
    down = bool(sort) and str(desc).lower() in ("1", "true", "yes", "on")
    base = filters_query(f, always)
    kept = f"sort={sort}&" + ("desc=1&" if down else "") if sort else ""
    return {"sort": sort, "desc": down, "filters": base, "query": base + kept}
