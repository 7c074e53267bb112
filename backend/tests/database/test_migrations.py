"""Alembic migrations: up from empty, down, up again; replicas migrating at once."""

import time

import anyio
import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from app.database.connection import sqlalchemy_url
from app.database.diagnosis import DOES_NOT_ANSWER, WRONG_PASSWORD
from app.database.migrations import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    reason_not_ready,
    upgrade_to_head,
)
from app.store.tables import metadata
from harness.app import make_settings

DEMO = [(1, "Apprendre Docker"), (2, "Configurer CI/CD")]
TABLES = {"alembic_version", "tasks", "idempotency_keys", "task_counts"}


def tables_and_tasks(url: str) -> tuple[set[str], list[tuple[int, str]]]:
    with psycopg.connect(url) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        rows = (
            connection.execute("SELECT id, title FROM tasks ORDER BY id").fetchall()
            if "tasks" in tables
            else []
        )
    return tables, rows


def engine_for(database_url: str) -> sa.Engine:
    settings = make_settings(database_url)
    assert settings.database_url is not None
    return sa.create_engine(sqlalchemy_url(settings.database_url), poolclass=NullPool)


def run_alembic(database_url: str, action: str, revision: str) -> None:
    engine = engine_for(database_url)
    try:
        with engine.begin() as connection:
            getattr(command, action)(alembic_config(connection), revision)
    finally:
        engine.dispose()


def test_upgrade_downgrade_and_upgrade_again(database_url: str) -> None:
    run_alembic(database_url, "upgrade", "head")
    after_upgrade = tables_and_tasks(database_url)
    run_alembic(database_url, "downgrade", "base")
    after_downgrade = tables_and_tasks(database_url)
    run_alembic(database_url, "upgrade", "head")
    after_second_upgrade = tables_and_tasks(database_url)

    assert after_upgrade == (TABLES, DEMO)
    assert after_downgrade == ({"alembic_version"}, [])
    assert after_second_upgrade == (TABLES, DEMO)


def test_replicas_migrating_at_once_apply_the_schema_once(database_url: str) -> None:
    settings = make_settings(database_url)

    async def four_replicas() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(anyio.to_thread.run_sync, upgrade_to_head, settings)

    anyio.run(four_replicas)

    assert tables_and_tasks(database_url)[1] == DEMO


def test_a_migration_behind_a_long_transaction_gives_up_instead_of_queueing_requests(
    database_url: str,
) -> None:
    """A migration's ALTER TABLE waiting for a table's lock (behind a report's long
    transaction) queues every request for that table behind it: it gives up after its
    own lock_timeout (MIGRATION_SESSION), to be tried again, never waits for as long as
    the transaction runs; and it takes no statement_timeout (it may rewrite a table)."""
    run_alembic(database_url, "upgrade", "0005")
    with psycopg.connect(
        database_url, options="-c idle_in_transaction_session_timeout=30s"
    ) as report:
        report.execute("SELECT count(*) FROM tasks")  # ACCESS SHARE, held till the end
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError) as raised:
            upgrade_to_head(make_settings(database_url, db_statement_timeout=0.001))
        waited = time.monotonic() - started
    upgrade_to_head(make_settings(database_url, db_statement_timeout=0.001))

    assert isinstance(raised.value.orig, psycopg.errors.LockNotAvailable)
    assert waited < 15
    assert anyio.run(current_revision, make_settings(database_url)) == HEAD_REVISION


def test_the_revision_the_app_expects_is_alembics_newest() -> None:
    """The app checks alembic_version against HEAD_REVISION without importing Alembic."""
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD_REVISION]


def test_current_revision_reads_alembic_version(database_url: str) -> None:
    settings = make_settings(database_url)
    before = anyio.run(current_revision, settings)
    upgrade_to_head(settings)
    after = anyio.run(current_revision, settings)

    assert (before, after) == (None, HEAD_REVISION)


def test_schema_matches_the_table_definitions(database_url: str) -> None:
    """Alembic's autogenerate finds nothing to add: migrations and app/store/tables.py agree."""
    run_alembic(database_url, "upgrade", "head")
    engine = engine_for(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()

    assert differences == []


def constraint_names(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'tasks'::regclass"
        ).fetchall()
    return {row[0] for row in rows}


def test_constraints_carry_the_names_of_the_naming_convention(database_url: str) -> None:
    """The names in app/store/tables.py's convention, so that later migrations can use them."""
    run_alembic(database_url, "upgrade", "head")

    assert constraint_names(database_url) == {"tasks_pkey", "tasks_title_not_empty_check"}


def test_a_refused_password_is_told_apart_from_a_database_that_does_not_answer() -> None:
    refused = psycopg.OperationalError(
        'connection failed: connection to server at "10.0.0.2", port 5432 failed: '
        'FATAL:  password authentication failed for user "tasks"'
    )
    down = psycopg.OperationalError("connection failed: Connection refused")

    assert reason_not_ready(refused) is WRONG_PASSWORD
    assert "POSTGRES_PASSWORD" in WRONG_PASSWORD.sentence
    assert reason_not_ready(down) is DOES_NOT_ANSWER
