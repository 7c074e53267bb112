"""The benchmark's third yardstick: the least a FastAPI app serving these routes does.

The project's list and create routes with nothing around them: the same validated query
parameters and body, psycopg's pool, rows rendered with orjson; no middleware, no
request log, no metrics, no error mapping. Between the bare ASGI app and this lies what
FastAPI itself costs a request; between this and the project, what its features cost.
    DATABASE_URL=... uvicorn bench.baselines.fastapi_floor:app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import orjson
from fastapi import FastAPI, Query, Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

pool = AsyncConnectionPool(
    os.environ["DATABASE_URL"], min_size=5, max_size=10, kwargs={"autocommit": True}, open=False
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


class TaskCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    done: bool = False


def task_json(row: tuple[int, str, bool]) -> dict[str, int | str | bool]:
    return {"id": row[0], "title": row[1], "done": row[2]}


@app.get("/api/tasks")
async def list_tasks(
    done: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after_id: Annotated[int, Query(ge=0)] = 0,
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


@app.post("/api/tasks", status_code=201)
async def create_task(body: TaskCreate) -> Response:
    async with pool.connection() as connection:
        cursor = await connection.execute(
            "INSERT INTO tasks (title, done) VALUES (%s, %s) RETURNING id, title, done",
            (body.title, body.done),
        )
        row = await cursor.fetchone()
    assert row is not None
    return Response(orjson.dumps(task_json(row)), status_code=201, media_type="application/json")
