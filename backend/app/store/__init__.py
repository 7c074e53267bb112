"""Where tasks are kept: one interface, two implementations chosen by configuration."""

from app.store.base import DEMO_TASKS, StoreUnavailableError, TaskStore

__all__ = ["DEMO_TASKS", "StoreUnavailableError", "TaskStore"]
