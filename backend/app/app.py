"""create_app(): wiring of settings, storage, routes, middleware and error handlers."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.config import Settings, get_settings
from app.errors import install_error_handlers
from app.logs import configure_logging
from app.metrics import (
    METRICS_PATH,
    MetricsMiddleware,
    forget_this_process,
    metrics_endpoint,
    record_build,
    record_store_state,
)
from app.middleware import (
    BodySizeLimitMiddleware,
    HeadAsGetMiddleware,
    RequestLogMiddleware,
    ServedByMiddleware,
)
from app.openapi import publish_body_limit
from app.routes import API_PREFIX, routers
from app.routes.plain import PlainCreateRoute, PlainListRoute
from app.routes.tasks import router as tasks_router
from app.store import TaskStore
from app.store.factory import build_store

MAX_BODY_BYTES = 64 * 1024
# Seconds between two samples of the store's gauges besides scrapes (with several
# workers, a scrape reaches one of them; the others' figures come from here).
METRICS_SAMPLE_INTERVAL = 5.0


async def _sample_store_state(store: TaskStore) -> None:
    while True:
        record_store_state(store)
        await asyncio.sleep(METRICS_SAMPLE_INTERVAL)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app. Nothing connects until the lifespan starts."""
    settings = settings or get_settings()
    # Now, not in the lifespan: uvicorn's first lines ("Started server process") are
    # written after the app is loaded, and must come out in the same format.
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = build_store(settings)
        app.state.store = store
        await store.start()
        sampler = None
        if settings.metrics_enabled:
            record_build(
                version=settings.app_version, revision=settings.app_revision, storage=store.kind
            )
            sampler = asyncio.create_task(_sample_store_state(store), name="sample-metrics")
        try:
            yield
        finally:
            # Runs after uvicorn has let in-flight requests finish (graceful shutdown).
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
                forget_this_process()
            await store.close()

    app = FastAPI(
        title="Tasks API",
        summary="The task list of the DevOps course.",
        version="0.1.0",
        lifespan=lifespan,
        # Under /api, so that the docs are reachable through the frontend's proxy too.
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        # A trailing slash is redirected by app/errors.py, path-absolute; Starlette's own
        # redirect would build the Location from the client's Host header.
        redirect_slashes=False,
        # Operation ids are the route functions' names (get_task, ...): readable in the
        # OpenAPI document, its links and the frontend's generated types.
        generate_unique_id_function=lambda route: route.name,
    )
    # First of all routes, the documentation's included: tried before the FastAPI routes
    # they relieve (see app/routes/plain.py), and before anything else on the hot path.
    tasks_path = API_PREFIX + tasks_router.prefix
    app.router.routes[:0] = [PlainListRoute(tasks_path), PlainCreateRoute(tasks_path)]
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    publish_body_limit(app, MAX_BODY_BYTES)  # for clients, and nginx's cap (scripts/api-types)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.metrics_enabled:
        # Not under /api: the frontend's nginx forwards /api only (see frontend/nginx.conf).
        app.add_route(METRICS_PATH, metrics_endpoint, include_in_schema=False)
        # Outside HeadAsGet, so that a HEAD is counted as one.
        app.add_middleware(MetricsMiddleware)
    if settings.served_by_header:
        app.add_middleware(ServedByMiddleware)
    # Outermost: it times and logs everything, 413s included.
    app.add_middleware(RequestLogMiddleware)
    return app
