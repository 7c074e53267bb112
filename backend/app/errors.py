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
from app.store import Failure, StoreError

# Seconds a client should wait before retrying when the storage cannot serve it now.
RETRY_AFTER_SECONDS = 5

# How each kind of storage failure is answered: a status, and the detail clients read
# (None: the error's own words, which say what is full). Every 503 carries Retry-After.
STORE_ANSWERS: dict[Failure, tuple[int, str | None]] = {
    Failure.OUTAGE: (503, "The database is unavailable; retry later."),
    Failure.REFUSED: (503, "The database is unavailable; retry later."),
    Failure.OVERLOAD: (503, "The server is busy; retry later."),
    Failure.TIMEOUT: (
        503,
        "The database did not answer in time (the data is locked by maintenance or a "
        "migration, or a query is slow); retry later.",
    ),
    Failure.CONTENTION: (503, "The request collided with another one; retry it."),
    Failure.READ_ONLY: (
        503,
        "The database is read-only for now (a failover, or maintenance): changes are "
        "refused; retry later.",
    ),
    Failure.FAULT: (503, "The database failed to serve this request; retry later."),
    Failure.FULL: (507, None),
}

log = logging.getLogger(__name__)


async def _store_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StoreError)
    STORE_ERRORS.labels(error.kind).inc()
    # The kind, the cause's id and words, then the driver's (SQLSTATE and message): an
    # operator reads what happened without asking the database.
    words = f" ({error.driver_message})" if error.driver_message else ""
    log.log(
        logging.WARNING if error.kind.passes else logging.ERROR,
        "storage %s: %s: %s%s",
        error.kind,
        error.reason,
        error,
        words,
    )
    status_code, detail = STORE_ANSWERS[error.kind]
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status_code == 503 else None
    return JSONResponse({"detail": detail or str(error)}, status_code=status_code, headers=headers)


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
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(Exception, _unexpected)
