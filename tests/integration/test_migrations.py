"""Migrations build exactly the models' schema, and the reference data is complete (both DBs)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select

from fenghuo import bootstrap
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from fenghuo.db import migrate
from fenghuo.incident import search
from fenghuo.models import metadata
from fenghuo.org.models import Body, Jurisdiction, Sector


def test_migrations_match_the_models(empty_db_url):
    rt = bootstrap.build(Settings(database_url=empty_db_url), clock=FakeClock())
    assert migrate.current_revision(rt.engine) is None
    assert not bootstrap.schema_is_current(rt)
    bootstrap.upgrade_and_seed(rt)
    assert bootstrap.schema_is_current(rt)
    # the one-query check compares with HEAD: it must be the scripts' own head
    assert migrate.current_revision(rt.engine) == migrate.HEAD == migrate.head_revision(
        empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        # migration 0028: the search index (PostgreSQL), the FTS5 table and its shadow tables
        # (SQLite) are not in the models
        opts = {"compare_type": True, "include_name": lambda name, kind, _: not (
            kind in ("table", "index") and name.startswith(search.UNMODELLED))}
        if conn.dialect.name == "sqlite":
            # migration 0025: monitoring_events is a view over the open days' table and the
            # indexed one; both have the model's columns, the view also a rowid (theirs)
            opts["include_object"] = _not_sqlite_events
            opts["include_name"] = lambda name, kind, _: not (kind == "table" and name.startswith(
                ("monitoring_events", *search.UNMODELLED)))
            cols = [c.name for c in metadata.tables["monitoring_events"].columns]
            names = {n: [c["name"] for c in inspect(conn).get_columns(n)] for n in (
                "monitoring_events", "monitoring_events_open", "monitoring_events_indexed")}
            assert names == {"monitoring_events": ["rowid", *cols],
                             "monitoring_events_open": cols, "monitoring_events_indexed": cols}
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    engine.dispose()
    rt.engine.dispose()
    assert diffs == []


def _not_sqlite_events(obj, name, kind, *_) -> bool:  # noqa: ANN001
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not (table or "").startswith("monitoring_events")


def test_seed_is_complete_and_bilingual(rt):
    with rt.uow() as s:
        provinces = s.scalars(select(Jurisdiction).where(Jurisdiction.level == "province")).all()
        assert len(provinces) == 32  # 31 provinces, regions, municipalities + XPCC
        coded = {p.code: p.division_code for p in provinces}
        assert coded["110000"] == "110000" and coded["650000"] == "650000"
        assert coded["XPCC"] is None
        assert all(p.name_zh and p.name_en for p in provinces)
        for key in ("cn.cac", "cn.emergency-office", "cn.miit", "cn.mps", "cn.nssb",
                    "cn.cncert", "cn.leading-group", "cn.expert-group"):
            b = s.scalar(select(Body).where(Body.key == key))
            assert b is not None and b.name_zh and b.name_en, key
        sectors = set(s.scalars(select(Sector.code)))
        # Law art. 31: public communication and information services, energy, transport, water
        # conservancy, finance, public services, e-government
        assert {"telecom", "energy", "transport", "water", "finance", "public-services",
                "e-government"} <= sectors
        assert s.scalar(select(func.count()).select_from(Body).where(Body.kind == "cert")) == 32


def test_seeding_twice_changes_nothing(rt):
    with rt.uow() as s:
        before = s.scalar(select(func.count()).select_from(Body))
    summary = bootstrap.upgrade_and_seed(rt)
    assert sum(summary.created.values()) == 0
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Body)) == before
