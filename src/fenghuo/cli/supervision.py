"""``fenghuo supervision``: directives to take measures within a time limit (Law art. 55) and
interviews (约谈, Law art. 56) — issue and record them, list and show them, and, for the unit,
acknowledge and report the rectification (整改); for the issuer, verify and close or reopen."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo import bootstrap
from fenghuo.cli.common import ActAs, Limit, _errors, _ref_column, _runtime, _when, out
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.supervision import queries, service
from fenghuo.supervision.rules import IntervieweeRole, Kind, State
from fenghuo.supervision.schemas import (
    AcknowledgeIn,
    DirectiveIn,
    InterviewIn,
    ItemOut,
    RectificationIn,
    ReopenIn,
    VerifyIn,
)

supervision_app = typer.Typer(
    help="Directives to take measures within a time limit (Law art. 55) and interviews (约谈, "
         "Law art. 56): issue, record, list, show; the unit acknowledges and reports its "
         "rectification (整改); the issuer verifies and closes it, or reopens it.",
    no_args_is_help=True)

ItemRef = Annotated[str, typer.Argument(help="Reference, e.g. DIR-20261101-1A2B3C4D")]
Unit = Annotated[str, typer.Argument(help="Key of the unit, e.g. bj-bank")]
Due = Annotated[str, typer.Option("--due", metavar="ISO", help="Deadline, ISO 8601; without a "
                                  "zone in FENGHUO_TIMEZONE")]


def _instant(rt: bootstrap.Runtime, text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date-time, e.g. "
                                 "2026-11-23T18:00", param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(rt.settings.timezone))


def _headline(rt: bootstrap.Runtime, x: ItemOut) -> str:
    return (f"[bold]{x.ref}[/] {x.kind_label.zh} {x.kind_label.en} ({x.source}) · "
            f"{x.state_label.zh} {x.state_label.en} · {x.issuer} → {x.unit} · due "
            f"{_when(rt, x.due_at)} [bold]{x.clock}[/]")


def _me(rt: bootstrap.Runtime, username: str):  # noqa: ANN202 - a Principal
    return accounts.principal_for(rt.uow, username=username)


@supervision_app.command("direct")
def direct(
    unit: Unit, as_user: ActAs, due: Due,
    title: Annotated[str, typer.Option(help="What it is about")],
    requirements: Annotated[str, typer.Option(help="The measures the unit is to take")],
    findings: Annotated[str, typer.Option(help="The risk or incident behind it")] = "",
) -> None:
    """Direct a unit to take measures within a time limit (责令限期采取措施, Law art. 55)."""
    rt = _runtime()
    with _errors("the directive"):
        x = service.issue_directive(rt.uow, rt.clock, principal=_me(rt, as_user), data=DirectiveIn(
            unit=unit, title=title, requirements=requirements, findings=findings,
            due_at=_instant(rt, due, "--due")))
    out.print(_headline(rt, x))


@supervision_app.command("interview")
def interview(
    unit: Unit, as_user: ActAs, due: Due,
    title: Annotated[str, typer.Option(help="What it is about")],
    interviewee: Annotated[str, typer.Option(help="The person interviewed")],
    held: Annotated[str, typer.Option(metavar="ISO", help="When the interview was held")],
    findings: Annotated[str, typer.Option(help="The large risk or incident found")],
    requirements: Annotated[str, typer.Option(help="The rectification required")],
    role: Annotated[IntervieweeRole, typer.Option(help="legal_representative (法定代表人) or "
                                                  "principal (主要负责人)")]
    = IntervieweeRole.LEGAL_REPRESENTATIVE,
) -> None:
    """Record an interview (约谈, Law art. 56) with rectification requirements and a deadline."""
    rt = _runtime()
    with _errors("the interview"):
        x = service.record_interview(rt.uow, rt.clock, principal=_me(rt, as_user),
                                     data=InterviewIn(
            unit=unit, title=title, interviewee=interviewee, interviewee_role=role,
            interviewed_at=_instant(rt, held, "--held"), findings=findings,
            requirements=requirements, due_at=_instant(rt, due, "--due")))
    out.print(_headline(rt, x))


@supervision_app.command("list")
def list_items(
    as_user: ActAs,
    kind: Annotated[Kind | None, typer.Option(help="directive or interview")] = None,
    state: Annotated[State | None, typer.Option(help="issued, acknowledged, reported, "
                                                "reopened, closed")] = None,
    overdue: Annotated[bool, typer.Option(help="Only those owed past the deadline")] = False,
    limit: Limit = 50,
) -> None:
    """List the directives and interviews in the user's view, newest first."""
    rt = _runtime()
    with _errors():
        page = queries.list_items(rt.uow, rt.clock, principal=_me(rt, as_user),
                                  page=PageParams(limit=limit), overdue=overdue,
                                  kind=kind.value if kind else None,
                                  state=state.value if state else None)
    table = Table(_ref_column(), "kind", "unit", "title", "state", "due", "clock",
                  title=f"{page.total} directive(s) and interview(s)")
    for x in page.items:
        table.add_row(x.ref, x.kind_label.zh, x.unit, escape(x.title), x.state_label.zh,
                      _when(rt, x.due_at), f"{x.clock_label.zh} {x.clock}")
    out.print(table)


