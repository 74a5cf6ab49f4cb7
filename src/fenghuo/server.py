"""Runs the HTTP server: the one place that joins the runtime to the web application, and (on
the embedded default) to an in-process delivery worker."""

from __future__ import annotations

import uvicorn

from fenghuo.api.app import create_app
from fenghuo.bootstrap import Runtime
from fenghuo.workers.dispatch import Worker


def run(rt: Runtime, *, host: str, port: int) -> None:
    in_process = rt.settings.worker if rt.settings.worker is not None else rt.settings.is_embedded
    worker = None
    if in_process:
        worker = Worker.from_runtime(rt)
        rt.wake = worker.wake.set
        worker.start_thread()
    try:
        uvicorn.run(create_app(rt), host=host, port=port, log_level="info")
    finally:
        if worker is not None:
            worker.stop()
