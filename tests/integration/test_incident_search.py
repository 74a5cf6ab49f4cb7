"""Issue 21 item 2: the incident list's search is answered from an index (a GIN index of grams on
PostgreSQL, an FTS5 trigram table on SQLite) and finds what a substring search finds: Chinese of
two and more characters, English in any case, unit names, kept current when the text changes
and when an incident goes, combined with the filters and the caller's scope (both databases)."""

from __future__ import annotations

from sqlalchemy import delete, select, text, update

from fenghuo.common.pagination import PageParams
from fenghuo.incident import handling, queries, search
from fenghuo.incident.models import Incident
from fenghuo.incident.schemas import SupplementIn
from tests.integration.test_reporting_chain import file


def found(rt, principal, q, user="bj_admin", **filters) -> set[str]:
    page = queries.list_incidents(rt.uow, principal=principal(user), page=PageParams(limit=50),
                                  q=q, **filters)
    assert page.total == len(page.items)
    return {i.ref for i in page.items}


def test_chinese_english_units_filters_and_scope(rt, principal, clock):
    trojan = file(rt, principal, clock, title="办公网主机感染木马程序 Trojan on office hosts",
                  description="鲲鹏溯源发现远控 beacon", impact="数据外泄风险")
    ransom = file(rt, principal, clock, title="勒索软件加密文件服务器 RANSOMWARE outbreak",
                  measures="隔离主机 isolated")
    assert found(rt, principal, "木马") == {trojan.ref}  # two characters
    assert found(rt, principal, "鲲鹏溯源") == {trojan.ref}  # four, in the description
    assert found(rt, principal, "主机") == {trojan.ref, ransom.ref}  # title of one, measures
    assert found(rt, principal, "ransomware") == {ransom.ref}  # case-insensitive
    assert found(rt, principal, "Trojan ON") == {trojan.ref}
    assert found(rt, principal, "木") == {trojan.ref}  # one character
    assert found(rt, principal, "外泄") == {trojan.ref}  # the impact
    assert found(rt, principal, "无此关键词zzq") == set()
    assert found(rt, principal, "马程序x") == set()  # its grams are there, the text is not
    assert found(rt, principal, "100%") == set()  # LIKE's wildcards are literal
    assert found(rt, principal, '"木马" OR x*') == set()  # and FTS5's syntax
    assert {trojan.ref, ransom.ref} <= found(rt, principal, "北京某银行")  # the unit's name
    assert {trojan.ref, ransom.ref} <= found(rt, principal, "beijing bank")
    assert found(rt, principal, trojan.ref) == {trojan.ref}  # the ref
    assert found(rt, principal, "主机", state="closed") == set()  # with a filter
    assert found(rt, principal, "主机", grade=ransom.grade, sector="finance") == {
        trojan.ref, ransom.ref}
    assert found(rt, principal, "木马", user="sh_admin") == set()  # another province's office
    assert found(rt, principal, "木马", user="nat_admin") == {trojan.ref}


def test_the_index_follows_updates_and_deletions(rt, principal, clock):
    out = file(rt, principal, clock, title="邮件网关遭钓鱼攻击 phishing wave")
    other = file(rt, principal, clock, title="门户网站被篡改 defacement")
    with rt.uow() as s:
        s.execute(update(Incident).where(Incident.ref == out.ref).values(
            title="数据库遭暴力破解 brute force"))
    assert found(rt, principal, "暴力破解") == {out.ref}
    assert found(rt, principal, "BRUTE") == {out.ref}
    assert found(rt, principal, "钓鱼") == set() and found(rt, principal, "phishing") == set()
    handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=other.ref,
                        data=SupplementIn(text="补报 supplement",
                                          impact="访客数据泄露 visitor records leaked"))
    assert found(rt, principal, "泄露") == {other.ref}
    assert found(rt, principal, "records leaked") == {other.ref}
    with rt.uow() as s:
        s.execute(delete(Incident).where(Incident.ref == other.ref))
    assert found(rt, principal, "篡改") == set() and found(rt, principal, "泄露") == set()
    assert found(rt, principal, "暴力") == {out.ref}


def test_the_search_uses_the_index(rt):
    """The condition the list adds is one the index answers (the index of migration 0028
    matches only a query spelling its expression alike)."""
    with rt.uow() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SET LOCAL enable_seqscan = off"))
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for q in ("木马", "ransomware"):
            stmt = select(Incident.id).where(search.condition(s, q))
            sql = stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
            plan = "\n".join(str(r) for r in s.execute(text(explain + str(sql))))
            wanted = "ix_incidents_search" if explain == "EXPLAIN " else "incidents_fts"
            if explain == "EXPLAIN " or len(q) >= search.TRIGRAM:
                assert wanted in plan, plan


def test_the_first_page_from_the_newest_incidents_is_the_same_page(rt, principal, clock,
                                                                   monkeypatch):
    """A search's first page is looked for among the newest incidents first (issue 21 item 2):
    whether the window holds a full page or not, the page and the count are those of the
    whole search."""
    refs = [file(rt, principal, clock, title=f"勒索软件 ransomware {i}"
                 if i % 3 else f"门户篡改 defacement {i}").ref for i in range(12)]

    def page(q, limit, user="bj_admin"):
        p = queries.list_incidents(rt.uow, principal=principal(user),
                                   page=PageParams(limit=limit), q=q)
        return [i.ref for i in p.items], p.total, p.total_exact

    everything = {(q, n): page(q, n) for q in ("勒索", "defacement", "无此") for n in (2, 3, 5)}
    ransom = [r for i, r in enumerate(refs) if i % 3][::-1]
    assert everything[("勒索", 3)] == (ransom[:3], 8, True)
    for window, widen in ((1, 1), (4, 1), (6, 1), (50, 1), (1, 4), (2, 3), (1, 50)):
        # windows too small for the page, large enough, and small ones widened
        monkeypatch.setattr(queries, "SEARCH_WINDOW", window)
        monkeypatch.setattr(queries, "SEARCH_WIDEN", widen)
        assert {k: page(*k) for k in everything} == everything, (window, widen)
    monkeypatch.setattr(queries, "SEARCH_WINDOW", 4)
    assert page("勒索", 2, user="sh_admin") == ([], 0, True)  # the scope still holds
