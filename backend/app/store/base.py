"""The TaskStore interface that routes depend on, whichever storage is behind it."""

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal, NamedTuple, Protocol

# What fresh storage holds: the course's two demo tasks, ids 1 and 2.
DEMO_TASKS: tuple[str, ...] = ("Apprendre Docker", "Configurer CI/CD")

StorageKind = Literal["memory", "postgresql"]

# A task as stores hand it over: (id, title, done). A plain tuple, as the database driver
# returns rows: turning every row into an object would cost more than the query.
TaskRow = tuple[int, str, bool]


# What a create is told once every id is taken (app.schemas.MAX_TASK_ID).
NO_ID_LEFT = (
    "No task id is left: every id a JavaScript client holds exactly (up to 2^53 - 1) is "
    "taken. Tasks can still be read, changed and deleted."
)


class StoreState(NamedTuple):
    """How the storage did at its last check, as readiness reports it: ok; read_only
    (it serves reads, and refuses writes); unavailable."""

    status: Literal["ok", "read_only", "unavailable"]
    # When not ok: why, as a stable id (app/database/diagnosis.py for PostgreSQL's), and
    # in words fit for a public readiness probe (a setting's name, never its value).
    reason: str | None = None
    detail: str | None = None


READY = StoreState("ok")


class PoolStats(NamedTuple):
    """The database connection pool at one moment, for the metrics."""

    open: int  # connections open
    in_use: int  # lent to requests
    waiting: int  # requests waiting for one
    max: int  # how many it may open


class Failure(StrEnum):
    """The kinds of storage failure, each answered one way (app/errors.py), whatever the
    cause: the `kind` label of tasks_store_errors_total."""

    OUTAGE = "outage"  # the database does not answer, or restarts: it passes
    REFUSED = "refused"  # it refuses the backend's login: a setting to change
    OVERLOAD = "overload"  # busy: no connection came free in time, or out of memory
    TIMEOUT = "timeout"  # data locked (maintenance, a migration), or a statement too slow
    CONTENTION = "contention"  # the request collided with another transaction
    READ_ONLY = "read_only"  # the database takes no writes now (a standby, maintenance)
    FULL = "full"  # no room left: a disk, the in-memory cap, the ids
    FAULT = "fault"  # the database failed in a way someone must look into

    @property
    def passes(self) -> bool:
        """Whether it passes by itself (logged as a warning), or someone must act (an
        error)."""
        return self not in (Failure.REFUSED, Failure.FULL, Failure.FAULT)


class StoreError(Exception):
    """The storage cannot serve this request, through no fault of the request's.

    `kind` decides the answer (app/errors.py); `reason` names the cause with a stable id
    (app/database/diagnosis.py's, on PostgreSQL); str(error) says it in words fit for a
    client and a readiness probe (a setting's name, never a value); `driver_message` is
    the database driver's own words (SQLSTATE and text), for the log only.
    """

    def __init__(
        self, detail: str, *, kind: Failure, reason: str, driver_message: str = ""
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.reason = reason
        self.driver_message = driver_message


class IdempotencyKeyInUseError(Exception):
    """Another request with the same Idempotency-Key is still being processed."""


class IdempotencyKeyReusedError(Exception):
    """The Idempotency-Key was already used with another request body."""


class TaskStore(Protocol):
    """Keeps tasks. Every method may raise StoreError."""

    kind: StorageKind

    async def start(self) -> None:
        """Begin serving; must not fail when the storage is not reachable yet."""

    async def close(self) -> None:
        """Release connections; in-flight calls have ended."""

    def state(self) -> StoreState:
        """How the storage did at its last check: cheap, never waits."""

    def pool_stats(self) -> PoolStats | None:
        """The connection pool's figures, or None for a store without one."""

    async def list(self, *, done: bool | None, after_id: int, limit: int) -> Sequence[TaskRow]:
        """Up to `limit` tasks with id greater than `after_id`, ordered by id."""

    async def get(self, *, task_id: int) -> TaskRow | None:
        """The task, or None when there is no such id."""

    async def create(self, *, title: str, done: bool) -> TaskRow:
        """Store a new task and return it with its id."""

    async def create_once(
        self, *, key: str, fingerprint: bytes, title: str, done: bool
    ) -> tuple[TaskRow, bool]:
        """Create the task unless `key` was seen with the same `fingerprint` within the
        keys' lifetime: then return the task as it was created, and True (a replay).
        Raises IdempotencyKeyReusedError (another fingerprint) or IdempotencyKeyInUseError
        (the first request with this key has not finished)."""

    async def summary(self) -> tuple[int, int]:
        """(number of tasks, number of done tasks), over all tasks."""

    async def delete_done(self) -> int:
        """Delete every done task, at once; return how many there were."""

    async def set_all_done(self, *, done: bool) -> int:
        """Mark every task done (or not), at once; return how many changed."""

    async def update(self, *, task_id: int, title: str | None, done: bool | None) -> TaskRow | None:
        """Change the title and/or done (None keeps it); None when there is no such id."""

    async def delete(self, *, task_id: int) -> bool:
        """Remove the task; False when there was none."""
