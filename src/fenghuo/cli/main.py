"""The ``fenghuo`` command line."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table
from rich.tree import Tree

from fenghuo import bootstrap, server
from fenghuo.audit import service as audit
from fenghuo.common.errors import DomainError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.config import Settings
from fenghuo.incident import service as incident_service
from fenghuo.incident.schemas import ReportIn
from fenghuo.org import accounts, bodies, interchange
from fenghuo.org.rules import Role
from fenghuo.org.schemas import TreeNode, UserIn
from fenghuo.workers.dispatch import Worker

app = typer.Typer(help="Fenghuo 烽火: network-security emergency response.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and passwords.", no_args_is_help=True)
org_app = typer.Typer(help="The organization tree.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
for sub, name in ((db_app, "db"), (user_app, "user"), (org_app, "org"), (audit_app, "audit")):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user, within their scope")]


def _runtime() -> bootstrap.Runtime:
    rt = bootstrap.build(Settings())
    bootstrap.ensure_ready(rt)
    return rt


def _principal(rt: bootstrap.Runtime, username: str | None) -> Principal | None:
    return accounts.principal_for(rt.uow, username=username) if username else None


def _fail(exc: DomainError) -> None:
    err.print(f"[bold red]error:[/] {exc.detail}")
    if isinstance(exc, ValidationFailed):
        for e in exc.errors:
            err.print(f"  - {e}")
    raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    processes: Annotated[int, typer.Option(min=1, max=64, help="Server processes (PostgreSQL)")]
    = 1,
) -> None:
    """Migrate, seed the reference data, create the first administrator if none, and serve."""
    settings = Settings()
    rt = bootstrap.build(settings)
    bootstrap.upgrade_and_seed(rt)
    first = bootstrap.ensure_first_admin(rt)
    host, port = host or settings.host, port or settings.port
    url = f"http://{host}:{port}"
    if first:
        out.print(Panel.fit(
            f"First administrator created (shown once):\n\n  username: [bold]{first.username}[/]"
            f"\n  password: [bold]{first.password}[/]\n\nOpen {url}/docs, press [bold]Authorize"
            "[/] and log in.\nChange the password with `fenghuo user passwd admin`.",
            title="Fenghuo 烽火", border_style="green"))
    out.print(f"Database: {settings.resolved_database_url().split('@')[-1]}")
    out.print(f"API docs: {url}/docs")
    server.run(rt, host=host, port=port, processes=processes)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due, sweep clocks, exit")] = False,
) -> None:
    """Deliver the outbox (email, webhooks, robots) and flag overdue clocks. Several workers may
    run against one PostgreSQL database."""
    rt = _runtime()
    w = Worker.from_runtime(rt)
    if once:
        sent = 0
        while (n := w.deliver_once()) > 0:
            sent += n
        overdue = w.sweep_if_due()
        out.print(f"attempted {sent} deliveries; flagged {overdue} overdue clocks")
        return
    out.print(f"worker running on {rt.settings.resolved_database_url().split('@')[-1]}; "
              "Ctrl-C stops it")
    signal.signal(signal.SIGTERM, lambda *_: w.stop())
    try:
        w.run()
    except KeyboardInterrupt:
        w.stop()


@app.command("report")
def report_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="YAML or JSON report")],
    as_user: Annotated[str, typer.Option("--as", help="The reporting user")],
    idempotency_key: Annotated[str | None, typer.Option(
        help="Retrying with the same key returns the same incident")] = None,
) -> None:
    """File an incident report (CAC 2025 art. 7) from a file, as a user."""
    rt = _runtime()
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        data = ReportIn.model_validate(raw)
        principal = accounts.principal_for(rt.uow, username=as_user)
        incident = incident_service.report(rt.uow, rt.clock, principal=principal, data=data,
                                           idempotency_key=idempotency_key,
                                           profile=rt.settings.grading_profile)
    except DomainError as exc:
        _fail(exc)
    except ValidationError as exc:
        for e in exc.errors():
            err.print(f"  - {'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
        raise typer.Exit(code=1) from None
    except yaml.YAMLError as exc:
        err.print(f"[bold red]error:[/] not valid YAML or JSON: {exc}")
        raise typer.Exit(code=1) from None
    out.print(f"[bold]{incident.ref}[/] {incident.grade_label['zh']} {incident.grade_label['en']}"
              f" — routed to {', '.join(r.body for r in incident.routes) or 'nobody'}")
    for r in incident.grade_reasons:
        out.print(f"  · {r.text_zh} / {r.text_en} [dim]({r.source})[/]")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration and (re)load the reference data."""
    rt = bootstrap.build(Settings())
    summary = bootstrap.upgrade_and_seed(rt)
    out.print(f"schema at {bootstrap.migrate.current_revision(rt.settings.resolved_database_url())}"
              f"; reference data: {sum(summary.created.values())} created, "
              f"{sum(summary.updated.values())} already present")


