"""Every database condition a client cannot fix is answered as the API documents (a 503
with Retry-After, or a 507), never a 500, and logged with the driver's own words (its
SQLSTATE and message): each of PostgreSQL's SQLSTATE classes 08, 25, 40, 53, 54, 55, 57,
58 and XX, raised by the real server (a trigger raises the code, as the server's own code
paths do), then the real conditions behind some of them: a read-only database, a standby,
a sequence set back, a full disk."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from app.database.migrations import upgrade_to_head
from harness.app import make_settings, running_app, wait_for_status
from harness.polling import apoll
from harness.postgres import PostgresServer

pytestmark = pytest.mark.anyio

# (SQLSTATE, the answer's status, the kind of failure the log names): one line per
# decision, at least one per class.
CLASSES = [
    ("08006", 503, "outage"),  # connection_failure
    ("08P01", 503, "outage"),  # protocol_violation
    ("25006", 503, "read_only"),  # read_only_sql_transaction
    ("25P02", 503, "fault"),  # in_failed_sql_transaction
    ("40001", 503, "contention"),  # serialization_failure
    ("40P01", 503, "contention"),  # deadlock_detected
    ("53100", 507, "full"),  # disk_full
    ("53200", 503, "overload"),  # out_of_memory
    ("53400", 503, "overload"),  # configuration_limit_exceeded
    ("54001", 503, "fault"),  # statement_too_complex
    ("55P03", 503, "timeout"),  # lock_not_available
    ("55006", 503, "timeout"),  # object_in_use
    ("55000", 503, "fault"),  # object_not_in_prerequisite_state
    ("57014", 503, "timeout"),  # query_canceled
    ("57P01", 503, "outage"),  # admin_shutdown
    ("57P04", 503, "fault"),  # database_dropped
    ("58030", 503, "fault"),  # io_error
    ("XX000", 503, "fault"),  # internal_error
    ("XX001", 503, "fault"),  # data_corrupted
]
MESSAGE = "raised by the test's trigger"


def admin(database_url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A superuser's session, writable even in a database made read-only."""
    return psycopg.connect(
        database_url, autocommit=True, options="-c default_transaction_read_only=off"
    )


def fail_writes_with(database_url: str, sqlstate: str) -> None:
    """Every write to tasks fails with `sqlstate`, raised by the server."""
    with admin(database_url) as connection:
        connection.execute(
            sql.SQL(
                "CREATE OR REPLACE FUNCTION fail_write() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION {} USING ERRCODE = {}; END $$"
            ).format(sql.Literal(MESSAGE), sql.Literal(sqlstate))
        )
        connection.execute(
            "CREATE OR REPLACE TRIGGER fail_write BEFORE INSERT OR UPDATE OR DELETE ON tasks"
            " FOR EACH STATEMENT EXECUTE FUNCTION fail_write()"
        )


