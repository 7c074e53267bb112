"""What the routes depend on, as FastAPI dependencies: the store the lifespan opened.

`StoreDep` is the one way a route reaches storage (FastAPI's `Annotated[..., Depends(...)]`
idiom, as in the full-stack template's `SessionDep`), so that `app.dependency_overrides`
can put another store behind every route.
"""

from typing import Annotated, cast

from fastapi import Depends, Request

from app.store import TaskStore


async def get_store(request: Request) -> TaskStore:
    """The store of the app serving `request` (request.app.state, set by the lifespan).

    An `async def`: FastAPI runs a plain `def` dependency in a worker thread, which cost
    42% of the list's req/s when measured here."""
    return cast(TaskStore, request.app.state.store)


StoreDep = Annotated[TaskStore, Depends(get_store)]
