"""A whole instance as one archive, and back (issue 18 item 7; README "Backup and restore",
docs/operations.md).

The archive is a tar file of two members: ``manifest.json`` (the format, the Fenghuo version,
when it was made, the backend, the schema revision, every table's row count and each other
member's SHA-256 and size) and the database itself: a copy made through SQLite's online backup
API (``database.sqlite3``), or PostgreSQL's ``pg_dump`` in its custom format
(``database.pgdump``) taken in the same snapshot as the row counts. Evidence files are rows of
the ``evidence`` table (content and SHA-256), so they travel in the database.

A restore checks the archive before it writes anything: every member present and matching its
SHA-256, a schema this Fenghuo knows (an archive from a newer one is refused; an older one is
restored and then migrated by the caller), the same backend, and an empty target database
(``force`` replaces whatever is there). Afterwards every table's row count is compared with the
manifest's. The hashes guard against damage and accidental edits; they are not a signature.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from fenghuo.db import migrate

FORMAT = "fenghuo-backup/1"
MANIFEST = "manifest.json"
#: the database member of an archive, by backend
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20
PAGES = 1024  # SQLite pages copied per backup step (4 MiB at the default page size)
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

#: told how a step goes: its name, how much is done, of how much (None: unknown)
Report = Callable[[str, int, int | None], None]


class BackupError(Exception):
    """What stops a backup or a restore, said plainly."""


@dataclass(frozen=True)
class Manifest:
    format: str
    fenghuo_version: str
    created_at: str
    backend: str
    schema_revision: str
    #: rows of every table of the application's schema but ``alembic_version``
    rows: dict[str, int]
    #: archive member → {"sha256": …, "size": …}
    members: dict[str, dict]

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes, archive: Path) -> Manifest:
        try:
            data = json.loads(raw)
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"the manifest of {archive} is not readable: {exc}") from None
        if manifest.format != FORMAT:
            raise BackupError(f"{archive} is in format {manifest.format!r}; this Fenghuo reads "
                              f"{FORMAT!r}")
        if manifest.backend not in DUMPS or set(manifest.members) != {DUMPS[manifest.backend]}:
            raise BackupError(f"the manifest of {archive} names members "
                              f"{sorted(manifest.members)} for a {manifest.backend!r} database")
        return manifest


def backend_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in DUMPS:
        raise BackupError(f"backups cover SQLite and PostgreSQL databases, not {backend!r}")
    return backend


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


# --- backing up -----------------------------------------------------------------------------

def create(url: str, archive: Path, *, version: str, now: datetime, report: Report) -> Manifest:
    """Write the database at ``url`` to ``archive`` (a new file; written whole or not at all)."""
    if archive.exists():
        raise BackupError(f"{archive} exists already; name a new file")
    backend = backend_of(url)
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    work = partial.with_suffix(".d")
    work.mkdir(exist_ok=True)
    try:
        dump = work / DUMPS[backend]
        revision, rows = (_dump_sqlite if backend == "sqlite" else _dump_pg)(url, dump, report)
        if revision is None:
            raise BackupError(f"{safe_url(url)} holds no Fenghuo schema: nothing to back up")
        manifest = Manifest(FORMAT, version, now.isoformat(timespec="seconds"), backend,
                            revision, rows, {dump.name: _hashed(dump, report)})
        _write_tar(partial, manifest, dump)
        os.replace(partial, archive)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return manifest


def _dump_sqlite(url: str, target: Path, report: Report) -> tuple[str | None, dict]:
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    src = sqlite3.connect(source.as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=PAGES, progress=_pages(report, "copying the database 复制数据库"))
    finally:
        dst.close()
        src.close()
    return _contents_of(f"sqlite:///{target}")


def _dump_pg(url: str, target: Path, report: Report) -> tuple[str | None, dict]:
    """``pg_dump`` in the snapshot the row counts were read in, so the two agree."""
    tool = _tool("pg_dump")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            contents = _contents(conn)
            _run_pg([tool, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
                    url, report, "dumping the database 导出数据库")
            conn.rollback()
    finally:
        engine.dispose()
    return contents


def _write_tar(path: Path, manifest: Manifest, dump: Path) -> None:
    raw = manifest.to_json()
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(raw), int(dump.stat().st_mtime), 0o644
        tar.addfile(info, io.BytesIO(raw))
        tar.add(dump, arcname=dump.name, recursive=False, filter=_anonymous)


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No owner of the machine that made it in the archive."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


# --- restoring ------------------------------------------------------------------------------

def unpack(archive: Path, work: Path, report: Report) -> Manifest:
    """The archive's manifest, its database member written to ``work`` once it matched its
    SHA-256; a damaged, altered or foreign archive is refused."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            names = tar.getnames()
            if MANIFEST not in names:
                raise BackupError(f"{archive} has no {MANIFEST}: not a Fenghuo backup")
            manifest = Manifest.parse(tar.extractfile(MANIFEST).read(), archive)
            if sorted(names) != sorted([MANIFEST, *manifest.members]):
                raise BackupError(f"{archive} holds {sorted(names)}; its manifest lists "
                                  f"{sorted([MANIFEST, *manifest.members])}")
            for name, meta in manifest.members.items():
                member = tar.getmember(name)
                if not member.isfile():
                    raise BackupError(f"{name} in {archive} is not a file")
                _check(tar.extractfile(member), work / name, meta, f"{name} in {archive}",
                       report)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive} cannot be read as a Fenghuo backup: {exc}") from None
    return manifest


