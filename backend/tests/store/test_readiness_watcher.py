"""The readiness watcher: it stops when told, and closes its own connection then."""

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.database.connection import conninfo
from app.store.readiness import ReadinessWatcher
from harness.app import make_settings
from harness.polling import apoll

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def relay_that_delays_queries(host: str, port: int, delay: float) -> AsyncIterator[int]:
    """A TCP relay to PostgreSQL that passes the connection's start-up and login at once,
    and each query ('Q' message) `delay` seconds late: a slow network, or a busy database.
    Yields the relay's port."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hold: bool) -> None:
        while data := await reader.read(65536):
            if hold and data[:1] == b"Q":
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
        writer.close()

    links: list[asyncio.Task[None]] = []

    async def link(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, port)
        try:
            await asyncio.gather(
                pipe(client_r, server_w, hold=True), pipe(server_r, client_w, hold=False)
            )
        finally:
            client_w.close()
            server_w.close()

    def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        links.append(asyncio.create_task(link(client_r, client_w)))

    relay = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield relay.sockets[0].getsockname()[1]
    finally:
        relay.close()
        for task in links:
            task.cancel()
        await asyncio.gather(*links, return_exceptions=True)


async def test_a_watcher_stopped_during_a_check_on_a_new_connection_closes_it(
    database_url: str,
) -> None:
    # The check's connection is made, then its SELECT 1 is slow; stopping the watcher then
    # used to leave that connection, open, to the garbage collector ("connection was
    # deleted while still open": a ResourceWarning at a random later moment).
    settings = make_settings(database_url, db_check_interval=0.05, db_connect_timeout=60)
    assert settings.database_url is not None
    direct = conninfo_to_dict(conninfo(settings.database_url))
    async with relay_that_delays_queries(
        str(direct["host"]), int(str(direct["port"])), 1.0
    ) as port:
        watcher = ReadinessWatcher(
            settings,
            make_conninfo(conninfo(settings.database_url), host="127.0.0.1", port=port),
            on_back=asyncio.sleep,  # type: ignore[arg-type]
            on_writability=asyncio.sleep,  # type: ignore[arg-type]
            housekeeping=asyncio.sleep,  # type: ignore[arg-type]
            give_up=lambda: None,
        )
        watcher.start()

        async def ready() -> bool | None:
            return watcher.ready or None

        await apoll(ready, within=30, what="the schema, prepared straight on the database")
        await asyncio.sleep(0.5)  # the first check: connected through the relay, SELECT 1 held
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            await watcher.stop()
            gc.collect()

    assert [str(w.message) for w in seen if w.category is ResourceWarning] == []


async def test_a_watcher_told_to_recheck_just_before_it_stops_stops(database_url: str) -> None:
    # A request's check_now() (a database error) just before shutdown: the wait for the
    # recheck ended in the same turn of the event loop as stop() cancelled it. Python
    # 3.11's asyncio.wait_for returned the wait's result then and dropped the
    # cancellation: the watcher went on checking, and stop() (the app's shutdown) hung.
    settings = make_settings(database_url, db_check_interval=60)
    assert settings.database_url is not None
    idle = asyncio.Event()

    async def housekeeping(connection: object) -> None:
        # The end of the watcher's first round: from here it waits for the next check,
        # without giving the event loop a turn in between.
        idle.set()

    watcher = ReadinessWatcher(
        settings,
        conninfo(settings.database_url),
        on_back=asyncio.sleep,  # type: ignore[arg-type]
        on_writability=asyncio.sleep,  # type: ignore[arg-type]
        housekeeping=housekeeping,
        give_up=lambda: None,
    )
    watcher.start()
    async with asyncio.timeout(30):
        await idle.wait()

    watcher.check_now()
    await asyncio.sleep(0)  # the wait for the recheck ends; its caller is not back yet
    stopping = asyncio.create_task(watcher.stop())
    done, _ = await asyncio.wait([stopping], timeout=10)
    if not done:
        await watcher.stop()  # a second cancellation ends it: leave no task behind

    assert done == {stopping}, "the watcher outlived stop()"
