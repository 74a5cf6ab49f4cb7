"""The incident list counts its matches up to a cap (issue 21 item 2: an exact count of a
million rows on every page took most of a second): beyond it ``total`` is the cap and
``total_exact`` false; the page itself is the same."""

from __future__ import annotations

import pytest

from fenghuo.common.errors import ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.incident import queries
from tests.integration.test_reporting_chain import file


def test_the_count_stops_at_the_cap_and_says_so(rt, principal, clock, monkeypatch):
    refs = [file(rt, principal, clock, title=f"第{n}起 incident {n}").ref for n in range(3)]
    me = principal("bj_admin")
    exact = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2))
    assert exact.total >= 3 and exact.total_exact
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    capped = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2))
    assert (capped.total, capped.total_exact) == (2, False)
    assert [i.ref for i in capped.items] == [i.ref for i in exact.items]  # the same page
    one = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2),
                                 q="第1起")
    assert (one.total, one.total_exact, [i.ref for i in one.items]) == (1, True, [refs[1]])


def test_keyset_pages_are_the_offset_pages_and_stay_in_scope(rt, principal, clock):
    """``before`` (the previous page's ``next``) gives the same pages as ``offset`` in the
    newest-first order, fast at any depth; the last page has no ``next``; a ref outside the
    caller's scope, or a sort, is refused."""
    for n in range(5):
        file(rt, principal, clock, title=f"键集 keyset {n}")
    me = principal("bj_admin")
    everything = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=500))
    refs, seen, cursor = [i.ref for i in everything.items], [], None
    while True:
        page = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2),
                                      before=cursor)
        seen += [i.ref for i in page.items]
        if page.next is None:
            break
        assert page.next == page.items[-1].ref
        cursor = page.next
    assert seen == refs and len(refs) >= 5
    second = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2, offset=2))
    keyset = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2),
                                    before=refs[1])
    assert [i.ref for i in keyset.items] == [i.ref for i in second.items]
    with pytest.raises(ValidationFailed):  # Shanghai does not see Beijing's incidents
        queries.list_incidents(rt.uow, principal=principal("sh_admin"),
                               page=PageParams(limit=2), before=refs[0])
    with pytest.raises(ValidationFailed):
        queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=2),
                               before=refs[0], sort="grade")
