"""The tasks resource: list (paginated), create, read, update, delete; totals, and
changes to all tasks at once."""

import hashlib
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from app.metrics import IDEMPOTENT_REPLAYS
from app.routes.deps import StoreDep
from app.routes.openapi_errors import BODY, CREATE, NOT_FOUND, UNAVAILABLE
from app.routes.strict_json import StrictJSONRoute
from app.routes.task_json import JSONBytes, task_json, tasks_json
from app.schemas import (
    MAX_TASK_ID,
    AllTasksUpdate,
    Task,
    TaskCreate,
    TasksDeleted,
    TaskSummary,
    TasksUpdated,
    TaskUpdate,
)
from app.store import IdempotencyKeyInUseError, IdempotencyKeyReusedError

router = APIRouter(
    prefix="/tasks", tags=["tasks"], route_class=StrictJSONRoute, responses=UNAVAILABLE
)

TaskId = Annotated[int, Path(ge=1, le=MAX_TASK_ID, description="The task's id")]
# A Structured Fields string as the IETF draft writes it ("..."), or the same bare.
IDEMPOTENCY_KEY_PATTERN = r'^("[!#-\[\]-~]{1,255}"|[!#-\[\]-~]{1,255})$'
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Any unique string (a UUID, say). A retry with the same key and body "
        "gets the first response back instead of creating the task again; with another "
        "body, 422; while the first is still running, 409. Keys are kept 24 hours.",
    ),
]
# Digits only (Starlette's int convertor): /api/tasks/summary is never taken for a task,
# so PATCH /api/tasks/summary is a 405, as the OpenAPI document says, not a 422.
TASK_PATH = "/{task_id:int}"
# Where a created task can be read, changed and deleted: for clients and API testers.
TASK_LINKS = {
    name: {"operationId": operation, "parameters": {"task_id": "$response.body#/id"}}
    for name, operation in (
        ("GetTask", "get_task"),
        ("UpdateTask", "update_task"),
        ("DeleteTask", "delete_task"),
    )
}


# A page of the list: how many tasks, by default and at most.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _not_found(task_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")


@router.get("", response_model=list[Task], summary="List tasks, ordered by id")
async def list_tasks(
    store: StoreDep,
    request: Request,
    done: Annotated[
        bool | None, Query(description="Only done (true) or open (false) tasks")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")] = PAGE_SIZE,
    after_id: Annotated[
        int, Query(ge=0, le=MAX_TASK_ID, description="Cursor: tasks after this id")
    ] = 0,
) -> Response:
    """A page of tasks; a `Link: <...>; rel="next"` header points to the next one."""
    # One more than asked tells whether another page exists, without counting.
    page = await store.list(done=done, after_id=after_id, limit=limit + 1)
    headers = {}
    if len(page) > limit:
        page = page[:limit]
        last_id, _, _ = page[-1]
        # Numbers and true/false: nothing to escape in the query. A path-absolute URL stays
        # right behind any proxy, whatever host the client used.
        query = f"limit={limit}&after_id={last_id}"
        if done is not None:
            query = f"done={'true' if done else 'false'}&{query}"
        headers["Link"] = f'<{request.scope["path"]}?{query}>; rel="next"'
    return JSONBytes(tasks_json(page), headers=headers)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Task,
    summary="Create a task",
    responses={201: {"links": TASK_LINKS}, **BODY, **CREATE},
)
async def create_task(
    body: TaskCreate, store: StoreDep, idempotency_key: IdempotencyKey = None
) -> Response:
    headers = {}
    if idempotency_key is None:
        task = await store.create(title=body.title, done=body.done)
    else:
        key = idempotency_key.strip('"')
        fingerprint = hashlib.sha256(orjson.dumps([body.title, body.done])).digest()
        try:
            task, replayed = await store.create_once(
                key=key, fingerprint=fingerprint, title=body.title, done=body.done
            )
        except IdempotencyKeyInUseError:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail="A request with this Idempotency-Key is still in progress; retry later.",
            ) from None
        except IdempotencyKeyReusedError:
            raise RequestValidationError(
                [
                    {
                        "type": "idempotency_key_reused",
                        "loc": ("header", "Idempotency-Key"),
                        "msg": "This Idempotency-Key was already used with another body",
                        "input": idempotency_key,
                    }
                ]
            ) from None
        if replayed:
            IDEMPOTENT_REPLAYS.inc()
            headers["Idempotent-Replayed"] = "true"
    task_id, _, _ = task
    headers["Location"] = f"/api/tasks/{task_id}"
    return JSONBytes(task_json(task), status_code=status.HTTP_201_CREATED, headers=headers)


@router.get("/summary", summary="How many tasks there are, done and open, over all tasks")
async def task_summary(store: StoreDep) -> TaskSummary:
    total, done = await store.summary()
    return TaskSummary(total=total, done=done, open=total - done)


@router.delete(
    "",
    summary="Delete every done task, at once",
    description="`done=true` is required, so that no request deletes every task by mistake. "
    "Deleting what is already gone deletes nothing: repeating it is harmless.",
)
async def delete_done_tasks(
    store: StoreDep,
    done: Annotated[Literal["true"], Query(description="Must be true: done tasks only")],
) -> TasksDeleted:
    return TasksDeleted(deleted=await store.delete_done())


@router.patch(
    "",
    summary="Mark every task done, or every task not done, at once",
    responses=BODY,
)
async def update_all_tasks(body: AllTasksUpdate, store: StoreDep) -> TasksUpdated:
    return TasksUpdated(updated=await store.set_all_done(done=body.done))


@router.get(TASK_PATH, response_model=Task, responses=NOT_FOUND, summary="Read a task")
async def get_task(task_id: TaskId, store: StoreDep) -> Response:
    task = await store.get(task_id=task_id)
    if task is None:
        raise _not_found(task_id)
    return JSONBytes(task_json(task))


@router.patch(
    TASK_PATH,
    response_model=Task,
    responses={**NOT_FOUND, **BODY},
    summary="Change a task's title and/or done",
)
async def update_task(task_id: TaskId, body: TaskUpdate, store: StoreDep) -> Response:
    task = await store.update(task_id=task_id, title=body.title, done=body.done)
    if task is None:
        raise _not_found(task_id)
    return JSONBytes(task_json(task))


@router.delete(
    TASK_PATH,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Delete a task",
)
async def delete_task(task_id: TaskId, store: StoreDep) -> None:
    if not await store.delete(task_id=task_id):
        raise _not_found(task_id)
