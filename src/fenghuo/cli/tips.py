"""``fenghuo tip``: public tips (Law art. 14) for the bodies handling them — list with clocks,
show with history, accept, transfer (移送), close — and the tipster's status look-up."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, Limit, _errors, _ref_column, _runtime, _when, out
from fenghuo.common.pagination import PageParams
from fenghuo.incident import tip_handling, tips
from fenghuo.incident.tip_rules import TipState
from fenghuo.incident.tip_schemas import AcceptIn, CloseIn, TipOut, TransferIn
from fenghuo.org import accounts

tip_app = typer.Typer(help="Public tips (Law art. 14): list them with their handling clocks, "
                      "show one with its history, accept, transfer (移送) to the competent "
                      "department or another region's office, close with an outcome for the "
                      "tipster; and look up a tip's public status with its receipt code.",
                      no_args_is_help=True)

TipRef = Annotated[str, typer.Argument(help="Tip ref, e.g. TIP-20261101-1A2B3C4D")]
STATES = tuple(s.value for s in TipState)


def _clock(rt, t: TipOut) -> str:  # noqa: ANN001 - a Runtime
    if t.clock is None:
        return "—"
    return f"{t.clock.label.zh} {t.clock.label.en} by {_when(rt, t.clock.due_at)} " \
           f"[bold]{t.clock.state}[/]"


@tip_app.command("list")
def tip_list(
    as_user: ActAs,
    state: Annotated[str | None, typer.Option(help=", ".join(STATES))] = None,
    overdue: Annotated[bool, typer.Option(help="Only tips whose clock ran out")] = False,
    limit: Limit = 50,
) -> None:
    """List the tips in the user's view, newest first, with their clocks."""
    rt = _runtime()
    if state is not None and state not in STATES:
        raise typer.BadParameter(f"expected one of {', '.join(STATES)}", param_hint="--state")
    with _errors():
        page = tips.list_tips(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), page=PageParams(limit=limit), state=state,
            overdue=overdue)
    table = Table(_ref_column(), "received", "unit", "state", "holder", "clock",
                  title=f"{page.total} tip(s)")
    for t in page.items:
        table.add_row(t.ref, _when(rt, t.created_at), escape(t.unit_name),
                      f"{t.state_label.zh} {t.state_label.en}", t.holder, _clock(rt, t))
    out.print(table)


@tip_app.command("show")
def tip_show(ref: TipRef, as_user: ActAs) -> None:
    """Show a tip: what was reported, who holds it, its clock and its history."""
    rt = _runtime()
    with _errors():
        t = tips.get_tip(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    out.print(f"[bold]{t.ref}[/] {t.state_label.zh} {t.state_label.en} · received "
              f"{_when(rt, t.created_at)} · held by {t.holder} {escape(t.holder_name_zh)}")
    out.print(f"  unit: {escape(t.unit_name)}; category: {t.category or '—'}")
    out.print(f"  {escape(t.description)}")
    if t.reporter_name or t.reporter_contact:
        out.print(f"  tipster (confidential, Law art. 14): {escape(t.reporter_name or '—')} "
                  f"{escape(t.reporter_contact or '')}")
    out.print(f"  clock: {_clock(rt, t)}" + (f" [dim]({escape(t.clock.source)})[/]"
                                             if t.clock else ""))
    if t.public_outcome:
        out.print(f"  public outcome: {escape(t.public_outcome)}")
    for e in t.history:
        detail = {k: v for k, v in e.detail.items() if v not in (None, "", [])}
        out.print(f"  · {_when(rt, e.at)} {e.kind} by {escape(e.actor)} → {e.body} "
                  f"[dim]{escape(str(detail))}[/]")
    if t.actions:
        out.print(f"  you may: {', '.join(t.actions)}")


@tip_app.command("accept")
def tip_accept(ref: TipRef, as_user: ActAs, note: Annotated[
        str | None, typer.Option(help="Internal note")] = None) -> None:
    """Accept a tip your body holds (受理): the clock to close starts."""
    rt = _runtime()
    with _errors():
        t = tip_handling.accept(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=AcceptIn(note=note),
            settings=tips.settings_of(rt.settings))
    out.print(f"{t.ref} accepted; close it by {_when(rt, t.clock.due_at)}")


@tip_app.command("targets")
def tip_targets(ref: TipRef, as_user: ActAs) -> None:
    """List the bodies a tip your body holds may be transferred to (Law art. 14)."""
    rt = _runtime()
    with _errors():
        rows = tip_handling.transfer_targets(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    table = Table("key", "name", "authority", title=f"{len(rows)} possible receiver(s)")
    for b in rows:
        table.add_row(b.key, f"{escape(b.name_zh)} {escape(b.name_en)}",
                      f"{b.authority.zh} {b.authority.en}")
    out.print(table)


@tip_app.command("transfer")
def tip_transfer(
    ref: TipRef,
    as_user: ActAs,
    to: Annotated[str, typer.Option(help="Key of the competent body, e.g. cn.mps")],
    reason: Annotated[str, typer.Option(help="Why it goes there (internal)")],
) -> None:
    """Transfer (移送) a tip your body holds to the competent body, which takes it over."""
    rt = _runtime()
    with _errors():
        t = tip_handling.transfer(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=TransferIn(to=to, reason=reason),
            settings=tips.settings_of(rt.settings))
    out.print(f"{t.ref} transferred to [bold]{t.holder}[/] {escape(t.holder_name_zh)}; it "
              f"decides by {_when(rt, t.clock.due_at)}")


@tip_app.command("close")
def tip_close(
    ref: TipRef,
    as_user: ActAs,
    outcome: Annotated[str, typer.Option(help="What the tipster reads on the status page")],
    note: Annotated[str | None, typer.Option(help="Internal note")] = None,
) -> None:
    """Close a tip your body holds (办结) with the outcome the tipster reads."""
    rt = _runtime()
    with _errors():
        t = tip_handling.close(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=CloseIn(outcome=outcome, note=note))
    out.print(f"{t.ref} closed: {escape(t.public_outcome or '')}")


@tip_app.command("status")
def tip_status(code: Annotated[str, typer.Option(
        prompt="Receipt code 回执码", help="The receipt code given when the tip was sent")]
        ) -> None:
    """The public status of a tip for its receipt code, as the tipster sees it."""
    rt = _runtime()
    with _errors():
        st = tips.public_status(rt.uow, code=code)
    out.print(f"[bold]{st.ref}[/] received 收到于 {_when(rt, st.received_at)}")
    out.print(f"  {st.status_label.zh} {st.status_label.en}"
              + (f" — {st.authority.zh} {st.authority.en}" if st.authority else ""))
    if st.outcome:
        out.print(f"  {_when(rt, st.closed_at)}: {escape(st.outcome)}")
