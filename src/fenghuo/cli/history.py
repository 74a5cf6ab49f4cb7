"""``fenghuo incidents``: bring in historical incidents with their own dates (issue 18 item 9)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fenghuo.cli.common import _errors, _runtime, err, out
from fenghuo.incident import history
from fenghuo.org import accounts

incidents_app = typer.Typer(help="Incident history: import the incidents of FIR, TheHive or "
                                 "Fenghuo exports with their own report, acknowledgement and "
                                 "closing times.", no_args_is_help=True)


class Format(StrEnum):
    FIR_CSV = "fir-csv"
    FIR_JSON = "fir-json"
    THEHIVE_JSON = "thehive-json"
    FENGHUO_JSON = "fenghuo-json"


@incidents_app.command("import")
def incidents_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="The export file")],
    fmt: Annotated[Format, typer.Option("--format", help="The file's format")],
    as_user: Annotated[str, typer.Option("--as", help="An office administrator or duty "
                                                      "officer")],
    source: Annotated[str | None, typer.Option(help="The tool instance the ids come from "
                                                    "(default: the tool)")] = None,
) -> None:
    """Import historical incidents, all or nothing: each keeps its own dates, is marked
    imported, has no clocks and sends no notices; rows imported before are skipped."""
    text = file.read_text(encoding="utf-8")
    rt = _runtime()
    with _errors(str(file)):
        principal = accounts.principal_for(rt.uow, username=as_user)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                      transient=True) as bar:
            task = bar.add_task("importing 导入", total=None)
            summary = history.import_history(
                rt.uow, rt.clock, principal=principal, fmt=fmt.value, text=text,
                profile=rt.settings.grading_profile, timezone=rt.settings.timezone,
                source=source,
                progress=lambda n, total: bar.update(task, total=total, advance=n))
    out.print(f"imported 已导入 {summary.imported} of {summary.rows} incident(s) from "
              f"{summary.source} ({summary.format}); skipped 已跳过 {summary.skipped} imported "
              "before")
    for ref in summary.refs[:20]:
        out.print(f"  {ref}")
    if len(summary.refs) > 20:
        out.print(f"  … and {len(summary.refs) - 20} more")
