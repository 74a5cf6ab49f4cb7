"""``fenghuo serve`` (or ``fenghuo worker``) as a real process for the tests that need one: the
browser tests, TAXII with a real client, start-up, several processes, a killed worker.

A server is ready when ``/healthz`` answers 200; the wait for it is bounded (scaled to the
machine, tests/waits.py) and, if it runs out or the process exits first, fails with the process's
own output. Stopping sends SIGTERM and, if the process does not end in time, kills it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.peers import free_port
from tests.waits import scaled, wait_until


class Process:
    """A ``python -m fenghuo.cli.main ARGS`` process, its output in ``log``."""

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str], cwd: Path,
                 log: Path) -> None:
        self.args, self.log = list(args), log
        self._out = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", *self.args],
                                     env=dict(env), cwd=cwd, stdout=self._out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def exited(self) -> str | None:
        """Why waiting on this process is pointless, if it is: it has exited."""
        code = self.proc.poll()
        return None if code is None else f"`fenghuo {' '.join(self.args)}` exited with {code}"

    def stop(self, *, kill: bool = False) -> int:
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
        try:
            code = self.proc.wait(timeout=scaled(30))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._out.close()
        return code

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Server(Process):
    """``fenghuo serve --host 127.0.0.1 --port PORT [EXTRA]``; ``base`` is its URL."""

    def __init__(self, *, env: Mapping[str, str], cwd: Path, log: Path,
                 extra: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(["serve", "--host", "127.0.0.1", "--port", str(self.port), *extra],
                         env=env, cwd=cwd, log=log)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, seconds: float = 120) -> None:
        def healthy() -> bool:
            return httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200

        wait_until(healthy, f"`fenghuo serve` answers {self.base}/healthz", seconds=seconds,
                   interval=0.2, abort=self.exited, detail=lambda: "its output:\n"
                   + self.output()[-4000:])
