"""Request bodies: a cap on their size, and a graceful end for the ones not read whole.

A body over MAX_BODY_BYTES, declared (Content-Length) or streamed (chunked), gets a JSON
413 before it is read whole. The OpenAPI document publishes the number (x-max-body-bytes),
from which the frontend's nginx gets its cap (scripts/api-types): one number.

An answer given before the body is read whole (that 413, a 404 or 405 to a POST) would
otherwise end badly. With `Connection: close`, which nginx sends upstream, uvicorn closes
the socket once the response is written; the kernel finds unread data and resets the
connection (RFC 9293, 3.6: data lost on close means a RST), and a client still sending
never reads the answer: it sees a broken pipe (nginx turned it into a 503). So the rest
of such a body is read and thrown away after the answer is sent and before the response
completes, up to DISCARD_LIMIT bytes in all and DISCARD_SECONDS seconds: then the close
is an orderly one. Beyond those bounds the connection is cut, as nginx's own
lingering_close does after lingering_time.

Why not the framework's own cap (FastAPI's `max_body_size`, Starlette 1.x's
RequestBodyLimitMiddleware): its 413 is plain text, not the JSON every other error is, and
it reads nothing more of the body, so the reset above happens (Starlette 1.10, FastAPI 0.165).
"""

import asyncio
import contextlib
from typing import Any

from fastapi import FastAPI, HTTPException, status
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
# How much of a body nobody reads is still read, to be thrown away: far above the cap
# (what nginx lets through), far below what would make a slow upload a cheap attack.
DISCARD_LIMIT = 1024 * 1024
DISCARD_SECONDS = 5.0

# An OpenAPI specification extension ("x-" field) at the document's root: OpenAPI has no
# field for the largest request body an API reads.
MAX_BODY_BYTES_FIELD = "x-max-body-bytes"


def publish_body_limit(app: FastAPI, max_bytes: int) -> None:
    """Make `app`'s OpenAPI document (/api/openapi.json) state `max_bytes`, the largest
    request body in bytes the API reads, as `x-max-body-bytes`. FastAPI's documented way
    to extend the document: https://fastapi.tiangolo.com/how-to/extending-openapi/"""
    derive = app.openapi

    def openapi() -> dict[str, Any]:
        document = derive()  # built once, then FastAPI's cached copy
        document[MAX_BODY_BYTES_FIELD] = max_bytes
        return document

    app.openapi = openapi  # type: ignore[method-assign]


class _Body:
    """One request's body as the app reads it: how much came, and whether it all did."""

    def __init__(self, receive: Receive, max_bytes: int, too_large: str) -> None:
        self._receive = receive
        self.max_bytes = max_bytes
        self.too_large = too_large
        self.received = 0
        self.complete = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
        else:
            self.complete = True  # the client went away: nothing more will come
        return message

    async def capped_receive(self) -> Message:
        message = await self.receive()
        if self.received > self.max_bytes:
            # FastAPI lets an HTTPException raised while it reads the body through, to
            # the app's handler (JSON, as every error).
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=self.too_large)
        return message

    async def discard_rest(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DISCARD_SECONDS):
                while not self.complete and self.received <= DISCARD_LIMIT:
                    await self.receive()


class BodyLimitMiddleware:
    """413 to a body over `max_bytes`; the rest of any body left unread is discarded
    after the answer (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = f"Request body is larger than {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = expects_continue = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"expect":
                expects_continue = value.lower() == b"100-continue"
        if (declared is None or declared == b"0") and not chunked:
            await self.app(scope, receive, send)  # no body: nothing to cap or discard
            return
        body = _Body(receive, self.max_bytes, self.too_large)

        async def send_then_discard(message: Message) -> None:
            if (
                message["type"] == "http.response.body"
                and not message.get("more_body", False)
                and not body.complete
            ):
                # The answer goes out now; the response completes (and uvicorn may close
                # the connection) only once the rest of the body has been read.
                await send({**message, "more_body": True})
                await body.discard_rest()
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse(
                {"detail": self.too_large}, status_code=status.HTTP_413_CONTENT_TOO_LARGE
            )
            # A client waiting for "100 Continue" has sent nothing: reading would invite
            # the body. A body beyond what is ever discarded is not worth reading either.
            if expects_continue or int(declared) > DISCARD_LIMIT:
                response.headers["Connection"] = "close"
                await response(scope, receive, send)
            else:
                await response(scope, body.receive, send_then_discard)
            return
        await self.app(scope, body.capped_receive, send_then_discard)
