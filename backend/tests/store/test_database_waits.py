"""Every database wait is bounded below a proxy's timeout (nginx waits 30 s): a table
locked by a migration, a VACUUM FULL or an operator, a row locked by another
transaction, a slow statement. The request is answered 503 with Retry-After within
seconds, never after the lock is gone; and a request whose client has gone stops
holding its pooled connection."""

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from app.config import Settings
from harness.app import make_settings, running_app
from harness.polling import poll
from harness.servers import UvicornServer

pytestmark = pytest.mark.anyio

# Far longer than any answer may take: a request still waiting then waited for the lock.
LOCK_HELD = 25.0
# The answers come within the default lock or statement timeout, plus time to spare.
WITHIN = 12.0
ROOT = Path(__file__).resolve().parents[3]

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def get(path: str) -> Call:
    return lambda client: client.get(path)


def post() -> Call:
    return lambda client: client.post("/api/tasks", json={"title": "bloquée"})


def post_keyed() -> Call:
    return lambda client: client.post(
        "/api/tasks", json={"title": "bloquée"}, headers={"Idempotency-Key": "k-locked"}
    )


def patch(path: str, body: dict[str, object]) -> Call:
    return lambda client: client.patch(path, json=body)


def delete(path: str) -> Call:
    return lambda client: client.delete(path)


# (what holds the lock, the requests it blocks)
LOCKS: dict[str, tuple[str, list[Call]]] = {
    "ACCESS EXCLUSIVE on tasks (ALTER TABLE, VACUUM FULL)": (
        "LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE",
        [get("/api/tasks"), get("/api/tasks/1"), post(), patch("/api/tasks/1", {"done": True})],
    ),
    "EXCLUSIVE on tasks (REFRESH MATERIALIZED VIEW CONCURRENTLY's kind)": (
        "LOCK TABLE tasks IN EXCLUSIVE MODE",
        [post(), post_keyed(), delete("/api/tasks/2")],
    ),
    "SHARE on tasks (CREATE INDEX)": (
        "LOCK TABLE tasks IN SHARE MODE",
        [post(), patch("/api/tasks", {"done": True}), delete("/api/tasks?done=true")],
    ),
    "SHARE ROW EXCLUSIVE on tasks (CREATE TRIGGER)": (
        "LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE",
        [patch("/api/tasks/1", {"title": "verrouillée"})],
    ),
    "ACCESS EXCLUSIVE on task_counts, another table": (
        "LOCK TABLE task_counts IN ACCESS EXCLUSIVE MODE",
        [get("/api/tasks/summary"), post()],
    ),
    "a row locked by another transaction (SELECT ... FOR UPDATE)": (
        "SELECT id FROM tasks WHERE id = 1 FOR UPDATE",
        [patch("/api/tasks/1", {"done": True}), delete("/api/tasks/1")],
    ),
}


@asynccontextmanager
async def held(database_url: str, statement: str) -> AsyncIterator[None]:
    """`statement` run in an open transaction: its lock held until the block ends (at the
    latest after LOCK_HELD seconds, so that a test of code that waits still ends)."""
    async with await psycopg.AsyncConnection.connect(
        database_url, options=f"-c idle_in_transaction_session_timeout={LOCK_HELD * 1000:.0f}"
    ) as locker:
        await locker.execute(statement)
        try:
            yield
        finally:
            # Ended already when a test of code that waits outlasted LOCK_HELD.
            with contextlib.suppress(psycopg.OperationalError):
                await locker.rollback()


async def timed(call: Call, client: httpx.AsyncClient) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await call(client)
    return time.monotonic() - started, response


@pytest.mark.parametrize("lock", LOCKS)
async def test_a_request_blocked_by_a_lock_gets_503_with_retry_after_within_seconds(
    lock: str, database_url: str
) -> None:
    statement, calls = LOCKS[lock]
    async with running_app(make_settings(database_url)) as client:
        # Given the lock held (far longer than the answers may take)
        async with held(database_url, statement):
            # When the requests it blocks come, all at once
            results = await asyncio.gather(*(timed(call, client) for call in calls))
        # Then (once it is gone) the same requests are served
        after = await calls[0](client)

    for seconds, response in results:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert "locked" in response.json()["detail"]
        assert seconds < WITHIN
    assert after.status_code < 400


