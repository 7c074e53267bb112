"""Pure ASGI middleware (Starlette's documented kind, cheaper than BaseHTTPMiddleware): a
request id, one timing for the log line and the metrics; HEAD as GET; which replica
answered. The cap on request bodies is app/request_body.py."""

import os
import re
import socket
import time

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import RequestMetrics

# Ids from clients are echoed and logged: accept only short, plain ones.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestObserverMiddleware:
    """Tags each request with an id (the client's X-Request-ID or a new one), times it
    once, and with that one timing writes its log line and (when on) its metrics.

    The client address logged is scope["client"]: uvicorn replaces it with the one in
    X-Forwarded-For when the request comes from an address FORWARDED_ALLOW_IPS trusts
    (the frontend's nginx), so that it is the address nginx saw, never one a client
    made up.
    """

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics | None) -> None:
        self.app = app
        self.metrics = metrics
        # structlog's own logger (see app/logs.py), made once: the cheap path.
        self.log = structlog.get_logger().bind(logger="app.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        if not (request_id and _VALID_REQUEST_ID.fullmatch(request_id)):
            request_id = os.urandom(16).hex()
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        response_status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            await send(message)

        in_progress = self.metrics.started(scope["method"]) if self.metrics else None
        # Every line logged while the request is served carries its id. Tokens, not
        # bound_contextvars(): a third of the cost, and the previous value comes back alike.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if self.metrics and in_progress is not None:
                self.metrics.finished(scope, in_progress, response_status, seconds)
            client = scope.get("client")
            self.log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=response_status,
                duration_ms=round(seconds * 1000, 2),
                client=client[0] if client else None,
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
        # The route it matched, for the metrics (RequestObserverMiddleware, outside).
        if "route" in as_get:
            scope["route"] = as_get["route"]


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
