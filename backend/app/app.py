"""create_app(): wiring of settings, storage, routes, middleware and error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.config import Settings, get_settings
from app.errors import install_error_handlers
from app.logs import configure_logging
from app.middleware import BodySizeLimitMiddleware, HeadAsGetMiddleware, RequestLogMiddleware
from app.routes import routers
from app.store.factory import build_store

MAX_BODY_BYTES = 64 * 1024


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
        try:
            yield
        finally:
            # Runs after uvicorn has let in-flight requests finish (graceful shutdown).
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
    for router in routers:
        app.include_router(router, prefix="/api")
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(HeadAsGetMiddleware)
    # Outermost: it times and logs everything, 413s included.
    app.add_middleware(RequestLogMiddleware)
    return app
