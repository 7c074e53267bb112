"""Where tasks are kept: one interface, two implementations chosen by configuration.

Callers import from here: the TaskStore interface and its row type, the errors a store
raises, and build_store(), the one place configuration picks the storage.
"""

from app.store.base import (
    Failure,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    PoolStats,
    StorageKind,
    StoreError,
    StoreState,
    TaskRow,
    TaskStore,
)
from app.store.factory import build_store

__all__ = [
    "Failure",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyReusedError",
    "PoolStats",
    "StorageKind",
    "StoreError",
    "StoreState",
    "TaskRow",
    "TaskStore",
    "build_store",
]
