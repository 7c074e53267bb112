"""create_app(): wiring of settings, storage, routes, middleware and error handlers."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.config import Settings, get_settings
from app.errors import install_error_handlers
from app.logs import configure_logging
from app.metrics import (
    METRICS_PATH,
    RequestMetrics,
    forget_this_process,
    metrics_endpoint,
    record_build,
    record_store_state,
)
from app.middleware import (
    ClientGoneMiddleware,
    HeadAsGetMiddleware,
    RequestObserverMiddleware,
    ServedByMiddleware,
)
from app.request_body import MAX_BODY_BYTES, BodyLimitMiddleware, publish_body_limit
from app.routes import API_PREFIX, routers
from app.store import TaskStore, build_store

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
        # What start-up made (modules, the app, its routes and models: some 100,000 objects)
        # lives as long as the process. Frozen, the garbage collector stops scanning it, so
        # a full collection pauses every request in flight for a few milliseconds instead
        # of tens (measured: 78 ms at most, 15 ms frozen).
        # Ref: https://docs.python.org/3/library/gc.html#gc.freeze
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app started again in the same process (tests) starts afresh
            # Runs after uvicorn has let in-flight requests finish (graceful shutdown).
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
                forget_this_process(settings)
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
        # The docs page's OAuth2 sign-in helper: this API has no OAuth2, nothing to serve.
        swagger_ui_oauth2_redirect_url=None,
        # A trailing slash is redirected by app/errors.py, path-absolute; Starlette's own
        # redirect would build the Location from the client's Host header.
        redirect_slashes=False,
        # Operation ids are the route functions' names (get_task, ...): readable in the
        # OpenAPI document, its links and the frontend's generated types.
        generate_unique_id_function=lambda route: route.name,
    )
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    install_error_handlers(app)
    publish_body_limit(app, MAX_BODY_BYTES)  # for clients, and nginx's cap (scripts/api-types)
    if settings.metrics_enabled:
        # Not under /api: the frontend's nginx forwards /api only (see frontend/nginx.conf).
        app.add_route(METRICS_PATH, metrics_endpoint(settings), include_in_schema=False)
    # Each add_middleware() wraps the ones before: the last is the outermost.
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.served_by_header:
        app.add_middleware(ServedByMiddleware)
    app.add_middleware(ClientGoneMiddleware)
    # Outermost: it times, logs and counts everything, 413s included, and a HEAD as one.
    metrics = RequestMetrics() if settings.metrics_enabled else None
    app.add_middleware(RequestObserverMiddleware, metrics=metrics)
    return app
