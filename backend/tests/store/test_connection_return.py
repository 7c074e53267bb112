"""A request stopped while its pooled connection goes back to the pool (its client gone:
ClientGoneMiddleware; or DB_REQUEST_TIMEOUT passing) does not take that connection with
it. psycopg_pool gives a connection back under the pool's lock; a cancellation that
lands while the request waits for that lock (1,000 clients leaving at once, on a busy
machine) used to stop the return half-way: the connection was neither in the pool nor
closed, counted as in use for ever. Once DB_POOL_SIZE + DB_MAX_OVERFLOW were lost so,
every request waited DB_POOL_TIMEOUT and got a 503 until the backend was restarted,
while readiness said ok (a fresh-clone run's 1,000-connection fault test: a whole round
without one answer, then only 503s)."""

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from app.database.migrations import upgrade_to_head
from app.store.postgres import PostgresTaskStore
from harness.app import make_settings
from harness.polling import apoll

pytestmark = pytest.mark.anyio

WITHIN = 10.0


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresTaskStore]:
    """The store with a pool of one connection: one lost is all of them."""
    settings = make_settings(database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=2.0)
    upgrade_to_head(settings)
    store = PostgresTaskStore(settings)
    await store.start()

    async def ready() -> bool | None:
        return store.state().status == "ok" or None

    await apoll(ready, within=WITHIN, what="the store ready")
    try:
        yield store
    finally:
        await store.close()


async def test_a_request_stopped_while_its_connection_goes_back_keeps_the_pool_whole(
    store: PostgresTaskStore, database_url: str
) -> None:
    pool_lock = store._pool._lock  # psycopg_pool's own: held, it holds the return back
    with psycopg.connect(database_url, autocommit=True) as blocker:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        request = asyncio.create_task(store.list(done=None, after_id=0, limit=5))

        async def holding_the_connection() -> bool | None:
            stats = store.pool_stats()
            return (stats is not None and stats.in_use == 1) or None

        await apoll(holding_the_connection, within=WITHIN, what="the request's query waiting")
        async with pool_lock:
            blocker.execute("COMMIT")  # the query ends; the return waits for the pool's lock

            async def returning() -> bool | None:
                return bool(pool_lock._waiters) or None  # asyncio.Lock's queue of waiters

            await apoll(returning, within=WITHIN, what="the request giving its connection back")
            request.cancel()  # the client goes, now
            await asyncio.sleep(0.1)
    with pytest.raises(asyncio.CancelledError):
        await request

    async def returned() -> bool | None:
        stats = store.pool_stats()
        return (stats is not None and stats.in_use == 0) or None

    await apoll(returned, within=WITHIN, what="the connection back in the pool")
    await store.list(done=None, after_id=0, limit=5)  # served, not a PoolTimeout
