"""Alembic migrations, applied under a PostgreSQL advisory lock.

Run alone, as a one-shot step before the backend starts:  python -m app.migrate
"""

import asyncio
import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception, wait_exponential

from app.config import Settings, get_settings
from app.db import is_unavailable, make_engine
from app.logs import configure_logging

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
# Any fixed number, the same in every replica: only one of them migrates at a time.
MIGRATION_LOCK_ID = 20_260_001

log = logging.getLogger(__name__)


class SchemaNotReadyError(Exception):
    """The database is not at the newest migration, and this process may not migrate it."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration; with a connection, env.py migrates through it."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["connection"] = connection
    return config


def _upgrade_to_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _is_at_head(connection: Connection) -> bool:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return set(MigrationContext.configure(connection).get_current_heads()) == set(heads)


async def migrate(engine: AsyncEngine) -> None:
    """Apply pending migrations; replicas starting together wait for each other."""
    async with engine.connect() as connection:
        lock = {"id": MIGRATION_LOCK_ID}
        await connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), lock)
        await connection.commit()
        try:
            await connection.run_sync(_upgrade_to_head)
            await connection.commit()
        finally:
            await connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), lock)
            await connection.commit()


async def check_at_head(engine: AsyncEngine) -> None:
    """Raise SchemaNotReadyError unless every migration has been applied."""
    async with engine.connect() as connection:
        if not await connection.run_sync(_is_at_head):
            raise SchemaNotReadyError("database schema is not at the newest migration")


async def prepare_schema(engine: AsyncEngine, settings: Settings) -> None:
    """Wait for the database, with backoff, until its schema is ready for requests."""
    step = migrate if settings.migrate_on_start else check_at_head
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(
            lambda error: is_unavailable(error) or isinstance(error, SchemaNotReadyError)
        ),
        wait=wait_exponential(multiplier=0.25, max=settings.db_retry_max_backoff),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            await step(engine)


async def _main() -> None:
    settings = get_settings().model_copy(update={"migrate_on_start": True})
    configure_logging(settings)
    engine = make_engine(settings)
    try:
        await prepare_schema(engine, settings)
    finally:
        await engine.dispose()
    log.info("database schema is at the newest migration")


if __name__ == "__main__":
    asyncio.run(_main())
