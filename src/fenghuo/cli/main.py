"""The ``fenghuo`` command line."""

from __future__ import annotations

import hashlib
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Column, Table
from rich.tree import Tree

from fenghuo import bootstrap, dossier
from fenghuo.audit import service as audit
from fenghuo.common.errors import DomainError, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.config import Settings
from fenghuo.incident import service as incident_service
from fenghuo.incident.schemas import ReportIn
from fenghuo.org import accounts, bodies, interchange
from fenghuo.org.rules import Role
from fenghuo.org.schemas import TreeNode, UserIn
from fenghuo.response import investigation as response_investigation
from fenghuo.response import rules as response_rules
from fenghuo.response import service as responses
from fenghuo.response.ending import NOTIFY_LABELS
from fenghuo.response.schemas import (
    ActivateIn,
    DispatchIn,
    EndIn,
    MemberIn,
    ProgressIn,
    ResponseOut,
    SectionsIn,
    ShiftIn,
    SupportIn,
)
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.rules import STATE_LABELS, WarningLevel, WarningState
from fenghuo.warning.schemas import LiftIn, MonitoringIn, ReviseIn, WarningIn, WarningOut
from fenghuo.workers.dispatch import Worker

app = typer.Typer(help="Fenghuo 烽火: network-security emergency response.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and passwords.", no_args_is_help=True)
org_app = typer.Typer(help="The organization tree.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
monitoring_app = typer.Typer(help="Monitoring information (Plan §3.2, Law arts. 51–52).",
                             no_args_is_help=True)
warning_app = typer.Typer(help="Early warnings: draft, approve, publish, acknowledge, revise, "
                          "lift (Plan §3.1, §3.3–§3.5).", no_args_is_help=True)
for sub, name in ((db_app, "db"), (user_app, "user"), (org_app, "org"), (audit_app, "audit"),
                  (monitoring_app, "monitoring"), (warning_app, "warning")):
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


def _fail(exc: DomainError) -> NoReturn:
    if isinstance(exc, Refused):
        err.print(f"[bold red]refused 拒绝:[/] {len(exc.reasons)} rule(s) refused this")
        for r in exc.reasons:
            err.print(f"  - [bold]{escape(r['code'])}[/] ({escape(r['source'])})\n"
                      f"    {escape(r['text_zh'])}\n    {escape(r['text_en'])}")
        raise typer.Exit(code=1)
    err.print(f"[bold red]error:[/] {escape(exc.detail)}")
    if isinstance(exc, ValidationFailed):
        for e in exc.errors:
            err.print(f"  - {escape(str(e))}")
    raise typer.Exit(code=1)


def _invalid(exc: ValidationError, what: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(what)} is not valid:")
    for e in exc.errors():
        err.print(f"  - {escape('.'.join(str(p) for p in e['loc']) or 'input')}: "
                  f"{escape(e['msg'])}")
    raise typer.Exit(code=1)


@contextmanager
def _errors(what: str = "the input") -> Iterator[None]:
    """Domain errors and invalid input become messages on stderr and exit code 1."""
    try:
        yield
    except DomainError as exc:
        _fail(exc)
    except ValidationError as exc:
        _invalid(exc, what)


M = TypeVar("M", bound=BaseModel)


def _load(file: Path, model: type[M]) -> M:
    """A YAML or JSON file (JSON is YAML) parsed into ``model``."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        err.print(f"[bold red]error:[/] {escape(str(file))} is not valid YAML or JSON: "
                  f"{escape(str(exc))}")
        raise typer.Exit(code=1) from None
    with _errors(str(file)):
        return model.model_validate(raw)


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
    from fenghuo import server  # the web stack loads only for `serve`

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


@app.command("dossier")
def dossier_cmd(
    ref: Annotated[str, typer.Argument(help="Incident reference")],
    as_user: Annotated[str, typer.Option("--as", help="Act as this user, within their scope")],
    pdf: Annotated[Path | None, typer.Option("--pdf", dir_okay=False,
                                             help="Write the PDF (A4, 中文/English) here")]
    = None,
    json_file: Annotated[Path | None, typer.Option("--json", dir_okay=False,
                                                   help="Write the JSON record here")] = None,
) -> None:
    """Export one incident's whole record — reports, grading, routing, notifications,
    responses, duty, progress, support, investigation, evidence hashes — as PDF and/or JSON."""
    if pdf is None and json_file is None:
        raise typer.BadParameter("give --pdf FILE, --json FILE or both")
    rt = _runtime()
    with _errors():
        d = dossier.build(rt.uow, rt.clock, ref=ref,
                          principal=accounts.principal_for(rt.uow, username=as_user))
    record = dossier.to_json(d)
    try:
        if json_file:
            json_file.write_bytes(record)
            out.print(f"wrote {escape(str(json_file))} (JSON, {len(record)} bytes)")
        if pdf:
            content = dossier.to_pdf(d, timezone=rt.settings.timezone)
            pdf.write_bytes(content)
            out.print(f"wrote {escape(str(pdf))} (PDF, {len(content)} bytes)")
    except OSError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    out.print(f"{d.incident.ref}: SHA-256 of the JSON {hashlib.sha256(record).hexdigest()}")


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


# --- monitoring information (Plan §3.2, Law arts. 51–52) --------------------------------------

InFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                        help="YAML or JSON file")]
ActAs = Annotated[str, typer.Option("--as", help="Act as this user, within their scope")]
Ref = Annotated[str, typer.Argument(help="Reference, e.g. WN-20261123-1A2B3C4D")]
Limit = Annotated[int, typer.Option(min=1, max=500, help="At most this many, newest first")]


def _when(rt: bootstrap.Runtime, moment: datetime | None) -> str:
    """A time in the configured time zone (FENGHUO_TIMEZONE), to the minute."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(rt.settings.timezone)).isoformat(timespec="minutes")


@monitoring_app.command("submit")
def monitoring_submit(
    file: InFile,
    as_user: ActAs,
    idempotency_key: Annotated[str | None, typer.Option(
        help="Retrying with the same key returns the same item")] = None,
) -> None:
    """Submit monitoring information from a file shaped like the API's MonitoringIn; an
    important item goes up to the Emergency Office at once (Plan §3.2)."""
    rt = _runtime()
    data = _load(file, MonitoringIn)
    with _errors():
        item = monitoring.submit(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=data, idempotency_key=idempotency_key)
    out.print(f"[bold]{item.ref}[/] {escape(item.title)}")
    out.print(f"  from {escape(item.body_name_zh)} {escape(item.body_name_en)} ({item.body})"
              f" · TLP:{item.tlp.value.upper()}" + (" · [bold]important 重要[/]"
                                                    if item.important else ""))
    if not item.shares:
        out.print("  shared with nobody (share upward by marking it important)")
    for sh in item.shares:
        out.print(f"  shared with {sh.body} {escape(sh.body_name_zh)} "
                  f"{escape(sh.body_name_en)} [dim]({sh.reason})[/]")


@monitoring_app.command("list")
def monitoring_list(
    as_user: ActAs,
    important: Annotated[bool | None, typer.Option(
        "--important/--not-important", help="Only important items, or only the others")] = None,
    q: Annotated[str | None, typer.Option(help="Search titles, refs and indicators")] = None,
    limit: Limit = 50,
) -> None:
    """List the monitoring information the user's body submitted, received or oversees."""
    rt = _runtime()
    with _errors():
        page = monitoring.list_items(
            rt.uow, principal=accounts.principal_for(rt.uow, username=as_user),
            page=PageParams(limit=limit), important=important, q=q)
    table = Table(_ref_column(), "observed", "title", "from", "important", "TLP", "shared with",
                  title=f"{page.total} item(s)")
    for i in page.items:
        table.add_row(i.ref, _when(rt, i.observed_at), escape(i.title), i.body,
                      "yes" if i.important else "", i.tlp.value.upper(),
                      ", ".join(sh.body for sh in i.shares) or "—")
    out.print(table)


def _ref_column() -> Column:
    """References are what users copy into the next command: never shortened."""
    return Column("ref", no_wrap=True, min_width=20)


# --- early warnings (Plan §3.1, §3.3–§3.5) -----------------------------------------------------


def _level(w: WarningOut) -> str:
    return f"{w.level_label['zh']} {w.level_label['en']}"


def _state(state: str) -> str:
    zh, en = STATE_LABELS[WarningState(state)]
    return f"{zh} {en}"


def _headline(w: WarningOut) -> str:
    return f"[bold]{w.ref}[/] {_level(w)} · {_state(w.state)} · {escape(w.title)}"


@warning_app.command("draft")
def warning_draft(file: InFile, as_user: ActAs) -> None:
    """Draft a warning of the user's body from a file shaped like the API's WarningIn; the
    content (Plan §3.3 ¶3) and the issuing authority (Plan §3.3) are checked."""
    rt = _runtime()
    data = _load(file, WarningIn)
    with _errors():
        w = warnings.draft(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=data)
    out.print(_headline(w))
    for r in w.authority:
        out.print(f"  authority: {escape(r.text_zh)} / {escape(r.text_en)} "
                  f"[dim]({r.code}, {escape(r.source)})[/]")
    out.print(f"  next: another member of {w.issuer} approves it: "
              f"fenghuo warning approve {w.ref} --as USER")


@warning_app.command("approve")
def warning_approve(ref: Ref, as_user: ActAs) -> None:
    """Approve a draft: someone of the issuing body other than its drafter (Plan §3.3)."""
    rt = _runtime()
    with _errors():
        w = warnings.approve(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    out.print(f"{_headline(w)}\n  approved by {w.approved_by}; publish it with "
              f"fenghuo warning publish {w.ref} --as USER")


@warning_app.command("publish")
def warning_publish(ref: Ref, as_user: ActAs) -> None:
    """Publish an approved warning: every body in scope is notified and must acknowledge,
    and the Plan §3.4 checklist becomes tasks."""
    rt = _runtime()
    with _errors():
        w = warnings.publish(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    rt.wake_worker()
    out.print(_headline(w))
    out.print(f"  notified {len(w.recipients)} bodies: "
              f"{', '.join(r.body for r in w.recipients) or 'none'}")
    out.print(f"  {len(w.tasks)} checklist task(s) for "
              f"{', '.join(dict.fromkeys(t.body for t in w.tasks)) or 'nobody'}")


@warning_app.command("ack")
def warning_ack(ref: Ref, as_user: ActAs) -> None:
    """Acknowledge receipt of a warning for the user's body."""
    rt = _runtime()
    with _errors():
        w = warnings.acknowledge(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    done = sum(r.state == "acknowledged" for r in w.recipients)
    out.print(f"{_headline(w)}\n  acknowledged by {as_user}; {done} of {len(w.recipients)} "
              "recipients have acknowledged")


@warning_app.command("revise")
def warning_revise(
    ref: Ref,
    level: Annotated[WarningLevel, typer.Option(help="The new level")],
    reason: Annotated[str, typer.Option(help="Why the level changes")],
    as_user: ActAs,
) -> None:
    """Change a published warning's level: a recorded revision by the issuer, with the
    authority rules applied again; every recipient acknowledges again."""
    rt = _runtime()
    with _errors("--level/--reason"):
        w = warnings.revise(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=ReviseIn(level=level, reason=reason))
    rt.wake_worker()
    out.print(f"{_headline(w)}\n  revision {w.revision}; {len(w.recipients)} recipient(s) "
              "notified, each acknowledges again")


@warning_app.command("lift")
def warning_lift(
    ref: Ref,
    reason: Annotated[str, typer.Option(help="Why the warning is lifted")],
    as_user: ActAs,
) -> None:
    """Lift a published warning (Plan §3.5): only the issuer; a lifting notice goes to every
    recipient and open checklist tasks close."""
    rt = _runtime()
    with _errors("--reason"):
        w = warnings.lift(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=LiftIn(reason=reason))
    rt.wake_worker()
    closed = sum(t.state == "closed" for t in w.tasks)
    out.print(f"{_headline(w)}\n  lifting notice sent to {len(w.recipients)} recipient(s); "
              f"{closed} open task(s) closed")


@warning_app.command("list")
def warning_list(
    as_user: ActAs,
    state: Annotated[WarningState | None, typer.Option(help="Only warnings in this state")]
    = None,
    level: Annotated[WarningLevel | None, typer.Option(help="Only warnings of this level")]
    = None,
    limit: Limit = 50,
) -> None:
    """List the warnings the user's body issued, received or oversees."""
    rt = _runtime()
    with _errors():
        page = warnings.list_warnings(
            rt.uow, principal=accounts.principal_for(rt.uow, username=as_user),
            page=PageParams(limit=limit), state=state.value if state else None,
            level=level.value if level else None)
    table = Table(_ref_column(), "level", "state", "title", "issuer", "starts", "published",
                  title=f"{page.total} warning(s)")
    for w in page.items:
        table.add_row(w.ref, f"{w.level_label['zh']} {w.level.value}", _state(w.state),
                      escape(w.title), w.issuer, _when(rt, w.starts_at),
                      _when(rt, w.published_at))
    out.print(table)


@warning_app.command("show")
def warning_show(ref: Ref, as_user: ActAs) -> None:
    """Show a warning: level, state, content, recipients with their acknowledgements, tasks."""
    rt = _runtime()
    with _errors():
        w = warnings.get_warning(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    places = "; ".join(f"{escape(p.name_zh)} {escape(p.name_en)} ({p.code})"
                       for p in w.jurisdictions)
    sectors = "; ".join(f"{escape(p.name_zh)} {escape(p.name_en)}" for p in w.sectors)
    lines = [
        f"级别 level: [bold]{_level(w)}[/]    状态 state: [bold]{_state(w.state)}[/]    "
        f"revision {w.revision}    TLP:{w.tlp.value.upper()}"
        + ("    公开 public" if w.public else ""),
        f"类别 category: {escape(w.category_label['zh'])} {escape(w.category_label['en'])}",
        f"发布机关 issuer: {escape(w.issuer_name_zh)} {escape(w.issuer_name_en)} ({w.issuer})",
        f"起始 starts: {_when(rt, w.starts_at)}    published: {_when(rt, w.published_at)}",
        f"范围 scope: {places}" + (f"; sectors: {sectors}" if sectors else "; every sector"),
        "警示事项 items:", *(f"  · {escape(i)}" for i in w.items),
        "措施 measures:", *(f"  · {escape(m.text)} [dim](by {_when(rt, m.deadline)})[/]"
                          for m in w.measures),
        *(f"依据 authority: {escape(r.text_zh)} / {escape(r.text_en)} "
          f"[dim]({r.code}, {escape(r.source)})[/]" for r in w.authority),
        f"drafted by {w.drafted_by}; approved by {w.approved_by or '—'}",
    ]
    if w.lifted_at:
        lines.append(f"解除 lifted: {_when(rt, w.lifted_at)} — {escape(w.lift_reason or '')}")
    out.print(Panel("\n".join(lines), title=f"{w.ref} {escape(w.title)}", title_align="left"))
    recipients = Table("body", "name", "notified", "ack due", "ack", title="接收 Recipients")
    for r in w.recipients:
        ack = (f"acknowledged {_when(rt, r.acknowledged_at)} by {r.acknowledged_by}"
               if r.acknowledged_at else r.state + (" (reminded)" if r.reminded_at else ""))
        recipients.add_row(r.body, f"{escape(r.body_name_zh)} {escape(r.body_name_en)}",
                           _when(rt, r.notified_at), _when(rt, r.ack_due_at), ack)
    out.print(recipients if w.recipients else "no recipients yet (not published)")
    tasks = Table("id", "body", "task", "owner", "due", "state", title="任务 Checklist tasks")
    for t in w.tasks:
        tasks.add_row(str(t.id), t.body, f"{escape(t.title_zh)}\n{escape(t.title_en)} "
                      f"[dim]({escape(t.source)})[/]", t.owner, _when(rt, t.due_at),
                      t.state + (f" by {t.done_by}" if t.done_by else ""))
    out.print(tasks if w.tasks else "no checklist tasks yet (not published)")


# --- emergency response (Plan §4.2–§4.3, §5; City §3.3) ---------------------------------------

response_app = typer.Typer(help="Emergency response Levels I–IV: activate, progress, support, "
                           "end, investigation (Plan §4.2–§4.3, §5).", no_args_is_help=True)
duty_app = typer.Typer(help="24-hour duty rosters (Plan §4.2.1).", no_args_is_help=True)
app.add_typer(response_app, name="response")
app.add_typer(duty_app, name="duty")

ResponseRef = Annotated[str, typer.Argument(help="Response ref, e.g. ER-20261123-1A2B3C4D")]


class ResponseStateOpt(StrEnum):
    """The states of a response (``Response.state``)."""

    ACTIVE = "active"
    END_PROPOSED = "end_proposed"
    ENDED = "ended"


RESPONSE_STATE_LABELS = response_rules.RESPONSE_STATE_LABELS
PARTICIPANT_ROLE_LABELS = response_rules.PARTICIPANT_ROLE_LABELS
PROGRESS_STATE_LABELS = {**{k.value: v for k, v in response_rules.PROGRESS_LABELS.items()},
                         "not_required": ("无需报告", "not required")}


def _label(labels, key: str) -> str:
    """``中文 English`` for a state, role or clock; the key itself when it has no label."""
    zh, en = labels.get(key, (key, key))
    return f"{zh} {en}"


def _response_headline(r: ResponseOut) -> str:
    return (f"[bold]{r.ref}[/] {r.level_label['zh']} {r.level_label['en']} · "
            f"{_label(RESPONSE_STATE_LABELS, r.state)} · incident {r.incident}")


def _member(value: str) -> MemberIn:
    """``NAME[:USERNAME]``: a named member of the headquarters, optionally with the user who
    may approve the end of a Level I response."""
    name, sep, username = value.rpartition(":")
    if not sep:
        name, username = value, ""
    return MemberIn(name=name.strip(), username=username.strip() or None)


def _ended(rt: bootstrap.Runtime, r: ResponseOut) -> None:
    """What ending a response set in motion: who is told (Plan §4.3), the report's clock (§5)."""
    notify = next((e.detail.get("notify") for e in reversed(r.timeline) if e.kind == "ended"),
                  None) or []
    out.print("  notified 通报: " + ("; ".join(_label(NOTIFY_LABELS, n) for n in notify)
                                   or "—"))
    if r.investigation:
        inv = r.investigation
        out.print(f"  investigation report 调查评估报告 by {inv.organizer_body}, due "
                  f"{_when(rt, inv.due_at)} (Plan §5)")


@response_app.command("activate")
def response_activate(
    incident: Annotated[str, typer.Argument(help="Incident ref, e.g. FH-20261123-1A2B3C4D")],
    level: Annotated[response_rules.ResponseLevel, typer.Option(
        help="The level matching the incident's grade (Plan §4.2)")],
    as_user: ActAs,
    member: Annotated[list[str] | None, typer.Option(
        "--member", help="A member of the headquarters, NAME[:USERNAME] (repeat); Level I "
        "needs at least one (Plan §4.2.1)")] = None,
    every: Annotated[int | None, typer.Option(
        "--every", min=15, max=7 * 24 * 60, metavar="MINUTES",
        help="Progress report cadence; default by level (I: 2 h, II: 4 h, III: 12 h, IV: 24 h)")]
    = None,
) -> None:
    """Activate the response level matching an incident's grade; who may activate which level
    is a rule (Plan §4.2): Level I the Emergency Office, Level II the province or department."""
    rt = _runtime()
    with _errors("--member/--every"):
        data = ActivateIn(incident=incident, level=level.value,
                          headquarters=[_member(m) for m in member or []],
                          progress_every_minutes=every)
        r = responses.activate(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=data)
    rt.wake_worker()
    out.print(_response_headline(r))
    for x in r.activation:
        out.print(f"  basis 依据: {escape(x.text_zh)} / {escape(x.text_en)} "
                  f"[dim]({x.code}, {escape(x.source)})[/]")
    for x in r.effects:
        out.print(f"  · {escape(x.text_zh)} / {escape(x.text_en)} [dim]({escape(x.source)})[/]")
    for m in r.headquarters:
        out.print(f"  headquarters 指挥部: {escape(m.name)}"
                  + (f" ({m.username})" if m.username else "") + (f" [{m.body}]" if m.body else ""))
    out.print("  bodies 参与机构: " + ", ".join(
        f"{p.body} ({_label(PARTICIPANT_ROLE_LABELS, p.role)})" for p in r.participants))


@response_app.command("list")
def response_list(
    as_user: ActAs,
    state: Annotated[ResponseStateOpt | None, typer.Option(help="Only responses in this state")]
    = None,
    limit: Limit = 50,
) -> None:
    """List the responses the user's body takes part in or oversees."""
    rt = _runtime()
    with _errors():
        page = responses.list_responses(
            rt.uow, principal=accounts.principal_for(rt.uow, username=as_user),
            page=PageParams(limit=limit), state=state.value if state else None)
    table = Table(_ref_column(), "level", "state", "incident", "activated by", "activated",
                  "ended", title=f"{page.total} response(s)")
    for r in page.items:
        table.add_row(r.ref, f"{r.level_label['zh']} {r.level}",
                      _label(RESPONSE_STATE_LABELS, r.state), r.incident, r.activated_by,
                      _when(rt, r.activated_at), _when(rt, r.ended_at))
    out.print(table)


@response_app.command("show")
def response_show(ref: ResponseRef, as_user: ActAs) -> None:
    """Show a response: level, state, headquarters, participants with their duty and progress,
    support requests, ending and the investigation with its 30-day clock."""
    rt = _runtime()
    with _errors():
        r = responses.get_response(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    lines = [
        f"级别 level: [bold]{r.level_label['zh']} {r.level_label['en']}[/]    "
        f"状态 state: [bold]{_label(RESPONSE_STATE_LABELS, r.state)}[/]",
        f"事件 incident: {r.incident}",
        f"启动 activated by {r.activated_by} at {_when(rt, r.activated_at)}",
        *(f"依据 basis: {escape(x.text_zh)} / {escape(x.text_en)} "
          f"[dim]({x.code}, {escape(x.source)})[/]" for x in r.activation),
        *(f"  · {escape(x.text_zh)} / {escape(x.text_en)} [dim]({escape(x.source)})[/]"
          for x in r.effects),
    ]
    if r.end_proposed_at:
        lines.append(f"建议结束 end proposed by {r.end_proposed_by} at "
                     f"{_when(rt, r.end_proposed_at)}")
    if r.end_approved_at:
        lines.append(f"批准结束 end approved by {r.end_approved_by} at "
                     f"{_when(rt, r.end_approved_at)}")
    if r.ended_at:
        lines.append(f"结束 ended: {_when(rt, r.ended_at)}")
    if r.end_reason:
        lines.append(f"理由 reason: {escape(r.end_reason)}")
    out.print(Panel("\n".join(lines), title=f"{r.ref} {r.level_label['en']}",
                    title_align="left"))

    hq = Table("name", "title", "body", "user", title="指挥部 Headquarters")
    for m in r.headquarters:
        hq.add_row(escape(m.name), escape(m.title), m.body or "—", m.username or "—")
    out.print(hq if r.headquarters else "no headquarters (Level I sets one up, Plan §4.2.1)")

    bodies_table = Table("body", "name", "role", "24h duty", "progress", "next due",
                         "on duty now", title="参与机构 Participants")
    for p in r.participants:
        bodies_table.add_row(p.body, f"{escape(p.body_name_zh)} {escape(p.body_name_en)}",
                             _label(PARTICIPANT_ROLE_LABELS, p.role),
                             "yes 24小时值班" if p.duty_24h else "",
                             _label(PROGRESS_STATE_LABELS, p.progress_state),
                             _when(rt, p.next_progress_due)
                             if p.progress_state != "not_required" else "—",
                             escape(", ".join(p.on_duty)) or "—")
    out.print(bodies_table)

    if r.progress:
        progress = Table("body", "at", "by", "developments 事态发展", "progress 处置进展",
                         title="进展报告 Progress reports")
        for x in r.progress:
            progress.add_row(x.body, _when(rt, x.at), x.reported_by, escape(x.developments),
                             escape(x.progress))
        out.print(progress)

    support = Table(_ref_column(), "from", "needs", "state", "coordinator", "dispatched",
                    title="支援请求 Support requests")
    for q in r.support:
        sent = "\n".join(f"{d.body or d.expert} at {_when(rt, d.dispatched_at)} by "
                         f"{d.dispatched_by}" + (f" ({escape(d.note)})" if d.note else "")
                         for d in q.dispatches)
        support.add_row(q.ref, f"{q.requesting_body} ({q.requested_by})", escape(q.needs),
                        _label(response_rules.SUPPORT_STATE_LABELS, q.state),
                        q.coordinator or "—", sent or "—")
    out.print(support if r.support else "no support requests")

    inv = r.investigation
    if inv is None:
        out.print("investigation 调查评估: opens when the response ends (Plan §5)")
        return
    written = [k for k in response_investigation.REPORT_SECTIONS if k not in
               inv.missing_sections]
    lines = [
        f"组织 organizer: {_label(response_investigation.ORGANIZER_LABELS, inv.organizer)} "
        f"({inv.organizer_body})"
        + ("; filed with the Emergency Office 报应急办备案" if inv.file_with_emergency_office
           else ""),
        f"期限 due: [bold]{_when(rt, inv.due_at)}[/]    时限 clock: [bold]"
        f"{_label(response_investigation.INVESTIGATION_STATE_LABELS, inv.clock)}[/]",
        f"状态 state: {_label(response_investigation.REPORT_STATE_LABELS, inv.state)}"
        + (f"    submitted {_when(rt, inv.submitted_at)}" if inv.submitted_at else "")
        + (f"    approved {_when(rt, inv.approved_at)} by {inv.approved_by}"
           if inv.approved_at else ""),
        "written 已写: " + (", ".join(written) or "—"),
        "missing 未写: " + (", ".join(inv.missing_sections) or "—"),
    ]
    out.print(Panel("\n".join(lines), title="调查评估 Investigation (Plan §5)",
                    title_align="left"))


@response_app.command("progress")
def response_progress(
    ref: ResponseRef,
    developments: Annotated[str, typer.Option(help="How the incident developed (事态发展)")],
    progress: Annotated[str, typer.Option(help="What was done (处置进展)")],
    as_user: ActAs,
) -> None:
    """Report developments and handling progress for the user's body (Plan §4.2.1)."""
    rt = _runtime()
    with _errors("--developments/--progress"):
        me = accounts.principal_for(rt.uow, username=as_user)
        r = responses.report_progress(rt.uow, rt.clock, principal=me, ref=ref, data=ProgressIn(
            developments=developments, progress=progress))
    out.print(_response_headline(r))
    body = r.progress[-1].body if r.progress else None
    for p in r.participants:
        if p.body == body:
            out.print(f"  progress reported for {p.body}; next due "
                      f"{_when(rt, p.next_progress_due)}")


@response_app.command("support")
def response_support(
    ref: ResponseRef,
    needs: Annotated[str, typer.Option(help="What help is needed: teams, experts, skills, where")],
    as_user: ActAs,
) -> None:
    """Ask, through the Emergency Office, for support from other provinces, departments,
    teams or experts (Plan §4.2.2(3))."""
    rt = _runtime()
    with _errors("--needs"):
        r = responses.request_support(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=SupportIn(needs=needs))
    rt.wake_worker()
    q = r.support[-1]
    out.print(f"[bold]{q.ref}[/] {_label(response_rules.SUPPORT_STATE_LABELS, q.state)} · "
              f"from {q.requesting_body} for {r.ref}")
    out.print(f"  next: the Emergency Office coordinates it: fenghuo response dispatch {r.ref} "
              f"{q.ref} --body KEY --as USER")


@response_app.command("dispatch")
def response_dispatch(
    ref: ResponseRef,
    request: Annotated[str, typer.Argument(help="Support request ref, e.g. SR-20261123-…")],
    as_user: ActAs,
    body: Annotated[str | None, typer.Option(help="Key of the body (team, province…) sent")]
    = None,
    expert: Annotated[str | None, typer.Option(help="Key of the expert sent")] = None,
    note: Annotated[str, typer.Option(help="E.g. when they arrive")] = "",
) -> None:
    """The Emergency Office records a body or an expert it sends for a request, with the time
    (Plan §4.2.2(3))."""
    if (body is None) == (expert is None):
        err.print("[bold red]error:[/] name one of --body KEY or --expert KEY")
        raise typer.Exit(code=2)
    rt = _runtime()
    with _errors("--body/--expert/--note"):
        r = responses.dispatch(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, request_ref=request,
            data=DispatchIn(body=body, expert=expert, note=note))
    rt.wake_worker()
    q = next(x for x in r.support if x.ref == request)
    out.print(f"[bold]{q.ref}[/] {_label(response_rules.SUPPORT_STATE_LABELS, q.state)} · "
              f"from {q.requesting_body} for {r.ref}")
    for d in q.dispatches:
        out.print(f"  dispatched 已派出 {d.body or d.expert} at {_when(rt, d.dispatched_at)} by "
                  f"{d.dispatched_by}" + (f" ({escape(d.note)})" if d.note else ""))


@response_app.command("propose-end")
def response_propose_end(
    ref: ResponseRef,
    reason: Annotated[str, typer.Option(help="Why the response can end")],
    as_user: ActAs,
) -> None:
    """Level I: the Emergency Office proposes ending the response (Plan §4.3.1)."""
    rt = _runtime()
    with _errors("--reason"):
        r = responses.propose_end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=EndIn(reason=reason))
    out.print(_response_headline(r))
    out.print(f"  next: a member of the headquarters approves: fenghuo response approve-end "
              f"{r.ref} --as USER")


@response_app.command("approve-end")
def response_approve_end(ref: ResponseRef, as_user: ActAs) -> None:
    """Level I: a member of the headquarters approves the Office's proposal, which ends the
    response; the provinces and departments are notified (Plan §4.3.1)."""
    rt = _runtime()
    with _errors():
        r = responses.approve_end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    rt.wake_worker()
    out.print(_response_headline(r))
    _ended(rt, r)


@response_app.command("end")
def response_end(
    ref: ResponseRef,
    reason: Annotated[str, typer.Option(help="Why the response ends")],
    as_user: ActAs,
) -> None:
    """End a Level II–IV response: the activating province, region or department decides
    (Plan §4.3.2). A Level I response ends by proposal and approval (propose-end, approve-end)."""
    rt = _runtime()
    with _errors("--reason"):
        r = responses.end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=EndIn(reason=reason))
    rt.wake_worker()
    out.print(_response_headline(r))
    _ended(rt, r)


def _investigation_line(rt: bootstrap.Runtime, r: ResponseOut) -> str:
    inv = r.investigation
    return (f"  investigation 调查评估: "
            f"{_label(response_investigation.REPORT_STATE_LABELS, inv.state)} · due "
            f"{_when(rt, inv.due_at)} · "
            f"{_label(response_investigation.INVESTIGATION_STATE_LABELS, inv.clock)} · missing: "
            f"{', '.join(inv.missing_sections) or '—'}")


@response_app.command("investigation")
def response_investigation_write(
    ref: ResponseRef,
    file: Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True,
                                       help="YAML or JSON shaped like the API's SectionsIn")],
    as_user: ActAs,
) -> None:
    """Write sections of the investigation report (cause, nature, impact, responsibility,
    handling_opinions, improvements; Plan §5) from a file; sections not in it are kept."""
    rt = _runtime()
    data = _load(file, SectionsIn)
    with _errors(str(file)):
        r = responses.write_investigation(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=data)
    out.print(_response_headline(r))
    out.print(_investigation_line(rt, r))


@response_app.command("investigation-submit")
def response_investigation_submit(ref: ResponseRef, as_user: ActAs) -> None:
    """Submit the investigation report for review: every section must be written."""
    rt = _runtime()
    with _errors():
        r = responses.advance_investigation(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, target="submitted")
    out.print(_response_headline(r))
    out.print(_investigation_line(rt, r))


@response_app.command("investigation-approve")
def response_investigation_approve(ref: ResponseRef, as_user: ActAs) -> None:
    """Approve the submitted investigation report (met or late against its 30 days)."""
    rt = _runtime()
    with _errors():
        r = responses.advance_investigation(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, target="approved")
    out.print(_response_headline(r))
    out.print(_investigation_line(rt, r))


# --- duty rosters (24-hour duty, Plan §4.2.1) --------------------------------------------------


def _instant(rt: bootstrap.Runtime, text: str, option: str) -> datetime:
    """An ISO 8601 date-time; without a time zone it is in FENGHUO_TIMEZONE."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[bold red]error:[/] {option} {escape(text)!r} is not an ISO 8601 date-time, "
                  "e.g. 2026-11-23T08:00 or 2026-11-23T08:00+08:00")
        raise typer.Exit(code=1) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(rt.settings.timezone))


@duty_app.command("add")
def duty_add(
    officer: Annotated[str, typer.Option(help="The duty officer's name")],
    start: Annotated[str, typer.Option("--from", metavar="ISO", help="Shift start")],
    stop: Annotated[str, typer.Option("--to", metavar="ISO", help="Shift end")],
    as_user: ActAs,
    contact: Annotated[str, typer.Option(help="How to reach the officer")] = "",
    note: Annotated[str, typer.Option(help="Handover note (交接班记录)")] = "",
) -> None:
    """Add a shift to the duty roster of the user's body; times without a zone are in
    FENGHUO_TIMEZONE."""
    rt = _runtime()
    starts_at, ends_at = _instant(rt, start, "--from"), _instant(rt, stop, "--to")
    with _errors("the shift"):
        x = responses.add_shift(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=ShiftIn(
            officer=officer, contact=contact, starts_at=starts_at, ends_at=ends_at,
            handover_note=note))
    out.print(f"shift #{x.id} of {x.body}: {escape(x.officer)} {_when(rt, x.starts_at)} → "
              f"{_when(rt, x.ends_at)}" + (" · [bold]on duty now 在岗[/]" if x.on_duty_now else ""))


@duty_app.command("roster")
def duty_roster(
    as_user: ActAs,
    body: Annotated[str | None, typer.Option(help="Key of a body; default: the user's own")]
    = None,
) -> None:
    """The duty roster from now on, with who is on duty now."""
    rt = _runtime()
    with _errors():
        shifts = responses.list_shifts(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), body=body)
    table = Table("id", "body", "officer", "contact", "from", "to", "on duty now", "handover",
                  title=f"值班表 Duty roster: {len(shifts)} shift(s)")
    for x in shifts:
        table.add_row(str(x.id), x.body, escape(x.officer), escape(x.contact) or "—",
                      _when(rt, x.starts_at), _when(rt, x.ends_at),
                      "yes 在岗" if x.on_duty_now else "", escape(x.handover_note) or "—")
    out.print(table)


if __name__ == "__main__":
    app()
