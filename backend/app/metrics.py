"""Prometheus metrics: what the backend serves, how fast, and how its storage is doing.

GET /metrics (outside /api: nginx does not forward it, Prometheus scrapes the backend on
its own network). One uvicorn worker a container is how the images run it (scale with
replicas); with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory and
every worker's figures are added up (prometheus-client's multiprocess mode; process_*
metrics are then left out, a limit of that mode).

Every request is counted under the path template of its route, whatever the route's
class: the scrape itself (route="/metrics") and the health checks ("/api/health",
"/api/health/ready") included, since a failing readiness check or a slow scrape is
worth seeing. What is about API traffic only (an error ratio, say) selects it by route:
route=~"/api/tasks.*". route="unmatched" counts requests no route matches (404s).
"""

import os
from collections import Counter as Tally
from collections.abc import Awaitable, Callable

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
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.config import Settings
from app.route_matching import HTTP_METHODS, RouteMatcher, route_matcher
from app.store import TaskStore

METRICS_PATH = "/metrics"
# Requests whose path no route matches (404s): one label value for all of them, so that
# random paths cannot create series.
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


class RouteTemplates:
    """The path template of the route a request went to (`/api/tasks/{task_id}`), whatever
    the route's class, or UNMATCHED.

    FastAPI's routes put themselves in scope["route"], looked up here by identity (the
    cheap path). Other routes do not (Starlette's, such as GET /metrics and the docs),
    nor does a request answered before routing (a 413 on its declared length): for
    those, app/route_matching.py matches the app's routes again.
    """

    def __init__(self) -> None:
        self._matcher: RouteMatcher | None = None
        self._by_route: dict[int, str] = {}

    def _read(self, app: Starlette) -> RouteMatcher:
        matcher = route_matcher(app)
        included = Tally(id(route.original_route) for route in matcher.routes)
        # A route included twice (under two prefixes) has no single template.
        self._by_route = {
            id(route.original_route): str(route.path_format)
            for route in matcher.routes
            if included[id(route.original_route)] == 1
        }
        return matcher

    def of(self, scope: Scope) -> str:
        if self._matcher is None:
            self._matcher = self._read(scope["app"])
        route = scope.get("route")
        if route is not None and (template := self._by_route.get(id(route))) is not None:
            return template
        return self._matcher.template(scope) or UNMATCHED


class RequestMetrics:
    """Counts and times every HTTP request by method, route template and status.

    Each label set's series is looked up once: prometheus-client's .labels() takes a
    lock and builds a key at every call. As bounded as the labels: HTTP_METHODS and "other",
    the app's route templates and UNMATCHED, statuses.
    """

    def __init__(self) -> None:
        self._routes = RouteTemplates()
        self._in_progress: dict[str, Gauge] = {}
        self._series: dict[tuple[str, str, int], tuple[Histogram, Counter]] = {}

    def started(self, method: str) -> Gauge:
        """Count the request in progress; the gauge goes back to finished()."""
        in_progress = self._in_progress.get(method)
        if in_progress is None:
            label = method if method in HTTP_METHODS else "other"
            in_progress = self._in_progress[method] = IN_PROGRESS.labels(label)
        in_progress.inc()
        return in_progress

    def finished(self, scope: Scope, in_progress: Gauge, status: int, seconds: float) -> None:
        method = scope["method"]
        key = (method, self._routes.of(scope), status)
        series = self._series.get(key)
        if series is None:
            labels = (method if method in HTTP_METHODS else "other", key[1], str(status))
            series = self._series[key] = (DURATION.labels(*labels), REQUESTS.labels(*labels))
        duration, count = series
        duration.observe(seconds)
        count.inc()
        in_progress.dec()


def record_build(*, version: str, revision: str, storage: str) -> None:
    BUILD_INFO.clear()  # one build a process (tests create several apps in one)
    BUILD_INFO.labels(version, revision, storage).set(1)


def record_store_state(store: TaskStore) -> None:
    """The store's readiness and pool figures, sampled (at each scrape, and regularly)."""
    STORE_READY.set(1 if store.state().status == "ok" else 0)
    stats = store.pool_stats()
    if stats is not None:
        for state, value in stats._asdict().items():
            POOL.labels(state).set(value)


def forget_this_process(settings: Settings) -> None:
    """At a worker's exit in multiprocess mode: its live gauges stop counting."""
    if settings.prometheus_multiproc_dir is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def metrics_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics: this process's figures, or every worker's added up in multiprocess
    mode (PROMETHEUS_MULTIPROC_DIR set)."""
    multiprocess_mode = settings.prometheus_multiproc_dir is not None

    async def metrics(request: Request) -> Response:
        record_store_state(request.app.state.store)
        registry = REGISTRY
        if multiprocess_mode:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
