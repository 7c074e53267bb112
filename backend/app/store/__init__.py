"""Where tasks are kept: one interface, two implementations chosen by configuration.

Callers import from here: the TaskStore interface and its row type, the errors a store
raises, and build_store(), the one place configuration picks the storage.
"""

from app.store.base import (
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    PoolStats,
    StorageKind,
    StoreFullError,
    StoreOverloadedError,
    StoreState,
    StoreUnavailableError,
    TaskRow,
    TaskStore,
)
from app.store.factory import build_store

__all__ = [
    "IdempotencyKeyInUseError",
    "IdempotencyKeyReusedError",
    "PoolStats",
    "StorageKind",
    "StoreFullError",
    "StoreOverloadedError",
    "StoreState",
    "StoreUnavailableError",
    "TaskRow",
    "TaskStore",
    "build_store",
]
