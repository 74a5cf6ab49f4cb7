"""``fenghuo bulletin``: the weekly 《网络安全信息与动态周报》 and monthly 《网络安全月报》
(Plan §3.2; Support rights 2): generate for a period and your body's scope, save the HTML and
PDF, send."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fenghuo import bootstrap
from fenghuo.cli.common import ActAs, Limit, _errors, _ref_column, _runtime, _when, out
from fenghuo.common.periods import day_of
from fenghuo.common.scope import Principal
from fenghuo.org import accounts
from fenghuo.sharing import bulletin_data, bulletins
from fenghuo.sharing.bulletins import BulletinIn, BulletinOut, BulletinSummary, SendIn, SendOut

bulletin_app = typer.Typer(help="Weekly and monthly bulletins: generate, save as HTML and PDF, "
                           "send to the support units and a list (Plan §3.2).",
                           no_args_is_help=True)

PdfOpt = Annotated[Path | None, typer.Option("--pdf", dir_okay=False, help="Save the PDF here")]
HtmlOpt = Annotated[Path | None, typer.Option("--html", dir_okay=False,
                                              help="Save the HTML here")]
SendOpt = Annotated[bool, typer.Option("--send", help="Send it: to every support unit with an "
                                       "active membership and to each --to body")]
ToOpt = Annotated[list[str] | None, typer.Option("--to", help="Also send to this body (repeat)")]

_STEPS = {"incidents": "事件 incidents", "warnings": "预警 warnings",
          "responses": "应急响应 responses", "support": "支撑单位 support units",
          "html": "HTML", "pdf": "PDF (WeasyPrint)", "store": "保存 storing", "done": "完成 done"}


def _generate(rt: bootstrap.Runtime, me: Principal, kind: str, period: str) -> BulletinOut:
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn(
            "{task.completed}/{task.total}"), TimeElapsedColumn(), console=out,
            transient=True) as bar:
        task = bar.add_task("生成通报 generating", total=len(bulletins.STEPS))

        def step(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total,
                       description=f"生成通报 generating · {_STEPS.get(what, what)}")

        return bulletins.generate(rt.uow, rt.clock, principal=me,
                                  data=BulletinIn(kind=kind, period=period),
                                  timezone=rt.settings.timezone, progress=step)


def _print(b: BulletinOut) -> None:
    d, f = b.data, b.data["figures"]
    out.print(f"[bold]{escape(b.ref)}[/] {escape(d['title']['zh'])} · "
              f"[bold]TLP:{b.tlp.upper()}[/] · {escape(d['issuer']['zh'])}")
    out.print(f"  {d['days']['first']} — {d['days']['last']} (CST) · "
              f"事件 incidents {f['incidents']['count']} (上期 previous "
              f"{f['incidents']['previous']}) · 较大及以上 notable {f['notable']['count']} · "
              f"预警 warnings {d['warnings']['issued']['count']}/"
              f"{d['warnings']['lifted']['count']} · 响应 responses "
              f"{d['responses']['activated']['count']}/{d['responses']['ended']['count']}")
    withheld = d["notable"]["withheld"] + d["warnings"]["withheld"] + d["responses"]["withheld"]
    if withheld:
        out.print(f"  {withheld} item(s) counted but not listed: their TLP does not reach the "
                  "support units")


def _print_send(s: SendOut) -> None:
    out.print(f"sent to {len(s.sent_to)} bod(ies), {s.messages} message(s): "
              f"{escape(', '.join(s.sent_to)) or '—'}")
    if s.already_sent:
        out.print(f"  already sent before: {escape(', '.join(s.already_sent))}")
    if s.without_contact:
        out.print(f"  [yellow]no deliverable contact[/] (they can fetch it): "
                  f"{escape(', '.join(s.without_contact))}")


def _run(kind: str, period: str | None, as_user: str, pdf: Path | None, html: Path | None,
         send: bool, to: list[str] | None) -> None:
    rt = _runtime()
    with _errors("the period"):
        me = accounts.principal_for(rt.uow, username=as_user)
        period = period or str(bulletin_data.last_complete(kind, day_of(rt.clock.now())))
        b = _generate(rt, me, kind, period)
        _print(b)
        for fmt, path in (("html", html), ("pdf", pdf)):
            if path is not None:
                _, content = bulletins.get_document(rt.uow, principal=me, ref=b.ref, fmt=fmt)
                path.write_bytes(content)
                out.print(f"  wrote {escape(str(path))}")
        if send:
            _print_send(bulletins.send(rt.uow, rt.clock, principal=me, ref=b.ref,
                                       data=SendIn(recipients=to or [])))
            rt.wake_worker()


@bulletin_app.command("weekly")
def weekly(
    as_user: ActAs,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47; default: last week")]
    = None,
    pdf: PdfOpt = None, html: HtmlOpt = None, send: SendOpt = False, to: ToOpt = None,
) -> None:
    """Generate the weekly 《网络安全信息与动态周报》 of your body's scope (regenerating replaces
    it)."""
    _run("weekly", week, as_user, pdf, html, send, to)


@bulletin_app.command("monthly")
def monthly(
    as_user: ActAs,
    month: Annotated[str | None, typer.Option(help="Month, e.g. 2026-11; default: last month")]
    = None,
    pdf: PdfOpt = None, html: HtmlOpt = None, send: SendOpt = False, to: ToOpt = None,
) -> None:
    """Generate the monthly 《网络安全月报》 of your body's scope (regenerating replaces it)."""
    _run("monthly", month, as_user, pdf, html, send, to)


