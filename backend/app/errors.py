"""How failures reach clients: JSON {"detail": ...}, the right status, never a traceback."""

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.metrics import STORE_ERRORS
from app.route_matching import route_matcher
from app.store import StoreFullError, StoreOverloadedError, StoreUnavailableError

# Seconds a client should wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    # Two different things for an operator: a busy backend, or a database that is down.
    if isinstance(error, StoreOverloadedError):
        STORE_ERRORS.labels("overload").inc()
        log.warning("storage overloaded: %s", error)
        detail = "The server is busy; retry later."
    else:
        STORE_ERRORS.labels("outage").inc()
        log.warning("storage unavailable: %s", error)
        detail = "The database is unavailable; retry later."
    return JSONResponse(
        {"detail": detail},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _store_full(request: Request, error: Exception) -> JSONResponse:
    STORE_ERRORS.labels("full").inc()
    log.warning("storage full: %s", error)
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_507_INSUFFICIENT_STORAGE)


# How deep into a client's input a 422 echoes it: far deeper than any valid body (a task is
# one object of scalars), far shallower than the recursion limit. orjson reads documents
# nested up to 1,024 levels, and encoding such an echo whole ended in a RecursionError: a
# 500 for bad input.
ECHO_DEPTH = 16
NOT_ECHOED = "(nested too deep to echo)"


def _json_safe(value: Any, depth: int = 0) -> Any:
    """Client input echoed in an error, made printable as JSON whatever it was: non-finite
    floats as text, containers deeper than ECHO_DEPTH levels as NOT_ECHOED."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict | list | tuple):
        if depth >= ECHO_DEPTH:
            return NOT_ECHOED
        if isinstance(value, dict):
            return {str(key): _json_safe(item, depth + 1) for key, item in value.items()}
        return [_json_safe(item, depth + 1) for item in value]
    return value


class _AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: error details echo client input, lone surrogates included."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode()


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # Made safe, and bounded, before FastAPI's encoder walks it (recursively, several
    # frames a level).
    errors = [{key: _json_safe(part) for key, part in item.items()} for item in error.errors()]
    return _AsciiJSONResponse(
        {"detail": jsonable_encoder(errors)},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _http_error(request: Request, error: Exception) -> Response:
    """FastAPI's JSON errors, with two fixes: a 405's Allow lists every method of the path,
    not only one route's; and a path with a trailing slash is redirected to the one
    without by a path-absolute Location, never a URL built from the client's Host."""
    assert isinstance(error, StarletteHTTPException)
    path = request.scope["path"]
    routes = route_matcher(request.app)
    if error.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        allowed = ", ".join(routes.allowed_methods(request.scope, path))
        error = StarletteHTTPException(405, error.detail, headers={"Allow": allowed})
    elif (
        error.status_code == status.HTTP_404_NOT_FOUND
        and path.endswith("/")
        and path != "/"
        and routes.allowed_methods(request.scope, path.rstrip("/"))
    ):
        query = request.scope["query_string"].decode("latin-1")
        location = path.rstrip("/") + (f"?{query}" if query else "")
        return RedirectResponse(location, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    return await http_exception_handler(request, error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # The traceback goes to the server's log (Starlette re-raises it), not to the client.
    return JSONResponse(
        {"detail": "Internal server error"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map the app's exceptions to responses."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)
    app.add_exception_handler(StoreFullError, _store_full)
    app.add_exception_handler(Exception, _unexpected)
