"""``fenghuo accountability`` and ``fenghuo commend``: the accountability and commendation view
of Plan §7.10, on screen or exported as CSV or JSON."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, _errors, _runtime, err, out
from fenghuo.common import periods
from fenghuo.org import accounts
from fenghuo.preparedness import accountability as acc


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def accountability_command(
    period: Annotated[str, typer.Option(help="2026-11, 2026-H2 or 2026 (local time)")],
    as_user: ActAs,
    format: Annotated[Format, typer.Option(help="table on screen, or csv / json")]  # noqa: A002
    = Format.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", dir_okay=False,
                                                help="Write the export to this file")] = None,
) -> None:
    """Per body in your scope: late, omitted, false and concealed reports, overdue clocks and
    investigations, missed exercises, overdue plans, unmet support-unit obligations and
    commendations in the period (Plan §7.10)."""
    rt = _runtime()
    try:
        p = periods.parse_period(period)
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    since, until = periods.window(p, ZoneInfo(rt.settings.timezone))
    with _errors():
        me = accounts.principal_for(rt.uow, username=as_user)
        view = acc.accountability(rt.uow, rt.clock, principal=me, since=since, until=until)
    if format is Format.TABLE:
        _table(view, str(p))
        return
    text = acc.as_csv(view) if format is Format.CSV else view.model_dump_json(indent=2)
    if output is None:
        out.file.write(text)
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"{len(view.rows)} bodies written to {escape(str(output))}")


def _table(view: acc.AccountabilityOut, period: str) -> None:
    t = Table(title=f"问责与表彰 Accountability and commendation {period} "
                    f"(preparedness as of {view.as_of})")
    for col in ("机构 body", "迟报 late", "漏报 omitted", "谎报 false", "瞒报 concealed",
                "逾期 overdue", "责令/约谈逾期 directives/interviews overdue",
                "通报未反馈 notices unanswered",
                "预防与保障 preparedness", "支撑单位 support", "表彰 commended"):
        t.add_column(col, overflow="fold")
    for r in view.rows:
        t.add_row(f"{escape(r.body)}\n{escape(r.name_zh)}", str(r.late), str(r.omitted),
                  str(r.false), str(r.concealed),
                  str(r.overdue_duties + r.overdue_investigations),
                  f"{r.overdue_directives}/{r.overdue_rectifications}",
                  str(r.unremediated_notices),
                  "\n".join(escape(f"{x.text_zh} [{x.source}]") for x in r.preparedness),
                  "\n".join(escape(f"{x.text_zh} [{x.source}]") for x in r.support),
                  "\n".join(escape(f"{c.given_on} {c.reason}") for c in r.commendations))
    out.print(t)
    if not view.rows:
        out.print("nothing to account for in this period and scope / 本期无问责或表彰事项")


def commend_command(
    body: Annotated[str, typer.Argument(help="The body commended, e.g. bj-support")],
    reason: Annotated[str, typer.Option(help="What it is commended for")],
    as_user: ActAs,
    given_on: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"],
                                                      help="YYYY-MM-DD; default today")] = None,
) -> None:
    """Commend a body in your scope for outstanding work (Plan §7.10)."""
    rt = _runtime()
    with _errors():
        me = accounts.principal_for(rt.uow, username=as_user)
        c = acc.commend(rt.uow, rt.clock, principal=me, data=acc.CommendationIn(
            body=body, reason=reason,
            given_on=given_on.date() if given_on else None))
    out.print(f"commended 已表彰 {escape(c.body)} on {c.given_on} (#{c.id})")
