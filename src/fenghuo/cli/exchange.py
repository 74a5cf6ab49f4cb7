"""``fenghuo stix export|import``: STIX 2.1 bundles, offline (issue 8 item 3; Plan §3.2),
limited by the user's scope (Law art. 30) and TLP 2.0; imports become monitoring information
of the user's body, deduplicated."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from fenghuo.cli.common import ActAs, _errors, _runtime, err, out
from fenghuo.org import accounts
from fenghuo.sharing import stix, stix_import

stix_app = typer.Typer(help="STIX 2.1 bundles: export and import (JSON, offline).",
                       no_args_is_help=True)

#: above this many objects an import shows a progress bar
PROGRESS_FROM = 50


def _day(text: str | None, tz: str) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day (YYYY-MM-DD)",
                                 param_hint="--since") from None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


@stix_app.command("export")
def stix_export(
    as_user: ActAs,
    incident: Annotated[list[str] | None, typer.Option(
        "--incident", help="Only these incidents (repeatable); then no warnings or "
        "monitoring items")] = None,
    since: Annotated[str | None, typer.Option(
        help="Only what changed from this day on (YYYY-MM-DD, local time)")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", dir_okay=False,
                                                help="Write here instead of stdout")] = None,
) -> None:
    """Export incidents, published warnings and monitoring items as one STIX 2.1 bundle: only
    those the user's scope reads and TLP 2.0 lets the user's body receive."""
    rt = _runtime()
    with _errors():
        kw = {"incidents": incident, "warnings": [], "monitoring": []} if incident else {}
        result = stix.export_bundle(
            rt.uow, rt.clock, principal=accounts.principal_for(rt.uow, username=as_user),
            since=_day(since, rt.settings.timezone), **kw)
    text = json.dumps(result.bundle, ensure_ascii=False, indent=2)
    summary = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(f"bundle written to {escape(str(output))}: {summary or 'empty'}")
    else:
        out.print_json(text) if out.is_terminal else print(text)
    if result.withheld:
        err.print(f"{result.withheld} item(s) held back by TLP 2.0 (not for your body) "
                  "已按TLP规则保留")


@stix_app.command("import")
def stix_import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="A STIX 2.1 bundle (JSON)")],
    as_user: ActAs,
) -> None:
    """Import a STIX 2.1 bundle as monitoring information of the user's body; what this body
    already imported is skipped."""
    rt = _runtime()
    raw = file.read_bytes()
    with _errors("the bundle"):
        me = accounts.principal_for(rt.uow, username=as_user)
        objects = stix_import.parse_bundle(raw)
        if len(objects) >= PROGRESS_FROM:
            with Progress(TextColumn("importing 导入"), BarColumn(), MofNCompleteColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("import", total=None)
                result = stix_import.import_bundle(
                    rt.uow, rt.clock, principal=me, raw=raw,
                    progress=lambda n, total: bar.update(task, completed=n, total=total))
        else:
            result = stix_import.import_bundle(rt.uow, rt.clock, principal=me, raw=raw)
    out.print(f"imported 已导入 {len(result.created)} monitoring item(s); "
              f"{result.kept_context} kept as context, {result.duplicates} already imported, "
              f"{len(result.dropped)} dropped 未能保存")
    for ref in result.created:
        out.print(f"  {ref}")
    for d in result.dropped:
        err.print(f"  dropped {escape(d['id'])} ({escape(d['type'])}): {escape(d['reason'])}")
