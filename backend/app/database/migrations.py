"""The database schema: Alembic migrations, applied under a PostgreSQL advisory lock.

Run alone, as a one-shot step before the backend starts:  python -m app.migrate (main()).

At start-up the backend only reads alembic_version; Alembic and SQLAlchemy are imported
when there is something to migrate, which keeps a normal start fast.
"""

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from app.config import Settings, get_settings
from app.database.connection import conninfo, session_options, sqlalchemy_url
from app.database.diagnosis import (
    MIGRATIONS_PENDING,
    SCHEMA_FAILED,
    Reason,
    diagnose,
    driver_message,
)
from app.logs import configure_logging

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
# The newest migration in migrations/versions (tests/database/test_migrations.py keeps
# them equal).
HEAD_REVISION = "0006"
# Any fixed number, the same in every replica: only one of them migrates at a time.
MIGRATION_LOCK_ID = 20_260_001
# The migrations' own bounds (the backend's sessions have theirs: connection.py). No
# statement_timeout: a migration may rewrite a large table. But a lock_timeout: while a
# migration waits for a table's lock (behind a long transaction), every request for that
# table queues behind it; after MIGRATION_LOCK_TIMEOUT it gives up, frees the queue, and
# is tried again with backoff. The wait for the other replicas' migration (the advisory
# lock) has no bound: it ends when theirs does.
MIGRATION_SESSION = {"statement_timeout": "0", "lock_timeout": "5s"}

log = logging.getLogger(__name__)


class SchemaNotReadyError(Exception):
    """The database is not at the newest migration, and this process may not migrate it."""

    reason = MIGRATIONS_PENDING


def alembic_config(connection: "Connection | None" = None) -> "Config":
    """Alembic's configuration; with a connection, env.py migrates through it."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(settings: Settings) -> None:
    """Apply pending migrations, holding the advisory lock: replicas starting together
    wait for each other. Blocking (Alembic is synchronous): run it in a thread."""
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.pool import NullPool

    assert settings.database_url is not None
    engine = sa.create_engine(
        sqlalchemy_url(settings.database_url),
        poolclass=NullPool,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            # The migration lock is a session's: freed if this replica dies holding it.
            "options": session_options(settings, **MIGRATION_SESSION),
        },
    )
    lock = {"id": MIGRATION_LOCK_ID}
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SET lock_timeout = 0"))
            connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), lock)
            connection.execute(sa.text("RESET lock_timeout"))
            connection.commit()
            try:
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), lock)
                connection.commit()
    finally:
        engine.dispose()


async def current_revision(settings: Settings) -> str | None:
    """The revision in alembic_version, or None on a database never migrated."""
    assert settings.database_url is not None
    async with await psycopg.AsyncConnection.connect(
        conninfo(settings.database_url),
        autocommit=True,
        connect_timeout=settings.db_connect_timeout,
        options=session_options(settings),
    ) as connection:
        try:
            cursor = await connection.execute("SELECT version_num FROM alembic_version")
        except psycopg.errors.UndefinedTable:
            return None
        row = await cursor.fetchone()
        return None if row is None else str(row[0])


async def _ensure_at_head(settings: Settings) -> None:
    if await current_revision(settings) == HEAD_REVISION:
        return
    if not settings.migrate_on_start:
        raise SchemaNotReadyError("database schema is not at the newest migration")
    await asyncio.to_thread(upgrade_to_head, settings)


def reason_not_ready(error: BaseException) -> Reason:
    """Why the schema is not ready: the database's failure (app/database/diagnosis.py), or
    else a migration that failed."""
    return diagnose(error) or SCHEMA_FAILED


async def prepare_schema(
    settings: Settings, *, report: Callable[[Reason, BaseException], None] = lambda *_: None
) -> None:
    """Wait, with backoff, until the database's schema is ready for requests.

    Every failure is retried: a database that is still starting (a warning), but also one
    that refuses our login or the migrations, say for lack of privileges (an error, on
    every attempt, since it will not go away by itself; someone may fix it meanwhile).
    `report` hears why each time."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if error is None:
            return
        reason = reason_not_ready(error)
        report(reason, error)
        # What it means first, then the driver's own words (for a refusal, the server's,
        # naming the role and database).
        log.log(
            reason.log_level,
            "database schema not ready (attempt %d): %s: %s (%s)",
            state.attempt_number,
            reason.id,
            reason.sentence,
            driver_message(error),
        )

    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(Exception),
        wait=wait_exponential(multiplier=0.25, max=settings.db_retry_max_backoff),
        before_sleep=before_sleep,
        reraise=True,
    ):
        with attempt:
            await _ensure_at_head(settings)


async def main() -> None:
    """Wait for the database, apply pending migrations, and return (python -m app.migrate)."""
    settings = get_settings().model_copy(update={"migrate_on_start": True})
    configure_logging(settings)
    timeout = settings.startup_timeout or None
    try:
        await asyncio.wait_for(prepare_schema(settings), timeout)
    except TimeoutError:
        raise SystemExit(f"the database schema was not ready within {timeout} s") from None
    log.info("database schema is at the newest migration")
