"""Totals over all tasks, and changes to all tasks at once: atomic, idempotent, and right
under concurrent writers, on both stores."""

import anyio
import httpx
import pytest

pytestmark = pytest.mark.anyio


async def summary(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/api/tasks/summary")
    assert response.status_code == 200
    result: dict[str, int] = response.json()
    return result


async def create_many(client: httpx.AsyncClient, count: int, *, done: bool = False) -> None:
    async def create(number: int) -> None:
        response = await client.post("/api/tasks", json={"title": f"tâche {number}", "done": done})
        assert response.status_code == 201

    async with anyio.create_task_group() as group:
        for number in range(count):
            group.start_soon(create, number)


async def test_summary_counts_every_task_not_only_a_page(client: httpx.AsyncClient) -> None:
    await create_many(client, 150)
    await create_many(client, 100, done=True)

    assert await summary(client) == {"total": 252, "done": 100, "open": 152}


async def test_summary_follows_every_kind_of_change(client: httpx.AsyncClient) -> None:
    await client.patch("/api/tasks/1", json={"done": True})
    after_patch = await summary(client)
    await client.delete("/api/tasks/1")
    after_delete = await summary(client)
    await client.post("/api/tasks", json={"title": "nouvelle", "done": True})

    assert after_patch == {"total": 2, "done": 1, "open": 1}
    assert after_delete == {"total": 1, "done": 0, "open": 1}
    assert await summary(client) == {"total": 2, "done": 1, "open": 1}


async def test_delete_done_removes_every_done_task_and_is_idempotent(
    client: httpx.AsyncClient,
) -> None:
    await create_many(client, 120, done=True)
    await create_many(client, 30)

    first = await client.delete("/api/tasks", params={"done": "true"})
    again = await client.delete("/api/tasks", params={"done": "true"})

    assert first.json() == {"deleted": 120}
    assert again.json() == {"deleted": 0}
    remaining = (await client.get("/api/tasks", params={"limit": 1000})).json()
    assert len(remaining) == 32
    assert not any(task["done"] for task in remaining)
    assert await summary(client) == {"total": 32, "done": 0, "open": 32}


@pytest.mark.parametrize("query", ["", "?done=false", "?done=1", "?done=yes"])
async def test_delete_without_done_true_deletes_nothing(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.delete(f"/api/tasks{query}")

    assert response.status_code == 422
    assert (await summary(client))["total"] == 2


async def test_mark_all_done_then_all_open(client: httpx.AsyncClient) -> None:
    await create_many(client, 150)
    await client.patch("/api/tasks/1", json={"done": True})

    all_done = await client.patch("/api/tasks", json={"done": True})
    again = await client.patch("/api/tasks", json={"done": True})
    all_open = await client.patch("/api/tasks", json={"done": False})

    assert all_done.json() == {"updated": 151}
    assert again.json() == {"updated": 0}
    assert all_open.json() == {"updated": 152}
    assert await summary(client) == {"total": 152, "done": 0, "open": 152}
    assert (await client.get("/api/tasks", params={"done": "true"})).json() == []


@pytest.mark.parametrize("body", [{}, {"done": "true"}, {"done": None}, {"done": True, "x": 1}])
async def test_mark_all_refuses_bad_input(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.patch("/api/tasks", json=body)

    assert response.status_code == 422
    assert (await summary(client))["done"] == 0


async def test_totals_stay_exact_under_concurrent_writers(client: httpx.AsyncClient) -> None:
    """Creates, toggles, deletes and bulk changes all at once: the summary matches the list."""

    async def creates() -> None:
        await create_many(client, 60, done=True)

    async def bulk_changes() -> None:
        for done in (True, False, True):
            await client.patch("/api/tasks", json={"done": done})
        await client.delete("/api/tasks", params={"done": "true"})

    async def single_changes() -> None:
        for task_id in range(3, 40):
            await client.patch(f"/api/tasks/{task_id}", json={"done": task_id % 2 == 0})

    async with anyio.create_task_group() as group:
        for work in (creates, bulk_changes, single_changes):
            group.start_soon(work)

    tasks = (await client.get("/api/tasks", params={"limit": 1000})).json()
    done = sum(task["done"] for task in tasks)
    assert await summary(client) == {"total": len(tasks), "done": done, "open": len(tasks) - done}
