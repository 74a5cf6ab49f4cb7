"""Runs the HTTP server: the one place that joins the runtime to the web application, and (on
the embedded default) to an in-process delivery worker."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from fenghuo import bootstrap
from fenghuo.api import metrics
from fenghuo.api.app import create_app
from fenghuo.bootstrap import Runtime
from fenghuo.config import Settings
from fenghuo.workers.dispatch import Worker


def app_from_env() -> FastAPI:
    """The application of one server process, built from the environment (for ``--processes``)."""
    return create_app(bootstrap.build(Settings(), for_requests=True))


def embedded_worker(rt: Runtime, *, processes: int = 1) -> Worker | None:
    """Start the in-process delivery worker where the settings ask for one (``worker``; by
    default on the embedded database); the caller stops it."""
    in_process = rt.settings.worker if rt.settings.worker is not None else rt.settings.is_embedded
    if not in_process:
        return None
    worker = Worker.from_runtime(rt)
    if processes == 1:
        rt.wake = worker.wake.set  # several processes cannot wake it; it polls
    worker.start_thread()
    return worker


def run(rt: Runtime, *, host: str, port: int, processes: int = 1) -> None:
    """Serve; with ``processes > 1`` uvicorn starts that many server processes (use it on
    PostgreSQL: SQLite admits one writer at a time anyway), which share their request metrics
    through a directory (``metrics.multiprocess_dir``)."""
    worker = embedded_worker(rt, processes=processes)
    try:
        with metrics.multiprocess_dir(processes):
            _serve(rt, host=host, port=port, processes=processes)
    finally:
        if worker is not None:
            worker.stop()


def requests_runtime(rt: Runtime) -> Runtime:
    """The runtime the HTTP requests use: on PostgreSQL with a statement timeout, its own
    engine whose statements stop at it (the start-up and the embedded worker keep ``rt``'s);
    the same wake-up of the embedded worker."""
    if rt.settings.is_embedded or not rt.settings.statement_timeout_seconds:
        return rt
    served = bootstrap.build(rt.settings, clock=rt.clock, for_requests=True)
    served.wake = rt.wake
    return served


def _serve(rt: Runtime, *, host: str, port: int, processes: int) -> None:
    if processes > 1:
        # a busy process answers its health ping late: restart it only after
        # worker_healthcheck_seconds, not uvicorn's 5 s (issue 21 item 4)
        uvicorn.run("fenghuo.server:app_from_env", factory=True, workers=processes,
                    host=host, port=port, log_level="info", access_log=rt.settings.access_log,
                    timeout_worker_healthcheck=rt.settings.worker_healthcheck_seconds)
    else:
        uvicorn.run(create_app(requests_runtime(rt)), host=host, port=port, log_level="info",
                    access_log=rt.settings.access_log)
