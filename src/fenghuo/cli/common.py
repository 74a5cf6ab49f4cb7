"""What every ``fenghuo`` command shares: the runtime, acting as a user, error reporting (domain
errors and invalid input become messages on stderr and exit code 1), file loading, times."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
import yaml
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Column

from fenghuo import bootstrap
from fenghuo.cli.times import parse_day, relative_times  # noqa: F401 - re-exported
from fenghuo.common.errors import DomainError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.config import Settings
from fenghuo.org import accounts

out = Console()
err = Console(stderr=True)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user, within their scope")]


def _runtime() -> bootstrap.Runtime:
    rt = bootstrap.build(Settings())
    bootstrap.ensure_ready(rt)
    return rt


def _principal(rt: bootstrap.Runtime, username: str | None) -> Principal | None:
    return accounts.principal_for(rt.uow, username=username) if username else None


def _fail(exc: DomainError) -> NoReturn:
    if isinstance(exc, Refused):
        err.print(f"[bold red]refused 拒绝:[/] {len(exc.reasons)} rule(s) refused this")
        for r in exc.reasons:
            err.print(f"  - [bold]{escape(r['code'])}[/] ({escape(r['source'])})\n"
                      f"    {escape(r['text_zh'])}\n    {escape(r['text_en'])}")
        raise typer.Exit(code=1)
    err.print(f"[bold red]error:[/] {escape(exc.detail)}")
    if isinstance(exc, ValidationFailed):
        for e in exc.errors:
            err.print(f"  - {escape(str(e))}")
    raise typer.Exit(code=1)


def _invalid(exc: ValidationError, what: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(what)} is not valid:")
    for e in exc.errors():
        err.print(f"  - {escape('.'.join(str(p) for p in e['loc']) or 'input')}: "
                  f"{escape(e['msg'])}")
    raise typer.Exit(code=1)


@contextmanager
def _errors(what: str = "the input") -> Iterator[None]:
    """Domain errors and invalid input become messages on stderr and exit code 1."""
    try:
        yield
    except DomainError as exc:
        _fail(exc)
    except ValidationError as exc:
        _invalid(exc, what)


M = TypeVar("M", bound=BaseModel)


def _load(file: Path, model: type[M]) -> M:
    """A YAML or JSON file (JSON is YAML) parsed into ``model``; times may be written relative
    to now (:func:`relative_times`)."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        err.print(f"[bold red]error:[/] {escape(str(file))} is not valid YAML or JSON: "
                  f"{escape(str(exc))}")
        raise typer.Exit(code=1) from None
    with _errors(str(file)):
        return model.model_validate(relative_times(raw, datetime.now(UTC)))



InFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                        help="YAML or JSON file")]
ActAs = Annotated[str, typer.Option("--as", help="Act as this user, within their scope")]
Ref = Annotated[str, typer.Argument(help="Reference, e.g. WN-20261123-1A2B3C4D")]
Limit = Annotated[int, typer.Option(min=1, max=500, help="At most this many, newest first")]


def _when(rt: bootstrap.Runtime, moment: datetime | None) -> str:
    """A time in the configured time zone (FENGHUO_TIMEZONE), to the minute."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(rt.settings.timezone)).isoformat(timespec="minutes")




def _ref_column() -> Column:
    """References are what users copy into the next command: never shortened."""
    return Column("ref", no_wrap=True, min_width=20)


