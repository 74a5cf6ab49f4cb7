"""The FastAPI application factory."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from fenghuo import __version__
from fenghuo.api import problems
from fenghuo.api.routers import audit, auth, incidents, org, users
from fenghuo.bootstrap import Runtime
from fenghuo.web import routes as web

API_PREFIX = "/api/v1"


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Fenghuo 烽火",
        version=__version__,
        description="Network-security monitoring, early warning, notification and emergency "
        "response. Log in with **Authorize** (username and password); every answer is limited "
        "to your place in the organization tree (Cybersecurity Law art. 30).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    problems.install(app)
    for router in (auth.router, org.router, users.router, incidents.router, audit.router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web.router)
    _install_metrics(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        with runtime.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    return app


def _install_metrics(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter("fenghuo_http_requests_total", "HTTP requests",
                       ["method", "route", "status"], registry=registry)
    latency = Histogram("fenghuo_http_request_seconds", "HTTP request latency",
                        ["method", "route"], registry=registry)

    @app.middleware("http")
    async def measure(request: Request, call_next):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(request.method, route).observe(time.perf_counter() - start)
        return response

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
