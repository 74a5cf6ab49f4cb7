"""How long the ``fenghuo`` command takes to start (issue 14 item 4): ``fenghuo --help`` and
``fenghuo report FILE`` on the embedded database, each run as a new process, and what the
imports of each cost (``python -X importtime``).

    python bench/cli_start.py [--runs 15]

It works in a temporary directory: a new SQLite database, the Jincheng example tree and a
reporter of the water company, then ``examples/report.yaml`` filed again and again.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]


def command() -> list[str]:
    """The installed console script if there is one (what a user types), else the module."""
    script = shutil.which("fenghuo")
    return [script] if script else [sys.executable, "-m", "fenghuo.cli.main"]


def run(args: list[str], env: dict, cwd: Path, *, python_flags: tuple[str, ...] = ()
        ) -> tuple[float, subprocess.CompletedProcess]:
    cmd = [sys.executable, *python_flags, "-m", "fenghuo.cli.main", *args] if python_flags \
        else [*command(), *args]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"`fenghuo {' '.join(args)}` failed: {done.stderr[-2000:]}")
    return elapsed, done


def top_imports(stderr: str, n: int = 8) -> list[tuple[float, str]]:
    """The costliest top-level imports of an ``-X importtime`` trace, in ms (cumulative)."""
    found = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            found.append((int(m.group(1)) / 1000, m.group(2)))
    return sorted(found, reverse=True)[:n]


def measure(label: str, args: list[str], env: dict, cwd: Path, runs: int) -> None:
    run(args, env, cwd)  # warm: bytecode compiled, files in the page cache
    times = [run(args, env, cwd)[0] for _ in range(runs)]
    print(f"{label:<28} median {statistics.median(times) * 1000:6.0f} ms   "
          f"min {min(times) * 1000:6.0f} ms   max {max(times) * 1000:6.0f} ms   ({runs} runs)")
    _, traced = run(args, env, cwd, python_flags=("-X", "importtime"))
    total = sum(ms for ms, _ in top_imports(traced.stderr, n=10_000))
    print(f"    imports (-X importtime, inflated by tracing): {total:.0f} ms; the largest:")
    for ms, name in top_imports(traced.stderr):
        print(f"    {ms:7.1f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fenghuo-cli-") as tmp:
        cwd = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
        env["FENGHUO_DATABASE_URL"] = f"sqlite:///{cwd / 'fenghuo.db'}"
        run(["db", "upgrade"], env, cwd)
        run(["org", "import", str(ROOT / "examples" / "jincheng.yaml")], env, cwd)
        run(["user", "create", "reporter", "--body", "jc.zezhou-water", "--role",
             "operator_reporter", "--password", "a-long-enough-password"], env, cwd)
        print(f"command: {' '.join(command())}; Python {sys.version.split()[0]}; "
              f"{os.cpu_count()} cores")
        measure("fenghuo --help", ["--help"], env, cwd, opts.runs)
        measure("fenghuo report FILE", ["report", str(ROOT / "examples" / "report.yaml"),
                                        "--as", "reporter"], env, cwd, opts.runs)


if __name__ == "__main__":
    main()
