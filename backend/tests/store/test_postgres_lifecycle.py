"""PostgreSQL across restarts: of the app, of the database, and a database that starts late."""

import json
from collections.abc import Iterator

import anyio
import httpx
import psycopg
import pytest

from app.database.diagnosis import LOOPBACK_DOES_NOT_ANSWER, NO_PRIVILEGE, STARTING
from app.database.migrations import upgrade_to_head
from harness.app import (
    READY_TIMEOUT,
    make_settings,
    running_app,
    wait_for_status,
    wait_until_ready,
)
from harness.polling import apoll
from harness.postgres import PostgresServer
from harness.servers import UvicornServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own, which the test may stop and start; not started yet."""
    server = PostgresServer()
    try:
        yield server
    finally:
        server.remove()


async def test_restarted_app_keeps_tasks_and_deleted_demo_tasks_stay_deleted(
    database_url: str,
) -> None:
    settings = make_settings(database_url)
    async with running_app(settings) as first:
        await first.post("/api/tasks", json={"title": "Cette tâche survit au redémarrage"})
        await first.delete("/api/tasks/1")

    async with running_app(settings) as second:
        response = await second.get("/api/tasks")

    assert response.json() == [
        {"id": 2, "title": "Configurer CI/CD", "done": False},
        {"id": 3, "title": "Cette tâche survit au redémarrage", "done": False},
    ]


async def test_backend_started_while_database_is_down_becomes_ready_once_it_is_up(
    own_server: PostgresServer,
) -> None:
    settings = make_settings(own_server.url())
    async with running_app(settings, wait_ready=False) as client:
        liveness = await client.get("/api/health")
        readiness = await client.get("/api/health/ready")
        tasks = await client.get("/api/tasks")

        own_server.start()
        await wait_until_ready(client)
        after = await client.get("/api/tasks")

    assert liveness.json() == {"status": "ok"}
    assert readiness.status_code == 503
    # What is wrong: connecting, or no answer (at 127.0.0.1, where the test's server is).
    reason = STARTING if readiness.json()["reason"] == STARTING.id else LOOPBACK_DOES_NOT_ANSWER
    assert readiness.json() == {
        "status": "unavailable",
        "storage": "postgresql",
        "reason": reason.id,
        "detail": reason.sentence,
    }
    assert tasks.status_code == 503
    assert tasks.headers["retry-after"].isdigit()
    assert [task["id"] for task in after.json()] == [1, 2]


async def test_database_restart_gives_503_meanwhile_then_recovers_by_itself(
    own_server: PostgresServer,
) -> None:
    own_server.start()
    settings = make_settings(own_server.url())
    async with running_app(settings) as client:
        await client.post("/api/tasks", json={"title": "avant la panne"})

        own_server.stop()
        during = [
            await client.get("/api/tasks"),
            await client.post("/api/tasks", json={"title": "pendant la panne"}),
            # Readiness reports the background check's verdict: it follows within seconds.
            await wait_for_status(client, "/api/health/ready", 503),
        ]
        live_during = await client.get("/api/health")

        own_server.start()
        after = await wait_for_status(client, "/api/tasks", 200)

    assert [response.status_code for response in during] == [503, 503, 503]
    assert all("Traceback" not in response.text for response in during)
    assert live_during.status_code == 200
    assert [task["title"] for task in after.json()][-1] == "avant la panne"


async def test_database_password_never_reaches_a_client_or_the_logs(
    own_server: PostgresServer, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(own_server.url().replace("postgres@", "postgres:s3cr3t-pw@"))
    async with running_app(settings, wait_ready=False) as client:
        responses = [await client.get(path) for path in ("/api/health/ready", "/api/tasks")]
        logs = await logged_until(capfd, "database schema not ready")  # a failed attempt, logged

    for response in responses:
        assert response.status_code == 503
        assert "s3cr3t-pw" not in response.text
        assert "127.0.0.1" not in response.text
    assert "s3cr3t-pw" not in logs


async def logged_until(capfd: pytest.CaptureFixture[str], text: str, within: float = 10) -> str:
    """What the app has logged so far, once `text` is among it."""
    logged = ""

    async def seen() -> str | None:
        nonlocal logged
        logged += capfd.readouterr().err
        return logged if text in logged else None

    return await apoll(seen, within=within, what=f"{text!r} logged")


async def test_without_migrate_on_start_the_backend_waits_for_the_migrate_step(
    database_url: str,
) -> None:
    settings = make_settings(database_url, migrate_on_start=False)
    async with running_app(settings, wait_ready=False) as client:
        before = await client.get("/api/health/ready")
        await anyio.to_thread.run_sync(upgrade_to_head, settings)
        await wait_until_ready(client)
        after = await client.get("/api/tasks")

    assert before.status_code == 503
    assert len(after.json()) == 2


@pytest.fixture
def no_create_url(postgres_server_url: str, database_url: str) -> str:
    """The test's database, for a role that may connect and do nothing else (no CREATE: the
    migrations cannot run)."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS no_create")
        admin.execute("CREATE ROLE no_create LOGIN")
        admin.execute(f'GRANT CONNECT ON DATABASE "{name}" TO no_create')  # and nothing more
    return database_url.replace("postgres@", "no_create@")


