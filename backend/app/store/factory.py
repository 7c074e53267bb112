"""The one place where configuration picks the storage."""

from app.config import Settings
from app.store.base import TaskStore


def build_store(settings: Settings) -> TaskStore:
    """PostgreSQL when DATABASE_URL is set, memory otherwise."""
    if settings.database_url is None:
        from app.store.memory import MemoryTaskStore

        return MemoryTaskStore(
            max_tasks=settings.memory_max_tasks,
            key_ttl=settings.idempotency_key_ttl,
            max_keys=settings.idempotency_max_keys,
        )
    # Imported only here: the in-memory backend never loads the database driver, and
    # starts faster for it.
    from app.store.postgres import PostgresTaskStore

    return PostgresTaskStore(settings)
