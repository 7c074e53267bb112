"""Tasks kept in PostgreSQL, through psycopg's async connection pool.

The hot path is plain SQL on pooled autocommit connections: one statement, one round
trip, no BEGIN/ROLLBACK around reads; rows come back as tuples and go out as JSON
without becoming objects in between. Alembic (app/migrate.py) owns the schema.
"""

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, cast

from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from app.config import Settings
from app.database.connection import conninfo, session_options
from app.database.diagnosis import (
    DOES_NOT_ANSWER,
    READ_ONLY,
    TOO_SLOW,
    diagnose,
    driver_message,
)
from app.store.base import (
    READY,
    Failure,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    PoolStats,
    StorageKind,
    StoreError,
    StoreState,
    TaskRow,
)
from app.store.readiness import Connection, ReadinessWatcher

log = logging.getLogger(__name__)

LIST_ALL = "SELECT id, title, done FROM tasks WHERE id > %s ORDER BY id LIMIT %s"
# Served by the index on (done, id): a filtered page costs the same at any depth.
LIST_BY_DONE = "SELECT id, title, done FROM tasks WHERE done = %s AND id > %s ORDER BY id LIMIT %s"
GET = "SELECT id, title, done FROM tasks WHERE id = %s"
CREATE = "INSERT INTO tasks (title, done) VALUES (%s, %s) RETURNING id, title, done"
# NULL keeps a column as it is: one statement whichever fields the client sent.
UPDATE = (
    "UPDATE tasks SET title = COALESCE(%s, title), done = COALESCE(%s, done)"
    " WHERE id = %s RETURNING id, title, done"
)
DELETE = "DELETE FROM tasks WHERE id = %s"
# Kept by triggers (migration 0005): one row, whatever the number of tasks.
SUMMARY = "SELECT total, done FROM task_counts"
# One statement each: atomic, whoever else writes at the same time.
DELETE_DONE = "DELETE FROM tasks WHERE done"
SET_ALL_DONE = "UPDATE tasks SET done = %s WHERE done <> %s"

# Idempotent creates, in one transaction. A transaction-level advisory lock on the key
# (namespace, hash) tells a second request with the same key, while the first is still
# running, to come back later (409) instead of waiting or creating twice.
IDEMPOTENCY_LOCK_NAMESPACE = 20_260_002
LOCK_KEY = "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))"
FIND_KEY = (
    "SELECT fingerprint, task_id, title, done FROM idempotency_keys"
    " WHERE key = %s AND created_at > now() - make_interval(secs => %s)"
)
# An expired row with the same key is replaced.
SAVE_KEY = (
    "INSERT INTO idempotency_keys (key, fingerprint, task_id, title, done)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET"
    " fingerprint = EXCLUDED.fingerprint, task_id = EXCLUDED.task_id,"
    " title = EXCLUDED.title, done = EXCLUDED.done, created_at = now()"
)
# Keys past their lifetime, then the oldest beyond the cap: storage stays bounded.
FORGET_EXPIRED_KEYS = (
    "DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(secs => %s)"
)
FORGET_SURPLUS_KEYS = (
    "DELETE FROM idempotency_keys WHERE created_at <= (SELECT created_at FROM"
    " idempotency_keys ORDER BY created_at DESC OFFSET %s LIMIT 1)"
)


def _stop_this_process() -> None:
    """SIGTERM to ourselves: uvicorn shuts down cleanly and exits with a non-zero status,
    so that the container's restart policy (or the orchestrator) starts it again."""
    os.kill(os.getpid(), signal.SIGTERM)


# Passwords anyone would try first; compose's local default ("tasks") among them.
WELL_KNOWN_PASSWORDS = {
    "",
    "tasks",
    "postgres",
    "password",
    "admin",
    "secret",
    "changeme",
    "change-me",
}


