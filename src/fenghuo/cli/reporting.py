"""``fenghuo report``: an incident report from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fenghuo.cli.common import _errors, _load, _runtime, out
from fenghuo.incident import service as incident_service
from fenghuo.incident.schemas import ReportIn
from fenghuo.org import accounts


def report(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="YAML or JSON report")],
    as_user: Annotated[str, typer.Option("--as", help="The reporting user")],
    idempotency_key: Annotated[str | None, typer.Option(
        help="Retrying with the same key returns the same incident")] = None,
) -> None:
    """File an incident report (CAC 2025 art. 7) from a file, as a user."""
    data = _load(file, ReportIn)  # a bad file is refused before the database is opened
    rt = _runtime()
    with _errors():
        principal = accounts.principal_for(rt.uow, username=as_user)
        incident = incident_service.report(rt.uow, rt.clock, principal=principal, data=data,
                                           idempotency_key=idempotency_key,
                                           profile=rt.settings.grading_profile)
    out.print(f"[bold]{incident.ref}[/] {incident.grade_label['zh']} {incident.grade_label['en']}"
              f" — routed to {', '.join(r.body for r in incident.routes) or 'nobody'}")
    for r in incident.grade_reasons:
        out.print(f"  · {r.text_zh} / {r.text_en} [dim]({r.source})[/]")
