"""``fenghuo accountability``, ``fenghuo commend`` and ``fenghuo discipline``: the
accountability and commendation view of Plan §7.10, on screen or exported as CSV or JSON; a
commendation of a body and the persons named with it; the decisions holding responsible persons
to account (处分)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, Limit, _errors, _runtime, err, out
from fenghuo.common import periods
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.preparedness import accountability as acc
from fenghuo.preparedness import persons
from fenghuo.preparedness.rules import Conduct, Sanction
from fenghuo.preparedness.schemas import DecisionIn, PersonIn


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
    commendations in the period (Plan §7.10). Each omission shows its ground; decisions about
    the body's persons (处分) show with it."""
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
                "预防与保障 preparedness", "支撑单位 support", "表彰 commended",
                "处分 decisions"):
        t.add_column(col, overflow="fold")
    for r in view.rows:
        omitted = "\n".join([str(r.omitted), *(escape(acc.omission_text(o))
                                                for o in r.omissions)])
        t.add_row(f"{escape(r.body)}\n{escape(r.name_zh)}", str(r.late), omitted,
                  str(r.false), str(r.concealed),
                  str(r.overdue_duties + r.overdue_investigations),
                  f"{r.overdue_directives}/{r.overdue_rectifications}",
                  str(r.unremediated_notices),
                  "\n".join(escape(f"{x.text_zh} [{x.source}]") for x in r.preparedness),
                  "\n".join(escape(f"{x.text_zh} [{x.source}]") for x in r.support),
                  "\n".join(escape(acc.commendation_text(c)) for c in r.commendations),
                  "\n".join(escape(acc.decision_text(d)) for d in r.decisions))
    out.print(t)
    if not view.rows:
        out.print("nothing to account for in this period and scope / 本期无问责或表彰事项")


Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"],
                                               help="YYYY-MM-DD; default today")]


def _person(text: str) -> PersonIn:
    """``name|position`` or ``name|position|body``."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) not in (2, 3) or not all(parts):
        raise typer.BadParameter("give name|position or name|position|body",
                                 param_hint="--person")
    return PersonIn(name=parts[0], position=parts[1], body=parts[2] if len(parts) == 3 else None)


def commend_command(
    body: Annotated[str, typer.Argument(help="The body commended, e.g. bj-support")],
    reason: Annotated[str, typer.Option(help="What it is commended for")],
    as_user: ActAs,
    given_on: Day = None,
    person: Annotated[list[str] | None, typer.Option(
        help="A person commended with it (先进个人): name|position, or name|position|body "
             "for a person of another body under your authority; repeat for several")] = None,
) -> None:
    """Commend a body in your scope for outstanding work, and the persons named with it (Plan
    §7.10)."""
    rt = _runtime()
    with _errors():
        named = [_person(x) for x in person or ()]
        me = accounts.principal_for(rt.uow, username=as_user)
        c = acc.commend(rt.uow, rt.clock, principal=me, data=acc.CommendationIn(
            body=body, reason=reason, persons=named,
            given_on=given_on.date() if given_on else None))
    out.print(f"commended 已表彰 {escape(c.body)} on {c.given_on} (#{c.id})")
    for p in c.persons:
        out.print(f"  {escape(p.name)} {escape(p.position)} ({escape(p.body)})")


# --- decisions about responsible persons (处分, Plan §7.10) ------------------------------------

discipline_app = typer.Typer(help="Decisions holding responsible persons to account (处分, Plan "
                             "§7.10): record one your body made, list them.",
                             no_args_is_help=True)


@discipline_app.command("record")
def discipline_record(
    name: Annotated[str, typer.Argument(help="The person's name")],
    position: Annotated[str, typer.Option(help="The person's post (职务)")],
    body: Annotated[str, typer.Option(help="The body the person serves in")],
    conduct: Annotated[Conduct, typer.Option(help="What they are held to account for")],
    sanction: Annotated[Sanction, typer.Option(help="The decision (处分)")],
    reason: Annotated[str, typer.Option(help="Why")],
    as_user: ActAs,
    incident: Annotated[str | None, typer.Option(help="The incident it is about")] = None,
    matter: Annotated[str | None, typer.Option(help="The matter, when not an incident")] = None,
    text: Annotated[str | None, typer.Option(help="The decision in words (for other)")] = None,
    decided_on: Day = None,
) -> None:
    """Record your body's decision about a responsible person of a body under its authority."""
    rt = _runtime()
    with _errors():
        me = accounts.principal_for(rt.uow, username=as_user)
        d = persons.record_decision(rt.uow, rt.clock, principal=me, data=DecisionIn(
            name=name, position=position, body=body, conduct=conduct, sanction=sanction,
            reason=reason, incident=incident, matter=matter, sanction_text=text,
            decided_on=decided_on.date() if decided_on else None))
    out.print(f"recorded 已记录 #{d.id}: {escape(acc.decision_text(d))}")


@discipline_app.command("list")
def discipline_list(
    as_user: ActAs,
    body: Annotated[str | None, typer.Option(help="Only persons of this body")] = None,
    limit: Limit = 50,
) -> None:
    """List the decisions about persons of bodies in your scope, newest first."""
    rt = _runtime()
    with _errors():
        page = persons.list_decisions(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), page=PageParams(limit=limit), body=body)
    t = Table("#", "日期 on", "责任人 person", "机构 body", "事项 matter", "行为 conduct",
              "处分 decision", "决定机关 decided by", title=f"{page.total} decision(s)")
    for d in page.items:
        t.add_row(str(d.id), str(d.decided_on), escape(f"{d.name}（{d.position}）"),
                  escape(d.body), escape(d.incident or d.matter or ""),
                  f"{d.conduct_label.zh} {d.conduct_label.en}",
                  escape(f"{d.sanction_label.zh} {d.sanction_text or ''}".strip()),
                  escape(d.decided_by_body))
    out.print(t)
