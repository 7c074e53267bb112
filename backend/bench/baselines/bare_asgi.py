"""The benchmark's upper bound: the same rows from a bare ASGI app, no framework at all.

psycopg's async pool and orjson, two routes, no validation, no logging: what the Python
server can do with this database, and what the project's overhead is measured against.
    DATABASE_URL=... uvicorn bench.baselines.bare_asgi:app
"""

import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson
from psycopg_pool import AsyncConnectionPool

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

pool = AsyncConnectionPool(
    os.environ["DATABASE_URL"], min_size=5, max_size=10, kwargs={"autocommit": True}, open=False
)


async def respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def list_tasks(scope: Scope, send: Send) -> None:
    query = parse_qs(scope["query_string"].decode())
    limit = int(query.get("limit", ["100"])[0])
    after_id = int(query.get("after_id", ["0"])[0])
    async with pool.connection() as connection:
        cursor = await connection.execute(
            "SELECT id, title, done FROM tasks WHERE id > %s ORDER BY id LIMIT %s",
            (after_id, limit),
        )
        rows = await cursor.fetchall()
    tasks = [{"id": row[0], "title": row[1], "done": row[2]} for row in rows]
    await respond(send, 200, orjson.dumps(tasks))


async def create_task(receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    task = orjson.loads(body)
    async with pool.connection() as connection:
        cursor = await connection.execute(
            "INSERT INTO tasks (title, done) VALUES (%s, %s) RETURNING id, title, done",
            (task["title"], task.get("done", False)),
        )
        row = await cursor.fetchone()
    assert row is not None
    await respond(send, 201, orjson.dumps({"id": row[0], "title": row[1], "done": row[2]}))


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await pool.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/api/tasks" and scope["method"] == "GET":
        await list_tasks(scope, send)
    elif scope["path"] == "/api/tasks" and scope["method"] == "POST":
        await create_task(receive, send)
    else:
        await respond(send, 404, b'{"detail":"Not Found"}')
