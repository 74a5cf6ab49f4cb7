"""Scheduled collectors from the command line: ``fenghuo feed collector CODE`` sets (or
clears) a feed's collector, ``fenghuo collect`` runs the due collectors (or one, now) with a
progress bar and a summary. The worker runs due collectors about every minute by itself."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import SecretStr
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from fenghuo.cli.common import ActAs, AsUser, _errors, _principal, _runtime, _when, err, out
from fenghuo.monitoring import collectors
from fenghuo.monitoring.schemas import CollectorIn, CollectorKind, CollectRun, FeedOut
from fenghuo.org import accounts


def feed_collector(
    code: Annotated[str, typer.Argument(help="Feed code")],
    as_user: ActAs,
    url: Annotated[str | None, typer.Option(help="URL to pull, or a TAXII 2.1 collection URL "
                                            "(…/collections/{id}/)")] = None,
    every: Annotated[int, typer.Option(min=1, help="Minutes between pulls")] = 60,
    taxii: Annotated[bool | None, typer.Option(
        "--taxii/--plain", help="A TAXII 2.1 collection, or a plain URL (default: taxii for a "
        "stix feed with a collection URL)")] = None,
    user: Annotated[str | None, typer.Option(help="HTTP Basic username")] = None,
    password: Annotated[str | None, typer.Option(
        help="HTTP Basic password, or env:NAME to read it from the collecting process's "
        "environment (prompted for when --user is given without it)")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token, or env:NAME")] = None,
    keep_credentials: Annotated[bool, typer.Option(
        help="Keep the credentials already set when none are given (same host)")] = True,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the collector")] = False,
) -> None:
    """Set a feed's scheduled collector: pull a URL or a TAXII collection every N minutes."""
    rt = _runtime()
    with _errors():
        me = accounts.principal_for(rt.uow, username=as_user)
        if clear:
            _show(rt, collectors.clear_collector(rt.uow, rt.clock, principal=me, code=code))
            return
        if url is None:
            err.print("[bold red]error:[/] give --url (or --clear)")
            raise typer.Exit(code=1)
        if user is not None and password is None:
            password = typer.prompt("password", hide_input=True)
        kind = None if taxii is None else CollectorKind.TAXII if taxii else CollectorKind.URL
        data = CollectorIn(url=url, interval_minutes=every, kind=kind, username=user,
                           password=SecretStr(password) if password is not None else None,
                           token=SecretStr(token) if token is not None else None,
                           keep_credentials=keep_credentials)
        _show(rt, collectors.set_collector(rt.uow, rt.clock, principal=me, code=code, data=data))


def _show(rt, feed: FeedOut) -> None:  # noqa: ANN001
    c = feed.collector
    if c is None:
        out.print(f"feed {feed.code}: no collector")
        return
    out.print(f"feed {feed.code}: {c.kind.value} collector {c.url} every {c.interval_minutes} "
              f"min" + (f", {c.auth} auth" if c.auth else "") + f"; next run "
              f"{_when(rt, c.next_run_at)}", markup=False, highlight=False)


def collect_command(
    as_user: AsUser = None,
    feed: Annotated[str | None, typer.Option(help="Run this feed's collector now, due or "
                                             "not")] = None,
) -> None:
    """Run the scheduled collectors that are due (or one feed's, now) and summarize the pulls;
    without --as, every due collector (as the worker does)."""
    rt = _runtime()
    with _errors():
        me = _principal(rt, as_user)
        codes = [feed] if feed else collectors.due(rt.uow, rt.clock, principal=me)
        runs: list[CollectRun] = []
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=False) as bar:
            task = bar.add_task("collect", total=len(codes))
            for code in codes:
                bar.update(task, description=f"collect {code}")
                runs.append(collectors.run(rt.uow, rt.clock, code=code, principal=me,
                                           force=feed is not None))
                bar.advance(task)
    _summary(rt, runs)
    if any(r.outcome == "failed" for r in runs):
        raise typer.Exit(code=1)


def _summary(rt, runs: list[CollectRun]) -> None:  # noqa: ANN001
    if not runs:
        out.print("no collector is due")
        return
    table = Table("feed", "kind", "outcome", "batches", "events", "rejected", "next run",
                  "error")
    for r in runs:
        table.add_row(r.feed, r.kind.value if r.kind else "—", r.outcome, str(r.batches),
                      str(r.events), str(r.rejected), _when(rt, r.next_run_at), Text(r.error or ""))
    out.print(table)
    out.print(f"{len(runs)} collectors: {sum(r.batches for r in runs)} new batches, "
              f"{sum(r.events for r in runs)} events, "
              f"{sum(r.outcome == 'failed' for r in runs)} failed")
