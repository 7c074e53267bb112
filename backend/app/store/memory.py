"""Tasks kept in the process's memory: the default, lost when the backend restarts."""

import heapq
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import NamedTuple

from sortedcontainers import SortedList

from app.schemas import MAX_TASK_ID
from app.store.base import (
    DEMO_TASKS,
    NO_ID_LEFT,
    READY,
    Failure,
    IdempotencyKeyReusedError,
    PoolStats,
    StorageKind,
    StoreError,
    StoreState,
    TaskRow,
)


class _Remembered(NamedTuple):
    """What an Idempotency-Key is remembered with."""

    fingerprint: bytes  # of the request body
    task: TaskRow  # as created
    expires_at: float  # time.monotonic()


class MemoryTaskStore:
    """A dict of tasks by id, and the ids of open and of done tasks in sorted lists, so
    that any page, filtered or not, is found in O(log n + page), never by a scan.

    No lock: every method runs on the event loop and never awaits in the middle, so no
    other request can see or change the store halfway through one.
    """

    kind: StorageKind = "memory"

    def __init__(self, *, max_tasks: int, key_ttl: float, max_keys: int) -> None:
        self._max_tasks = max_tasks
        self._key_ttl = key_ttl
        self._max_keys = max_keys
        # Idempotency-Key -> (fingerprint, the task as created, when the key expires), oldest
        # first: expired and surplus keys are dropped from the front.
        self._keys: OrderedDict[str, _Remembered] = OrderedDict()
        self._tasks: dict[int, TaskRow] = {}
        self._ids: dict[bool, SortedList[int]] = {False: SortedList(), True: SortedList()}
        self._last_id = 0
        for title in DEMO_TASKS:
            self._insert(title=title, done=False)

    def _insert(self, *, title: str, done: bool) -> TaskRow:
        self._last_id += 1
        task = (self._last_id, title, done)
        self._tasks[self._last_id] = task
        self._ids[done].add(self._last_id)
        return task

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release."""

    def state(self) -> StoreState:
        return READY

    def pool_stats(self) -> PoolStats | None:
        return None

    def _ids_after(self, done: bool | None, after_id: int) -> Iterator[int]:
        if done is not None:
            return iter(self._ids[done].irange(minimum=after_id + 1))
        # Both sorted lists, merged: ordered by id, lazily, page by page.
        return heapq.merge(
            self._ids[False].irange(minimum=after_id + 1),
            self._ids[True].irange(minimum=after_id + 1),
        )

    async def list(self, *, done: bool | None, after_id: int, limit: int) -> Sequence[TaskRow]:
        return [self._tasks[task_id] for task_id in islice(self._ids_after(done, after_id), limit)]

    async def get(self, *, task_id: int) -> TaskRow | None:
        return self._tasks.get(task_id)

    async def create(self, *, title: str, done: bool) -> TaskRow:
        if len(self._tasks) >= self._max_tasks:
            raise StoreError(
                f"The in-memory store is full ({self._max_tasks} tasks): delete some, or "
                "set DATABASE_URL to keep tasks in PostgreSQL.",
                kind=Failure.FULL,
                reason="memory_full",
            )
        if self._last_id >= MAX_TASK_ID:
            raise StoreError(NO_ID_LEFT, kind=Failure.FULL, reason="ids_exhausted")
        return self._insert(title=title, done=done)

    async def create_once(
        self, *, key: str, fingerprint: bytes, title: str, done: bool
    ) -> tuple[TaskRow, bool]:
        now = time.monotonic()
        while self._keys and next(iter(self._keys.values())).expires_at <= now:
            self._keys.popitem(last=False)
        seen = self._keys.get(key)
        if seen is not None:
            if seen.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(key)
            return seen.task, True
        task = await self.create(title=title, done=done)
        self._keys[key] = _Remembered(fingerprint, task, now + self._key_ttl)
        if len(self._keys) > self._max_keys:
            self._keys.popitem(last=False)
        return task, False

    async def summary(self) -> tuple[int, int]:
        return len(self._tasks), len(self._ids[True])

    async def delete_done(self) -> int:
        done = self._ids[True]
        for task_id in done:
            del self._tasks[task_id]
        count = len(done)
        done.clear()
        return count

    async def set_all_done(self, *, done: bool) -> int:
        moving = self._ids[not done]
        for task_id in moving:
            _, title, _ = self._tasks[task_id]
            self._tasks[task_id] = (task_id, title, done)
        count = len(moving)
        self._ids[done].update(moving)
        moving.clear()
        return count

    async def update(self, *, task_id: int, title: str | None, done: bool | None) -> TaskRow | None:
        task = self._tasks.get(task_id)
        if task is None:
            return None
        _, old_title, old_done = task
        new_done = old_done if done is None else done
        updated = (task_id, old_title if title is None else title, new_done)
        if new_done != old_done:
            self._ids[old_done].remove(task_id)
            self._ids[new_done].add(task_id)
        self._tasks[task_id] = updated
        return updated

    async def delete(self, *, task_id: int) -> bool:
        task = self._tasks.pop(task_id, None)
        if task is None:
            return False
        _, _, done = task
        self._ids[done].remove(task_id)
        return True
