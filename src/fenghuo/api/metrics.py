"""Prometheus ``/metrics`` (issue 20 item 7; every metric is listed in docs/operations.md
"Metrics"): request counts and latencies per route, the process and Python collectors,
``fenghuo_build_info``, and the domain gauges read from the database at scrape time.

Several server processes (``fenghuo serve --processes N``, or ``PROMETHEUS_MULTIPROC_DIR`` set
by the operator) count in prometheus_client's multiprocess mode: each process writes its request
metrics to files in that directory and any process answering a scrape adds up all of them, so
the counters are the server's, not the share of whichever process answered. The domain gauges
come from the database, once per scrape (not per process); the process collector (CPU, memory,
file descriptors) describes one process only and is left out in that mode.
"""

from __future__ import annotations

import hmac
import logging
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fenghuo import __version__
from fenghuo.api import problems
from fenghuo.bootstrap import Runtime
from fenghuo.incident.grading import Grade
from fenghuo.incident.owner_rules import OPEN_STATES
from fenghuo.incident.rules import DutyKind
from fenghuo.observability import gauges
from fenghuo.org.rules import DELIVERABLE_CHANNELS

PATH = "/metrics"
#: prometheus_client's switch: set, metrics live in files there, shared by processes
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """Count every request (:class:`Measure`) and serve ``/metrics``."""
    shared = os.environ.get(MULTIPROC_ENV)
    registry = CollectorRegistry()
    own = None if shared else registry  # multiprocess: values go to files, not a registry
    requests = Counter("fenghuo_http_requests_total", "HTTP requests answered",
                       ["method", "route", "status"], registry=own)
    latency = Histogram("fenghuo_http_request_duration_seconds", "HTTP request latency "
                        "(until the response is sent)", ["method", "route"], registry=own)
    if shared:
        MultiProcessCollector(registry, path=shared)
    else:
        ProcessCollector(registry=registry)
        GCCollector(registry=registry)
    PlatformCollector(registry=registry)  # python_info: the same in every process
    registry.register(BuildInfo())
    registry.register(DomainGauges(lambda: app.state.runtime))
    app.add_middleware(Measure, requests=requests, latency=latency)

    def metrics(request: Request) -> Response:
        settings = request.app.state.runtime.settings
        if not authorized(request.headers.get("authorization"), settings.metrics_token):
            return problems.problem(401, "Unauthorized", "/metrics needs the bearer token "
                                    "set by FENGHUO_METRICS_TOKEN", PATH)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(PATH, metrics, methods=["GET"], include_in_schema=False)


def authorized(header: str | None, token: SecretStr | None) -> bool:
    """No token set, or ``Authorization: Bearer <token>`` (compared in constant time,
    RFC 6750 §2.1)."""
    if token is None:
        return True
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.get_secret_value().encode())


@contextmanager
def multiprocess_dir(processes: int) -> Iterator[str | None]:
    """The directory the server processes share their metrics in, for ``fenghuo serve``: the
    operator's ``PROMETHEUS_MULTIPROC_DIR`` emptied of an earlier run's files, or with several
    processes a fresh temporary one (removed at the end); none for one process. Set before the
    processes start (uvicorn spawns them: they inherit the environment)."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        yield given
        return
    if processes <= 1:
        yield None
        return
    made = tempfile.mkdtemp(prefix="fenghuo-metrics-")
    os.environ[MULTIPROC_ENV] = made
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)


class BuildInfo(Collector):
    """``fenghuo_build_info{version, python} 1``."""

    def collect(self) -> Iterable[Metric]:
        info = GaugeMetricFamily("fenghuo_build_info", "The running Fenghuo: its version and "
                                 "Python's (always 1)", labels=["version", "python"])
        info.add_metric([__version__, platform.python_version()], 1)
        yield info


class DomainGauges(Collector):
    """The gauges read from the database (:mod:`fenghuo.observability.gauges`), at most once
    per ``metrics_cache_seconds`` per process whatever the scrape rate, under a statement
    timeout of ``metrics_timeout_seconds``; a failed read yields
    ``fenghuo_domain_scrape_success 0`` instead of the gauges (the scrape itself succeeds)."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime, self._lock = runtime, threading.Lock()
        self._cached: tuple[Runtime, float, gauges.Snapshot | None, float] | None = None

    def collect(self) -> Iterable[Metric]:
        snap, took = self._snapshot()
        yield _gauge("fenghuo_domain_scrape_success", "1 when the domain gauges could be read "
                     "from the database", 1 if snap else 0)
        yield _gauge("fenghuo_domain_scrape_duration_seconds", "How long reading the domain "
                     "gauges from the database took (the last read; reused while cached)", took)
        if snap is not None:
            yield from families(snap)

    def _snapshot(self) -> tuple[gauges.Snapshot | None, float]:
        rt = self._runtime()
        with self._lock:
            c = self._cached
            if c and c[0] is rt and time.monotonic() - c[1] < rt.settings.metrics_cache_seconds:
                return c[2], c[3]
            start = time.monotonic()
            try:
                snap = gauges.read(rt.uow, now=rt.clock.now(),
                                   timeout_seconds=rt.settings.metrics_timeout_seconds)
            except Exception:  # noqa: BLE001 - a slow or absent database must not fail scrapes
                log.exception("the domain gauges could not be read")
                snap = None
            self._cached = (rt, time.monotonic(), snap, time.monotonic() - start)
            return snap, self._cached[3]


