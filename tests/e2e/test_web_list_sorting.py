"""Sortable, paged console lists saved as a URL (issue 19 item 1), on both databases: a column
header sorts (in SQL) and keeps every filter, the pager keeps filters and sort, and the cells
that name a unit or an incident link to its page."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select

from fenghuo.common.pagination import PageParams
from fenghuo.incident import queries
from fenghuo.incident.grading import Grade
from fenghuo.incident.models import Incident
from fenghuo.incident.rules import State
from fenghuo.warning import service as warnings
from tests.e2e.test_api_incidents import report
from tests.e2e.test_web_form import login
from tests.integration.test_warnings import drafted

TAG = "排序测试"


def _incidents(client, headers, titles):
    refs = {}
    for t in titles:
        r = client.post("/api/v1/incidents", headers=headers("bj_reporter"),
                        json=report(title=f"{TAG} {t}"))
        assert r.status_code in (200, 201), r.text
        refs[t] = r.json()["ref"]
    return refs


def _row_refs(html: str, prefix: str = "/web/incidents/") -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="' + re.escape(prefix) + r'([^"/?]+)"', body)


def test_incidents_sort_by_title_both_ways_and_keep_the_filter(client, headers):
    refs = _incidents(client, headers, ["B", "A", "C"])
    login(client, "bj_duty")
    q = quote(TAG, safe="")
    up = client.get(f"/web/incidents?q={q}&sort=title")
    assert up.status_code == 200
    assert [r for r in _row_refs(up.text) if r in refs.values()] == [refs["A"], refs["B"],
                                                                     refs["C"]]
    down = client.get(f"/web/incidents?q={q}&sort=title&desc=1")
    assert [r for r in _row_refs(down.text) if r in refs.values()] == [refs["C"], refs["B"],
                                                                       refs["A"]]
    # the headers keep the filter; the sorted column's link sorts the other way
    assert f'href="?q={q}&amp;sort=title&amp;desc=1&amp;"' in up.text
    assert f'href="?q={q}&amp;sort=title&amp;"' in down.text
    assert f'href="?q={q}&amp;sort=reported_at&amp;"' in up.text
    assert 'aria-sort="ascending"' in up.text and 'aria-sort="descending"' in down.text
    # an unknown column is the default order (newest first), not an error
    other = client.get(f"/web/incidents?q={q}&sort=drop%20table")
    assert other.status_code == 200
    assert [r for r in _row_refs(other.text) if r in refs.values()] == [refs["C"], refs["A"],
                                                                        refs["B"]]


def test_paging_keeps_the_filter_and_the_sort(client, headers):
    titles = [f"{n:02d}" for n in range(27)]
    refs = _incidents(client, headers, titles)
    login(client, "bj_duty")
    q = quote(TAG, safe="")
    first = client.get(f"/web/incidents?q={q}&sort=title&desc=1")
    assert f'href="?q={q}&amp;sort=title&amp;desc=1&amp;page=2"' in first.text
    second = client.get(f"/web/incidents?q={q}&sort=title&desc=1&page=2")
    by_ref = {v: k for k, v in refs.items()}
    seen = [by_ref[r] for r in _row_refs(first.text) + _row_refs(second.text) if r in by_ref]
    assert seen == sorted(titles, reverse=True)


def test_incident_rows_link_their_unit(client, headers):
    _incidents(client, headers, ["U"])
    login(client, "bj_duty")
    page = client.get(f"/web/incidents?q={quote(TAG, safe='')}")
    assert 'href="/web/directory/bj-bank"' in page.text
    assert client.get("/web/directory/bj-bank").status_code == 200


def test_warnings_sort_by_title_and_keep_all_states(client, rt, principal, clock):
    made = {t: drafted(rt, principal, clock, title=f"{TAG} 预警 {t} warning").ref
            for t in ("Y", "X", "Z")}
    login(client, "bj_duty")
    page = client.get("/web/warnings?state=&sort=title")
    assert page.status_code == 200
    rows = [r for r in _row_refs(page.text.split("<caption", 2)[-1], "/web/warnings/")
            if r in made.values()]
    assert rows == [made["X"], made["Y"], made["Z"]]
    assert 'href="?state=&amp;sort=title&amp;desc=1&amp;"' in page.text  # "all states" is kept
    assert 'href="/web/directory/110000.office"' in page.text


def test_responses_and_incoming_lists_have_sorting_headers(client):
    login(client, "bj_duty")
    page = client.get("/web/responses?state=active&sort=ref&desc=1")
    assert page.status_code == 200
    assert 'href="?state=active&amp;sort=ref&amp;"' in page.text
    assert 'href="?state=active&amp;sort=activated_at&amp;"' in page.text
    login(client, "bj_fin")
    incoming = client.get("/web/monitoring/incoming?sort=shared_at")
    assert incoming.status_code == 200


def test_grade_and_state_sort_by_their_order_not_alphabetically(client, headers, rt, principal):
    refs = _incidents(client, headers, ["G1", "G2", "G3", "G4"])
    with rt.uow() as s:  # grades and states set as grading and handling would leave them
        for ref, grade, state in zip(refs.values(), ("major", "especially_major", "general",
                                                     "relatively_major"),
                                     ("handling", "reported", "closed", "acknowledged"),
                                     strict=True):
            row = s.scalars(select(Incident).where(Incident.ref == ref)).one()
            row.grade, row.state = grade, state
    me = principal("nat_admin")
    for column, rank in (("grade", lambda i: Grade(i.grade).rank),
                         ("state", lambda i: list(State).index(State(i.state)))):
        for desc in (False, True):
            pages = [queries.list_incidents(rt.uow, principal=me, q=TAG, sort=column, desc=desc,
                                            page=PageParams(limit=3, offset=o)) for o in (0, 3)]
            ranks = [rank(i) for p in pages for i in p.items]
            assert ranks == sorted(ranks, reverse=desc), (column, desc)
            assert len(set(ranks)) > 1, (column, ranks)  # not vacuous
            ids = [i.ref for p in pages for i in p.items]
            assert sorted(ids) == sorted(refs.values())  # the id breaks ties: each row once


def test_warnings_sort_by_level_from_the_gravest(rt, principal, clock):
    made = {drafted(rt, principal, clock, user="nat_admin", level=lv,
                    title=f"{TAG} {lv} warning").ref: lv
            for lv in ("blue", "red", "yellow", "orange")}
    page = warnings.list_warnings(rt.uow, principal=principal("nat_admin"),
                                  page=PageParams(limit=50, offset=0), state="draft",
                                  sort="level", desc=True)
    assert [made[w.ref] for w in page.items if w.ref in made] == ["red", "orange", "yellow",
                                                                  "blue"]