@bulletin_app.command("list")
def list_(as_user: ActAs, limit: Limit = 50) -> None:
    """Bulletins your body issued or received, and those issued in its scope."""
    rt = _runtime()
    with _errors():
        items = bulletins.list_bulletins(
            rt.uow, principal=accounts.principal_for(rt.uow, username=as_user), limit=limit)
    table = Table(_ref_column(), "kind", "period", "issuer", "TLP", "generated", "sent to")
    for b in items:
        table.add_row(b.ref, b.kind, b.period, b.issuer, b.tlp.upper(),
                      _when(rt, b.generated_at), escape(_recipients(b)))
    out.print(table)


def _recipients(b: BulletinSummary) -> str:
    """The recipients the caller may see (its scope; all for the issuer) and a count of the
    others (Law art. 30)."""
    shown = ", ".join(b.delivered_to) or "—"
    if b.delivered_others:
        shown += f" (+{b.delivered_others} other bod{'y' if b.delivered_others == 1 else 'ies'})"
    return shown


@bulletin_app.command("send")
def send_(
    ref: Annotated[str, typer.Argument(help="Bulletin ref, e.g. BL-20261201-1A2B3C4D")],
    as_user: ActAs, to: ToOpt = None,
) -> None:
    """Send a bulletin your body issued to the support units and each --to body, once each."""
    rt = _runtime()
    with _errors("--to"):
        _print_send(bulletins.send(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=SendIn(recipients=to or [])))
    rt.wake_worker()


@bulletin_app.command("save")
def save(
    ref: Annotated[str, typer.Argument(help="Bulletin ref, e.g. BL-20261201-1A2B3C4D")],
    as_user: ActAs, pdf: PdfOpt = None, html: HtmlOpt = None,
) -> None:
    """Save a stored bulletin's PDF and/or HTML."""
    rt = _runtime()
    with _errors():
        me = accounts.principal_for(rt.uow, username=as_user)
        for fmt, path in (("html", html), ("pdf", pdf)):
            if path is not None:
                _, content = bulletins.get_document(rt.uow, principal=me, ref=ref, fmt=fmt)
                path.write_bytes(content)
                out.print(f"wrote {escape(str(path))}")
