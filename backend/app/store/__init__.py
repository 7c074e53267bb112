"""Where tasks are kept: one interface, two implementations chosen by configuration."""

from app.store.base import (
    DEMO_TASKS,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    StoreFullError,
    StoreOverloadedError,
    StoreUnavailableError,
    TaskRow,
    TaskStore,
)

__all__ = [
    "DEMO_TASKS",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyReusedError",
    "StoreFullError",
    "StoreOverloadedError",
    "StoreUnavailableError",
    "TaskRow",
    "TaskStore",
]
