"""Tasks kept in PostgreSQL, through an async connection pool."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.config import Settings
from app.db import is_unavailable, make_engine
from app.migrate import prepare_schema
from app.schemas import Task
from app.store.base import StorageKind, StoreUnavailableError
from app.store.tables import tasks

log = logging.getLogger(__name__)


class PostgresTaskStore:
    """Serves once the database answers and its schema is ready; 503s until then."""

    kind: StorageKind = "postgresql"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: AsyncEngine = make_engine(settings)
        self._schema_ready = asyncio.Event()
        self._preparing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # In the background: the API answers liveness (and 503s) while the database comes up.
        self._preparing = asyncio.create_task(self._prepare(), name="prepare-database")

    async def _prepare(self) -> None:
        try:
            await prepare_schema(self._engine, self._settings)
        except Exception:
            log.exception("database schema could not be prepared; the API stays unavailable")
            return
        self._schema_ready.set()
        log.info("database ready")

    async def close(self) -> None:
        if self._preparing is not None:
            self._preparing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._preparing
        await self._engine.dispose()

    @contextlib.asynccontextmanager
    async def _connection(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A pooled connection (in a transaction when writing); outages become 503s."""
        if not self._schema_ready.is_set():
            raise StoreUnavailableError("database not ready")
        try:
            async with self._engine.begin() if write else self._engine.connect() as connection:
                yield connection
        except Exception as error:
            if is_unavailable(error):
                raise StoreUnavailableError("database unavailable") from error
            raise

    async def ping(self) -> None:
        async with self._connection() as connection:
            await connection.execute(sa.text("SELECT 1"))

    async def list(self, *, done: bool | None, after_id: int, limit: int) -> Sequence[Task]:
        query = sa.select(tasks).where(tasks.c.id > after_id).order_by(tasks.c.id).limit(limit)
        if done is not None:
            query = query.where(tasks.c.done == done)
        async with self._connection() as connection:
            rows = (await connection.execute(query)).mappings()
            return [Task(**row) for row in rows]

    async def get(self, *, task_id: int) -> Task | None:
        async with self._connection() as connection:
            row = (
                (await connection.execute(sa.select(tasks).where(tasks.c.id == task_id)))
                .mappings()
                .one_or_none()
            )
        return None if row is None else Task(**row)

    async def create(self, *, title: str, done: bool) -> Task:
        async with self._connection(write=True) as connection:
            row = (
                (
                    await connection.execute(
                        tasks.insert().values(title=title, done=done).returning(tasks)
                    )
                )
                .mappings()
                .one()
            )
        return Task(**row)

    async def update(self, *, task_id: int, changes: dict[str, Any]) -> Task | None:
        statement = tasks.update().where(tasks.c.id == task_id).values(**changes).returning(tasks)
        async with self._connection(write=True) as connection:
            row = (await connection.execute(statement)).mappings().one_or_none()
        return None if row is None else Task(**row)

    async def delete(self, *, task_id: int) -> bool:
        statement = tasks.delete().where(tasks.c.id == task_id).returning(tasks.c.id)
        async with self._connection(write=True) as connection:
            return (await connection.execute(statement)).first() is not None
