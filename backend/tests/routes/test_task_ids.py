"""Task ids a JavaScript client holds exactly: at most 2^53 - 1 (Number.MAX_SAFE_INTEGER),
in the path, the list's cursor, the OpenAPI document and the database's sequence, and a
clear error once they are all taken."""

import httpx
import psycopg
import pytest

from app.app import create_app
from harness.app import make_settings, running_app

pytestmark = pytest.mark.anyio

MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER


def test_the_openapi_document_bounds_every_id_to_max_safe_integer() -> None:
    document = create_app(make_settings(None)).openapi()
    parameters = {
        (path, parameter["name"]): parameter["schema"]
        for path, item in document["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] in ("task_id", "after_id")
    }
    task = document["components"]["schemas"]["Task"]["properties"]["id"]

    assert {schema["maximum"] for schema in parameters.values()} == {MAX_SAFE_INTEGER}
    assert (task["minimum"], task["maximum"]) == (1, MAX_SAFE_INTEGER)


async def test_an_id_or_cursor_beyond_max_safe_integer_is_refused(
    client: httpx.AsyncClient,
) -> None:
    too_large = MAX_SAFE_INTEGER + 1
    answers = [
        await client.get(f"/api/tasks/{too_large}"),
        await client.patch(f"/api/tasks/{too_large}", json={"done": True}),
        await client.delete(f"/api/tasks/{too_large}"),
        await client.get(f"/api/tasks?after_id={too_large}"),
    ]
    largest = await client.get(f"/api/tasks/{MAX_SAFE_INTEGER}")

    assert [answer.status_code for answer in answers] == [422] * 4
    assert largest.status_code == 404


async def test_the_last_id_is_max_safe_integer_then_creates_get_a_clear_507(
    database_url: str,
) -> None:
    # Given the sequence one step before its end
    async with running_app(make_settings(database_url)) as client:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT setval(pg_get_serial_sequence('tasks', 'id'), %s)", (MAX_SAFE_INTEGER - 1,)
            )

        # When clients create two tasks, then change the last one by its id
        last = await client.post("/api/tasks", json={"title": "la dernière"})
        one_more = await client.post("/api/tasks", json={"title": "une de trop"})
        keyed = await client.post(
            "/api/tasks", json={"title": "une de trop"}, headers={"Idempotency-Key": "k-max"}
        )
        changed = await client.patch(f"/api/tasks/{MAX_SAFE_INTEGER}", json={"done": True})

    # Then the last id is exact, and no id beyond it is ever handed out
    assert last.status_code == 201
    assert last.json()["id"] == MAX_SAFE_INTEGER
    assert [one_more.status_code, keyed.status_code] == [507, 507]
    assert "No task id is left" in one_more.json()["detail"]
    assert changed.json() == {"id": MAX_SAFE_INTEGER, "title": "la dernière", "done": True}


async def test_the_memory_store_stops_at_its_largest_id_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same rule on the in-memory store, with the largest id lowered to 3."""
    monkeypatch.setattr("app.store.memory.MAX_TASK_ID", 3)
    async with running_app(make_settings(None)) as client:
        last = await client.post("/api/tasks", json={"title": "la dernière"})
        one_more = await client.post("/api/tasks", json={"title": "une de trop"})

    assert last.json()["id"] == 3
    assert one_more.status_code == 507
    assert "No task id is left" in one_more.json()["detail"]
