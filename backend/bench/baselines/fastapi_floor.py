"""The benchmark's yardstick: the project's list and create written as the FastAPI docs
and the full-stack template write an app, with nothing else.

The same parameters (query, body, the optional Idempotency-Key header), declared and
validated the same way with the project's own models and limits; an APIRouter included
under /api (FastAPI's "Bigger Applications"); psycopg's pool opened by the lifespan and
reaching the routes through an `Annotated[..., Depends(...)]` alias (an async def, as
the template's SessionDep); rows rendered with orjson and returned as bytes, as FastAPI's
docs allow. No middleware, no request log, no metrics, no error mapping, no idempotency
records (the benchmark sends no key). Between the bare ASGI app and this lies what
FastAPI itself costs a request, written its own way; between this and the project, what
the project's features cost. The project is held to 0.9x this app's req/s, with at most
1.2x its p99 (docs/performance.md).
    DATABASE_URL=... uvicorn bench.baselines.fastapi_floor:app

`minimal` is the same without the dependency (a module's pool, read directly): the
earlier yardstick, printed beside it for context.
    DATABASE_URL=... uvicorn bench.baselines.fastapi_floor:minimal
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.routes.tasks import IDEMPOTENCY_KEY_PATTERN, MAX_PAGE_SIZE, PAGE_SIZE
from app.schemas import MAX_TASK_ID, TaskCreate

Pool = AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]
LIST_ALL = "SELECT id, title, done FROM tasks WHERE id > %s ORDER BY id LIMIT %s"
LIST_BY_DONE = "SELECT id, title, done FROM tasks WHERE done = %s AND id > %s ORDER BY id LIMIT %s"
CREATE = "INSERT INTO tasks (title, done) VALUES (%s, %s) RETURNING id, title, done"

Done = Annotated[bool | None, Query()]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
AfterId = Annotated[int, Query(ge=0, le=MAX_TASK_ID)]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN)
]


def new_pool() -> Pool:
    return AsyncConnectionPool(
        os.environ["DATABASE_URL"], min_size=5, max_size=10, kwargs={"autocommit": True}, open=False
    )


def task_json(row: tuple[int, str, bool]) -> dict[str, int | str | bool]:
    task_id, title, done = row
    return {"id": task_id, "title": title, "done": done}


async def select_page(pool: Pool, done: bool | None, after_id: int, limit: int) -> Response:
    async with pool.connection() as connection:
        if done is None:
            cursor = await connection.execute(LIST_ALL, (after_id, limit))
        else:
            cursor = await connection.execute(LIST_BY_DONE, (done, after_id, limit))
        rows = await cursor.fetchall()
    return Response(orjson.dumps([task_json(row) for row in rows]), media_type="application/json")


async def insert(pool: Pool, body: TaskCreate) -> Response:
    async with pool.connection() as connection:
        cursor = await connection.execute(CREATE, (body.title, body.done))
        row = await cursor.fetchone()
    assert row is not None
    return Response(orjson.dumps(task_json(row)), status_code=201, media_type="application/json")


# ---- The yardstick: the pool through a dependency ---------------------------------------


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with new_pool() as pool:
        app.state.pool = pool
        yield


async def get_pool(request: Request) -> Pool:
    return cast(Pool, request.app.state.pool)


PoolDep = Annotated[Pool, Depends(get_pool)]
router = APIRouter(prefix="/tasks")


@router.get("")
async def list_tasks(
    pool: PoolDep, done: Done = None, limit: Limit = PAGE_SIZE, after_id: AfterId = 0
) -> Response:
    return await select_page(pool, done, after_id, limit)


@router.post("", status_code=201)
async def create_task(
    body: TaskCreate, pool: PoolDep, idempotency_key: IdempotencyKey = None
) -> Response:
    return await insert(pool, body)


app = FastAPI(lifespan=lifespan)
app.include_router(router, prefix="/api")


# ---- For context: the earlier yardstick, without the dependency --------------------------

module_pool = new_pool()


@asynccontextmanager
async def module_pool_open(app: FastAPI) -> AsyncIterator[None]:
    async with module_pool:
        yield


minimal_router = APIRouter(prefix="/tasks")


@minimal_router.get("")
async def list_tasks_minimal(
    done: Done = None, limit: Limit = PAGE_SIZE, after_id: AfterId = 0
) -> Response:
    return await select_page(module_pool, done, after_id, limit)


@minimal_router.post("", status_code=201)
async def create_task_minimal(body: TaskCreate, idempotency_key: IdempotencyKey = None) -> Response:
    return await insert(module_pool, body)


minimal = FastAPI(lifespan=module_pool_open)
minimal.include_router(minimal_router, prefix="/api")
