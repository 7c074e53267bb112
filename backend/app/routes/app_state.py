"""What the routes read from the app's state: the store the lifespan opened."""

from typing import cast

from fastapi import Request

from app.store import TaskStore


def store_of(request: Request) -> TaskStore:
    """The store of the app serving `request` (request.app.state, set by the lifespan).

    Read here rather than through a Depends() parameter: FastAPI solves a dependency
    afresh for every request, which costs about 14 µs of CPU (bench/in_process.py), as
    much as the request log's line; the two most requested routes are measured against
    a FastAPI app without one (bench/baselines/fastapi_floor.py).
    """
    return cast(TaskStore, request.app.state.store)