@user_app.command("create")
def user_create(
    username: str,
    body: Annotated[str, typer.Option(help="Key of the user's body, e.g. 110000.office")],
    role: Annotated[list[Role], typer.Option(help="Role (repeat for several)")],
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password: Annotated[str | None, typer.Option(
        help="Password (at least 10 characters); generated and printed when omitted")] = None,
    as_user: AsUser = None,
) -> None:
    """Create a user of a body with one or more roles."""
    rt = _runtime()
    generated = password is None
    password = password or accounts.new_password()
    try:
        data = UserIn(username=username, display_name=name or username, body=body,
                      roles=role, password=password)
        principal = _principal(rt, as_user)
        if principal:
            accounts.create_user(rt.uow, rt.clock, principal=principal, data=data)
        else:
            with rt.uow() as s:
                accounts.put_user(s, principal=None, data=data, now=rt.clock.now())
    except DomainError as exc:
        _fail(exc)
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from None
    out.print(f"created user [bold]{username}[/] in {body} with roles "
              f"{', '.join(r.value for r in role)}")
    if generated:
        out.print(f"password (shown once): [bold]{password}[/]")


@user_app.command("passwd")
def user_passwd(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
) -> None:
    """Set a user's password; their login sessions are ended."""
    rt = _runtime()
    try:
        accounts.set_password(rt.uow, rt.clock, username=username, password=password)
    except DomainError as exc:
        _fail(exc)
    out.print(f"password of {username} changed")


@org_app.command("import")
def org_import(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_user: AsUser = None,
) -> None:
    """Import YAML or CSV org files in one transaction; any error rejects them all."""
    rt = _runtime()
    docs = [interchange.parse_csv(str(f), f.read_text(encoding="utf-8"))
            if f.suffix.lower() == ".csv"
            else interchange.parse_yaml(f.read_text(encoding="utf-8"), source=f.name)
            for f in files]
    doc = interchange.merge(docs)
    total = sum(len(rows) for rows in doc.rows.values())
    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("importing", total=total)
            summary = interchange.import_document(
                rt.uow, rt.clock, principal=_principal(rt, as_user), doc=doc,
                progress=lambda n: progress.advance(task, n))
    except DomainError as exc:
        _fail(exc)
    table = Table("table", "created", "updated")
    for section in interchange.SECTIONS:
        table.add_row(section, str(summary.created[section]), str(summary.updated[section]))
    out.print(table)


@org_app.command("export")
def org_export(
    fmt: Annotated[str, typer.Option("--format", help="yaml or csv")] = "yaml",
    out_path: Annotated[Path | None, typer.Option(
        "--out", help="File (yaml) or directory (csv); yaml goes to stdout when omitted")] = None,
    as_user: AsUser = None,
) -> None:
    """Export the tree (or, with --as, what that user can see) in the import format."""
    rt = _runtime()
    tables = interchange.export_tables(rt.uow, principal=_principal(rt, as_user))
    if fmt == "yaml":
        text = interchange.to_yaml(tables)
        if out_path:
            out_path.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    if fmt != "csv" or out_path is None:
        err.print("[bold red]error:[/] --format is yaml or csv, and csv needs --out DIRECTORY")
        raise typer.Exit(code=2)
    out_path.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        (out_path / f"{table}.csv").write_text(interchange.to_csv(table, rows), encoding="utf-8")
    out.print(f"wrote {len(tables)} CSV files to {out_path}")


@org_app.command("tree")
def org_tree(
    as_user: AsUser = None,
    bodies_too: Annotated[bool, typer.Option("--bodies/--no-bodies")] = True,
) -> None:
    """Print the organization tree (all of it, or with --as what that user can see)."""
    rt = _runtime()
    try:
        node = bodies.org_tree(rt.uow, principal=_principal(rt, as_user), include_bodies=bodies_too)
    except DomainError as exc:
        _fail(exc)
    out.print(_rich_tree(node, None))


def _rich_tree(node: TreeNode, parent: Tree | None) -> Tree:
    label = f"[bold]{node.name_zh}[/] {node.name_en} [dim]({node.code}, {node.level.value})[/]"
    branch = Tree(label) if parent is None else parent.add(label)
    for b in node.bodies:
        branch.add(f"[cyan]{b.name_zh}[/] {b.name_en} [dim]{b.key} · {b.kind_label.en}[/]")
    for child in node.children:
        _rich_tree(child, branch)
    return branch


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 if any row was edited, inserted or deleted."""
    rt = _runtime()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("verifying", total=None)

        def step(n: int, total: int) -> None:
            progress.update(task, total=total, advance=n)

        result = audit.verify(rt.uow, progress=step)
    if result.ok:
        out.print(f"[green]audit chain intact[/]: {result.rows} rows")
        return
    err.print(f"[bold red]audit chain BROKEN[/]: {len(result.breaks)} problem(s) in "
              f"{result.rows} rows")
    for b in result.breaks:
        err.print(f"  - row {b.seq}: {b.problem}")
    raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
