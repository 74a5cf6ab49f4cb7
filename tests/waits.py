"""Waiting in tests for something another thread or process does: a server answering, a worker
delivering, a peer receiving.

Every wait has a generous bound, scaled to the machine (``scaled``): by the load on its cores when
the wait starts and by ``FENGHUO_TEST_TIMEOUT_SCALE`` (default 1) for a slow machine. A wait that
runs out fails with a message that names what did not happen, never silently. No test asserts how
long anything took: durations are for ``bench/``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """What a test waited for did not happen within its bound."""


def factor() -> float:
    """How much longer than on an idle machine waits may take here, now."""
    configured = float(os.environ.get("FENGHUO_TEST_TIMEOUT_SCALE", "1") or 1)
    load = os.getloadavg()[0] / (os.cpu_count() or 1) if hasattr(os, "getloadavg") else 0.0
    return max(configured, 0.1) * max(1.0, load)


def scaled(seconds: float) -> float:
    return seconds * factor()


def _ran_out(what: str, seconds: float, bound: float, extra: str = "") -> WaitTimeout:
    return WaitTimeout(f"{what}: did not happen within {bound:.0f} s ({seconds:.0f} s scaled "
                       f"×{bound / seconds:.1f} to this machine's load; raise it with "
                       f"FENGHUO_TEST_TIMEOUT_SCALE){': ' + extra if extra else ''}")


def wait_until(check: Callable[[], T], what: str, *, seconds: float = 30, interval: float = 0.1,
               detail: Callable[[], str] | None = None,
               abort: Callable[[], str | None] | None = None) -> T:
    """Call ``check`` until it returns something truthy and return that. ``what`` names the
    awaited outcome ("the server answers /healthz"); ``detail`` adds what was seen instead (a log,
    a state) to the failure; ``abort`` returns a reason to stop waiting at once (a process that
    exited). Exceptions from ``check`` count as "not yet"."""
    bound = scaled(seconds)
    deadline = time.monotonic() + bound
    last_error: BaseException | None = None
    while True:
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - not ready yet; reported if time runs out
            last_error, result = exc, None
        if result:
            return result
        if abort and (reason := abort()):
            raise WaitTimeout(f"{what}: gave up, {reason}"
                              + (f": {detail()}" if detail else ""))
        if time.monotonic() >= deadline:
            seen = detail() if detail else (f"last error {last_error!r}" if last_error else "")
            raise _ran_out(what, seconds, bound, seen)
        time.sleep(interval)


def wait_for_event(event: threading.Event, what: str, *, seconds: float = 30,
                   detail: Callable[[], str] | None = None) -> None:
    """Wait until ``event`` is set, or fail naming ``what`` did not happen."""
    bound = scaled(seconds)
    if not event.wait(bound):
        raise _ran_out(what, seconds, bound, detail() if detail else "")
