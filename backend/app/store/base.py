"""The TaskStore interface that routes depend on, whichever storage is behind it."""

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from app.schemas import Task

# What fresh storage holds: the course's two demo tasks, ids 1 and 2.
DEMO_TASKS: tuple[str, ...] = ("Apprendre Docker", "Configurer CI/CD")

StorageKind = Literal["memory", "postgresql"]


class StoreUnavailableError(Exception):
    """The storage cannot answer now (database down or not migrated yet); retry later."""


class TaskStore(Protocol):
    """Keeps tasks. Every method may raise StoreUnavailableError."""

    kind: StorageKind

    async def start(self) -> None:
        """Begin serving; must not fail when the storage is not reachable yet."""

    async def close(self) -> None:
        """Release connections; in-flight calls have ended."""

    async def ping(self) -> None:
        """Return when the storage answers; raise StoreUnavailableError otherwise."""

    async def list(self, *, done: bool | None, after_id: int, limit: int) -> Sequence[Task]:
        """Up to `limit` tasks with id greater than `after_id`, ordered by id."""

    async def get(self, *, task_id: int) -> Task | None:
        """The task, or None when there is no such id."""

    async def create(self, *, title: str, done: bool) -> Task:
        """Store a new task and return it with its id."""

    async def update(self, *, task_id: int, changes: dict[str, Any]) -> Task | None:
        """Apply `changes` (title and/or done); None when there is no such id."""

    async def delete(self, *, task_id: int) -> bool:
        """Remove the task; False when there was none."""
