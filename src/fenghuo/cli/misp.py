"""``fenghuo misp export|import``: MISP events in MISP's JSON format, offline (issue 8 item 5;
Plan §3.2), limited by the user's scope (Law art. 30) and TLP 2.0."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, InFile, _errors, _runtime, err, out
from fenghuo.org import accounts
from fenghuo.sharing import misp

misp_app = typer.Typer(help="MISP events: export and import (JSON, offline).",
                       no_args_is_help=True)


def _moment(text: str | None, tz: str, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date or date-time",
                                 param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


@misp_app.command("export")
def misp_export(
    as_user: ActAs,
    kind: Annotated[str, typer.Option(help="incident, monitoring or all")] = "all",
    ref: Annotated[list[str] | None, typer.Option(help="Only these refs (repeatable)")] = None,
    since: Annotated[str | None, typer.Option(help="From (ISO 8601; local time if no zone)")
                     ] = None,
    until: Annotated[str | None, typer.Option(help="Until, excluded")] = None,
    limit: Annotated[int, typer.Option(min=1, max=misp.MAX_EVENTS)] = misp.MAX_EVENTS,
    output: Annotated[Path | None, typer.Option("--out", "-o", dir_okay=False,
                                                help="Write here instead of stdout")] = None,
) -> None:
    """Export incidents and monitoring items as MISP events (a JSON list of {"Event": …}, which
    PyMISP loads whole): only those the user's scope reads and TLP 2.0 lets the user's body
    receive."""
    rt = _runtime()
    tz = rt.settings.timezone
    with _errors():
        result = misp.export_events(
            rt.uow, principal=accounts.principal_for(rt.uow, username=as_user), kind=kind,
            refs=ref or None, since=_moment(since, tz, "--since"),
            until=_moment(until, tz, "--until"), limit=limit, timezone=tz)
    text = json.dumps(result.document(), ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(f"{len(result.events)} MISP event(s) written to {escape(str(output))}")
    else:
        print(text)
    for w in result.withheld:
        err.print(f"[yellow]withheld 未导出[/] {w.ref} TLP:{w.tlp.upper()}: "
                  + "; ".join(escape(r["text_en"]) for r in w.reasons))


@misp_app.command("import")
def misp_import(file: InFile, as_user: ActAs) -> None:
    """Import MISP events (one, a list, or {"response": [...]}) as monitoring information of the
    user's body, keeping what indicators cannot hold (objects, tags, galaxies …) as context;
    what cannot be kept is listed; an event imported before is not imported again."""
    rt = _runtime()
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(file))} is not JSON: {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    with _errors("the MISP file"), err.status("importing MISP events…"):
        rows = misp.import_events(rt.uow, rt.clock,
                                  principal=accounts.principal_for(rt.uow, username=as_user),
                                  document=document, timezone=rt.settings.timezone)
    table = Table("event uuid", "monitoring item", "", "TLP", "indicators", "kept 保留",
                  "dropped 未能保存",
                  title=f"{sum(r.created for r in rows)} imported, "
                        f"{sum(not r.created for r in rows)} already there")
    for r in rows:
        table.add_row(r.uuid, r.ref or "—", "new 新" if r.created else "already 已有",
                      r.tlp.upper(), str(r.indicators), str(r.kept), str(len(r.dropped)))
    out.print(table)
    for r in rows:
        for d in r.dropped:
            err.print(f"  dropped {escape(str(d['id']))} ({escape(str(d['type']))}): "
                      f"{escape(str(d['reason']))}")
