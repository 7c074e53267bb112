"""ASGI middleware: a request id and one log line per request; HEAD as GET; a cap on body
size; which replica answered."""

import os
import re
import socket
import time

import structlog
from fastapi import HTTPException, status
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from clients are echoed and logged: accept only short, plain ones.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestLogMiddleware:
    """Tags each request with an id (the client's X-Request-ID or a new one) and logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # structlog's own logger (see app/logs.py), made once: the cheap path.
        self.log = structlog.get_logger().bind(logger="app.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (
            dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        )
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()
        response_status = 500  # what the client gets if the app fails before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        # Every line logged while the request is served carries its id. Tokens, not
        # bound_contextvars(): a third of the cost, and the previous value comes back alike.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=response_status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.reset_contextvars(**tokens)


class HeadAsGetMiddleware:
    """HEAD wherever GET (load balancers probe /api/health with HEAD): the app answers as
    for a GET, and the body is left out, the headers (Content-Length included) kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get = {**scope, "method": "GET"}
        await self.app(as_get, receive, send_headers_only)
        # The route it matched, for the metrics middleware outside this one.
        if "route" in as_get:
            scope["route"] = as_get["route"]


class BodySizeLimitMiddleware:
    """Answers 413 to a body over `max_bytes`, declared or streamed, before it is read whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> HTTPException:
        return HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"Request body is larger than {self.max_bytes} bytes",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            too_large = self._too_large()
            response = JSONResponse({"detail": too_large.detail}, status_code=too_large.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI lets an HTTPException raised while reading the body through.
                raise self._too_large()
            return message

        await self.app(scope, counting_receive, send)


class ServedByMiddleware:
    """X-Served-By: this host's name (a container's is its id, as `docker ps` shows it), so
    that one can see a load balancer spread requests over replicas."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.hostname = socket.gethostname()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_host(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Served-By"] = self.hostname
            await send(message)

        await self.app(scope, receive, send_with_host)