@supervision_app.command("show")
def show(ref: ItemRef, as_user: ActAs) -> None:
    """Show one item: requirements, the unit's rectification reports and the history."""
    rt = _runtime()
    with _errors():
        x = queries.get_item(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref)
    out.print(_headline(rt, x))
    out.print(f"  {escape(x.title)}")
    if x.interviewee:
        out.print(f"  约谈 interviewed: {escape(x.interviewee)} ({x.interviewee_role_label.zh} "
                  f"{x.interviewee_role_label.en}) at {_when(rt, x.interviewed_at)}")
    if x.findings:
        out.print(f"  发现 findings: {escape(x.findings)}")
    out.print(f"  要求 requirements: {escape(x.requirements)}")
    for n, rep in enumerate(x.rectifications, 1):
        out.print(f"  整改报告 report {n} ({_when(rt, rep.reported_at)}, {rep.reported_by}): "
                  f"{escape(rep.measures)} — 证明 evidence: {escape(rep.evidence)}")
        for a in rep.attachments:
            out.print(f"    {a.ref}/{a.evidence} {escape(a.filename)} sha256 {a.sha256}")
    for e in x.history:
        detail = {k: v for k, v in e.detail.items() if v not in (None, "", [])}
        out.print(f"  · {_when(rt, e.at)} {e.kind} by {escape(e.actor)} ({e.body}) "
                  f"[dim]{escape(str(detail))}[/]")
    if x.actions:
        out.print(f"  you may: {', '.join(x.actions)}")


@supervision_app.command("units")
def units(as_user: ActAs) -> None:
    """The units the user's body may direct, and whether it may interview them."""
    rt = _runtime()
    with _errors():
        rows = queries.units(rt.uow, principal=_me(rt, as_user))
    table = Table("key", "name", "kind", "interview", title=f"{len(rows)} unit(s)")
    for u in rows:
        table.add_row(u.key, f"{escape(u.name_zh)} {escape(u.name_en)}", u.kind,
                      "yes" if u.interview else "no (Law art. 56)")
    out.print(table)


@supervision_app.command("ack")
def ack(ref: ItemRef, as_user: ActAs, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Acknowledge a directive or interview addressed to the user's unit (签收)."""
    rt = _runtime()
    with _errors():
        x = service.acknowledge(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                                data=AcknowledgeIn(note=note))
    out.print(_headline(rt, x))


@supervision_app.command("rectify")
def rectify(
    ref: ItemRef, as_user: ActAs,
    measures: Annotated[str, typer.Option(help="What the unit did")],
    evidence: Annotated[str, typer.Option(help="The evidence of it")],
    attach: Annotated[list[str] | None, typer.Option(help="Evidence on an incident: "
                                                     "INCIDENT_REF/ID (repeatable)")] = None,
) -> None:
    """Report the unit's rectification with its evidence (报告整改情况); the issuer verifies."""
    rt = _runtime()
    with _errors("the rectification"):
        x = service.report(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                           data=RectificationIn(measures=measures, evidence=evidence,
                                                attachments=attach or []))
    out.print(_headline(rt, x))


@supervision_app.command("verify")
def verify(ref: ItemRef, as_user: ActAs,
           note: Annotated[str | None, typer.Option(help="The finding")] = None) -> None:
    """Verify the unit's rectification and close the item (核验办结)."""
    rt = _runtime()
    with _errors():
        x = service.verify(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                           data=VerifyIn(note=note))
    out.print(_headline(rt, x))


@supervision_app.command("reopen")
def reopen(
    ref: ItemRef, as_user: ActAs,
    reason: Annotated[str, typer.Option(help="What is still wanting; the unit reads it")],
    due: Annotated[str | None, typer.Option("--due", metavar="ISO", help="A new deadline")]
    = None,
) -> None:
    """Reopen the rectification (退回重新整改), with the reason and optionally a new deadline."""
    rt = _runtime()
    with _errors():
        x = service.reopen(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                           data=ReopenIn(reason=reason, due_at=_instant(rt, due, "--due")))
    out.print(_headline(rt, x))
