"""HTTP done right for any client: bad JSON of every kind is a 4xx, methods are listed
truthfully, HEAD works wherever GET does, and no redirect trusts the client's Host."""

import socket

import httpx
import pytest

from harness.app import make_settings, running_app

pytestmark = pytest.mark.anyio

# Not JSON, though Python's json module would read them (the first three) or turn them
# into infinity (the fourth) or an integer no column can hold (the last).
NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000]


@pytest.mark.parametrize("number", NOT_JSON_NUMBERS)
@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/api/tasks", '{"title": %s}'),
        ("POST", "/api/tasks", '{"title": "ok", "done": %s}'),
        ("PATCH", "/api/tasks/1", '{"done": %s}'),
        ("PATCH", "/api/tasks/1", "%s"),
    ],
)
async def test_nan_infinity_and_huge_numbers_get_a_422_never_a_500(
    client: httpx.AsyncClient, method: str, path: str, template: str, number: str
) -> None:
    response = await client.request(
        method,
        path,
        content=(template % number).encode(),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert [task["id"] for task in (await client.get("/api/tasks")).json()] == [1, 2]


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\\ud800"}',  # a lone surrogate: no character at all
        b'{"title": "caf\xe9"}',  # Latin-1, not UTF-8
        b'\xef\xbb\xbf{"title": "x"}',  # a byte order mark before the document
        b'{"title": "x"} {"title": "y"}',  # two documents
        b"[" * 1025 + b"]" * 1025,  # deeper than orjson reads
    ],
)
async def test_bodies_that_are_not_json_text_get_a_422_never_a_500(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/api/tasks", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert [task["id"] for task in (await client.get("/api/tasks")).json()] == [1, 2]


def _nested(kind: str, depth: int) -> str:
    return "[" * depth + "]" * depth if kind == "arrays" else '{"a":' * depth + "1" + "}" * depth


# The whole document's depth; 1,024 is the deepest orjson reads.
@pytest.mark.parametrize("depth", [20, 500, 1000, 1024])
@pytest.mark.parametrize("kind", ["arrays", "objects"])
@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/api/tasks", '{"title": %s}'),
        ("POST", "/api/tasks", "%s"),
        ("PATCH", "/api/tasks/1", '{"done": %s}'),
    ],
)
async def test_deeply_nested_bodies_get_a_422_with_a_bounded_echo_never_a_500(
    client: httpx.AsyncClient, method: str, path: str, template: str, kind: str, depth: int
) -> None:
    body = _nested(kind, depth) if template == "%s" else template % _nested(kind, depth - 1)
    response = await client.request(
        method, path, content=body.encode(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert "nested too deep to echo" in response.text
    assert [task["id"] for task in (await client.get("/api/tasks")).json()] == [1, 2]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_gets_415(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = await client.post("/api/tasks", content=b'{"title": "x"}', headers=headers)

    assert response.status_code == 415
    assert response.json() == {"detail": "Content-Type must be application/json"}


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/tasks", "GET, HEAD, POST, PATCH, DELETE"),
        ("/api/tasks/summary", "GET, HEAD"),
        ("/api/tasks/1", "GET, HEAD, PATCH, DELETE"),
        ("/api/health", "GET, HEAD"),
    ],
)
async def test_405_lists_every_method_the_path_supports(
    client: httpx.AsyncClient, path: str, allowed: str
) -> None:
    response = await client.put(path, json={"title": "x"})

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json() == {"detail": "Method Not Allowed"}


@pytest.mark.parametrize("path", ["/api/health", "/api/health/ready", "/api/tasks", "/api/tasks/1"])
async def test_head_answers_wherever_get_does_without_a_body(
    client: httpx.AsyncClient, path: str
) -> None:
    get = await client.get(path)
    head = await client.head(path)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == "application/json"


async def test_trailing_slash_redirects_to_a_path_absolute_location(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/tasks/?limit=5", headers={"Host": "evil.example"})

    assert response.status_code == 307
    assert response.headers["location"] == "/api/tasks?limit=5"


async def test_unknown_path_with_a_trailing_slash_is_still_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing/")

    assert response.status_code == 404


async def test_memory_store_refuses_tasks_beyond_its_cap_with_507() -> None:
    async with running_app(make_settings(None, memory_max_tasks=3)) as client:
        third = await client.post("/api/tasks", json={"title": "la troisième"})
        fourth = await client.post("/api/tasks", json={"title": "une de trop"})
        await client.delete("/api/tasks/1")
        after_delete = await client.post("/api/tasks", json={"title": "de nouveau possible"})

    assert third.status_code == 201
    assert fourth.status_code == 507
    assert "full (3 tasks)" in fourth.json()["detail"]
    assert after_delete.status_code == 201


async def test_the_served_by_header_names_the_host_only_when_asked() -> None:
    async with running_app(make_settings(None)) as client:
        assert "x-served-by" not in (await client.get("/api/health")).headers
    async with running_app(make_settings(None, served_by_header=True)) as client:
        response = await client.get("/api/tasks/1")
    assert response.headers["x-served-by"] == socket.gethostname()
