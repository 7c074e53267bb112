"""Prometheus metrics: what the backend serves, how fast, and how its storage is doing.

GET /metrics (outside /api: nginx does not forward it, Prometheus scrapes the backend on
its own network). One uvicorn worker a container is how the images run it (scale with
replicas); with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory and
every worker's figures are added up (prometheus-client's multiprocess mode; process_*
metrics are then left out, a limit of that mode).
"""

import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.store import TaskStore

METRICS_PATH = "/metrics"
# Requests whose path no route matched (404s, 413s refused before routing): one label
# value for all of them, so that random paths cannot create series.
UNMATCHED = "unmatched"

REQUESTS = Counter("http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being answered now.",
    ["method"],
    multiprocess_mode="livesum",
)
STORE_ERRORS = Counter(
    "tasks_store_errors_total",
    "Requests the storage could not serve: outage (database down), overload (no "
    "connection came free in time), full (the in-memory store's cap).",
    ["kind"],
)
IDEMPOTENT_REPLAYS = Counter(
    "tasks_idempotent_replays_total",
    "POSTs answered from an earlier request with the same Idempotency-Key.",
)
STORE_READY = Gauge(
    "tasks_store_ready",
    "1 when the storage answered its last check (what /api/health/ready reports).",
    multiprocess_mode="livemin",
)
POOL = Gauge(
    "tasks_db_pool_connections",
    "The PostgreSQL connection pool: open, in_use, waiting (requests in line), max.",
    ["state"],
    multiprocess_mode="livesum",
)
BUILD_INFO = Gauge(
    "tasks_build_info",
    "What this backend was built from (always 1).",
    ["version", "revision", "storage"],
    multiprocess_mode="max",
)


def _route_templates(app: Any) -> dict[str, str]:
    """Route name -> path template, from the OpenAPI document (operation ids are the
    routes' names, see app/app.py): the full template, router prefixes included."""
    return {
        operation["operationId"]: path
        for path, item in app.openapi()["paths"].items()
        for operation in item.values()
    }


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: dict[str, str] | None = None
        # Each label set's series, looked up once: .labels() takes a lock and builds a key
        # at every call. As bounded as the labels: methods, route templates, statuses.
        self._in_progress: dict[str, Gauge] = {}
        self._series: dict[tuple[str, str, str], tuple[Histogram, Counter]] = {}

    def _route_of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._templates is None:
            self._templates = _route_templates(scope["app"])
        return self._templates.get(route.name) or route.path_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        response_status = 500  # what the client gets if the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
            await send(message)

        in_progress = self._in_progress.get(method)
        if in_progress is None:
            in_progress = self._in_progress[method] = IN_PROGRESS.labels(method)
        in_progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            labels = (method, self._route_of(scope), str(response_status))
            series = self._series.get(labels)
            if series is None:
                series = self._series[labels] = (DURATION.labels(*labels), REQUESTS.labels(*labels))
            duration, count = series
            duration.observe(time.perf_counter() - started)
            count.inc()
            in_progress.dec()


def record_build(*, version: str, revision: str, storage: str) -> None:
    BUILD_INFO.clear()  # one build a process (tests create several apps in one)
    BUILD_INFO.labels(version, revision, storage).set(1)


def record_store_state(store: TaskStore) -> None:
    """The store's readiness and pool figures, sampled (at each scrape, and regularly)."""
    STORE_READY.set(1 if store.is_ready() else 0)
    stats = store.pool_stats()
    if stats is not None:
        for state, value in stats._asdict().items():
            POOL.labels(state).set(value)


def forget_this_process() -> None:
    """At a worker's exit in multiprocess mode: its live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def metrics_endpoint(request: Request) -> Response:
    record_store_state(request.app.state.store)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
