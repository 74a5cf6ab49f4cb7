"""``fenghuo share``: the Emergency Office shares incidents with provinces and departments
(Plan §3.2; Law art. 29), recipients acknowledge, offices relabel TLP (TLP 2.0)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, Limit, Ref, _errors, _ref_column, _runtime, _when, out
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.sharing import service
from fenghuo.sharing.schemas import IncidentShareOut, TlpIn
from fenghuo.sharing.tlp import TLP_LABELS, Tlp

share_app = typer.Typer(help="Share incidents across provinces and departments (Plan §3.2) and "
                        "label them with TLP 2.0.", no_args_is_help=True)


def _table(rt, shares: list[IncidentShareOut], title: str) -> Table:  # noqa: ANN001
    table = Table("id", _ref_column(), "TLP", "to 接收方", "shared 通报", "acknowledged 确认",
                  title=title)
    for x in shares:
        ack = (f"{_when(rt, x.acknowledged_at)} {escape(x.acknowledged_by or '')}"
               if x.acknowledged_at else "[yellow]not yet 未确认[/]")
        table.add_row(str(x.id), x.incident, x.tlp.value.upper(),
                      f"{escape(x.body)}\n{escape(x.body_name_zh)}",
                      f"{_when(rt, x.shared_at)} {escape(x.shared_by)}", ack)
    return table


@share_app.command("incident")
def share_incident(
    ref: Ref,
    as_user: ActAs,
    to: Annotated[list[str], typer.Option("--to", help="Key of a provincial office or a "
                                          "department; repeat for several")],
    note: Annotated[str, typer.Option(help="What the recipients should do with it")] = "",
) -> None:
    """Share an incident with provincial offices and departments (the Emergency Office only;
    TLP:RED is never shared, AMBER only within scope, AMBER+STRICT only to named bodies)."""
    rt = _runtime()
    with _errors():
        shares = service.share_incident(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, bodies=to, note=note)
    out.print(_table(rt, shares, f"{ref}: shared with 通报给"))
    waiting = sum(1 for x in shares if x.acknowledged_at is None)
    out.print(f"{len(shares)} recipient(s), {waiting} not yet acknowledged 未确认")


@share_app.command("ack")
def acknowledge(
    share_id: Annotated[int, typer.Argument(min=1, help="Share id, from `fenghuo share list`")],
    as_user: ActAs,
) -> None:
    """Confirm that your body received a shared incident."""
    rt = _runtime()
    with _errors():
        x = service.acknowledge_share(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), share_id=share_id)
    out.print(f"acknowledged 已确认: share {x.id} of [bold]{x.incident}[/] "
              f"{escape(x.incident_title)} ({_when(rt, x.acknowledged_at)})")


@share_app.command("list")
def list_shares(
    as_user: ActAs,
    state: Annotated[str | None, typer.Option(
        help="acknowledged or unacknowledged")] = None,
    limit: Limit = 50,
) -> None:
    """Incidents shared with your body, newest first."""
    rt = _runtime()
    if state not in (None, "acknowledged", "unacknowledged"):
        raise typer.BadParameter("acknowledged or unacknowledged", param_hint="--state")
    wanted: Literal["acknowledged", "unacknowledged"] | None = state  # type: ignore[assignment]
    with _errors():
        page = service.list_received(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), page=PageParams(limit=limit), state=wanted)
    table = Table("id", _ref_column(), "title 标题", "TLP", "from 通报方", "acknowledged 确认",
                  title=f"shared with your body 通报给本单位 ({page.total})")
    for x in page.items:
        table.add_row(str(x.id), x.incident, escape(x.incident_title), x.tlp.value.upper(),
                      f"{escape(x.shared_by_body)} {_when(rt, x.shared_at)}",
                      _when(rt, x.acknowledged_at) if x.acknowledged_at else
                      "[yellow]not yet 未确认[/]")
    out.print(table)


@share_app.command("shares")
def incident_shares(ref: Ref, as_user: ActAs) -> None:
    """Who an incident was shared with, and who has and has not acknowledged."""
    rt = _runtime()
    with _errors():
        shares = service.list_incident_shares(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    out.print(_table(rt, shares, f"{ref}: shared with 通报给"))


@share_app.command("tlp")
def set_tlp(
    ref: Ref,
    as_user: ActAs,
    tlp: Annotated[str, typer.Option("--tlp", help="clear, green, amber, amber+strict, red")],
    reason: Annotated[str, typer.Option(help="Why the label changes (kept in the audit)")],
) -> None:
    """Change an incident's TLP label (an office handling it), with a reason."""
    rt = _runtime()
    with _errors():
        data = TlpIn(tlp=tlp, reason=reason)
        x = service.set_incident_tlp(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=data)
    label = Tlp(x.tlp)
    out.print(f"[bold]{x.ref}[/] is now {label.marking} {TLP_LABELS[label][0]}")
