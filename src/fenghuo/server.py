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
    return create_app(bootstrap.build(Settings()))


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


def _serve(rt: Runtime, *, host: str, port: int, processes: int) -> None:
    if processes > 1:
        uvicorn.run("fenghuo.server:app_from_env", factory=True, workers=processes,
                    host=host, port=port, log_level="info", access_log=rt.settings.access_log)
    else:
        uvicorn.run(create_app(rt), host=host, port=port, log_level="info",
                    access_log=rt.settings.access_log)
