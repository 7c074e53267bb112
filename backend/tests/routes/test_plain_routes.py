"""The plain routes (app/routes/plain.py) answer exactly as the FastAPI routes would,
and leave everything else to them; on both stores."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from app.app import create_app
from app.config import Settings
from app.routes.plain import (
    NotPlain,
    PlainCreateRoute,
    PlainListQuery,
    PlainListRoute,
    plain_create_key,
    plain_list_query,
)
from app.schemas import MAX_TASK_ID
from harness.app import make_settings, wait_until_ready
from harness.network import free_port

pytestmark = pytest.mark.anyio


class RouteSpy:
    """The app, noting which route answered each request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.routes: list[object] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.routes.append(scope.get("route"))


def answered_by(spy: RouteSpy) -> list[str]:
    names = {PlainListRoute: "plain", PlainCreateRoute: "plain", APIRoute: "fastapi"}
    return [
        next((name for kind, name in names.items() if isinstance(route, kind)), repr(route))
        for route in spy.routes
    ]


@pytest.fixture
async def spied(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, RouteSpy]]:
    async with LifespanManager(create_app(settings)) as manager:
        spy = RouteSpy(manager.app)
        transport = httpx.ASGITransport(app=spy)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await wait_until_ready(client)
            spy.routes.clear()  # the test's own requests only
            yield client, spy


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", PlainListQuery(None, 100, 0)),
        ("limit=10", PlainListQuery(None, 10, 0)),
        ("done=true&limit=1000&after_id=0", PlainListQuery(True, 1000, 0)),
        ("after_id=7&done=false", PlainListQuery(False, 100, 7)),
        (f"after_id={MAX_TASK_ID}", PlainListQuery(None, 100, MAX_TASK_ID)),
        ("limit=%35", PlainListQuery(None, 5, 0)),  # decoded first, as for FastAPI
    ],
)
def test_plain_queries_are_read(query: str, expected: PlainListQuery) -> None:
    assert plain_list_query(query.encode()) == expected


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=010",
        "limit=+5",
        "limit=5.0",
        "limit=",
        "limit=1_0",
        "limit=5&limit=6",
        "after_id=-1",
        f"after_id={MAX_TASK_ID + 1}",
        "after_id=99999999999999999999999",
        "done=True",
        "done=1",
        "done",
        "page=2",
        "limit=5&x=1",
    ],
)
def test_anything_else_is_left_to_the_fastapi_route(query: str) -> None:
    assert plain_list_query(query.encode()) is None


async def create(client: httpx.AsyncClient, title: str, done: bool) -> None:
    response = await client.post("/api/tasks", json={"title": title, "done": done})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "limit=2",
        "limit=2&after_id=2",
        "done=true&limit=1",
        "done=false&after_id=1&limit=3",
        "after_id=4",
        "after_id=1000",
        "limit=%32",
    ],
)
async def test_both_routes_answer_the_same_bytes(
    spied: tuple[httpx.AsyncClient, RouteSpy], query: str
) -> None:
    client, spy = spied
    for number in range(5):
        await create(client, f"Tâche « {number} »", done=number % 2 == 0)
    spy.routes.clear()

    plain = await client.get(f"/api/tasks?{query}")
    # An unknown parameter sends the same request to the FastAPI route, which ignores it.
    fastapi = await client.get(f"/api/tasks?{query}&unknown=1")

    assert answered_by(spy) == ["plain", "fastapi"]
    assert plain.status_code == fastapi.status_code == 200
    assert plain.content == fastapi.content
    for header in ("content-type", "content-length", "link"):
        assert plain.headers.get(header) == fastapi.headers.get(header)


async def test_head_and_bad_queries_find_their_routes(
    spied: tuple[httpx.AsyncClient, RouteSpy],
) -> None:
    client, spy = spied

    head = await client.head("/api/tasks?limit=1")
    refused = await client.get("/api/tasks?limit=0")
    created = await client.post("/api/tasks", json={"title": "posted"})

    assert head.status_code == 200
    assert head.content == b""
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "limit"]
    assert created.status_code == 201
    assert answered_by(spy) == ["plain", "fastapi", "plain"]


