"""The tasks API contract, run against both stores."""

import anyio
import httpx
import pytest

from app.title import TITLE_MAX_LENGTH

pytestmark = pytest.mark.anyio

DEMO_TASKS = [
    {"id": 1, "title": "Apprendre Docker", "done": False},
    {"id": 2, "title": "Configurer CI/CD", "done": False},
]


async def create(client: httpx.AsyncClient, title: str, **fields: object) -> dict[str, object]:
    response = await client.post("/api/tasks", json={"title": title, **fields})
    assert response.status_code == 201, response.text
    task: dict[str, object] = response.json()
    return task


async def test_fresh_storage_lists_exactly_the_two_demo_tasks(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tasks")

    assert response.status_code == 200
    assert response.json() == DEMO_TASKS
    assert "link" not in response.headers


async def test_first_created_task_gets_id_3_with_location(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/tasks", json={"title": "Cette tâche survit au redémarrage"})

    assert response.status_code == 201
    assert response.json() == {"id": 3, "title": "Cette tâche survit au redémarrage", "done": False}
    assert response.headers["location"] == "/api/tasks/3"
    assert (await client.get("/api/tasks/3")).json() == response.json()


async def test_create_may_set_done(client: httpx.AsyncClient) -> None:
    task = await create(client, "Déjà fait", done=True)

    assert task["done"] is True


async def test_title_is_stripped_and_unicode_kept_exactly(client: httpx.AsyncClient) -> None:
    title = "Ünïcödé ✓ 日本語 🐳 e\u0301"

    task = await create(client, f"   {title}  ")

    assert task["title"] == title
    assert (await client.get(f"/api/tasks/{task['id']}")).json()["title"] == title


async def test_title_of_200_characters_is_accepted(client: httpx.AsyncClient) -> None:
    title = "🐳" * TITLE_MAX_LENGTH

    task = await create(client, title)

    assert task["title"] == title


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * (TITLE_MAX_LENGTH + 1)}, "title"),
        ({"title": 42}, "title"),
        ({"title": None}, "title"),
        ({"title": "nul \x00 char"}, "title"),
        ({"title": "tab\tinside"}, "title"),
        ({"title": "line\nbreak"}, "title"),
        ({"title": "\u200b"}, "title"),  # zero-width space
        ({"title": "\ufeff\u200b \u00a0"}, "title"),  # byte order mark, spaces
        ({"title": "\u0085"}, "title"),  # a C1 control character
        ({"title": "ok", "done": "yes"}, "done"),
        ({"title": "ok", "done": 1}, "done"),
        ({"title": "ok", "id": 99}, "id"),
    ],
)
async def test_create_refuses_bad_input_with_field_details(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/tasks", json=body)

    assert response.status_code == 422
    assert any(error["loc"][-1] == field for error in response.json()["detail"])
    assert [task["id"] for task in (await client.get("/api/tasks")).json()] == [1, 2]


@pytest.mark.parametrize(
    "content",
    [
        b'{"title": "unterminated',
        b"not json",
        b"[1, 2]",
        b'"\\ud800"',
        b'\xef\xbb\xbf{"title": "a byte order mark first"}',
        b'{"title": "a"} trailing',
    ],
)
async def test_create_refuses_malformed_json_with_422(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        "/api/tasks", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert "detail" in response.json()


async def test_get_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tasks/999")

    assert response.status_code == 404
    assert response.json() == {"detail": "Task 999 not found"}


@pytest.mark.parametrize("task_id", ["0", str(2**63)])
async def test_impossible_task_id_is_422(client: httpx.AsyncClient, task_id: str) -> None:
    response = await client.get(f"/api/tasks/{task_id}")

    assert response.status_code == 422


@pytest.mark.parametrize("task_id", ["-1", "abc", "1.5"])
async def test_a_task_id_that_is_not_a_number_names_no_resource(
    client: httpx.AsyncClient, task_id: str
) -> None:
    response = await client.get(f"/api/tasks/{task_id}")

    assert response.status_code == 404


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    done = await client.patch("/api/tasks/1", json={"done": True})
    renamed = await client.patch("/api/tasks/1", json={"title": "  Apprendre Docker à fond "})

    assert done.status_code == 200
    assert done.json() == {"id": 1, "title": "Apprendre Docker", "done": True}
    assert renamed.json() == {"id": 1, "title": "Apprendre Docker à fond", "done": True}
    assert (await client.get("/api/tasks/1")).json() == renamed.json()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": None},
        {"done": None},
        {"done": "true"},
        {"id": 5},
        {"title": "x" * 201},
    ],
)
async def test_patch_refuses_bad_input_and_keeps_the_task(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.patch("/api/tasks/2", json=body)

    assert response.status_code == 422
    assert (await client.get("/api/tasks/2")).json() == DEMO_TASKS[1]


async def test_patch_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/tasks/999", json={"done": True})

    assert response.status_code == 404


async def test_delete_removes_the_task(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/tasks/1")

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/api/tasks/1")).status_code == 404
    assert (await client.get("/api/tasks")).json() == [DEMO_TASKS[1]]
    assert (await client.delete("/api/tasks/1")).status_code == 404


async def test_ids_are_never_reused_after_delete(client: httpx.AsyncClient) -> None:
    first = await create(client, "one")
    await client.delete(f"/api/tasks/{first['id']}")

    second = await create(client, "two")

    assert second["id"] == 4


async def test_done_filter(client: httpx.AsyncClient) -> None:
    await client.patch("/api/tasks/2", json={"done": True})

    done = await client.get("/api/tasks", params={"done": "true"})
    open_ = await client.get("/api/tasks", params={"done": "false"})

    assert [task["id"] for task in done.json()] == [2]
    assert [task["id"] for task in open_.json()] == [1]


async def test_pagination_follows_link_headers_across_pages(client: httpx.AsyncClient) -> None:
    for number in range(23):
        await create(client, f"task {number}")
    seen: list[int] = []
    url: str | None = "/api/tasks?limit=10"
    pages = 0

    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        assert isinstance(response.json(), list)
        seen += [task["id"] for task in response.json()]
        url = response.links.get("next", {}).get("url")
        pages += 1

    assert pages == 3
    assert seen == list(range(1, 26))


async def test_pagination_with_filter_keeps_the_filter_in_the_next_link(
    client: httpx.AsyncClient,
) -> None:
    for number in range(5):
        await create(client, f"done {number}", done=True)

    first = await client.get("/api/tasks", params={"done": "true", "limit": 3})
    second = await client.get(first.links["next"]["url"])

    assert [task["id"] for task in first.json()] == [3, 4, 5]
    assert [task["id"] for task in second.json()] == [6, 7]
    assert "next" not in second.links


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "after_id=-1", "done=maybe"])
async def test_list_refuses_bad_query_parameters(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/tasks?{query}")

    assert response.status_code == 422


async def test_200_concurrent_creates_get_distinct_ids_all_listed(
    client: httpx.AsyncClient,
) -> None:
    created: list[int] = []

    async def create_one(number: int) -> None:
        task = await create(client, f"concurrent {number}")
        created.append(int(str(task["id"])))

    async with anyio.create_task_group() as group:
        for number in range(200):
            group.start_soon(create_one, number)

    listed = [task["id"] for task in (await client.get("/api/tasks?limit=1000")).json()]
    assert len(set(created)) == 200
    assert sorted(created) == listed[2:]
