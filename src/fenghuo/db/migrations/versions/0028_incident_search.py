"""incident search index: a GIN index of each incident's 1- and 2-character grams on PostgreSQL,
an FTS5 trigram table kept by triggers on SQLite (issue 21 item 2; fenghuo.incident.search)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 16:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the searched text of one incident, as fenghuo.incident.search.PG_TEXT spells it (the index
#: is used only by a query spelling the same expression)
PG_TEXT = ("title || E'\\n' || description || E'\\n' || impact || E'\\n' || measures")

#: the grams of a text: its 2-character substrings (those starting at odd positions, then those
#: at even positions, each cut out by putting U+001F after every second character), and its
#: characters, lower-cased, without the empty string; the separator itself is never in a gram.
#: Its own search_path (an index function must not depend on the caller's) also keeps it from
#: being inlined, so its COST holds: about 70 µs an incident, the planner must never choose to
#: evaluate it row by row rather than read the index (fenghuo.incident.search)
PG_GRAMS = r"""
CREATE OR REPLACE FUNCTION fenghuo_search_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000 SET search_path = pg_catalog AS $$
SELECT array_remove(
    string_to_array(regexp_replace(lower(t), '(..)', E'\\1\x1f', 'g'), E'\x1f')
    || string_to_array(regexp_replace(substr(lower(t), 2), '(..)', E'\\1\x1f', 'g'), E'\x1f')
    || string_to_array(lower(t), NULL), '')
$$"""

SQLITE_COLUMNS = "title, description, impact, measures"
NEW = "new.title, new.description, new.impact, new.measures"
OLD = "old.title, old.description, old.impact, old.measures"
SQLITE = (
    "CREATE VIRTUAL TABLE incidents_fts USING fts5("
    f"{SQLITE_COLUMNS}, content='incidents', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER incidents_fts_ai AFTER INSERT ON incidents BEGIN "
    f"INSERT INTO incidents_fts(rowid, {SQLITE_COLUMNS}) VALUES (new.id, {NEW}); END",
    "CREATE TRIGGER incidents_fts_ad AFTER DELETE ON incidents BEGIN "
    f"INSERT INTO incidents_fts(incidents_fts, rowid, {SQLITE_COLUMNS}) "
    f"VALUES ('delete', old.id, {OLD}); END",
    "CREATE TRIGGER incidents_fts_au AFTER UPDATE OF title, description, impact, measures "
    "ON incidents BEGIN "
    f"INSERT INTO incidents_fts(incidents_fts, rowid, {SQLITE_COLUMNS}) "
    f"VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO incidents_fts(rowid, {SQLITE_COLUMNS}) VALUES (new.id, {NEW}); END",
    "INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    """PostgreSQL: the gram function and a GIN index over the grams of the searched text, built
    CONCURRENTLY (writes go on while it builds; about 6 minutes, 483 MB, on 1 M incidents). SQLite: an
    external-content FTS5 table with the trigram tokenizer (SQLite >= 3.34) over the four text
    columns, its triggers, and its contents built from the incidents there are."""
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE:
            op.execute(sql)
        return
    op.execute(PG_GRAMS)
    with op.get_context().autocommit_block():
        op.execute("SET maintenance_work_mem = '256MB'")
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_incidents_search")  # a failed build's
        op.execute("CREATE INDEX CONCURRENTLY ix_incidents_search ON incidents USING gin "
                   f"(fenghuo_search_grams({PG_TEXT}))")
        op.execute("RESET maintenance_work_mem")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("incidents_fts_ai", "incidents_fts_ad", "incidents_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS incidents_fts")
        return
    op.execute("DROP INDEX IF EXISTS ix_incidents_search")
    op.execute("DROP FUNCTION IF EXISTS fenghuo_search_grams(text)")
