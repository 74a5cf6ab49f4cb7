"""The ``fenghuo`` command line: serving, the worker, reports, dossiers, the schema, users and
the audit trail here; the other command groups in their own modules."""

from __future__ import annotations

import hashlib
import signal
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress

from fenghuo import bootstrap, dossier
from fenghuo.audit import service as audit
from fenghuo.cli.accountability import accountability_command, commend_command
from fenghuo.cli.bulletins import bulletin_app
from fenghuo.cli.common import (
    AsUser,
    _errors,
    _fail,
    _principal,
    _runtime,
    err,
    out,
)
from fenghuo.cli.exchange import stix_app
from fenghuo.cli.misp import misp_app
from fenghuo.cli.org import org_app
from fenghuo.cli.preparedness import (
    assessment_app,
    compliance_command,
    exercise_app,
    plan_app,
    reserve_app,
    training_app,
)
from fenghuo.cli.responses import duty_app, response_app
from fenghuo.cli.sharing import share_app
from fenghuo.cli.support import support_app
from fenghuo.cli.warnings import monitoring_app, warning_app
from fenghuo.common.errors import DomainError
from fenghuo.config import Settings
from fenghuo.incident import service as incident_service
from fenghuo.incident.schemas import ReportIn
from fenghuo.org import accounts
from fenghuo.org.rules import Role
from fenghuo.org.schemas import UserIn
from fenghuo.workers.dispatch import Worker

app = typer.Typer(help="Fenghuo 烽火: network-security emergency response.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and passwords.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
for sub, name in ((db_app, "db"), (user_app, "user"), (org_app, "org"), (audit_app, "audit"),
                  (monitoring_app, "monitoring"), (warning_app, "warning"),
                  (response_app, "response"), (duty_app, "duty")):
    app.add_typer(sub, name=name)
for sub, name in ((plan_app, "plan"), (exercise_app, "exercise"), (assessment_app, "assessment"),
                  (training_app, "training"), (reserve_app, "reserve")):
    app.add_typer(sub, name=name)
app.add_typer(support_app, name="support")
app.add_typer(bulletin_app, name="bulletin")
app.add_typer(share_app, name="share")
app.add_typer(misp_app, name="misp")
app.add_typer(stix_app, name="stix")
app.command("compliance")(compliance_command)
app.command("accountability")(accountability_command)
app.command("commend")(commend_command)


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