def families(snap: gauges.Snapshot) -> Iterator[Metric]:
    """The snapshot as metric families; the known channels, grades, states and clock kinds
    are always present (at 0), so that alerts see a series instead of its absence."""
    channels = sorted({c.value for c in DELIVERABLE_CHANNELS} | {c for c, _ in snap.outbox})
    backlog = _labelled("fenghuo_outbox_backlog_messages", "Outbox messages waiting or being "
                        "delivered (state pending or sending), per channel", ["channel"])
    dead = _labelled("fenghuo_outbox_dead_letters", "Outbox messages given up (state dead: "
                     "the dead letters a person must look at), per channel", ["channel"])
    for c in channels:
        backlog.add_metric([c], snap.outbox.get((c, "pending"), 0)
                           + snap.outbox.get((c, "sending"), 0))
        dead.add_metric([c], snap.outbox.get((c, "dead"), 0))
    yield from (backlog, dead)
    yield _open_incidents(snap)
    overdue = _labelled("fenghuo_clocks_overdue", "Incident clocks (duties) past their deadline "
                        "and not met, per kind (CAC 2025 art. 4 and 8, Law art. 42)", ["kind"])
    for kind in sorted({k.value for k in DutyKind} | set(snap.overdue_clocks)):
        overdue.add_metric([kind], snap.overdue_clocks.get(kind, 0))
    yield overdue
    yield from _workers(snap)
    yield from _ingest(snap)


def _open_incidents(snap: gauges.Snapshot) -> Metric:
    family = _labelled("fenghuo_incidents_open", "Incidents not yet resolved (reported, "
                       "acknowledged or handling), per grade (Plan §1.4) and state",
                       ["grade", "state"])
    keys = {(g.value, s.value) for g in Grade for s in OPEN_STATES} | set(snap.open_incidents)
    for grade, state in sorted(keys):
        family.add_metric([grade, state], snap.open_incidents.get((grade, state), 0))
    return family


def _workers(snap: gauges.Snapshot) -> Iterator[Metric]:
    beat = _labelled("fenghuo_worker_heartbeat_timestamp_seconds", "When each running worker "
                     "last finished a cycle (Unix time; it beats every few seconds)",
                     ["worker", "name"])
    started = _labelled("fenghuo_worker_start_timestamp_seconds", "When each running worker "
                        "started (Unix time)", ["worker", "name"])
    for b in snap.heartbeats:
        beat.add_metric([b.worker, b.name], b.beat_at.timestamp())
        started.add_metric([b.worker, b.name], b.started_at.timestamp())
    yield from (beat, started)


def _ingest(snap: gauges.Snapshot) -> Iterator[Metric]:
    yield _gauge("fenghuo_feeds_silent", "Active feeds that missed their expected interval "
                 "(flagged silent by monitoring housekeeping)", snap.silent_feeds)
    if snap.last_batch_at is None:
        return  # no feed ever sent a batch: no lag to speak of
    yield _gauge("fenghuo_ingest_last_batch_timestamp_seconds", "When the newest monitoring "
                 "batch from any active feed was taken in (Unix time)",
                 snap.last_batch_at.timestamp())
    yield _gauge("fenghuo_ingest_lag_seconds", "Seconds since the newest monitoring batch from "
                 "any active feed was taken in", (snap.at - snap.last_batch_at).total_seconds())


def _gauge(name: str, documentation: str, value: float) -> Metric:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


class Measure:
    """Counts requests and their latency per route: plain ASGI, so it costs next to nothing
    on the hot path (Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp, *, requests: Counter, latency: Histogram) -> None:
        self.app, self.requests, self.latency = app, requests, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = _route_template(scope)
            self.requests.labels(scope["method"], route, str(status)).inc()
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - start)


def _route_template(scope: Scope) -> str:
    """The matched route's full path template (bounded label values, not raw paths)."""
    # routes of included routers know only their own part of the path; FastAPI keeps the whole
    included = scope.get("fastapi", {}).get("effective_route_context")
    if included is not None and getattr(included, "path_format", None):
        return included.path_format
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