@pytest.fixture
async def ready_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a fresh, migrated database. (A test that reads the log starts its app
    itself: the log handler keeps the stderr it finds at start-up, and capfd's is new in
    each phase of a test.)"""
    async with running_app(make_settings(database_url)) as client:
        yield client


def logged_lines(capfd: pytest.CaptureFixture[str], *words: str) -> list[str]:
    return [line for line in capfd.readouterr().err.splitlines() if all(w in line for w in words)]


@pytest.mark.parametrize(("sqlstate", "status", "kind"), CLASSES)
async def test_each_sqlstate_class_is_answered_as_decided_and_logged_with_its_words(
    sqlstate: str,
    status: int,
    kind: str,
    capfd: pytest.CaptureFixture[str],
    database_url: str,
) -> None:
    async with running_app(make_settings(database_url)) as client:
        # Given a database whose writes fail with this SQLSTATE
        fail_writes_with(database_url, sqlstate)
        capfd.readouterr()

        # When a client creates, with and without an Idempotency-Key, and changes a task
        created = await client.post("/api/tasks", json={"title": sqlstate})
        keyed = await client.post(
            "/api/tasks", json={"title": sqlstate}, headers={"Idempotency-Key": sqlstate}
        )
        changed = await client.patch("/api/tasks/1", json={"done": True})
        listed = await client.get("/api/tasks")

    # Then each is answered as decided, and the log names the kind with the server's words
    for response in (created, keyed, changed):
        assert response.status_code == status, response.text
        assert set(response.json()) == {"detail"}
        assert MESSAGE not in response.text  # the server's words go to the log only
        if status == 503:
            assert response.headers["retry-after"].isdigit()
    assert listed.status_code == 200
    lines = logged_lines(capfd, f"storage {kind}", sqlstate, MESSAGE)
    assert len(lines) == 3, lines


async def test_a_read_only_database_refuses_writes_with_503_and_readiness_says_so(
    database_url: str, ready_client: httpx.AsyncClient
) -> None:
    # Given a database that turned read-only, its sessions reset (a failover's look)
    name = database_url.rsplit("/", 1)[1]
    with admin(database_url) as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
                sql.Identifier(name)
            )
        )
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    # When clients write, read, and ask readiness
    created = await wait_for_status(ready_client, "/api/tasks", 200)
    writes = [
        await ready_client.post("/api/tasks", json={"title": "en lecture seule"}),
        await ready_client.patch("/api/tasks/1", json={"done": True}),
        await ready_client.patch("/api/tasks", json={"done": True}),
        await ready_client.delete("/api/tasks/2"),
    ]
    readiness = await apoll(
        lambda: read_only_readiness(ready_client), within=10, what="readiness saying read-only"
    )

    # Then writes get 503 with Retry-After, reads work, readiness says why (still 200: the
    # replica serves what the database allows)
    assert created.status_code == 200
    assert [response.status_code for response in writes] == [503] * 4
    assert all(response.headers["retry-after"].isdigit() for response in writes)
    assert "read-only" in writes[0].json()["detail"]
    assert readiness.status_code == 200
    assert readiness.json()["reason"] == "read_only"

    # And when the database takes writes again, so does the backend, by itself
    with admin(database_url) as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only").format(
                sql.Identifier(name)
            )
        )
    await wait_for_status(ready_client, "/api/health/ready", 200)
    again = await apoll(
        lambda: created_or_none(ready_client), within=15, what="writes accepted again"
    )
    assert again.json()["title"] == "de nouveau"
    assert (await ready_client.get("/api/health/ready")).json()["status"] == "ok"


async def read_only_readiness(client: httpx.AsyncClient) -> httpx.Response | None:
    response = await client.get("/api/health/ready")
    return response if response.json().get("status") == "read_only" else None


async def created_or_none(client: httpx.AsyncClient) -> httpx.Response | None:
    response = await client.post("/api/tasks", json={"title": "de nouveau"})
    return response if response.status_code == 201 else None


async def test_a_standby_serves_reads_refuses_writes_and_readiness_says_so() -> None:
    """A server in recovery (a standby, found by pg_is_in_recovery()): here one started
    with standby.signal and no primary, which it waits for, serving reads meanwhile."""
    server = PostgresServer(crash_safe=True)
    try:
        server.start()
        async with running_app(make_settings(server.url())) as client:
            assert (await client.get("/api/health/ready")).json()["status"] == "ok"
        server.stop()
        (server.datadir / "standby.signal").touch()
        server.start()

        async with running_app(make_settings(server.url()), wait_ready=False) as client:
            readiness = await apoll(
                lambda: read_only_readiness(client), within=20, what="readiness: read-only"
            )
            listed = await client.get("/api/tasks")
            created = await client.post("/api/tasks", json={"title": "sur le secours"})
    finally:
        server.remove()

    assert readiness.json()["reason"] == "read_only"
    assert listed.status_code == 200
    assert created.status_code == 503
    assert created.headers["retry-after"].isdigit()


async def test_a_sequence_set_back_is_named_in_the_log_and_answered_503_never_500(
    capfd: pytest.CaptureFixture[str], database_url: str
) -> None:
    async with running_app(make_settings(database_url)) as client:
        # Given an id sequence set back below the table's ids (a restore that skipped it)
        for number in range(3):
            await client.post("/api/tasks", json={"title": f"avant {number}"})
        with admin(database_url) as connection:
            connection.execute("SELECT setval(pg_get_serial_sequence('tasks', 'id'), 1)")
        capfd.readouterr()

        # When clients create, with and without an Idempotency-Key
        plain = await client.post("/api/tasks", json={"title": "doublon"})
        keyed = await client.post(
            "/api/tasks", json={"title": "doublon"}, headers={"Idempotency-Key": "k-doublon"}
        )

    # Then 503 with Retry-After (as documented for what the server cannot do now), and
    # the log names the duplicate id and the fix
    assert [plain.status_code, keyed.status_code] == [503, 503]
    assert plain.headers["retry-after"].isdigit()
    lines = logged_lines(capfd, "id_sequence_behind", "23505")
    assert len(lines) == 2, lines
    assert "Key (id)=(2) already exists" in lines[0]
    assert "setval" in lines[0]


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 4 MiB file system of its own (tmpfs), owned by PostgreSQL's user: a disk to fill."""
    if os.geteuid() != 0 and os.environ.get("CI") != "true":
        pytest.skip("mounting a small file system needs root")
    mountpoint = Path(tempfile.mkdtemp(prefix="tasks-small-disk-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mountpoint)], check=True
    )
    try:
        shutil.chown(mountpoint, "postgres", "postgres")
        yield mountpoint
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=True)
        mountpoint.rmdir()


async def test_a_full_disk_is_507_logged_with_the_servers_words_and_reads_still_work(
    capfd: pytest.CaptureFixture[str], database_url: str, small_disk: Path
) -> None:
    # Given the tasks table on a disk filled up to its last byte (with the smallest rows:
    # no page keeps room for another)
    upgrade_to_head(make_settings(database_url))
    name = database_url.rsplit("/", 1)[1]
    tablespace = f"small_{name}"
    with admin(database_url) as connection:
        connection.execute(
            sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(
                sql.Identifier(tablespace), sql.Literal(str(small_disk))
            )
        )
        connection.execute(
            sql.SQL("ALTER TABLE tasks SET TABLESPACE {}").format(sql.Identifier(tablespace))
        )
        with pytest.raises(psycopg.errors.DiskFull):
            connection.execute(
                "INSERT INTO tasks (title) SELECT 'x' FROM generate_series(1, 1000000)"
            )

    # When a client creates, and reads
    async with running_app(make_settings(database_url)) as client:
        capfd.readouterr()
        created = await client.post("/api/tasks", json={"title": "plus de place"})
        listed = await client.get("/api/tasks?limit=2")

    # Then the create is a 507, not a passing outage, and the log has the cause
    assert created.status_code == 507
    assert "disk is full" in created.json()["detail"]
    assert listed.status_code == 200
    lines = logged_lines(capfd, "storage full", "disk_full", "53100")
    assert len(lines) == 1, lines
    assert "No space left on device" in lines[0]
    assert "error" in lines[0]  # someone must free space: not a warning that passes
    with admin(database_url) as connection:
        connection.execute("ALTER TABLE tasks SET TABLESPACE pg_default")
        connection.execute(sql.SQL("DROP TABLESPACE {}").format(sql.Identifier(tablespace)))
