"""The tasks resource: list (paginated), create, read, update, delete."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from app.routes.deps import StoreDep
from app.schemas import MAX_TASK_ID, Task, TaskCreate, TaskUpdate

router = APIRouter(prefix="/tasks", tags=["tasks"])

TaskId = Annotated[int, Path(ge=1, le=MAX_TASK_ID, description="The task's id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No task with this id"}}


def _not_found(task_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")


@router.get("", summary="List tasks, ordered by id")
async def list_tasks(
    request: Request,
    response: Response,
    store: StoreDep,
    done: Annotated[
        bool | None, Query(description="Only done (true) or open (false) tasks")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    after_id: Annotated[
        int, Query(ge=0, le=MAX_TASK_ID, description="Cursor: tasks after this id")
    ] = 0,
) -> Sequence[Task]:
    """A page of tasks; a `Link: <...>; rel="next"` header points to the next one."""
    # One more than asked tells whether another page exists, without counting.
    page = await store.list(done=done, after_id=after_id, limit=limit + 1)
    if len(page) > limit:
        page = page[:limit]
        next_page = request.url.include_query_params(after_id=page[-1].id, limit=limit)
        # A path-absolute URL stays right behind any proxy, whatever host the client used.
        response.headers["Link"] = f'<{next_page.path}?{next_page.query}>; rel="next"'
    return page


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a task")
async def create_task(body: TaskCreate, response: Response, store: StoreDep) -> Task:
    task = await store.create(title=body.title, done=body.done)
    response.headers["Location"] = f"/api/tasks/{task.id}"
    return task


@router.get("/{task_id}", responses=NOT_FOUND, summary="Read a task")
async def get_task(task_id: TaskId, store: StoreDep) -> Task:
    task = await store.get(task_id=task_id)
    if task is None:
        raise _not_found(task_id)
    return task


@router.patch("/{task_id}", responses=NOT_FOUND, summary="Change a task's title and/or done")
async def update_task(task_id: TaskId, body: TaskUpdate, store: StoreDep) -> Task:
    task = await store.update(task_id=task_id, changes=body.changes())
    if task is None:
        raise _not_found(task_id)
    return task


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Delete a task",
)
async def delete_task(task_id: TaskId, store: StoreDep) -> None:
    if not await store.delete(task_id=task_id):
        raise _not_found(task_id)
