"""Migration 0010 (public tips handled, issue 16 item 4) over tips received before it, on both
databases: states renamed (new → received, dismissed → closed with a neutral outcome), no clock
and no receipt code for them, the history table created; and back down again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, inspect, text

from fenghuo.db import migrate

WHEN = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def _legacy_tips(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO jurisdictions (id, code, level, name_zh, name_en, path, "
                          "created_at) VALUES (1, 'CN', 'national', '全国', 'China', '/1/', :t)"),
                     {"t": WHEN})
        conn.execute(text("INSERT INTO bodies (id, key, kind, jurisdiction_id, name_zh, name_en, "
                          "cii, active, created_at, updated_at) VALUES (1, 'cn.office', "
                          "'office', 1, '办公室', 'Office', false, true, :t, :t)"), {"t": WHEN})
        for i, state in enumerate(("new", "dismissed", "converted"), start=1):
            conn.execute(text(
                "INSERT INTO tips (id, ref, receiving_body_id, jurisdiction_path, unit_name, "
                "description, state, created_at) VALUES (:i, :ref, 1, '/1/', 'u', "
                "'a description', :state, :t)"),
                {"i": i, "ref": f"TIP-20261001-0000000{i}", "state": state, "t": WHEN})
    engine.dispose()


def _tips(url: str) -> tuple[list[dict], set[str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM tips ORDER BY id")).mappings().all()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    return [dict(r) for r in rows], tables


def test_tips_received_before_0010_are_carried_over(empty_db_url):
    migrate.upgrade(empty_db_url, "0009")
    _legacy_tips(empty_db_url)
    migrate.upgrade(empty_db_url)
    rows, tables = _tips(empty_db_url)
    assert "tip_events" in tables
    assert [r["state"] for r in rows] == ["received", "closed", "converted"]
    assert rows[1]["public_outcome"].startswith("经核查")
    assert all(r["receipt_hash"] is None and r["due_at"] is None for r in rows)
    assert all(r["updated_at"] is not None for r in rows)
    command.downgrade(migrate.alembic_config(empty_db_url), "0009")
    rows, tables = _tips(empty_db_url)
    assert "tip_events" not in tables and "receipt_hash" not in rows[0]
    assert [r["state"] for r in rows] == ["new", "dismissed", "converted"]
    migrate.upgrade(empty_db_url)  # and up again
    assert [r["state"] for r in _tips(empty_db_url)[0]] == ["received", "closed", "converted"]
