"""Machine monitoring from the command line: the constituency register (``fenghuo register``),
feeds and their tokens (``fenghuo feed``) and ``fenghuo ingest`` of a file or standard input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from fenghuo.cli.collectors import feed_collector
from fenghuo.cli.common import ActAs, _errors, _runtime, err, out
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.monitoring import (
    chunking,
    housekeeping,
    ingest,
    parsers,
    register,
    register_files,
)
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.schemas import CollectorOut, EntryIn, FeedIn
from fenghuo.org import accounts

register_app = typer.Typer(help="The constituency register: who owns which prefix, AS number "
                           "and domain (Law arts. 51–52, Plan §3.2).", no_args_is_help=True)
feed_app = typer.Typer(help="Sensors and feeds: their formats and machine tokens.",
                       no_args_is_help=True)


@register_app.command("add")
def register_add(
    as_user: ActAs,
    body: Annotated[str, typer.Option(help="Key of the holding body")],
    kind: Annotated[EntryKind, typer.Option(help="prefix, asn or domain")],
    value: Annotated[str, typer.Option(help="e.g. 203.0.113.0/24, AS64500, example.com.cn")],
    role: Annotated[Role, typer.Option(help="owner (own networks) or jurisdiction")] = Role.OWNER,
    verified_by: Annotated[str | None, typer.Option(help="Who verified the holding")] = None,
) -> None:
    """Register one network a body holds."""
    rt = _runtime()
    with _errors():
        e = register.put_entry(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=EntryIn(body=body, kind=kind, value=value, role=role,
                                                     verified_by=verified_by))
    out.print(f"{e.kind.value} {e.value} → {e.body} ({e.role.value})")


def read_entries(file: Path) -> list[EntryIn]:
    """Register rows of a CSV or YAML file (``monitoring.register_files``); ValidationFailed
    names the row and field of the first bad one, and nothing is written."""
    return register_files.entries_of(file.name, file.read_text(encoding="utf-8-sig"))


@register_app.command("import")
def register_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or YAML file")],
    as_user: ActAs,
) -> None:
    """Import register entries from CSV or YAML: all rows or none."""
    rt = _runtime()
    with _errors(str(file)):
        principal = accounts.principal_for(rt.uow, username=as_user)
        try:
            result = register.import_entries(rt.uow, rt.clock, principal=principal,
                                             rows=read_entries(file))
        except ValidationFailed as exc:  # the service names the row; say the file too
            raise ValidationFailed([replace(e, source=e.source or file.name)
                                    for e in exc.errors]) from None
    out.print(f"created {result.created}, updated {result.updated}, "
              f"unchanged {result.unchanged}")


@register_app.command("list")
def register_list(
    as_user: ActAs,
    body: Annotated[str | None, typer.Option(help="Only this body's entries")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """List the register entries in your scope."""
    rt = _runtime()
    with _errors():
        page = register.list_entries(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), page=PageParams(limit=limit, offset=0), body=body)
    table = Table("id", "body", "kind", "value", "role", "verified by")
    for e in page.items:
        table.add_row(str(e.id), e.body, e.kind.value, e.value, e.role.value,
                      e.verified_by or "—")
    out.print(table)
    out.print(f"{page.total} entries")


@register_app.command("lookup")
def register_lookup(
    query: Annotated[str, typer.Argument(help="An address, a domain or AS<number>")],
    as_user: ActAs,
) -> None:
    """Where an event naming this address, domain or AS would be attributed."""
    rt = _runtime()
    with _errors():
        found = register.lookup(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), query=query)
    out.print(f"{found.query}: {found.level}" + (f" → {found.body} ({found.body_name_zh}) "
                                                 f"by {found.matched}" if found.body else ""))


@feed_app.command("add")
def feed_add(
    as_user: ActAs,
    code: Annotated[str, typer.Option(help="Feed code, e.g. cncert-sensor-01")],
    body: Annotated[str, typer.Option(help="Key of the body that runs it")],
    fmt: Annotated[str, typer.Option("--format", help="Input format (see `fenghuo feed formats`)")],
    name_zh: Annotated[str, typer.Option(help="Chinese name")],
    name_en: Annotated[str, typer.Option(help="English name")],
    interval: Annotated[int | None, typer.Option(help="Expected minutes between batches; "
                                                 "silence beyond it is flagged")] = None,
) -> None:
    """Register a sensor or feed and print its machine token (shown once)."""
    rt = _runtime()
    with _errors():
        tok = ingest.create_feed(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=FeedIn(code=code, body=body, format=fmt,
                                                    name_zh=name_zh, name_en=name_en,
                                                    expected_interval_minutes=interval))
    out.print(f"feed {tok.feed} created; its token (shown once):")
    out.print(tok.token, markup=False, highlight=False)


@feed_app.command("formats")
def feed_formats() -> None:
    """The input formats the parsers read."""
    for f in parsers.FORMATS.values():
        out.print(f"{f.name:14} {f.description}")


@feed_app.command("list")
def feed_list(as_user: ActAs) -> None:
    """The feeds in your scope, and which have gone silent."""
    rt = _runtime()
    with _errors():
        feeds = ingest.list_feeds(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user))
    table = Table("code", "format", "body", "last received", "silent", "collector")
    for f in feeds:
        table.add_row(f.code, f.format, f.body, str(f.last_received_at or "—"),
                      "SILENT 已中断" if f.silent else "", _collector(f.collector))
    out.print(table)


def _collector(c: CollectorOut | None) -> str:
    if c is None:
        return ""
    state = f"error: {c.last_error[:60]}" if c.last_error else f"next {c.next_run_at or '—'}"
    return f"{c.kind.value} every {c.interval_minutes} min, {state}"


@feed_app.command("rejects")
def feed_rejects(code: Annotated[str, typer.Argument(help="Feed code")], as_user: ActAs,
                 limit: Annotated[int, typer.Option(min=1, max=500)] = 20) -> None:
    """The latest lines of a feed that could not be read, with their reasons."""
    rt = _runtime()
    with _errors():
        rows = ingest.rejects(rt.uow, principal=accounts.principal_for(rt.uow, username=as_user),
                              feed=code, limit=limit)
    for r in rows:
        out.print(f"{r.batch} line {r.line_no}: {r.reason}", markup=False)
        out.print(f"    {r.raw[:200]}", markup=False, highlight=False)


feed_app.command("collector")(feed_collector)  # scheduled collectors: cli/collectors.py


class Via(StrEnum):
    """Where ``fenghuo ingest`` sends the chunks: taken in here, or published to NATS."""

    DIRECT = "direct"
    NATS = "nats"


def ingest_command(
    source: Annotated[str, typer.Argument(help="A file, or - for standard input")],
    feed: Annotated[str, typer.Option(help="Code of the feed the events come from")],
    as_user: ActAs,
    fmt: Annotated[str | None, typer.Option("--format", help="Input format (default: the "
                                            "feed's)")] = None,
    via: Annotated[Via, typer.Option(help="direct: take the events in here; nats: publish "
                                     "them to the NATS JetStream stream, for `fenghuo "
                                     "ingest-worker` to take in")] = Via.DIRECT,
) -> None:
    """Ingest a file of sensor or feed data: parse, attribute to the owning unit or province,
    aggregate, and keep the raw lines; malformed lines are kept aside with their reasons."""
    rt = _runtime()
    totals = dict.fromkeys(("lines", "events", "rejected", "skipped", "owner", "jurisdiction",
                            "national", "duplicate"), 0)
    with _errors(source):
        principal = accounts.principal_for(rt.uow, username=as_user)
        code = ingest.visible_feed(rt.uow, principal=principal, code=feed)
        if fmt is not None and fmt not in parsers.FORMATS:
            _unknown(fmt)
        fmt = fmt or ingest.feed_format(rt.uow, code=code)
        fp = sys.stdin.buffer if source == "-" else _open(source)
        size = None if source == "-" else Path(source).stat().st_size
        label = "stdin" if source == "-" else f"file:{Path(source).name}"
        with fp, Progress(TextColumn("{task.description}"), BarColumn(), TransferSpeedColumn(),
                          TextColumn("{task.fields[events]} events"), console=err,
                          transient=False) as bar:
            task = bar.add_task("ingest", total=size, events=0)
            chunks = chunking.chunks(fp, label, fmt, lambda n: bar.advance(task, n))
            if via is Via.NATS:
                sent = _publish(rt, code, fmt, principal.username, chunks)
                bar.stop()
                out.print(sent)
                return
            for group in chunking.groups(chunks):
                for b in ingest.take_in(rt.uow, rt.clock, feed=code, fmt=fmt, chunks=group,
                                        received_by=principal.username):
                    for k in totals:
                        totals[k] += int(getattr(b, k))
                bar.update(task, events=totals["events"])
    out.print(f"{totals['lines']} lines: {totals['events']} events "
              f"(owner {totals['owner']}, jurisdiction {totals['jurisdiction']}, national "
              f"{totals['national']}), {totals['rejected']} rejected, {totals['skipped']} "
              f"skipped" + (f"; {totals['duplicate']} batches already taken in"
                            if totals["duplicate"] else ""))
    if totals["rejected"]:
        out.print(f"see the rejected lines: fenghuo feed rejects {code} --as {as_user}")


def _publish(rt, code: str, fmt: str, by: str, chunks: Iterator[ingest.Chunk]) -> str:  # noqa: ANN001
    """Publish the chunks to the NATS stream; what was published, as a line to print."""
    from fenghuo.monitoring import stream  # loads nats only when the stream is used

    sent = stream.publish(rt.settings, feed=code, fmt=fmt, by=by, chunks=chunks)
    return (f"published {sent.chunks} chunks ({sent.lines} lines) in {sent.messages} messages "
            f"to NATS stream {rt.settings.nats_stream}" + (
                f"; {sent.duplicates} dropped as already published" if sent.duplicates else "")
            + "; `fenghuo ingest-worker` takes them in")


def _unknown(fmt: str) -> None:
    raise ValidationFailed([FieldError("format", f"unknown format {fmt!r}; expected one of "
                                       f"{', '.join(parsers.FORMATS)}")])


def _open(source: str) -> BinaryIO:
    path = Path(source)
    if not path.is_file():
        raise ValidationFailed([FieldError("source", f"no such file: {source}")])
    return path.open("rb")


def housekeep_command() -> None:
    """Monitoring housekeeping (the worker runs it hourly): drop events past retention (Law
    art. 21), index closed days, compact aggregates, flag silent feeds."""
    rt = _runtime()
    with _errors():
        r = housekeeping.run(rt.uow, rt.clock)
    out.print(f"events observed before {r.expired_before}: dropped {r.dropped} "
              f"({'partitions' if rt.engine.dialect.name == 'postgresql' else 'rows'}), "
              f"{r.raw_pieces} raw pieces, {r.rejects} rejected lines")
    out.print(f"indexed {len(r.indexed)} closed days; folded {r.compacted} aggregate rows")
    out.print("silent feeds flagged: " + (", ".join(r.silenced) or "none"))
