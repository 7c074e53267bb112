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
from app.database.diagnosis import SCHEMA_MISSING, STARTING, Reason, diagnose, driver_message
from app.database.migrations import prepare_schema, reason_not_ready

log = logging.getLogger(__name__)

Connection = psycopg.AsyncConnection[tuple[Any, ...]]


class ReadinessWatcher:
    """`ready` and `problem` (why not ready: app/database/diagnosis.py's Reason) say how
    the database did at the last check.

    on_back: awaited when the database answers again after an outage (the store drops
    the pool's broken connections then). housekeeping: awaited on the watcher's own
    connection every `idempotency_cleanup_interval` seconds. give_up: called when the
    schema is still not ready after `startup_timeout` seconds.
    """

    def __init__(
        self,
        settings: Settings,
        conninfo: str,
        *,
        on_back: Callable[[], Awaitable[None]],
        housekeeping: Callable[[Connection], Awaitable[None]],
        give_up: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._conninfo = conninfo
        self._on_back = on_back
        self._housekeeping = housekeeping
        self._give_up = give_up
        self.ready = False
        self.problem: Reason | None = STARTING
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

    def _report(self, problem: Reason) -> None:
        self.problem = problem

    async def _watch(self) -> None:
        timeout = self._settings.startup_timeout or None
        try:
            await asyncio.wait_for(prepare_schema(self._settings, report=self._report), timeout)
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
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._recheck.wait(), self._settings.db_check_interval)
                self._recheck.clear()
                failure = await self._check()
                if failure is not None and diagnose(failure) is SCHEMA_MISSING:
                    await self._prepare_again(failure)
                    failure = None
                answered = failure is None
                if answered and not self.ready:
                    await self._on_back()
                    log.info("database reachable again")
                problem = None if failure is None else reason_not_ready(failure)
                if failure is not None and problem is not None and self.ready:
                    _log_unavailable(problem, failure)
                self.ready = answered
                self.problem = problem
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

    async def _check(self) -> BaseException | None:
        """A query of the schema's version on the watcher's own connection (made again
        when it broke); the error when it fails, for readiness to name (a refused login is
        not an outage, a missing table is a database to prepare again)."""
        timeout = self._settings.db_connect_timeout
        try:
            if self._monitor is None or self._monitor.closed:
                self._monitor = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=timeout
                )
            await asyncio.wait_for(self._monitor.execute("SELECT 1 FROM alembic_version"), timeout)
        except (psycopg.Error, OSError, TimeoutError) as error:
            await self._close_monitor()
            return error
        return None


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
