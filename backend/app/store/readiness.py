"""The PostgreSQL store's readiness watcher: whether the database serves, known at all times
without asking it.

A background task prepares the schema (app/database/migrations.py), then checks every
`db_check_interval` seconds, on a connection of its own, that the database answers with
the schema in place; a database that answers without it (a new, empty one) has it
prepared again, as at start-up.
Readiness reads its last verdict and never waits for the pool, so that a busy backend is
not reported as a broken one to a load balancer.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from app.config import Settings
from app.database.connection import session_options
from app.database.diagnosis import (
    READ_ONLY,
    SCHEMA_MISSING,
    STARTING,
    Reason,
    diagnose,
    driver_message,
)
from app.database.migrations import prepare_schema, reason_not_ready

log = logging.getLogger(__name__)

Connection = psycopg.AsyncConnection[tuple[Any, ...]]
# The check: the schema is there (alembic_version: a new, empty database has none, and
# its error says so), and whether the database is read-only: a standby (in recovery), or
# sessions that start read-only (default_transaction_read_only, which an autocommit
# statement's transaction takes).
CHECK = (
    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::bool"
    " FROM alembic_version"
)


class ReadinessWatcher:
    """How the database did at the last check: `ready`; when not, `problem` (why:
    app/database/diagnosis.py's Reason) and `problem_words` (the driver's, for the log);
    when ready, `read_only` (it serves reads only: a standby, or
    default_transaction_read_only on).

    on_back: awaited when the database answers again after an outage (the store drops
    the pool's broken connections then). on_writability: awaited when the database turns
    read-only or writable again (the store replaces its pooled sessions, which keep the
    setting they started with, or may still reach the old server after a failover).
    housekeeping: awaited on the watcher's own connection every
    `idempotency_cleanup_interval` seconds. give_up: called when the schema is still not
    ready after `startup_timeout` seconds.
    """

    def __init__(
        self,
        settings: Settings,
        conninfo: str,
        *,
        on_back: Callable[[], Awaitable[None]],
        on_writability: Callable[[], Awaitable[None]],
        housekeeping: Callable[[Connection], Awaitable[None]],
        give_up: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._conninfo = conninfo
        self._on_back = on_back
        self._on_writability = on_writability
        self._housekeeping = housekeeping
        self._give_up = give_up
        self.ready = False
        self.read_only = False
        self.problem: Reason | None = STARTING
        self.problem_words = ""
        self._recheck = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # The watcher's own connection lives here, not in a local of _check: a stop that
        # cancels the watcher halfway through a check (just after connecting) must still
        # find it to close it.
        self._monitor: Connection | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="watch-database")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def check_now(self) -> None:
        """Look at the database now, not at the next tick (a request just failed)."""
        self._recheck.set()

    def _report(self, problem: Reason, error: BaseException) -> None:
        self.problem = problem
        self.problem_words = driver_message(error)

    async def _watch(self) -> None:
        timeout = self._settings.startup_timeout or None
        try:
            async with asyncio.timeout(timeout):
                await prepare_schema(self._settings, report=self._report)
        except TimeoutError:
            log.error(
                "database not ready after %s s (%s): exiting, to be restarted",
                timeout,
                self.problem.sentence if self.problem else "no check ended",
            )
            self._give_up()
            return
        self.ready = True
        self.problem = None
        log.info("database ready")
        cleaned_at = 0.0
        self._recheck.set()  # whether it takes writes: now, not a tick later
        try:
            while True:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a
                # cancellation that comes as the event is set (a request's check_now()
                # just before shutdown), and the watcher would outlive stop().
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._settings.db_check_interval):
                        await self._recheck.wait()
                self._recheck.clear()
                failure, read_only = await self._check()
                if failure is not None and diagnose(failure) is SCHEMA_MISSING:
                    await self._prepare_again(failure)
                    failure = None
                answered = failure is None
                if answered and read_only != self.read_only:
                    self.read_only = read_only
                    await self._on_writability()
                    if read_only:
                        log.warning("database %s: %s", READ_ONLY.id, READ_ONLY.sentence)
                    else:
                        log.info("database takes writes again")
                if answered and not self.ready:
                    await self._on_back()
                    log.info("database reachable again")
                problem = None if failure is None else reason_not_ready(failure)
                if failure is not None and problem is not None and self.ready:
                    _log_unavailable(problem, failure)
                self.ready = answered
                self.problem = problem
                self.problem_words = "" if failure is None else driver_message(failure)
                loop_time = asyncio.get_running_loop().time()
                if (
                    self._monitor is not None
                    and loop_time - cleaned_at > self._settings.idempotency_cleanup_interval
                ):
                    cleaned_at = loop_time
                    with contextlib.suppress(psycopg.Error):
                        await self._housekeeping(self._monitor)
        finally:
            await self._close_monitor()

    async def _prepare_again(self, failure: BaseException) -> None:
        """The schema prepared again in a database that lost it; meanwhile, not ready."""
        _log_unavailable(SCHEMA_MISSING, failure)
        self.ready = False
        self.problem = SCHEMA_MISSING
        await prepare_schema(self._settings, report=self._report)

    async def _close_monitor(self) -> None:
        monitor, self._monitor = self._monitor, None
        if monitor is not None:
            await monitor.close()

    async def _check(self) -> tuple[BaseException | None, bool]:
        """Whether the database answers, and takes writes, asked on the watcher's own
        connection (made again when it broke, and while the database is read-only, to
        see a failover's new server and the sessions' new defaults): (the error when it
        fails, for readiness to name: a refused login is not an outage; read-only).

        When the connection it had fails, a new one is tried at once: the old one's end
        (a restart, an operator's pg_terminate_backend, a password changed and sessions
        ended) says nothing of what a new connection meets now, which is what readiness
        must name."""
        had_connection = self._monitor is not None and not self._monitor.closed
        failure, read_only = await self._check_once()
        if failure is not None and had_connection:
            failure, read_only = await self._check_once()
        return failure, read_only

    async def _check_once(self) -> tuple[BaseException | None, bool]:
        timeout = self._settings.db_connect_timeout
        try:
            if self._monitor is None or self._monitor.closed:
                self._monitor = await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=timeout,
                    options=session_options(self._settings),
                )
            async with asyncio.timeout(timeout):
                cursor = await self._monitor.execute(CHECK)
                row = await cursor.fetchone()
        except (psycopg.Error, OSError, TimeoutError) as error:
            await self._close_monitor()
            return error, False
        read_only = bool(row and row[0])
        if read_only:
            await self._close_monitor()
        return None, read_only


def _log_unavailable(problem: Reason, failure: BaseException) -> None:
    """The line an operator reads when the database stops serving: why (the Reason's id
    and sentence), then the driver's own words."""
    log.log(
        problem.log_level,
        "database unavailable: answering 503 until it is back: %s: %s (%s)",
        problem.id,
        problem.sentence,
        driver_message(failure),
    )