class _PooledConnection:
    """PostgresTaskStore._connection(): the pool's connection() with the pool's and the
    driver's errors told as the store's (StoreError, app/database/diagnosis.py deciding),
    and all the work done with it, the wait for it included, bounded by
    DB_REQUEST_TIMEOUT: once that passes, the statement running is cancelled on the
    server (psycopg does so when its task is cancelled), the connection goes back to the
    pool, and the request gets a 503.

    A class rather than @asynccontextmanager: every query goes through it, and a
    generator-based context manager costs about twice the time of this one (measured:
    4.2 µs against 2.5, the pool's own 2.1 included)."""

    __slots__ = ("_deadline", "_lease", "_pool", "_seconds", "_watcher")

    def __init__(
        self, pool: AsyncConnectionPool[Connection], watcher: ReadinessWatcher, seconds: float
    ) -> None:
        self._pool = pool
        self._watcher = watcher
        self._seconds = seconds

    async def __aenter__(self) -> Connection:
        self._deadline = asyncio.timeout(self._seconds)
        await self._deadline.__aenter__()
        self._lease = self._pool.connection()
        try:
            return await self._lease.__aenter__()
        except BaseException as error:
            told = await self._outcome(error)
            if told is error:
                raise
            raise told from error

    async def __aexit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            # Shielded: psycopg_pool takes the connection back under its lock, and a
            # cancellation while waiting for that lock (the client gone, or
            # DB_REQUEST_TIMEOUT) would stop the return half-way, losing the connection
            # to the pool for good (tests/store/test_connection_return.py). The return
            # goes on in a task of its own; this request still stops at once.
            await asyncio.shield(self._lease.__aexit__(error_type, error, traceback))
        except BaseException as returned:
            raise await self._outcome(returned) from returned
        if error is None:
            await self._deadline.__aexit__(None, None, None)
            return
        told = await self._outcome(error)
        if told is not error:
            raise told from error

    async def _outcome(self, error: BaseException) -> BaseException:
        """Leave the deadline with `error`; what the request is to raise instead."""
        try:
            await self._deadline.__aexit__(type(error), error, error.__traceback__)
        except TimeoutError:
            return StoreError(
                TOO_SLOW.sentence,
                kind=TOO_SLOW.kind,
                reason=TOO_SLOW.id,
                driver_message=f"no answer within DB_REQUEST_TIMEOUT ({self._seconds} s)",
            )
        if not isinstance(error, Exception):
            return error  # a cancellation from outside (the client went away, shutdown)
        reason = diagnose(error)
        if reason is None:
            return error  # a bug: a 500, with its traceback in the log
        if reason.kind in _RECHECK:
            self._watcher.check_now()
        return StoreError(
            reason.sentence,
            kind=reason.kind,
            reason=reason.id,
            driver_message=driver_message(error),
        )


# Failures after which readiness looks at the database at once, not at its next tick.
_RECHECK = (Failure.OUTAGE, Failure.REFUSED, Failure.READ_ONLY)


