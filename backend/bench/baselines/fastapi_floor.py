"""The benchmark's third yardstick: the least a FastAPI app serving these routes does.

The project's list and create routes with nothing around them: the same parameters
(query, body, the optional Idempotency-Key header), declared and validated the same way
with the project's own models and limits, mounted the same way (an APIRouter included
under /api, the layout of FastAPI's "Bigger Applications"), psycopg's pool, rows rendered
with orjson; no middleware, no request log, no metrics, no error mapping, no idempotency
records (the benchmark sends no key). Between the bare ASGI app and this lies what
FastAPI itself costs a request; between this and the project, what its features cost.
The project is held to 0.8x this app's req/s, with at most 1.5x its p99
(docs/performance.md).
    DATABASE_URL=... uvicorn bench.baselines.fastapi_floor:app

`routes_on_app` serves the same two routes declared on the app itself: since FastAPI
0.137, include_router() adds a routing step to every request, and the benchmark shows
what it costs beside the floor.
    DATABASE_URL=... uvicorn bench.baselines.fastapi_floor:routes_on_app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import orjson
from fastapi import APIRouter, FastAPI, Header, Query, Response
from psycopg_pool import AsyncConnectionPool

from app.routes.tasks import IDEMPOTENCY_KEY_PATTERN, MAX_PAGE_SIZE, PAGE_SIZE
from app.schemas import MAX_TASK_ID, TaskCreate

pool = AsyncConnectionPool(
    os.environ["DATABASE_URL"], min_size=5, max_size=10, kwargs={"autocommit": True}, open=False
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    yield
    await pool.close()


def task_json(row: tuple[int, str, bool]) -> dict[str, int | str | bool]:
    task_id, title, done = row
    return {"id": task_id, "title": title, "done": done}


async def list_tasks(
    done: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    after_id: Annotated[int, Query(ge=0, le=MAX_TASK_ID)] = 0,
) -> Response:
    async with pool.connection() as connection:
        if done is None:
            cursor = await connection.execute(
                "SELECT id, title, done FROM tasks WHERE id > %s ORDER BY id LIMIT %s",
                (after_id, limit),
            )
        else:
            cursor = await connection.execute(
                "SELECT id, title, done FROM tasks WHERE done = %s AND id > %s ORDER BY id"
                " LIMIT %s",
                (done, after_id, limit),
            )
        rows = await cursor.fetchall()
    return Response(orjson.dumps([task_json(row) for row in rows]), media_type="application/json")


async def create_task(
    body: TaskCreate,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> Response:
    async with pool.connection() as connection:
        cursor = await connection.execute(
            "INSERT INTO tasks (title, done) VALUES (%s, %s) RETURNING id, title, done",
            (body.title, body.done),
        )
        row = await cursor.fetchone()
    assert row is not None
    return Response(orjson.dumps(task_json(row)), status_code=201, media_type="application/json")


def add_routes(target: FastAPI | APIRouter, path: str) -> None:
    target.add_api_route(path, list_tasks, methods=["GET"])
    target.add_api_route(path, create_task, methods=["POST"], status_code=201)


tasks = APIRouter(prefix="/tasks")
add_routes(tasks, "")
app = FastAPI(lifespan=lifespan)
app.include_router(tasks, prefix="/api")

routes_on_app = FastAPI(lifespan=lifespan)
add_routes(routes_on_app, "/api/tasks")
