"""``fenghuo backup`` and ``fenghuo restore``: the whole instance as one archive and back
(issue 18 item 7; fenghuo.db.backup holds the archive, README "Backup and restore", and
docs/operations.md point-in-time recovery for production)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from fenghuo import __version__, bootstrap
from fenghuo.audit import service as audit
from fenghuo.cli.common import err, out
from fenghuo.config import Settings
from fenghuo.db import backup as archive
from fenghuo.db import migrate
from fenghuo.incident.models import Evidence
from fenghuo.notify.models import OutboxMessage
from fenghuo.org.models import Jurisdiction

#: the tables a restore names in what it prints (every table is checked against the manifest)
SHOWN = {"incidents": "事件 incidents", "evidence": "证据 evidence files",
         "warnings": "预警 warnings", "responses": "应急响应 responses",
         "outbox": "通知 outbox messages", "audit_log": "审计 audit rows",
         "users": "用户 users", "bodies": "机构 bodies"}


@contextmanager
def _steps() -> Iterator[archive.Report]:
    """Rich progress for the long steps: one bar per step, bytes or pages as they go."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def report(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield report


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except archive.BackupError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=1) from None


def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The archive to write, a new "
                                         "file, e.g. fenghuo-2026-12-01.tar")],
) -> None:
    """Back up the whole instance — the database with its evidence files — into one archive
    with a manifest of the schema revision, the version and each member's SHA-256.

    SQLite is copied through its online backup API, PostgreSQL dumped with pg_dump in its
    custom format, both while Fenghuo keeps running. For point-in-time recovery of PostgreSQL
    see docs/operations.md."""
    settings = Settings()
    url = settings.resolved_database_url()
    with _refusals(), _steps() as report:
        manifest = archive.create(url, file, version=__version__, now=datetime.now(UTC),
                                  report=report)
    if manifest.schema_revision == migrate.HEAD:  # an older schema is left as it is
        _audit(bootstrap.build(settings), "instance.backed_up", file, manifest)
    out.print(f"backed up {manifest.backend} database {escape(archive.safe_url(url))} "
              f"(schema {manifest.schema_revision}) to [bold]{escape(str(file))}[/]")
    _print_rows(manifest.rows)
    out.print(f"  archive SHA-256 {archive.file_sha256(file)}")


def restore(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="An archive made by `fenghuo backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace everything in a database "
                                        "that is not empty (it is dropped first)")] = False,
) -> None:
    """Restore an archive of `fenghuo backup` into an empty instance, after checking every
    member's SHA-256 and the schema revision; an older schema is migrated afterwards.

    Refused, with nothing written: a damaged or altered archive, one from a newer schema than
    this Fenghuo knows, one of the other database backend, and a database that is not empty
    (unless --force)."""
    settings = Settings()
    url = settings.resolved_database_url()
    with (_refusals(), tempfile.TemporaryDirectory(prefix="fenghuo-restore-") as work,
          _steps() as report):
        manifest = archive.unpack(file, Path(work), report)
        archive.check_revision(manifest)
        rows = archive.restore(url, Path(work), manifest, force=force, report=report)
    rt = bootstrap.build(settings)
    migrated = manifest.schema_revision != migrate.HEAD
    if migrated:
        bootstrap.upgrade_and_seed(rt)
    files, size, bad = _evidence(rt)
    _audit(rt, "instance.restored", file, manifest)
    out.print(f"restored {manifest.backend} database {escape(archive.safe_url(url))} from "
              f"[bold]{escape(str(file))}[/], made {manifest.created_at} by Fenghuo "
              f"{manifest.fenghuo_version} at schema {manifest.schema_revision}"
              + (f", migrated to {migrate.HEAD}" if migrated else ""))
    _print_rows(rows, _outbox_states(rt))
    out.print(f"  evidence: {files} files, {size} bytes, SHA-256 of each checked")
    if bad:
        err.print(f"[bold red]evidence that does not match its SHA-256:[/] {', '.join(bad)}")
        raise typer.Exit(code=1)


def _print_rows(rows: dict[str, int], outbox: dict[str, int] | None = None) -> None:
    shown = [f"{label} {rows.get(table, 0)}" for table, label in SHOWN.items()]
    out.print("  " + " · ".join(shown))
    if outbox:
        out.print("  outbox: " + ", ".join(f"{state} {n}" for state, n in sorted(outbox.items())))
    out.print(f"  {len(rows)} tables, {sum(rows.values())} rows in all")


def _outbox_states(rt: bootstrap.Runtime) -> dict[str, int]:
    with rt.uow() as s:
        return dict(s.execute(select(OutboxMessage.state, func.count())
                              .group_by(OutboxMessage.state)).all())


def _evidence(rt: bootstrap.Runtime) -> tuple[int, int, list[str]]:
    """Every evidence file read back and hashed against the SHA-256 it was stored with (Plan
    §4.1 "preserve evidence")."""
    files = size = 0
    bad: list[str] = []
    with rt.uow() as s:
        rows = s.execute(select(Evidence.id, Evidence.sha256, Evidence.content)
                         .execution_options(yield_per=50))
        for evidence_id, sha256, content in rows:
            files, size = files + 1, size + len(content)
            if hashlib.sha256(content).hexdigest() != sha256:
                bad.append(str(evidence_id))
    return files, size, bad


def _audit(rt: bootstrap.Runtime, action: str, file: Path, manifest: archive.Manifest) -> None:
    """The backup or restore in the instance's own audit trail, chained at once."""
    with rt.uow() as s:
        root = s.scalar(select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))
                        .order_by(Jurisdiction.id).limit(1))
        audit.record(s, at=rt.clock.now(), actor=audit.Actor("cli"), action=action,
                     entity_type="instance", entity_key=file.name, scope_path=root or "",
                     detail={"created_at": manifest.created_at,
                             "schema_revision": manifest.schema_revision,
                             "members": manifest.members})
    audit.chain_pending(rt.uow)

