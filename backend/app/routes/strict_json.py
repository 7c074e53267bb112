"""Strict JSON request bodies: the route class every router uses (route_class=...).

Python's json module accepts NaN, Infinity and numbers too large for a float (1e999
becomes infinity) and integers of any length: none of them is JSON, and a value the
error handler cannot echo back must never turn a bad request into a 500. Every body is
read strictly here; a body that is not JSON at all gets a 415. FastAPI documents this
way of changing how a route reads requests: https://fastapi.tiangolo.com/how-to/custom-request-and-route/
"""

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

UNSUPPORTED_MEDIA_TYPE = "Content-Type must be application/json"


def _refuse(text: str) -> Any:
    raise ValueError(f"{text} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:  # wider than any 64-bit integer
        raise ValueError(f"{text[:24]}... is too large a number")
    return int(text)


# Made once: json.loads() with hooks would build a decoder for every body.
_DECODER = json.JSONDecoder(
    parse_constant=_refuse, parse_float=_finite_float, parse_int=_bounded_int
)


def strict_json(document: bytes) -> Any:
    """json.loads, refusing what is not strict JSON; every error a JSONDecodeError."""
    text = document.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):  # as json.loads() refuses it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _DECODER.decode(text)
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError(str(error), text, 0) from None


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class StrictJSONRequest(Request):
    """A request whose .json() is strict_json()."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """An APIRoute that reads bodies with StrictJSONRequest, and answers 415 to a body
    sent as anything but JSON (instead of a confusing 422)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler  # no body to read: FastAPI's own handler, nothing in between

        async def strict_handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            if not _is_json(strict.headers.get("content-type", "")) and await strict.body():
                raise HTTPException(
                    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=UNSUPPORTED_MEDIA_TYPE
                )
            return await handler(strict)

        return strict_handler
