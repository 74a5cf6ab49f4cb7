"""Full-text search of incidents in Chinese and English (issue 21 item 2): ``q`` anywhere in the
title, description, impact or measures (case-insensitive substring), in the subject unit's
Chinese or English name, or the ref, answered from an index on both databases.

The match itself stays what it was: a case-insensitive ``LIKE '%q%'`` over each column. The
index only narrows the incidents that condition is tried on, so what is found is exactly what
the unindexed search found, within the caller's scope and the other filters.

PostgreSQL: a GIN index over the *grams* of each incident's searched text (migration 0028,
``fenghuo_search_grams``: its lower-cased 2-character substrings and its characters). A query
of two or more characters keeps the incidents whose grams contain all of the query's
2-character substrings; a query of one character those containing that character. Why not
pg_trgm: a trigram index cannot narrow a pattern of fewer than three characters, and most
Chinese search words are two characters (勒索, 木马, 病毒, 钓鱼); pg_trgm would leave them a scan
of every incident (8 s for 木马 on 1 M). Grams of two serve 2-character words and, intersected,
longer ones; containment is exact in a GIN index, so only the ``LIKE`` is checked on the rows
it returns. It needs no extension. The query's grams are cut here from the query lower-cased by
PostgreSQL itself, so both sides fold case alike. Measured on 1 M incidents (bench/reads.py,
national caller, first page of 50 and the capped count): nothing or a rare word 10–50 ms; a
word in 2 % of incidents (勒索, ransomware: 20,000) 230–350 ms, the time of reading those
20,000 rows to take the newest 50; one character (病) about 1 s. Building the index on 1 M
takes about 6 minutes (``CREATE INDEX CONCURRENTLY``, writes go on), 483 MB.

SQLite: an external-content FTS5 table with the trigram tokenizer (SQLite >= 3.34) over the
four columns, kept current by triggers on insert, update and delete of incidents; a query of
three or more characters is a phrase ``MATCH`` on it (each column apart, as the ``LIKE`` is),
a shorter one the ``LIKE`` alone (the embedded database is small).

Units: names are on ``bodies`` (a few thousand rows), searched first; their incidents join the
match as ``subject_body_id IN (…)``, which the unit's index answers.
"""

from __future__ import annotations

from sqlalchemy import ARRAY, Text, and_, bindparam, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from fenghuo.incident.models import Incident
from fenghuo.org.models import Body

#: the character migration 0028 cuts grams with: never inside one
SEPARATOR = "\x1f"
#: the shortest query the SQLite trigram table can answer
TRIGRAM = 3
#: what migration 0028 makes that the models do not describe (names' beginnings): the GIN
#: index (PostgreSQL), the FTS5 table and its shadow tables (SQLite)
UNMODELLED = ("ix_incidents_search", "incidents_fts")


def grams(lowered: str) -> list[str]:
    """The grams every incident matching ``lowered`` has: its 2-character substrings (without
    the separator), or the character of a 1-character query. All of them: a cover without
    overlap leaves GIN fewer lists to intersect but more rows to check (ransomware: 510 ms
    rather than 320 on 1 M)."""
    if len(lowered) < 2:
        return [lowered] if lowered and lowered != SEPARATOR else []
    return sorted({lowered[i:i + 2] for i in range(len(lowered) - 1)
                   if SEPARATOR not in lowered[i:i + 2]})


def fts_phrase(q: str) -> str:
    """``q`` as one FTS5 string (a phrase: the trigram tokenizer matches it as a substring)."""
    return '"' + q.replace('"', '""') + '"'


def searched_text():  # noqa: ANN201 - a text expression
    """The searched text of an incident as migration 0028's index spells it (the index serves
    only a query spelling the same expression)."""
    newline = literal_column("E'\\n'", Text)
    return (Incident.title + newline + Incident.description + newline + Incident.impact
            + newline + Incident.measures)


def _narrowed(s: Session, q: str):  # noqa: ANN202 - a WHERE clause or None
    """The index's condition for ``q`` on this database, or None when it cannot help."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        wanted = grams(s.scalar(select(func.lower(q))))
        if not wanted:
            return None
        return func.fenghuo_search_grams(searched_text()).op("@>")(
            bindparam("search_grams", wanted, type_=ARRAY(Text)))
    if dialect == "sqlite" and len(q) >= TRIGRAM:
        return Incident.id.in_(select(literal_column("rowid")).select_from(
            text("incidents_fts")).where(text("incidents_fts MATCH :fts_q").bindparams(
                fts_q=fts_phrase(q))))
    return None


def matching_units(s: Session, q: str) -> list[int]:
    """Ids of the bodies whose Chinese or English name contains ``q``."""
    return list(s.scalars(select(Body.id).where(or_(
        Body.name_zh.icontains(q, autoescape=True), Body.name_en.icontains(q, autoescape=True)))))


def condition(s: Session, q: str):  # noqa: ANN202 - a WHERE clause
    """``q`` anywhere in the title, description, impact, measures or unit name, or the ref.

    Written as ``(ref OR index OR unit) AND (ref OR LIKE OR unit)`` (the same as ``ref OR unit
    OR (index AND LIKE)``): the first conjunct is exactly what a bitmap of the three indexes
    answers, so PostgreSQL never evaluates the gram condition on a row (inside a nested ``AND``
    it would, on every candidate: 1.4 s for 勒索 on 1 M), and a capped count stops reading
    the heap at its cap."""
    found = or_(*(c.icontains(q, autoescape=True) for c in (
        Incident.title, Incident.description, Incident.impact, Incident.measures)))
    narrowed = _narrowed(s, q)
    units = matching_units(s, q)
    ref = [Incident.ref == q]
    if units:
        ref.append(Incident.subject_body_id.in_(units))
    if narrowed is None:
        return or_(*ref, found)
    return and_(or_(*ref, narrowed), or_(*ref, found))
