"""Pure ASGI middleware (Starlette's documented kind, cheaper than BaseHTTPMiddleware): a
request id, one timing for the log line and the metrics; a request whose client has gone
stopped; HEAD as GET; which replica answered. The cap on request bodies is
app/request_body.py."""

import asyncio
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
# nginx's status for a request whose client closed the connection before the answer.
CLIENT_CLOSED_REQUEST = 499
# Set in a request's scope by ClientGoneMiddleware when it stopped the request.
CLIENT_GONE = "tasks.client_gone"


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
        response_status = 0  # until the app answers

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
            if not response_status:
                # The client got nothing: it had gone (ClientGoneMiddleware), or the app
                # failed before answering (uvicorn sends a 500 then).
                response_status = CLIENT_CLOSED_REQUEST if scope.get(CLIENT_GONE) else 500
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


# Seconds a request runs before its client is watched: most are answered long before, and
# watching costs a task.
WATCH_CLIENT_AFTER = 0.5


class ClientGoneMiddleware:
    """Stops a request whose client has gone (a closed tab, a proxy that gave up): its
    database statement is cancelled and its pooled connection freed at once, instead of
    when the work would have ended, for nobody. ASGI servers do not cancel a request when
    its client goes; they tell it with an http.disconnect message, which Starlette's own
    StreamingResponse listens for the same way.

    A request still running after WATCH_CLIENT_AFTER seconds is watched, once its body is
    read (a disconnect ends a body's read anyway), by a task waiting for that message;
    the request is cancelled when it comes, and logged and counted with status 499
    (CLIENT_CLOSED_REQUEST), as nginx does. Once the answer is sent, nothing is watched:
    servers (uvicorn, httpx's ASGITransport) say http.disconnect then too, to a client
    that is still there. Must sit right inside RequestObserverMiddleware: it marks the
    scope that one reads.
    """

    def __init__(self, app: ASGIApp, *, after: float = WATCH_CLIENT_AFTER) -> None:
        self.app = app
        self.after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cancel = asyncio.timeout(None)  # never, unless the client goes
        watch = _ClientWatch(scope, receive, send, cancel)
        try:
            async with cancel:
                timer = asyncio.get_running_loop().call_later(self.after, watch.start)
                try:
                    await self.app(scope, watch.receive, watch.send)
                finally:
                    timer.cancel()
                    watch.stop()
        except TimeoutError:
            if not watch.gone:
                raise
            scope[CLIENT_GONE] = True


class _ClientWatch:
    """One request's receive and send channels, shared by the app and the watching task."""

    __slots__ = (
        "_answered",
        "_body_read",
        "_cancel",
        "_due",
        "_held",
        "_receive",
        "_send",
        "_task",
        "gone",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send, cancel: asyncio.Timeout) -> None:
        self._receive = receive
        self._send = send
        self._cancel = cancel
        self._body_read = not _has_body(scope)
        self._due = False
        self._answered = False
        self._held: Message | None = None
        self._task: asyncio.Task[None] | None = None
        self.gone = False

    async def receive(self) -> Message:
        """The app's receive(): a message the watch read for it first, if any."""
        if self._held is not None:
            message, self._held = self._held, None
            return message
        message = await self._receive()
        if not self._body_read and not message.get("more_body", False):
            self._body_read = True
            self._watch()  # if it is due already: a body slower than WATCH_CLIENT_AFTER
        return message

    async def send(self, message: Message) -> None:
        """The app's send(): the watch ends with the answer's last part, before the server
        hears of it (and says http.disconnect to the watch)."""
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._answered = True
            self.stop()
        await self._send(message)

    def start(self) -> None:
        """The request has run WATCH_CLIENT_AFTER seconds: watch from now on, or once its
        body is read."""
        self._due = True
        self._watch()

    def _watch(self) -> None:
        if self._due and self._body_read and not self._answered and self._task is None:
            self._task = asyncio.create_task(self._wait(), name="watch-client")

    async def _wait(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                if not self._answered:
                    self.gone = True
                    self._cancel.reschedule(asyncio.get_running_loop().time())
                return
            self._held = message  # a body the app has not read (none: a GET's empty one)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            return True
    return False


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