async def test_an_unreachable_database_gets_the_same_503_on_both_routes() -> None:
    settings = make_settings(f"postgresql://tasks@127.0.0.1:{free_port()}/tasks")
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            plain = await client.get("/api/tasks")
            fastapi = await client.get("/api/tasks?unknown=1")

    assert plain.status_code == fastapi.status_code == 503
    assert plain.content == fastapi.content
    assert plain.headers.get("retry-after") == fastapi.headers.get("retry-after")


JSON = (b"content-type", b"application/json")


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ([JSON], None),
        ([JSON, (b"idempotency-key", b"abc-123")], "abc-123"),
        ([(b"idempotency-key", b'"quoted"'), JSON], '"quoted"'),
    ],
)
def test_plain_create_headers_are_read(headers: list[tuple[bytes, bytes]], key: str) -> None:
    assert plain_create_key(headers) == key


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"content-type", b"application/json; charset=utf-8")],
        [(b"content-type", b"text/plain")],
        [JSON, JSON],
        [JSON, (b"idempotency-key", b"a"), (b"idempotency-key", b"b")],
        [JSON, (b"idempotency-key", b"with space")],
        [JSON, (b"idempotency-key", b"x" * 256)],
        [JSON, (b"idempotency-key", b"")],
    ],
)
def test_other_creates_are_left_to_the_fastapi_route(headers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(NotPlain):
        plain_create_key(headers)


# The same JSON, sent so that only the FastAPI route takes it.
FASTAPI_ONLY = {"content-type": "application/json; charset=utf-8"}
PLAIN = {"content-type": "application/json"}


async def post_both(
    client: httpx.AsyncClient, body: bytes
) -> tuple[httpx.Response, httpx.Response]:
    """The same body sent to the plain route, then to the FastAPI route alone."""
    plain = await client.post("/api/tasks", content=body, headers=PLAIN)
    fastapi = await client.post("/api/tasks", content=body, headers=FASTAPI_ONLY)
    return plain, fastapi


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "Tâche"}'.encode(),
        b'{"title": "  spaced  ", "done": true}',
        b'{"done": false, "title": "a", "title": "b"}',
        b'{"title": "\\u00e9t\\u00e9"}',
    ],
)
async def test_both_create_routes_answer_alike(
    spied: tuple[httpx.AsyncClient, RouteSpy], body: bytes
) -> None:
    client, spy = spied

    plain, fastapi = await post_both(client, body)

    assert answered_by(spy) == ["plain", "fastapi"]
    assert plain.status_code == fastapi.status_code == 201
    plain_task, fastapi_task = plain.json(), fastapi.json()
    assert fastapi_task.pop("id") == plain_task.pop("id") + 1
    assert plain_task == fastapi_task
    assert plain.headers["location"] == f"/api/tasks/{plain.json()['id']}"
    assert plain.headers["content-type"] == fastapi.headers["content-type"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"title": ""}',
        b'{"title": "a", "done": "yes"}',
        b'{"title": "a", "done": NaN}',
        b'{"title": "a", "extra": 1e999}',
        b'{"title": "\\ud800"}',
        b'\xef\xbb\xbf{"title": "a"}',
        b'{"title": "a"} trailing',
        b'{"title": "%s"}' % (b"x" * 201),
    ],
)
async def test_a_body_not_valid_gets_the_fastapi_routes_error(
    spied: tuple[httpx.AsyncClient, RouteSpy], body: bytes
) -> None:
    client, spy = spied

    handed_over, fastapi = await post_both(client, body)
    listed = await client.get("/api/tasks")

    # The plain route handed the request over: the FastAPI route answered both.
    assert answered_by(spy) == ["fastapi", "fastapi", "plain"]
    assert handed_over.status_code == fastapi.status_code == 422
    assert handed_over.content == fastapi.content
    assert len(listed.json()) == 2  # nothing created


async def test_an_idempotent_create_is_plain_too(
    spied: tuple[httpx.AsyncClient, RouteSpy],
) -> None:
    client, spy = spied
    key = {**PLAIN, "idempotency-key": "plain-1"}

    first = await client.post("/api/tasks", content=b'{"title": "once"}', headers=key)
    again = await client.post("/api/tasks", content=b'{"title": "once"}', headers=key)
    other = await client.post("/api/tasks", content=b'{"title": "other"}', headers=key)

    assert answered_by(spy) == ["plain", "plain", "plain"]
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert other.json()["detail"][0]["type"] == "idempotency_key_reused"
