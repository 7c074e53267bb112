"""Strict JSON request bodies: the route class every router uses (route_class=...).

Python's json module, which Starlette's Request.json() uses, accepts NaN, Infinity,
numbers too large for a float (1e999 becomes infinity), integers of any length and lone
surrogates ("\\ud800"): none of them is JSON, and a value the error handler cannot echo
back must never turn a bad request into a 500. orjson reads bodies instead: it refuses
all of them but the long integers, which it reads as (finite) floats, and its
JSONDecodeError is the json module's, which FastAPI turns into its usual 422
("json_invalid"). A body that is not JSON at all gets a 415. FastAPI documents this way
of changing how a route reads requests: https://fastapi.tiangolo.com/how-to/custom-request-and-route/
"""

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

UNSUPPORTED_MEDIA_TYPE = "Content-Type must be application/json"


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class StrictJSONRequest(Request):
    """A request whose .json() is orjson.loads(): strict JSON (see the module's docstring)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
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
