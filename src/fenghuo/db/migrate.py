"""Run Alembic migrations programmatically (``fenghuo db upgrade`` and first start).

Every command checks that the schema is current before it runs. That check reads
``alembic_version`` (two small queries) and compares it with ``HEAD``, so a command on a current
database never loads Alembic or reads the migration scripts: Alembic is imported only when a
migration runs or the scripts are read (which keeps ``fenghuo report`` quick to start;
docs/performance.md).
tests/integration/test_migrations.py checks that ``HEAD`` is the scripts' head.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: the newest migration in migrations/versions; a new migration moves it
HEAD = "0031"


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # Alembic loads only to migrate (see the module doc)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logging"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database without a schema."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(url: str) -> str | None:
    """The newest revision of the migration scripts, read from the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