async def test_a_backend_that_cannot_create_its_schema_says_why_and_keeps_trying(
    no_create_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Readiness names the failed migration; the log says why at error level, the
    server's words included, attempt after attempt (someone may grant the privilege)."""
    settings = make_settings(no_create_url, startup_timeout=0)  # 0: never give up
    async with running_app(settings, wait_ready=False) as client:

        async def refused_schema() -> httpx.Response | None:
            response = await client.get("/api/health/ready")
            return response if response.json().get("reason") == NO_PRIVILEGE.id else None

        readiness = await apoll(refused_schema, within=READY_TIMEOUT, what="no_privilege")
        logged = ""

        async def attempts_logged(count: int) -> str | None:
            nonlocal logged
            logged += capfd.readouterr().err
            return logged if logged.count("InsufficientPrivilege 42501") >= count else None

        await apoll(lambda: attempts_logged(2), within=READY_TIMEOUT, what="two attempts logged")

    assert readiness.status_code == 503
    assert readiness.json()["detail"] == NO_PRIVILEGE.sentence
    attempts = [line for line in logged.splitlines() if "database schema not ready" in line]
    assert len(attempts) >= 2
    assert all("error" in line and "42501" in line for line in attempts)


def test_a_backend_whose_schema_is_never_ready_exits_to_be_restarted(no_create_url: str) -> None:
    """Live but never ready forever would fool compose, Swarm and Kubernetes: after
    STARTUP_TIMEOUT it exits, saying so, for its supervisor to start it again."""
    server = UvicornServer(
        database_url=no_create_url, env={"STARTUP_TIMEOUT": "2", "DB_RETRY_MAX_BACKOFF": "0.5"}
    )
    server.start(wait_path="/api/health")
    assert server.process is not None
    try:
        exit_status = server.process.wait(timeout=60)
        output = server.process.communicate()[0]
    finally:
        server.stop()  # a no-op once it has exited

    assert exit_status != 0
    records = [json.loads(line) for line in output.splitlines()]
    exiting = [r for r in records if "exiting, to be restarted" in r["event"]]
    assert [record["level"] for record in exiting] == ["error"]
    # Each attempt that ended in time said why, at error level (how many end within 2 s
    # depends on the machine's speed: none is needed for the exit).
    attempts = [r for r in records if r["event"].startswith("database schema not ready")]
    assert all(record["level"] == "error" for record in attempts)
    assert all("InsufficientPrivilege 42501" in record["event"] for record in attempts)


async def test_a_database_that_lost_its_schema_gets_it_again_and_never_a_500(
    database_url: str,
) -> None:
    """Given a running backend whose database is replaced by an empty one (a new volume,
    as the course's persistence drill does), requests get 503 meanwhile, never a 500, and
    the backend prepares the schema again by itself: the demo tasks are back."""
    settings = make_settings(database_url)
    async with running_app(settings) as client:
        await client.post("/api/tasks", json={"title": "dans l'ancienne base"})
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("DROP SCHEMA public CASCADE")
            admin.execute("CREATE SCHEMA public")
        during = await client.get("/api/tasks")
        after = await wait_for_status(client, "/api/tasks", 200)

    assert during.status_code in (200, 503)  # 200: prepared again before this request
    assert "Traceback" not in during.text
    assert [task["title"] for task in after.json()] == ["Apprendre Docker", "Configurer CI/CD"]