async def test_a_slow_statement_is_cancelled_and_answered_503(database_url: str) -> None:
    """A write that would run a minute (a trigger sleeping, standing for a slow disk or a
    heavy query) ends at the statement timeout."""
    settings = make_settings(database_url, db_statement_timeout=2.0)
    async with running_app(settings) as client:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$"
            )
            admin.execute(
                "CREATE TRIGGER slow BEFORE INSERT OR UPDATE ON tasks"
                " FOR EACH STATEMENT EXECUTE FUNCTION slow()"
            )
        results = [
            await timed(post(), client),
            await timed(patch("/api/tasks", {"done": True}), client),
        ]
        listed = await client.get("/api/tasks")

    for seconds, response in results:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert seconds < WITHIN
    assert listed.status_code == 200


def waiting_on_a_lock(database_url: str) -> int:
    """Sessions of the database's other clients waiting for a lock now."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_requests_database_work_is_bounded_as_a_whole(database_url: str) -> None:
    """DB_REQUEST_TIMEOUT ends what the server's own timeouts would let run on (here set
    far longer, as a DATABASE_URL's options or a role's settings may): the statement is
    cancelled on the server, and its connection freed."""
    settings = make_settings(
        database_url, db_request_timeout=1.0, db_lock_timeout=60.0, db_statement_timeout=60.0
    )
    locked = held(database_url, "LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
    async with running_app(settings) as client, locked:
        seconds, response = await timed(get("/api/tasks"), client)
        still_waiting = waiting_on_a_lock(database_url)

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert "did not answer in time" in response.json()["detail"]
    assert seconds < WITHIN
    assert still_waiting == 0


def test_the_longest_database_wait_is_below_nginx_proxy_timeout() -> None:
    """A request waits at most DB_POOL_TIMEOUT for a connection, then its statements run
    within the store's deadline: together under nginx's proxy_read_timeout, so that the
    client gets the backend's JSON 503, never nginx's 504 with the request still running."""
    nginx = (ROOT / "frontend" / "nginx.conf").read_text()
    (proxy_timeout,) = {int(value) for value in re.findall(r"proxy_read_timeout (\d+)s;", nginx)}
    settings = Settings.model_validate({})

    assert settings.db_request_timeout < proxy_timeout
    assert settings.db_pool_timeout < settings.db_request_timeout
    assert settings.db_lock_timeout < settings.db_statement_timeout <= settings.db_request_timeout


async def test_a_request_whose_client_has_gone_frees_its_connection(
    database_url: str, tmp_path: Path
) -> None:
    # Given a backend that would let a request wait a minute for a lock, and a table locked
    server = UvicornServer(
        database_url=database_url, log=tmp_path / "backend.log", env={"DB_LOCK_TIMEOUT": "60"}
    )
    server.start()
    try:
        async with held(database_url, "LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE"):
            # When five clients give up after a second (a browser closed, a proxy's timeout)
            async with httpx.AsyncClient(base_url=server.url, timeout=1.0) as client:
                outcomes = await asyncio.gather(
                    *(client.get(f"/api/tasks/{n}") for n in range(1, 6)), return_exceptions=True
                )
            assert all(isinstance(outcome, httpx.TimeoutException) for outcome in outcomes)
            gone_at = time.monotonic()
            # Then their requests stop waiting, and hold no pooled connection
            poll(
                lambda: True if waiting_on_a_lock(database_url) == 0 else None,
                within=5,
                what="the requests of clients that have gone to stop waiting",
                last=lambda: waiting_on_a_lock(database_url),
            )
            freed_after = time.monotonic() - gone_at
            # and the backend serves those that wait
            async with httpx.AsyncClient(base_url=server.url, timeout=10.0) as client:
                served = await client.get("/api/health/ready")
    finally:
        server.stop()

    print(f"\nconnections freed {freed_after:.1f} s after their clients went away")
    assert served.status_code == 200
    log = (tmp_path / "backend.log").read_text()
    assert log.count('"status":499') == 5