class PostgresTaskStore:
    """Serves once the database answers and its schema is ready; 503s until then (the
    readiness watcher, app/store/readiness.py, tells which)."""

    kind: StorageKind = "postgresql"

    def __init__(
        self, settings: Settings, *, give_up: Callable[[], None] = _stop_this_process
    ) -> None:
        assert settings.database_url is not None
        self._settings = settings
        self._conninfo = conninfo(settings.database_url)
        self._pool = AsyncConnectionPool(
            self._conninfo,
            min_size=settings.db_pool_size,
            max_size=settings.db_pool_size + settings.db_max_overflow,
            timeout=settings.db_pool_timeout,
            max_waiting=settings.db_pool_max_waiting,
            kwargs={
                "autocommit": True,
                "connect_timeout": settings.db_connect_timeout,
                "options": session_options(settings),
            },
            open=False,
            name="tasks",
        )
        self._watcher = ReadinessWatcher(
            settings,
            self._conninfo,
            # Connections broken by an outage are dropped before requests get them.
            on_back=self._pool.check,
            on_writability=self._pool.drain,
            housekeeping=self._forget_old_keys,
            give_up=give_up,
        )

    async def start(self) -> None:
        if conninfo_to_dict(self._conninfo).get("password", "") in WELL_KNOWN_PASSWORDS:
            log.warning(
                "the database password is a well-known default: fine on your machine, never "
                "anywhere else (set POSTGRES_PASSWORD in .env, then docker compose down -v)"
            )
        # Connections are made in the background: the API answers liveness (and 503s)
        # while the database comes up.
        await self._pool.open(wait=False)
        self._watcher.start()

    async def close(self) -> None:
        await self._watcher.stop()
        await self._pool.close()

    def state(self) -> StoreState:
        watcher = self._watcher
        if not watcher.ready:
            problem = watcher.problem or DOES_NOT_ANSWER
            return StoreState("unavailable", problem.id, problem.sentence)
        if watcher.read_only:
            return StoreState("read_only", READ_ONLY.id, READ_ONLY.sentence)
        return READY

    def pool_stats(self) -> PoolStats | None:
        stats = self._pool.get_stats()  # psycopg_pool's own counters; get_ does not reset
        size = stats.get("pool_size", 0)
        return PoolStats(
            open=size,
            in_use=size - stats.get("pool_available", 0),
            waiting=stats.get("requests_waiting", 0),
            max=self._pool.max_size,
        )

    def _connection(self) -> _PooledConnection:
        """`async with`: a pooled connection; every failure becomes a StoreError."""
        watcher = self._watcher
        if not watcher.ready:
            problem = watcher.problem or DOES_NOT_ANSWER
            raise StoreError(
                problem.sentence,
                kind=problem.kind,
                reason=problem.id,
                driver_message=watcher.problem_words,
            )
        return _PooledConnection(self._pool, watcher, self._settings.db_request_timeout)

    async def _fetch_all(self, query: str, params: tuple[Any, ...]) -> list[TaskRow]:
        async with self._connection() as connection:
            cursor = await connection.execute(query, params)
            return cast(list[TaskRow], await cursor.fetchall())

    async def _fetch_one(self, query: str, params: tuple[Any, ...]) -> TaskRow | None:
        async with self._connection() as connection:
            cursor = await connection.execute(query, params)
            return cast(TaskRow | None, await cursor.fetchone())

    async def list(self, *, done: bool | None, after_id: int, limit: int) -> Sequence[TaskRow]:
        if done is None:
            return await self._fetch_all(LIST_ALL, (after_id, limit))
        return await self._fetch_all(LIST_BY_DONE, (done, after_id, limit))

    async def get(self, *, task_id: int) -> TaskRow | None:
        return await self._fetch_one(GET, (task_id,))

    async def create(self, *, title: str, done: bool) -> TaskRow:
        row = await self._fetch_one(CREATE, (title, done))
        assert row is not None  # INSERT ... RETURNING returns the row
        return row

    async def create_once(
        self, *, key: str, fingerprint: bytes, title: str, done: bool
    ) -> tuple[TaskRow, bool]:
        async with self._connection() as connection, connection.transaction():
            cursor = await connection.execute(LOCK_KEY, (IDEMPOTENCY_LOCK_NAMESPACE, key))
            (locked,) = await cursor.fetchone() or (False,)
            if not locked:
                raise IdempotencyKeyInUseError(key)
            cursor = await connection.execute(FIND_KEY, (key, self._settings.idempotency_key_ttl))
            seen = await cursor.fetchone()
            if seen is not None:
                seen_fingerprint, task_id, title, task_done = seen
                if bytes(seen_fingerprint) != fingerprint:
                    raise IdempotencyKeyReusedError(key)
                return (task_id, title, task_done), True
            cursor = await connection.execute(CREATE, (title, done))
            task = cast(TaskRow, await cursor.fetchone())
            await connection.execute(SAVE_KEY, (key, fingerprint, *task))
        return task, False

    async def _forget_old_keys(self, connection: Connection) -> None:
        settings = self._settings
        await connection.execute(FORGET_EXPIRED_KEYS, (settings.idempotency_key_ttl,))
        await connection.execute(FORGET_SURPLUS_KEYS, (settings.idempotency_max_keys,))

    async def summary(self) -> tuple[int, int]:
        async with self._connection() as connection:
            cursor = await connection.execute(SUMMARY)
            row = await cursor.fetchone()
        assert row is not None  # the migration inserts the one row
        total, done = row
        return int(total), int(done)

    async def _count_changed(self, statement: str, params: tuple[Any, ...]) -> int:
        async with self._connection() as connection:
            cursor = await connection.execute(statement, params)
            return cursor.rowcount

    async def delete_done(self) -> int:
        return await self._count_changed(DELETE_DONE, ())

    async def set_all_done(self, *, done: bool) -> int:
        return await self._count_changed(SET_ALL_DONE, (done, done))

    async def update(self, *, task_id: int, title: str | None, done: bool | None) -> TaskRow | None:
        return await self._fetch_one(UPDATE, (title, done, task_id))

    async def delete(self, *, task_id: int) -> bool:
        async with self._connection() as connection:
            cursor = await connection.execute(DELETE, (task_id,))
            return cursor.rowcount > 0
