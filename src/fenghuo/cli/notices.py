"""``fenghuo notice``: owner notices (通报) from monitoring (issue 16 item 2; Law arts. 51–52,
Plan §3.2) — list, show with the unit's events, acknowledge, report handling (处置反馈), contest
an attribution, resolve a contest, close; and run the notice job now."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, AsUser, Limit, _errors, _ref_column, _runtime, _when, out
from fenghuo.common.pagination import PageParams
from fenghuo.monitoring import notice_handling, notices
from fenghuo.monitoring.notice_rules import NoticeState
from fenghuo.monitoring.notice_schemas import (
    CloseIn,
    ContestIn,
    FeedbackIn,
    NoticeOut,
    Resolution,
    ResolveIn,
)
from fenghuo.org import accounts

notice_app = typer.Typer(help="Owner notices (通报) from monitoring: what the sensors saw on a "
                         "unit's networks, sent to it at once or in its daily digest, with a "
                         "deadline for its handling feedback (处置反馈). List, show, acknowledge, "
                         "report handling, contest an attribution, resolve, close, generate "
                         "(Law arts. 51–52, Plan §3.2).", no_args_is_help=True)

NoticeRef = Annotated[str, typer.Argument(help="Notice ref, e.g. NT-20261201-1A2B3C4D")]
STATES = tuple(s.value for s in NoticeState)


def _me(rt, username: str):  # noqa: ANN001, ANN202
    return accounts.principal_for(rt.uow, username=username)


def _line(rt, n: NoticeOut) -> str:  # noqa: ANN001 - a Runtime
    due = f" · due {_when(rt, n.deadline_at)}" if n.deadline_at else ""
    late = " [bold red]OVERDUE 逾期[/]" if n.overdue else ""
    return (f"[bold]{n.ref}[/] {n.state_label.zh} {n.state_label.en} · {n.mode_label.zh} "
            f"{n.mode_label.en} · {n.unit} {escape(n.unit_name_zh)} · TLP:{n.tlp.upper()}"
            f"{due}{late}")


@notice_app.command("list")
def notice_list(
    as_user: ActAs,
    state: Annotated[str | None, typer.Option(help=", ".join(STATES))] = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit's notices")] = None,
    overdue: Annotated[bool, typer.Option(help="Only those past the deadline with no "
                                          "feedback")] = False,
    limit: Limit = 50,
) -> None:
    """List the notices in the user's view, newest first."""
    rt = _runtime()
    if state is not None and state not in STATES:
        raise typer.BadParameter(f"expected one of {', '.join(STATES)}", param_hint="--state")
    with _errors():
        page = notices.list_notices(rt.uow, rt.clock, principal=_me(rt, as_user),
                                    page=PageParams(limit=limit),
                                    state=NoticeState(state) if state else None, unit=unit,
                                    overdue=overdue)
    table = Table(_ref_column(), "unit 单位", "mode", "events", "state 状态", "deadline",
                  title=f"{page.total} notice(s)")
    for n in page.items:
        table.add_row(n.ref, n.unit, n.mode, str(n.events_total),
                      f"{n.state_label.zh} {n.state_label.en}"
                      + (" [bold red]overdue[/]" if n.overdue else ""),
                      _when(rt, n.deadline_at))
    out.print(table)


@notice_app.command("show")
def notice_show(
    ref: NoticeRef,
    as_user: ActAs,
    events: Annotated[int, typer.Option(min=0, max=500, help="Show this many of its "
                                        "events")] = 10,
) -> None:
    """Show a notice: why, its events per kind and indicator, deadline, answers, and its
    first events (only the unit's own)."""
    rt = _runtime()
    with _errors():
        me = _me(rt, as_user)
        n = notices.get_notice(rt.uow, rt.clock, principal=me, ref=ref)
        shown = notices.notice_events(rt.uow, principal=me, ref=ref,
                                      page=PageParams(limit=max(events, 1)))
    out.print(_line(rt, n))
    for x in n.reasons:
        out.print(f"  - {escape(x.text_zh)} / {escape(x.text_en)} [dim]({x.source})[/]")
    out.print(f"  {n.events_total} events, {_when(rt, n.period_start)} – "
              f"{_when(rt, n.period_end)}; sent {_when(rt, n.sent_at)} by {n.sender}; office "
              f"{n.office or '—'}")
    for i in n.items:
        out.print(f"    {i.day} {i.kind_label.zh} {i.kind_label.en} {escape(i.indicator)}: "
                  f"{i.count}")
    for label, who, when, what in (("acknowledged", n.acknowledged_by, n.acknowledged_at, None),
                                   ("feedback", n.feedback_by, n.feedback_at, n.feedback),
                                   ("closed", n.closed_by, n.closed_at, n.close_note)):
        if when:
            out.print(f"  {label} by {who} at {_when(rt, when)}"
                      + (f": {escape(what)}" if what else ""))
    if n.contest:
        c = n.contest
        out.print(f"  contested by {c.by}: {escape(c.address)} ({c.entry}) — {escape(c.reason)}"
                  + (f"; {c.resolution} by {c.resolved_by}" if c.resolution else ""))
    for e in shown.items[:events]:
        out.print(f"    [dim]{_when(rt, e.observed_at)} {e.kind} {e.source_ip} → "
                  f"{e.destination_ip} {escape(e.domain or e.url or '')}[/]")
    if shown.total > events:
        out.print(f"  … {shown.total} events in all: /api/v1/monitoring/notices/{ref}/events")


