"""``fenghuo db``, ``fenghuo user`` and ``fenghuo audit``: the schema, users and passwords, the
audit trail."""

from __future__ import annotations

from pathlib import Path
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
        help="Password (at least 12 characters, not a common one); generated and "
        "printed when omitted")] = None,
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


@user_app.command("unlock")
def user_unlock(
    username: str,
    address: Annotated[str | None, typer.Option(
        help="Also lift the lockout of this client address")] = None,
) -> None:
    """Lift a login lockout (too many failed logins) before it expires."""
    rt = _runtime()
    try:
        accounts.unlock(rt.uow, rt.clock, username=username, address=address)
    except DomainError as exc:
        _fail(exc)
    out.print(f"login of {username} unlocked" + (f" and address {address}" if address else ""))


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain and compare it with the signed checkpoints.

    Exit 1 if any row was edited, inserted or deleted, the head row is missing, the chain was
    cut, rewound or rewritten past a checkpoint, or a checkpoint is forged."""
    from rich.markup import escape

    from fenghuo.audit import checkpoints

    rt = _runtime()
    try:
        config = checkpoints.config_of(rt.settings)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("verifying", total=None)

            def step(n: int, total: int) -> None:
                progress.update(task, total=total, advance=n)

            result = audit.verify(rt.uow, progress=step, checkpoints=config)
    except DomainError as exc:  # an unreadable key or checkpoints file
        _fail(exc)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}")
    against = f", {result.checkpoints} checkpoint(s)" if result.checkpoints else ""
    if result.ok:
        out.print(f"[green]audit chain intact[/]: {result.rows} rows{against}")
        return
    err.print(f"[bold red]audit chain BROKEN[/]: {len(result.breaks)} problem(s) in "
              f"{result.rows} rows{against}")
    for b in result.breaks:
        err.print(f"  - row {b.seq}: {escape(b.problem)}")
    raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Write a signed checkpoint of the audit chain's head now.

    Signed with FENGHUO_AUDIT_SIGNING_KEY (unsigned, with a warning, when none is set), appended
    to FENGHUO_AUDIT_CHECKPOINT_FILE and POSTed to FENGHUO_AUDIT_CHECKPOINT_URL if set; exit 1
    if it could not be posted or contradicts the last checkpoint (it is in the file either
    way)."""
    from rich.markup import escape

    from fenghuo.audit import checkpoints

    rt = _runtime()
    config = checkpoints.config_of(rt.settings)
    try:
        written = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=config)
    except DomainError as exc:
        _fail(exc)
    cp = written.checkpoint
    if not written.signed:
        err.print("[yellow]warning:[/] checkpoint written UNSIGNED (no FENGHUO_AUDIT_SIGNING_KEY):"
                  " anyone who can write the file can forge one; make a key with "
                  "`fenghuo audit keygen PATH`")
    out.print(f"checkpoint of row {cp.seq} ({cp.count} rows, hash {cp.hash[:16]}…) appended to "
              f"{config.file}" + (" and posted" if written.posted else ""))
    for p in written.problems:
        err.print(f"[bold red]problem:[/] {escape(p)}")
    if written.problems:
        raise typer.Exit(code=1)


@audit_app.command("keygen")
def audit_keygen(path: Path) -> None:
    """Make an Ed25519 key pair that signs audit checkpoints.

    The private key at PATH (mode 0600; set FENGHUO_AUDIT_SIGNING_KEY to it) and the public key
    at PATH.pub (for whoever verifies: FENGHUO_AUDIT_VERIFY_KEY). Never overwrites a file."""
    from fenghuo.audit import signing

    try:
        pub = signing.keygen(path)
    except DomainError as exc:
        _fail(exc)
    out.print(f"private key: {path} (mode 0600; keep it off the database host's backups)\n"
              f"public key:  {pub}")
