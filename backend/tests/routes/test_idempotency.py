"""POST with an Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field"): a
retried create never creates twice, on both stores."""

import anyio
import httpx
import psycopg
import pytest

from app.config import Settings
from app.database.connection import session_options
from app.store.postgres import IDEMPOTENCY_LOCK_NAMESPACE
from harness.app import make_settings, running_app
from harness.polling import apoll

pytestmark = pytest.mark.anyio


async def post(
    client: httpx.AsyncClient, key: str, title: str = "Une seule fois"
) -> httpx.Response:
    return await client.post("/api/tasks", json={"title": title}, headers={"Idempotency-Key": key})


async def task_ids(client: httpx.AsyncClient) -> list[int]:
    return [task["id"] for task in (await client.get("/api/tasks?limit=1000")).json()]


async def test_same_key_and_body_give_the_same_task_once(client: httpx.AsyncClient) -> None:
    first = await post(client, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
    again = await post(client, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
    bare_form = await post(client, "8e03978e-40d5-43e8-bc93-6894a57f9324")

    assert first.status_code == again.status_code == bare_form.status_code == 201
    assert (
        first.json()
        == again.json()
        == bare_form.json()
        == {
            "id": 3,
            "title": "Une seule fois",
            "done": False,
        }
    )
    assert again.headers["location"] == "/api/tasks/3"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert await task_ids(client) == [1, 2, 3]


async def test_replay_gives_the_task_as_created_even_after_it_changed(
    client: httpx.AsyncClient,
) -> None:
    created = await post(client, "key-1")
    await client.patch("/api/tasks/3", json={"done": True})
    await client.delete("/api/tasks/3")

    replayed = await post(client, "key-1")

    assert replayed.json() == created.json()
    assert await task_ids(client) == [1, 2]


async def test_same_key_with_another_body_is_422_and_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    await post(client, "key-2", "Premier corps")

    response = await post(client, "key-2", "Autre corps")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await task_ids(client) == [1, 2, 3]


async def test_without_a_key_every_post_creates(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await client.post("/api/tasks", json={"title": "Sans clé"})

    assert await task_ids(client) == [1, 2, 3, 4]


@pytest.mark.parametrize("key", ['""', "with space", '"unbalanced', "é", "x" * 256])
async def test_a_malformed_key_is_422(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(
        "/api/tasks",
        json={"title": "x"},
        headers={b"Idempotency-Key": key.encode()},
    )

    assert response.status_code == 422
    assert await task_ids(client) == [1, 2]


async def test_keys_expire_after_their_lifetime(settings: Settings) -> None:
    short_lived = settings.model_copy(update={"idempotency_key_ttl": 0.3})
    async with running_app(short_lived) as client:
        first = await post(client, "key-3")
        await anyio.sleep(0.5)
        after_expiry = await post(client, "key-3")

    assert (first.json()["id"], after_expiry.json()["id"]) == (3, 4)


async def test_memory_keeps_at_most_the_configured_number_of_keys() -> None:
    async with running_app(make_settings(None, idempotency_max_keys=2)) as client:
        for key in ("a", "b", "c"):
            await post(client, key)
        oldest_again = await post(client, "a")
        newest_again = await post(client, "c")

    assert "idempotent-replayed" not in oldest_again.headers  # forgotten: created anew
    assert newest_again.headers["idempotent-replayed"] == "true"


async def test_postgresql_forgets_old_and_surplus_keys(database_url: str) -> None:
    settings = make_settings(
        database_url,
        idempotency_max_keys=2,
        idempotency_cleanup_interval=0.1,
        db_check_interval=0.1,
    )
    async with running_app(settings) as client:
        for key in ("a", "b", "c", "d"):
            await post(client, key)

        async def two_keys_left() -> list[str] | None:
            with psycopg.connect(database_url) as connection:
                rows = connection.execute("SELECT key FROM idempotency_keys ORDER BY key")
                keys = [row[0] for row in rows]
            return keys if len(keys) == 2 else None

        kept = await apoll(two_keys_left, within=10, what="old keys forgotten")

    assert kept == ["c", "d"]


async def test_postgresql_replays_across_a_restart(database_url: str) -> None:
    settings = make_settings(database_url)
    async with running_app(settings) as first_run:
        created = await post(first_run, "survives-restart")
    async with running_app(settings) as second_run:
        replayed = await post(second_run, "survives-restart")
        ids = await task_ids(second_run)

    assert replayed.json() == created.json()
    assert replayed.headers["idempotent-replayed"] == "true"
    assert ids == [1, 2, 3]


async def test_postgresql_answers_409_while_the_same_key_is_in_flight(database_url: str) -> None:
    async with running_app(make_settings(database_url)) as client:
        # Another request with this key holds its transaction's lock: it is in flight.
        with psycopg.connect(database_url) as holder, holder.transaction():
            holder.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                (IDEMPOTENCY_LOCK_NAMESPACE, "in-flight"),
            )
            during = await post(client, "in-flight")
        after = await post(client, "in-flight")

    assert during.status_code == 409
    assert "still in progress" in during.json()["detail"]
    assert after.status_code == 201


async def test_a_key_held_by_a_create_whose_client_vanished_is_free_within_seconds(
    database_url: str,
) -> None:
    """A backend that dies between two statements of a create (its machine lost power)
    leaves its session idle in the transaction, holding the key's lock: PostgreSQL ends
    it after SESSION_SETTINGS' idle_in_transaction_session_timeout, not hours later."""
    async with running_app(make_settings(database_url)) as client:
        # A session opened as the backend opens its own, then abandoned mid-create.
        options = session_options(make_settings(database_url))
        vanished = psycopg.connect(database_url, options=options)
        vanished.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            (IDEMPOTENCY_LOCK_NAMESPACE, "client-gone"),
        )
        try:
            during = await post(client, "client-gone")
            started = anyio.current_time()
            after = await apoll(
                lambda: _created(client, "client-gone"), within=15, what="the key free again"
            )
            waited = anyio.current_time() - started
        finally:
            vanished.close()

    assert during.status_code == 409
    assert after.status_code == 201
    assert waited < 10


async def _created(client: httpx.AsyncClient, key: str) -> httpx.Response | None:
    response = await post(client, key)
    return response if response.status_code == 201 else None
