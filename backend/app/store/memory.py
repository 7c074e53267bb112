"""Tasks kept in the process's memory: the default, lost when the backend restarts."""

import threading
from collections.abc import Sequence
from typing import Any

from app.schemas import Task
from app.store.base import DEMO_TASKS, StorageKind


class MemoryTaskStore:
    """A dict of tasks; a lock keeps each operation whole even across threads."""

    kind: StorageKind = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[int, Task] = {}
        self._last_id = 0
        for title in DEMO_TASKS:
            self._insert(title=title, done=False)

    def _insert(self, *, title: str, done: bool) -> Task:
        self._last_id += 1
        task = Task(id=self._last_id, title=title, done=done)
        self._tasks[task.id] = task
        return task

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release."""

    async def ping(self) -> None:
        """Memory always answers."""

    async def list(self, *, done: bool | None, after_id: int, limit: int) -> Sequence[Task]:
        with self._lock:
            # Ids only grow and dicts keep insertion order, so this is ordered by id.
            matching = (
                task
                for task in self._tasks.values()
                if task.id > after_id and (done is None or task.done == done)
            )
            return [task for _, task in zip(range(limit), matching, strict=False)]

    async def get(self, *, task_id: int) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    async def create(self, *, title: str, done: bool) -> Task:
        with self._lock:
            return self._insert(title=title, done=done)

    async def update(self, *, task_id: int, changes: dict[str, Any]) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return None
            updated = task.model_copy(update=changes)
            self._tasks[task_id] = updated
            return updated

    async def delete(self, *, task_id: int) -> bool:
        with self._lock:
            return self._tasks.pop(task_id, None) is not None
