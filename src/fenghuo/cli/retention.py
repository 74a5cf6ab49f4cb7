"""``fenghuo retention``: the retention policy, what it would purge, the purge, legal holds
(issue 18 item 8; Law art. 21(3): network logs kept not less than six months)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from fenghuo import bootstrap
from fenghuo.cli.common import AsUser, _errors, _principal, err, out
from fenghuo.config import Settings
from fenghuo.retention import rules
from fenghuo.retention import service as retention

retention_app = typer.Typer(
    help="Retention of records (Law art. 21(3): network logs kept not less than six months): "
    "the policy and what it would purge, the purge, legal holds on incidents. The policy is "
    "set by FENGHUO_RETENTION_AUDIT_DAYS, _ACCESS_LOG_DAYS, _MONITORING_EVENTS_DAYS and "
    "_NOTIFICATIONS_DAYS (0 keeps for ever); the worker purges daily.",
    no_args_is_help=True)


def _settings() -> Settings:
    """The settings; a period under six months for a network log is refused with the clause."""
    try:
        return Settings()
    except ValidationError as exc:
        err.print("[bold red]refused 拒绝:[/] the settings are not valid "
                  f"({escape(rules.CLAUSE)}):")
        for e in exc.errors():
            err.print(f"  - {escape(str(e['msg']))}")
        raise typer.Exit(code=1) from None


def _runtime() -> bootstrap.Runtime:
    rt = bootstrap.build(_settings())
    bootstrap.ensure_ready(rt)
    return rt


def _days(days: int) -> str:
    return "for ever 永久" if days == rules.FOREVER else f"{days} days"


def _plan_table(p: retention.PurgePlan, title: str) -> Table:
    table = Table(title=title)
    for col in ("kind 类别", "kept 保留", "before 早于", "would go 将清除", "held 保全",
                "note"):
        table.add_column(col)
    for k in p.kinds:
        table.add_row(rules.LABELS[k.kind], _days(k.days),
                      k.cutoff.isoformat(timespec="minutes") if k.cutoff else "—",
                      str(k.count), str(k.held), escape(k.note))
    return table


@retention_app.command("show")
def show(as_user: AsUser = None) -> None:
    """The policy, and what a purge would remove now, per kind (a dry run: nothing changes)."""
    rt = _runtime()
    with _errors():
        p = retention.plan(rt.uow, rt.clock, principal=_principal(rt, as_user),
                           **retention.settings_of(rt.settings))
    out.print(_plan_table(p, f"retention at {p.at.isoformat(timespec='minutes')} "
                             f"({rules.CLAUSE})"))
    out.print("held incidents 保全事件: " + (", ".join(p.held_incidents) or "none"))


@retention_app.command("purge")
def purge(
    yes: Annotated[bool, typer.Option("--yes", help="Purge; without it, a dry run")] = False,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Records per transaction")]
    = retention.BATCH,
    as_user: AsUser = None,
) -> None:
    """Remove what is older than the policy and not held (a dry run unless --yes), in small
    batches; audited with the counts."""
    rt = _runtime()
    principal = _principal(rt, as_user)
    if not yes:
        with _errors():
            p = retention.plan(rt.uow, rt.clock, principal=principal,
                               **retention.settings_of(rt.settings))
        out.print(_plan_table(p, "dry run 演练: nothing purged (add --yes)"))
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        tasks: dict = {}

        def step(kind: rules.Kind, done: int, total: int) -> None:
            if kind not in tasks:
                tasks[kind] = progress.add_task(rules.LABELS[kind], total=total or None)
            progress.update(tasks[kind], completed=done)

        with _errors():
            result = retention.purge(rt.uow, rt.clock, principal=principal, batch=batch,
                                     progress=step, **retention.settings_of(rt.settings))
    table = Table(title="purged 已清除")
    table.add_column("kind 类别")
    table.add_column("purged", justify="right")
    table.add_column("held 保全", justify="right")
    for k in result.plan.kinds:
        table.add_row(rules.LABELS[k.kind], str(result.purged[k.kind]), str(k.held))
    out.print(table)


Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail)")]


@retention_app.command("hold")
def hold(incident: str, reason: Reason, as_user: AsUser = None) -> None:
    """Hold an incident's records (its audit rows, its notifications) against retention, as an
    office (Plan §4.1 evidence preserved); audited."""
    rt = _runtime()
    with _errors():
        h = retention.place_hold(rt.uow, rt.clock, principal=_need_user(rt, as_user),
                                 ref=incident, reason=reason)
    out.print(f"held 已保全: {h.incident} — {escape(h.reason)}")


@retention_app.command("release")
def release(incident: str, reason: Reason, as_user: AsUser = None) -> None:
    """Release an incident's hold; its records then age like any others; audited."""
    rt = _runtime()
    with _errors():
        h = retention.release_hold(rt.uow, rt.clock, principal=_need_user(rt, as_user),
                                   ref=incident, reason=reason)
    out.print(f"released 已解除: {h.incident}")


@retention_app.command("holds")
def holds(as_user: AsUser = None) -> None:
    """The open legal holds (in your scope)."""
    rt = _runtime()
    rows = retention.list_holds(rt.uow, principal=_principal(rt, as_user))
    table = Table(title="legal holds 保全")
    for col in ("incident", "reason", "by", "since"):
        table.add_column(col)
    for h in rows:
        table.add_row(h.incident, escape(h.reason), h.placed_by,
                      h.placed_at.isoformat(timespec="minutes"))
    out.print(table)


def _need_user(rt: bootstrap.Runtime, as_user: str | None):  # noqa: ANN202 - a Principal
    if not as_user:
        err.print("[bold red]error:[/] say which office's user acts: --as USER")
        raise typer.Exit(code=1)
    with _errors():
        return _principal(rt, as_user)
