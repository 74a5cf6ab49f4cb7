"""Operations: liveness (``/healthz``), readiness (``/readyz``) and a database outage answered
as a clear, retryable ``503`` with ``Retry-After`` instead of a 500.

``/healthz`` says the process is up and serving, without touching the database (a restart of
PostgreSQL must not make an orchestrator kill healthy processes); ``/readyz`` asks the database
with a short timeout and answers 503 problem+json naming what is down (take the process out of
the load balancer until it is ready again).
"""

from __future__ import annotations

import logging

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from fenghuo import __version__
from fenghuo.api import problems
from fenghuo.common.errors import Unavailable
from fenghuo.web import pages

#: seconds /readyz waits for the database before it answers 503
READY_TIMEOUT = 2.0
log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    for cls in problems.DATABASE_DOWN:
        app.add_exception_handler(cls, _unavailable)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["ops"],
                      responses={200: {"description": "the database answers"}})


def _timed_out(exc: Exception) -> bool:
    """A statement cancelled by PostgreSQL (SQLSTATE 57014 query_canceled): past the statement
    timeout, or its client gone (``api.deadline``)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "57014"


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The API's problem+json, or the web console's error page: 503 with Retry-After; a
    statement past the timeout says so (issue 21 item 4)."""
    if _timed_out(exc):
        limit = request.app.state.runtime.settings.statement_timeout_seconds
        log.warning("statement timeout at %s %s", request.method, request.url.path)
        failure = Unavailable(f"the request took longer than the statement timeout ({limit:g} s) "
                              "and was stopped: narrow it (filters, a shorter period) or retry")
    else:
        log.warning("database unavailable at %s %s: %s", request.method, request.url.path, exc)
        failure = problems.DATABASE_UNAVAILABLE
    if request.url.path.startswith("/web/"):
        return pages.unavailable_page(request, failure, problems.RETRY_AFTER)
    return problems.unavailable(request.url.path, failure.detail)


def healthz() -> dict:
    """Liveness: the process is up and serving (the database is not asked: see /readyz)."""
    return {"status": "ok", "version": __version__}


async def readyz(request: Request) -> Response:
    """Readiness: the database answers within READY_TIMEOUT seconds; else 503 naming it."""
    engine = request.app.state.runtime.engine
    try:
        with anyio.fail_after(READY_TIMEOUT):
            await anyio.to_thread.run_sync(_ping, engine, abandon_on_cancel=True)
    except (TimeoutError, *problems.DATABASE_DOWN) as exc:
        log.warning("not ready: the database does not answer: %s", exc)
        return problems.unavailable("/readyz", f"the database does not answer (within "
                                    f"{READY_TIMEOUT:g} s)", checks={"database": "down"})
    return JSONResponse({"status": "ready", "version": __version__,
                         "checks": {"database": "ok"}})


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
