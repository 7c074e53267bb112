"""ClientGoneMiddleware under a real uvicorn: a request whose client has gone is stopped,
and a request whose client is still there never is, not even after its answer (when
uvicorn says http.disconnect to it too). The same on the real app and database, where it
frees the pooled connection: tests/store/test_database_waits.py."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from app.middleware import ClientGoneMiddleware
from harness.network import free_port
from harness.polling import apoll

pytestmark = pytest.mark.anyio

# The middleware watches from this many seconds on; the work below lasts longer.
WATCH_AFTER = 0.1
# Far longer than any test waits: a request still working then was never stopped.
FOREVER = 60.0
# How long a test waits for the request to end, either way.
WITHIN = 10.0


class Worker:
    """An ASGI app: reads the body, works `seconds`, answers, then works a little more
    (as a log line or a metric would); `ended` says how each request ended."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ended: asyncio.Queue[str] = asyncio.Queue()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            while (await receive()).get("more_body"):
                pass
            await asyncio.sleep(self.seconds)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"done"})
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            self.ended.put_nowait("stopped")
            raise
        self.ended.put_nowait("finished")

    async def outcome(self) -> str:
        async with asyncio.timeout(WITHIN):
            return await self.ended.get()


@asynccontextmanager
async def serving(worker: Worker) -> AsyncIterator[str]:
    """uvicorn serving `worker` behind ClientGoneMiddleware, on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        ClientGoneMiddleware(worker, after=WATCH_AFTER),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        timeout_graceful_shutdown=1,  # a request never stopped ends the test soon too
    )
    server = uvicorn.Server(config)
    serve = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        return server.started or None

    await apoll(started, within=WITHIN, what="uvicorn serving")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serve


async def test_a_request_whose_client_has_gone_is_stopped() -> None:
    worker = Worker(FOREVER)
    async with serving(worker) as url, httpx.AsyncClient(base_url=url, timeout=0.5) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/")  # the client gives up, and closes its connection
        assert await worker.outcome() == "stopped"


async def test_a_request_whose_body_ends_late_is_stopped_when_its_client_goes() -> None:
    # The body is still coming when the watch is due: it starts once the body is read.
    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"title": '
        await asyncio.sleep(WATCH_AFTER * 3)
        yield b'"lente"}'

    worker = Worker(FOREVER)
    async with serving(worker) as url, httpx.AsyncClient(base_url=url, timeout=0.5) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/", content=slow_body())
        assert await worker.outcome() == "stopped"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_request_whose_client_stays_is_never_stopped_even_after_its_answer(
    method: str,
) -> None:
    worker = Worker(WATCH_AFTER * 3)
    async with serving(worker) as url, httpx.AsyncClient(base_url=url, timeout=WITHIN) as client:
        body = b'{"title": "patiente"}' if method == "POST" else None
        response = await client.request(method, "/", content=body)
        outcome = await worker.outcome()

    assert response.status_code == 200
    assert outcome == "finished"