@notice_app.command("ack")
def notice_ack(ref: NoticeRef, as_user: ActAs) -> None:
    """Acknowledge a notice to the user's unit (签收)."""
    rt = _runtime()
    with _errors():
        n = notice_handling.acknowledge(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref)
    out.print(_line(rt, n))


@notice_app.command("feedback")
def notice_feedback(
    ref: NoticeRef,
    as_user: ActAs,
    text: Annotated[str, typer.Option(help="What the unit did (处置反馈)")],
) -> None:
    """Report the unit's handling of a notice (处置反馈, Law art. 25)."""
    rt = _runtime()
    with _errors():
        n = notice_handling.feedback(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                                     data=FeedbackIn(text=text))
    out.print(_line(rt, n))


@notice_app.command("contest")
def notice_contest(
    ref: NoticeRef,
    as_user: ActAs,
    address: Annotated[str, typer.Option(help="An address of the events, or the prefix or "
                                         "domain registered to the unit")],
    reason: Annotated[str, typer.Option(help="Why the attribution is wrong")],
    indicator: Annotated[str | None, typer.Option(help="One of the notice's indicators")]
    = None,
) -> None:
    """Contest an attribution: the register entry's owner and the office are told."""
    rt = _runtime()
    with _errors():
        n = notice_handling.contest(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                                    data=ContestIn(address=address, reason=reason,
                                                   indicator=indicator))
    out.print(_line(rt, n))
    out.print(f"  register entry {n.contest.entry} contested; the office decides")


@notice_app.command("resolve")
def notice_resolve(
    ref: NoticeRef,
    as_user: ActAs,
    outcome: Annotated[Resolution, typer.Option(help="withdrawn: the attribution was wrong; "
                                                "kept: it stands")],
    note: Annotated[str, typer.Option(help="What was found")],
) -> None:
    """Decide a contest (the office, CERT or department whose scope holds the unit)."""
    rt = _runtime()
    with _errors():
        n = notice_handling.resolve(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                                    data=ResolveIn(outcome=outcome, note=note),
                                    settings=notices.settings_of(rt.settings))
    out.print(_line(rt, n))


@notice_app.command("close")
def notice_close(
    ref: NoticeRef,
    as_user: ActAs,
    note: Annotated[str | None, typer.Option(help="A note on the unit's feedback")] = None,
) -> None:
    """Close a notice after the unit's handling feedback (办结)."""
    rt = _runtime()
    with _errors():
        n = notice_handling.close(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                                  data=CloseIn(note=note))
    out.print(_line(rt, n))


@notice_app.command("generate")
def notice_generate(
    as_user: AsUser = None,
    unit: Annotated[str | None, typer.Option(help="Also send this unit's pending digest now "
                                             "(needs --as; a unit in the user's scope)")]
    = None,
) -> None:
    """Run the notice job now (the worker runs it every minute; idempotent): new notices
    from the aggregates of new batches, due digests, reminders, word to the offices."""
    rt = _runtime()
    if unit and not as_user:
        raise typer.BadParameter("--unit needs --as USER", param_hint="--unit")
    cfg = notices.settings_of(rt.settings)
    with _errors():
        me = _me(rt, as_user) if as_user else None
        done = notices.generate(rt.uow, rt.clock, settings=cfg, principal=me)
        if unit:
            done.digests_sent.append(notice_handling.send_now(
                rt.uow, rt.clock, principal=me, unit=unit, settings=cfg).ref)
    out.print(f"{done.batches} new batches: {len(done.immediate)} immediate, "
              f"{len(done.digests_collecting)} digests collecting, {len(done.digests_sent)} "
              f"digests sent, {len(done.reminded)} reminded, {len(done.offices_told)} offices "
              "told")
    for ref in (*done.immediate, *done.digests_sent):
        out.print(f"  [bold]{ref}[/]")
