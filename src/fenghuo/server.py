"""Runs the HTTP server: the one place that joins the runtime to the web application."""

from __future__ import annotations

import uvicorn

from fenghuo.api.app import create_app
from fenghuo.bootstrap import Runtime


def run(rt: Runtime, *, host: str, port: int) -> None:
    uvicorn.run(create_app(rt), host=host, port=port, log_level="info")
