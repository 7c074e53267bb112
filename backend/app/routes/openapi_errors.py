"""Documentation only: the error responses each route lists in the OpenAPI document, so
that every status the server may answer is described where it can happen (422 is
FastAPI's own). The responses themselves are made by app/errors.py and the routes."""

from typing import Any

from app.request_body import MAX_BODY_BYTES
from app.schemas import ErrorMessage

Responses = dict[int | str, dict[str, Any]]


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ErrorMessage, "description": description, **extra}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}

NOT_FOUND: Responses = {404: _error("No task with this id")}
UNAVAILABLE: Responses = {
    503: _error(
        "The database is unavailable, or the server busy: retry after Retry-After seconds",
        headers=RETRY_AFTER,
    )
}
BODY: Responses = {
    413: _error(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB ({MAX_BODY_BYTES} bytes)"),
    415: _error("The body is not sent as application/json"),
}
CREATE: Responses = {
    409: _error("A request with the same Idempotency-Key is still being processed: retry"),
    507: _error("The in-memory store is full (MEMORY_MAX_TASKS)"),
}