def check_revision(manifest: Manifest) -> None:
    """An archive of a schema newer than this Fenghuo's is refused: it would not understand
    the data (and there is no downgrade)."""
    known = {rev.revision for rev in _scripts().walk_revisions()}
    if manifest.schema_revision not in known:
        raise BackupError(
            f"the archive is of schema {manifest.schema_revision}, newer than this Fenghuo "
            f"knows (its newest is {migrate.HEAD}): it was made by Fenghuo "
            f"{manifest.fenghuo_version}; restore it with that version or a later one")


def tables(url: str) -> list[str]:
    """The tables in the database at ``url`` (every schema); none for a missing SQLite file."""
    if backend_of(url) == "sqlite" and not _sqlite_path(url).exists():
        return []
    query = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
             if backend_of(url) == "sqlite" else
             "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE "
             f"table_schema NOT IN {_SYSTEM_SCHEMAS} ORDER BY 1")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(query)).scalars())
    finally:
        engine.dispose()


def restore(url: str, work: Path, manifest: Manifest, *, force: bool, report: Report) -> dict:
    """Put the checked archive's database at ``url``; returns every table's rows there."""
    backend = backend_of(url)
    if backend != manifest.backend:
        raise BackupError(f"the archive holds a {manifest.backend} database; restore it into a "
                          f"{manifest.backend} instance (FENGHUO_DATABASE_URL), not {backend}")
    present = tables(url)
    if present and not force:
        raise BackupError(
            f"the database {safe_url(url)} is not empty ({len(present)} tables, such as "
            f"{', '.join(present[:3])}): restore into a new, empty database, or pass --force "
            "to replace everything in it")
    dump = work / DUMPS[backend]
    if backend == "sqlite":
        _restore_sqlite(dump, _sqlite_path(url), report)
    else:
        _restore_pg(dump, url, force=bool(present), report=report)
    revision, rows = _contents_of(url)
    if (revision, rows) != (manifest.schema_revision, manifest.rows):
        differ = sorted(t for t in set(rows) | set(manifest.rows)
                        if rows.get(t) != manifest.rows.get(t))
        raise BackupError(f"the restored database differs from the archive's manifest (schema "
                          f"{revision} for {manifest.schema_revision}; rows of {differ})")
    return rows


def _restore_sqlite(dump: Path, target: Path, report: Report) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(dump)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=PAGES, progress=_pages(report, "restoring the database 恢复数据库"))
    finally:
        dst.close()
        src.close()


def _restore_pg(dump: Path, url: str, *, force: bool, report: Report) -> None:
    """``pg_restore`` in one transaction (all or nothing); with ``force``, every schema in the
    database is dropped first."""
    tool = _tool("pg_restore")
    if force:
        _drop_schemas(url)
    _run_pg([tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             str(dump)], url, report, "restoring the database 恢复数据库")


def _drop_schemas(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            schemas = conn.execute(text(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname "
                "<> 'information_schema'")).scalars().all()
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


# --- shared ---------------------------------------------------------------------------------

def _contents_of(url: str) -> tuple[str | None, dict[str, int]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _contents(conn)
    finally:
        engine.dispose()


def _contents(conn: Connection) -> tuple[str | None, dict[str, int]]:
    """The schema revision and the rows of every table (partitions counted in their parent)."""
    inspector = inspect(conn)
    if not inspector.has_table("alembic_version"):
        return None, {}
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    names = sorted(set(inspector.get_table_names()) - {"alembic_version"} - _partitions(conn))
    rows = {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in names}
    return revision, rows


def _partitions(conn: Connection) -> set[str]:
    if conn.dialect.name != "postgresql":
        return set()
    return set(conn.execute(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid "
                                 "= i.inhrelid")).scalars())


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database).resolve()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: backing up and restoring PostgreSQL needs "
                          "its client tools (Debian/Ubuntu: apt install postgresql-client, of "
                          "the server's major version or newer)")
    return found


def _run_pg(command: list[str], url: str, report: Report, step: str) -> None:
    """A PostgreSQL client tool against ``url``; the password goes in the environment, never
    on the command line."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string()
    report(step, 0, None)
    done = subprocess.run([*command, f"--dbname={dsn}"], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")
    report(step, 1, 1)


def _pages(report: Report, step: str) -> Callable[[int, int, int], None]:
    return lambda _status, remaining, total: report(step, total - remaining, total)


def file_sha256(path: Path, report: Report | None = None) -> str:
    with path.open("rb") as fp:
        return _copy(fp, None, path.stat().st_size, report or (lambda *_: None))


def _hashed(path: Path, report: Report) -> dict:
    return {"sha256": file_sha256(path, report), "size": path.stat().st_size}


def _check(source: IO[bytes], target: Path, meta: dict, what: str, report: Report) -> None:
    with target.open("wb") as out:
        digest = _copy(source, out, meta.get("size"), report)
    if digest != meta.get("sha256"):
        raise BackupError(f"{what} does not match its SHA-256 in the manifest (expected "
                          f"{meta.get('sha256')}, found {digest}): the archive was altered or "
                          "damaged; nothing was restored")


def _copy(source: IO[bytes], target: IO[bytes] | None, total: int | None,
          report: Report) -> str:
    """SHA-256 of ``source``, copied to ``target`` on the way when one is given."""
    digest, done = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        if target is not None:
            target.write(chunk)
        done += len(chunk)
        report("SHA-256 校验", done, total)
    return digest.hexdigest()


def _scripts():  # noqa: ANN202 - alembic's ScriptDirectory, imported only here
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
