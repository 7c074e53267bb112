"""Dependencies shared by the routes."""

from typing import Annotated, cast

from fastapi import Depends, Request

from app.store import TaskStore


def get_store(request: Request) -> TaskStore:
    """The store the lifespan opened for this app."""
    return cast(TaskStore, request.app.state.store)


StoreDep = Annotated[TaskStore, Depends(get_store)]
