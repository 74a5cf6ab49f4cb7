"""The incident list counts its matches up to a cap (issue 21 item 2: an exact count of a
million rows on every page took most of a second): beyond it ``total`` is the cap and
``total_exact`` false; the page itself is the same."""

from __future__ import annotations

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
