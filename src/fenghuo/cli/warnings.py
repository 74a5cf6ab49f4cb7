"""``fenghuo monitoring`` and ``fenghuo warning``: monitoring information and early warnings."""

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
    _when,
    out,
)
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.rules import STATE_LABELS, WarningLevel, WarningState
from fenghuo.warning.schemas import (
    LiftIn,
    MonitoringIn,
    MonitoringOut,
    ReviseIn,
    TaskDoneIn,
    WarningIn,
    WarningOut,
)

monitoring_app = typer.Typer(help="Monitoring information (Plan §3.2, Law arts. 51–52).",
                             no_args_is_help=True)
warning_app = typer.Typer(help="Early warnings: draft, approve, publish, acknowledge, revise, "
                          "lift (Plan §3.1, §3.3–§3.5).", no_args_is_help=True)


# --- monitoring information (Plan §3.2, Law arts. 51–52) --------------------------------------



@monitoring_app.command("submit")
def monitoring_submit(
    file: InFile,
    as_user: ActAs,
    idempotency_key: Annotated[str | None, typer.Option(
        help="Retrying with the same key returns the same item")] = None,
) -> None:
    """Submit monitoring information from a file shaped like the API's MonitoringIn; an
    important item goes up at once (Plan §3.2): a unit's to its region's offices and its
    sector's department, another body's to the Emergency Office."""
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
    _print_shares(item)


def _print_shares(item: MonitoringOut) -> None:
    for sh in item.shares:
        up = f" · reported up 已报应急办 {sh.reported_up_by}" if sh.reported_up_at else ""
        out.print(f"  shared with {sh.body} {escape(sh.body_name_zh)} "
                  f"{escape(sh.body_name_en)} [dim]({sh.reason})[/]{up}")


@monitoring_app.command("report-up")
def monitoring_report_up(ref: Ref, as_user: ActAs) -> None:
    """Report a unit's item your office or department received up its chain on to the
    Emergency Office (Plan §3.2: 各省（区、市）、各部门将重要监测信息报应急办); a repeat changes
    nothing."""
    rt = _runtime()
    with _errors():
        item = monitoring.report_up(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    out.print(f"[bold]{item.ref}[/] {escape(item.title)}: reported up to the Emergency Office "
              "报应急办")
    _print_shares(item)


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



# --- early warnings (Plan §3.1, §3.3–§3.5) -----------------------------------------------------


def _level(w: WarningOut) -> str:
    return f"{w.level_label['zh']} {w.level_label['en']}"


def _state(state: str) -> str:
    zh, en = STATE_LABELS[WarningState(state)]
    return f"{zh} {en}"


def _headline(w: WarningOut) -> str:
    return f"[bold]{w.ref}[/] {_level(w)} · {_state(w.state)} · {escape(w.title)}"


SHOW_BODIES = 30  # bodies named after publishing; the rest are counted


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
    shown = [r.body for r in w.recipients[:SHOW_BODIES]]
    more = w.recipient_count - len(shown)
    out.print(f"  notified {w.recipient_count} bodies: {', '.join(shown) or 'none'}"
              + (f" and {more} more" if more > 0 else ""))
    owners = list(dict.fromkeys(t.body for t in w.tasks))
    out.print(f"  {w.task_count} checklist task(s) for "
              f"{', '.join(owners[:SHOW_BODIES]) or 'nobody'}"
              + (" …" if len(owners) > SHOW_BODIES else ""))


@warning_app.command("ack")
def warning_ack(ref: Ref, as_user: ActAs) -> None:
    """Acknowledge receipt of a warning for the user's body."""
    rt = _runtime()
    with _errors():
        w = warnings.acknowledge(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    done = sum(r.state == "acknowledged" for r in w.recipients)
    out.print(f"{_headline(w)}\n  acknowledged by {as_user}; {done} of {len(w.recipients)} "
              "recipients you can see have acknowledged")


@warning_app.command("done")
def warning_done(
    ref: Ref, task: Annotated[int, typer.Argument(help="Task id (see `fenghuo warning show`)")],
    evidence: Annotated[str, typer.Option(help="What was done, as evidence")], as_user: ActAs,
) -> None:
    """Complete one of your body's checklist tasks of a warning, with evidence (Plan §3.4)."""
    rt = _runtime()
    with _errors():
        w = warnings.complete_task(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, task_id=task, data=TaskDoneIn(
                evidence=evidence))
    t = next(x for x in w.tasks if x.id == task)
    out.print(f"{_headline(w)}\n  task {t.id} {t.state} by {t.done_by}: {escape(t.title_zh)}")


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


