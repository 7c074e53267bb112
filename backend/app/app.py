"""create_app(): wiring of settings, storage, routes, middleware and error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.config import Settings, get_settings
from app.errors import install_error_handlers
from app.logs import configure_logging
from app.middleware import BodySizeLimitMiddleware, RequestLogMiddleware
from app.routes import api_router
from app.store.factory import build_store

MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app. Nothing connects until the lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings)
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
    )
    app.include_router(api_router, prefix="/api")
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    # Added last, so it is outermost: it times and logs everything, 413s included.
    app.add_middleware(RequestLogMiddleware)
    return app
