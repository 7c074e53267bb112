"""How failures reach clients: JSON {"detail": ...}, the right status, never a traceback."""

import json
import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.store import StoreUnavailableError

# Seconds a client should wait before retrying when the database is unavailable.
RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("storage unavailable: %s", error)
    return JSONResponse(
        {"detail": "The database is unavailable; retry later."},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class _AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: error details echo client input, lone surrogates included."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode()


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return _AsciiJSONResponse(
        {"detail": jsonable_encoder(error.errors())},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # The traceback goes to the server's log (Starlette re-raises it), not to the client.
    return JSONResponse(
        {"detail": "Internal server error"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map the app's exceptions to responses; FastAPI's own handle 404 and 405."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected)
