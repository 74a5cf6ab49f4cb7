"""``fenghuo db``, ``fenghuo user`` and ``fenghuo audit``: the schema, users and passwords, the
audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from fenghuo import bootstrap
from fenghuo.audit import service as audit
from fenghuo.cli.common import AsUser, _fail, _principal, _runtime, err, out
from fenghuo.common.errors import DomainError
from fenghuo.config import Settings
from fenghuo.org import accounts
from fenghuo.org.rules import Role
from fenghuo.org.schemas import UserIn

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users and passwords.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration and (re)load the reference data."""
    rt = bootstrap.build(Settings())
    summary = bootstrap.upgrade_and_seed(rt)
    out.print(f"schema at {bootstrap.migrate.current_revision(rt.engine)}"
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
