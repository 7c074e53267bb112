"""The one place where configuration picks the storage."""

from app.config import Settings
from app.store.base import TaskStore
from app.store.memory import MemoryTaskStore
from app.store.postgres import PostgresTaskStore


def build_store(settings: Settings) -> TaskStore:
    """PostgreSQL when DATABASE_URL is set, memory otherwise."""
    if settings.database_url is None:
        return MemoryTaskStore()
    return PostgresTaskStore(settings)
