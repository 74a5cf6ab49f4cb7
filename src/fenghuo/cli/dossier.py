"""``fenghuo dossier``: one incident's whole record as JSON and as a PDF."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fenghuo import dossier as dossiers
from fenghuo.cli.common import _errors, _runtime, err, out
from fenghuo.org import accounts


def dossier(
    ref: Annotated[str, typer.Argument(help="Incident reference")],
    as_user: Annotated[str, typer.Option("--as", help="Act as this user, within their scope")],
    pdf: Annotated[Path | None, typer.Option("--pdf", dir_okay=False,
                                             help="Write the PDF (A4, 中文/English) here")]
    = None,
    json_file: Annotated[Path | None, typer.Option("--json", dir_okay=False,
                                                   help="Write the JSON record here")] = None,
) -> None:
    """Export one incident's whole record — reports, grading, routing, notifications,
    responses, duty, progress, support, investigation, evidence hashes — as PDF and/or JSON."""
    if pdf is None and json_file is None:
        raise typer.BadParameter("give --pdf FILE, --json FILE or both")
    rt = _runtime()
    with _errors():
        d = dossiers.build(rt.uow, rt.clock, ref=ref,
                          principal=accounts.principal_for(rt.uow, username=as_user))
    record = dossiers.to_json(d)
    try:
        if json_file:
            json_file.write_bytes(record)
            out.print(f"wrote {escape(str(json_file))} (JSON, {len(record)} bytes)")
        if pdf:
            content = dossiers.to_pdf(d, timezone=rt.settings.timezone)
            pdf.write_bytes(content)
            out.print(f"wrote {escape(str(pdf))} (PDF, {len(content)} bytes)")
    except OSError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    out.print(f"{d.incident.ref}: SHA-256 of the JSON {hashlib.sha256(record).hexdigest()}")
