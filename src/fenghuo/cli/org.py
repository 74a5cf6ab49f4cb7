"""``fenghuo org``: import, export and show the organization tree."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table
from rich.tree import Tree

from fenghuo.cli.common import (
    AsUser,
    _fail,
    _principal,
    _runtime,
    err,
    out,
)
from fenghuo.common.errors import DomainError
from fenghuo.org import bodies, interchange
from fenghuo.org.schemas import TreeNode

org_app = typer.Typer(help="The organization tree.", no_args_is_help=True)


@org_app.command("import")
def org_import(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_user: AsUser = None,
) -> None:
    """Import YAML or CSV org files in one transaction; any error rejects them all."""
    rt = _runtime()
    docs = [interchange.parse_csv(str(f), f.read_text(encoding="utf-8"))
            if f.suffix.lower() == ".csv"
            else interchange.parse_yaml(f.read_text(encoding="utf-8"), source=f.name)
            for f in files]
    doc = interchange.merge(docs)
    total = sum(len(rows) for rows in doc.rows.values())
    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("importing", total=total)
            summary = interchange.import_document(
                rt.uow, rt.clock, principal=_principal(rt, as_user), doc=doc,
                progress=lambda n: progress.advance(task, n))
    except DomainError as exc:
        _fail(exc)
    table = Table("table", "created", "updated")
    for section in interchange.SECTIONS:
        table.add_row(section, str(summary.created[section]), str(summary.updated[section]))
    out.print(table)


@org_app.command("export")
def org_export(
    fmt: Annotated[str, typer.Option("--format", help="yaml or csv")] = "yaml",
    out_path: Annotated[Path | None, typer.Option(
        "--out", help="File (yaml) or directory (csv); yaml goes to stdout when omitted")] = None,
    as_user: AsUser = None,
) -> None:
    """Export the tree (or, with --as, what that user can see) in the import format."""
    rt = _runtime()
    tables = interchange.export_tables(rt.uow, principal=_principal(rt, as_user))
    if fmt == "yaml":
        text = interchange.to_yaml(tables)
        if out_path:
            out_path.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    if fmt != "csv" or out_path is None:
        err.print("[bold red]error:[/] --format is yaml or csv, and csv needs --out DIRECTORY")
        raise typer.Exit(code=2)
    out_path.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        (out_path / f"{table}.csv").write_text(interchange.to_csv(table, rows), encoding="utf-8")
    out.print(f"wrote {len(tables)} CSV files to {out_path}")


@org_app.command("tree")
def org_tree(
    as_user: AsUser = None,
    bodies_too: Annotated[bool, typer.Option("--bodies/--no-bodies")] = True,
) -> None:
    """Print the organization tree (all of it, or with --as what that user can see)."""
    rt = _runtime()
    try:
        node = bodies.org_tree(rt.uow, principal=_principal(rt, as_user), include_bodies=bodies_too)
    except DomainError as exc:
        _fail(exc)
    out.print(_rich_tree(node, None))


def _rich_tree(node: TreeNode, parent: Tree | None) -> Tree:
    label = f"[bold]{node.name_zh}[/] {node.name_en} [dim]({node.code}, {node.level.value})[/]"
    branch = Tree(label) if parent is None else parent.add(label)
    for b in node.bodies:
        branch.add(f"[cyan]{b.name_zh}[/] {b.name_en} [dim]{b.key} · {b.kind_label.en}[/]")
    for child in node.children:
        _rich_tree(child, branch)
    return branch


