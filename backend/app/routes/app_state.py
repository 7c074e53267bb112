"""Dependencies shared by the routes."""

from typing import Annotated, cast

from fastapi import Depends, Request

from app.store import TaskStore


async def get_store(request: Request) -> TaskStore:
    """The store the lifespan opened for this app. Async: a plain def would cost every
    request a hop through the thread pool."""
    return cast(TaskStore, request.app.state.store)


StoreDep = Annotated[TaskStore, Depends(get_store)]
