"""``fenghuo protection``: important-event protection periods (Plan §6.5)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from fenghuo.cli.common import (
    ActAs,
    InFile,
    Limit,
    Ref,
    _errors,
    _load,
    _ref_column,
    _runtime,
    out,
)
from fenghuo.cli.common import _when as when
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.warning import protection
from fenghuo.warning.protection_rules import Phase
from fenghuo.warning.protection_schemas import EndIn, ProtectionIn, ProtectionOut
from fenghuo.warning.schemas import TaskDoneIn

protection_app = typer.Typer(help="Important-event protection periods (Plan §6.5): the "
                             "Emergency Office declares one, requires the red-warning response "
                             "of the bodies in scope, ends it early; list, show, complete a "
                             "task.", no_args_is_help=True)


def _places(p: ProtectionOut) -> str:
    places = ", ".join(f"{escape(j.name_zh)} {escape(j.name_en)} ({j.code})"
                       for j in p.jurisdictions)
    sectors = ", ".join(f"{escape(x.name_zh)} {escape(x.name_en)}" for x in p.sectors)
    return places + (f"; sectors: {sectors}" if sectors else "; every sector")


def _headline(p: ProtectionOut) -> str:
    return (f"[bold]{p.ref}[/] {escape(p.name_zh)} {escape(p.name_en)} · "
            f"{p.phase_label.zh} {p.phase_label.en}")


@protection_app.command("declare")
def declare(file: InFile, as_user: ActAs) -> None:
    """Declare a period from a file shaped like the API's ProtectionIn (name_zh, name_en,
    jurisdictions, sectors, starts_at, ends_at, reason); only the Emergency Office may."""
    rt = _runtime()
    data = _load(file, ProtectionIn)
    with _errors():
        p = protection.declare(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=data)
    out.print(f"{_headline(p)}\n  {when(rt, p.starts_at)} — {when(rt, p.ends_at)} · "
              f"{_places(p)}\n  bodies in scope: {', '.join(p.bodies_in_scope) or 'none'}\n"
              f"  next: during the period, fenghuo protection require-red {p.ref} --as USER")


@protection_app.command("list")
def list_periods(
    as_user: ActAs,
    phase: Annotated[Phase | None, typer.Option(help="Only periods scheduled, active or ended")]
    = None,
    limit: Limit = 50,
) -> None:
    """List the periods concerning the user's region and sectors."""
    rt = _runtime()
    with _errors():
        page = protection.list_periods(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), page=PageParams(limit=limit), phase=phase)
    table = Table(_ref_column(), "event", "phase", "starts", "ends", "red response",
                  title=f"{page.total} protection period(s)")
    for p in page.items:
        table.add_row(p.ref, f"{escape(p.name_zh)}\n{escape(p.name_en)}",
                      f"{p.phase_label.zh} {p.phase.value}", when(rt, p.starts_at),
                      when(rt, p.ended_at or p.ends_at), when(rt, p.red_required_at))
    out.print(table)


@protection_app.command("show")
def show(ref: Ref, as_user: ActAs) -> None:
    """Show a period: span, scope, reason, the bodies in scope and the red-response tasks."""
    rt = _runtime()
    with _errors():
        p = protection.get_period(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    lines = [
        f"阶段 phase: [bold]{p.phase_label.zh} {p.phase_label.en}[/]",
        f"宣布 declared: {escape(p.declarer_name_zh)} {escape(p.declarer_name_en)} "
        f"({p.declarer}) by {p.declared_by}, {when(rt, p.declared_at)}",
        f"时段 span: {when(rt, p.starts_at)} — {when(rt, p.ends_at)}",
        f"范围 scope: {_places(p)}",
        f"原因 reason: {escape(p.reason)}",
        "红色预警响应 red-warning response: "
        + (f"required {when(rt, p.red_required_at)} by {p.red_required_by}"
           if p.red_required_at else "not required"),
        f"通知 notices: start {when(rt, p.start_notified_at)}, end {when(rt, p.end_notified_at)}",
        f"涉及 bodies in scope: {', '.join(p.bodies_in_scope) or '—'}",
    ]
    if p.ended_at:
        lines.append(f"提前结束 ended early: {when(rt, p.ended_at)} by {p.ended_by} — "
                     f"{escape(p.end_reason or '')}")
    out.print(Panel("\n".join(lines), title=f"{p.ref} {escape(p.name_zh)}", title_align="left"))
    tasks = Table("id", "body", "task", "due", "state", title="任务 Red-response tasks")
    for t in p.tasks:
        tasks.add_row(str(t.id), t.body, f"{escape(t.title_zh)}\n{escape(t.title_en)} "
                      f"[dim]({escape(t.source)})[/]", when(rt, t.due_at),
                      t.state + (f" by {t.done_by}" if t.done_by else ""))
    out.print(tasks if p.tasks else "no tasks (the red-warning response was not required)")


@protection_app.command("require-red")
def require_red(ref: Ref, as_user: ActAs) -> None:
    """Require the red-warning response of the bodies in scope while the period runs (Plan
    §6.5): each gets its tasks of the red checklist (Plan §3.4.1) and a notice."""
    rt = _runtime()
    with _errors():
        p = protection.require_red(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    rt.wake_worker()
    owners = list(dict.fromkeys(t.body for t in p.tasks))
    out.print(f"{_headline(p)}\n  red-warning response required: {len(p.tasks)} task(s) for "
              f"{', '.join(owners) or 'nobody'}")


@protection_app.command("end")
def end(
    ref: Ref,
    reason: Annotated[str, typer.Option(help="Why the period ends early")],
    as_user: ActAs,
) -> None:
    """End a period early, or call off one not begun: open tasks close and the bodies in scope
    are told."""
    rt = _runtime()
    with _errors("--reason"):
        p = protection.end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=EndIn(reason=reason))
    rt.wake_worker()
    closed = sum(t.state == "closed" for t in p.tasks)
    out.print(f"{_headline(p)}\n  ended; {closed} open task(s) closed; the end notice is sent")


@protection_app.command("done")
def done(
    ref: Ref, task: Annotated[int, typer.Argument(help="Task id (see `fenghuo protection show`)")],
    evidence: Annotated[str, typer.Option(help="What was done, as evidence")], as_user: ActAs,
) -> None:
    """Complete one of your body's red-response tasks, with evidence."""
    rt = _runtime()
    with _errors("--evidence"):
        p = protection.complete_task(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, task_id=task, data=TaskDoneIn(
                evidence=evidence))
    t = next(x for x in p.tasks if x.id == task)
    out.print(f"{_headline(p)}\n  task {t.id} {t.state} by {t.done_by}: {escape(t.title_zh)}")
