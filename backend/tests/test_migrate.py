"""Alembic migrations: up from empty, down, up again; replicas migrating at once."""

import anyio
import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import Connection

from app.db import make_engine
from app.migrate import alembic_config, migrate
from tests.utils.app import make_settings

pytestmark = pytest.mark.anyio


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


async def run_alembic(database_url: str, action: str, revision: str) -> None:
    engine = make_engine(make_settings(database_url))

    def step(connection: Connection) -> None:
        getattr(command, action)(alembic_config(connection), revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(step)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_and_upgrade_again(database_url: str) -> None:
    await run_alembic(database_url, "upgrade", "head")
    after_upgrade = tables_and_tasks(database_url)
    await run_alembic(database_url, "downgrade", "base")
    after_downgrade = tables_and_tasks(database_url)
    await run_alembic(database_url, "upgrade", "head")
    after_second_upgrade = tables_and_tasks(database_url)

    demo = [(1, "Apprendre Docker"), (2, "Configurer CI/CD")]
    assert after_upgrade == ({"alembic_version", "tasks"}, demo)
    assert after_downgrade == ({"alembic_version"}, [])
    assert after_second_upgrade == ({"alembic_version", "tasks"}, demo)


async def test_replicas_migrating_at_once_apply_the_schema_once(database_url: str) -> None:
    engines = [make_engine(make_settings(database_url)) for _ in range(4)]
    try:
        async with anyio.create_task_group() as group:
            for engine in engines:
                group.start_soon(migrate, engine)
    finally:
        for engine in engines:
            await engine.dispose()

    assert tables_and_tasks(database_url)[1] == [(1, "Apprendre Docker"), (2, "Configurer CI/CD")]


def test_schema_matches_the_table_definitions(database_url: str) -> None:
    """Alembic's autogenerate finds nothing to add: migrations and app/store/tables.py agree."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.db import sqlalchemy_url
    from app.store.tables import metadata

    anyio.run(run_alembic, database_url, "upgrade", "head")
    settings = make_settings(database_url)
    assert settings.database_url is not None
    sync_url = sqlalchemy_url(settings.database_url)  # psycopg 3 works synchronously too
    engine = sa.create_engine(sync_url)
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


async def test_constraints_carry_the_names_of_the_naming_convention(database_url: str) -> None:
    """The names in app/store/tables.py's convention, so that later migrations can use them."""
    await run_alembic(database_url, "upgrade", "head")

    assert constraint_names(database_url) == {"tasks_pkey", "tasks_title_not_empty_check"}
