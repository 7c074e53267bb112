"""Errors are JSON {"detail": ...} with the right status, whatever went wrong."""

from collections.abc import AsyncIterator

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_unknown_path_under_api_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/tasks", json={"title": "x"})

    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_body_over_64_kib_is_413_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/tasks", json={"title": "x" * (64 * 1024)})

    assert response.status_code == 413
    assert "detail" in response.json()
    assert len((await client.get("/api/tasks")).json()) == 2


async def test_streamed_body_over_64_kib_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 4096

    response = await client.post(
        "/api/tasks", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/api/health", headers={"X-Request-ID": "abc-123"})
    generated = await client.get("/api/health")
    hostile = await client.get("/api/health", headers={"X-Request-ID": "bad id\twith spaces"})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


async def test_openapi_and_docs_are_served_under_api(client: httpx.AsyncClient) -> None:
    spec = await client.get("/api/openapi.json")
    docs = await client.get("/api/docs")

    assert spec.status_code == 200
    assert "/api/tasks/{task_id}" in spec.json()["paths"]
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
