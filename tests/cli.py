"""Running ``fenghuo`` as the tests need it: in process through Typer's ``CliRunner`` (the real
app, its real commands, its exit codes, stdout and stderr apart), or, where the process itself is
under test (start-up, signals, exit codes of the interpreter), as a real subprocess.

In process, the environment given replaces the test process's for the command's duration, the
working directory is the one given, and an exception that the command does not turn into an
exit code fails the test instead of passing for "exit code 1". Database engines the command
built are disposed when it returns, as a process ending would close them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from fenghuo import bootstrap
from fenghuo.cli.main import app
from tests.waits import scaled


@dataclass(frozen=True)
class Ran:
    """What a command left: the same three fields as ``subprocess.CompletedProcess``."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any FENGHUO_ setting but the suite's password
    hashing costs, wide and colourless."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FENGHUO_") or k.startswith("FENGHUO_PASSWORD_HASH_")}
    return {**env, "COLUMNS": "200", "NO_COLOR": "1", **extra}


def fenghuo(*args: str, env: Mapping[str, str], cwd: Path, input: str | None = None) -> Ran:
    """``fenghuo ARGS`` in this process with exactly ``env`` as its environment."""
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    overrides.update(env)
    with contextlib.chdir(cwd), _engines_disposed():
        result = CliRunner().invoke(app, list(args), env=overrides, input=input,
                                    catch_exceptions=False)
    return Ran(tuple(args), result.exit_code, result.stdout, result.stderr)


def fenghuo_process(*args: str, env: Mapping[str, str], cwd: Path,
                    input: str | None = None) -> subprocess.CompletedProcess:
    """``python -m fenghuo.cli.main ARGS`` as its own process."""
    return subprocess.run([sys.executable, "-m", "fenghuo.cli.main", *args], env=dict(env),
                          cwd=cwd, capture_output=True, text=True, input=input,
                          timeout=scaled(120))


@contextlib.contextmanager
def _engines_disposed() -> Iterator[None]:
    built: list[bootstrap.Runtime] = []
    original = bootstrap.build

    def build(*args, **kwargs) -> bootstrap.Runtime:  # noqa: ANN002, ANN003
        rt = original(*args, **kwargs)
        built.append(rt)
        return rt

    bootstrap.build = build
    try:
        yield
    finally:
        bootstrap.build = original
        for rt in built:
            rt.engine.dispose()
