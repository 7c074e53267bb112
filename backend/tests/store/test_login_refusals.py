"""Every refusal PostgreSQL gives at login is named in readiness (its reason id and
sentence) and the log, never reported as "the database does not answer": a real server,
with a pg_hba.conf, roles and databases set up to refuse each way
(app/database/diagnosis.py's REFUSALS)."""

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from app.database import diagnosis
from app.database.diagnosis import Reason
from harness.app import make_settings, running_app
from harness.passwords import AWKWARD_PASSWORD, pieces
from harness.polling import apoll
from harness.postgres import PostgresServer

pytestmark = pytest.mark.anyio

# Checked in order; the last line lets the superuser and the other roles in.
HBA = """
local     all  all                           trust
host      all  postgres       127.0.0.1/32   trust
hostnossl all  ssl_only       127.0.0.1/32   reject
host      all  not_from_here  127.0.0.1/32   reject
host      all  with_password  127.0.0.1/32   scram-sha-256
host      all  all            127.0.0.1/32   trust
"""
PASSWORD = "the-right-one"  # noqa: S105 (a test role's)
# Small, so that the test filling it needs few connections.
MAX_CONNECTIONS = 12


@pytest.fixture(scope="module")
def refusing_server() -> Iterator[PostgresServer]:
    """A server whose roles and databases refuse logins in every way the tests name."""
    server = PostgresServer(settings={"max_connections": str(MAX_CONNECTIONS)})
    try:
        server.set_hba(HBA)
        server.start()
        statements = [
            "CREATE DATABASE tasks",
            "CREATE ROLE app LOGIN",
            "CREATE ROLE with_password LOGIN PASSWORD {password}",
            "CREATE ROLE cannot_login NOLOGIN",
            "CREATE ROLE limited LOGIN CONNECTION LIMIT 0",
            "CREATE ROLE ssl_only LOGIN",
            "CREATE ROLE not_from_here LOGIN",
            "CREATE DATABASE closed",
            "REVOKE CONNECT ON DATABASE closed FROM PUBLIC",
            "CREATE DATABASE frozen ALLOW_CONNECTIONS false",
            "CREATE DATABASE capped CONNECTION LIMIT 0",
        ]
        with psycopg.connect(server.url(), autocommit=True) as admin:
            for statement in statements:
                admin.execute(sql.SQL(statement).format(password=sql.Literal(PASSWORD)))
        yield server
    finally:
        server.remove()


def url(server: PostgresServer, login: str, database: str = "tasks", query: str = "") -> str:
    return f"postgresql://{login}@127.0.0.1:{server.port}/{database}{query}"


async def readiness_and_log(
    database_url: str, capfd: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, str], str]:
    """The app started on `database_url`: readiness's first verdict after its first
    connection attempt (status, body), and the log up to then."""
    logged = ""
    async with running_app(make_settings(database_url), wait_ready=False) as client:

        async def verdict() -> tuple[int, dict[str, str]] | None:
            nonlocal logged
            logged += capfd.readouterr().err
            response = await client.get("/api/health/ready")
            if "database schema not ready" not in logged:
                return None  # still on the first attempt
            return response.status_code, response.json()

        status, body = await apoll(verdict, within=15, what="a first refused attempt")
    return status, body, logged


CASES: dict[str, tuple[str, str, str, Reason]] = {
    # name: (login, database, query, what readiness says)
    "no such database (POSTGRES_DB changed)": ("postgres", "tasks2", "", diagnosis.NO_DATABASE),
    "no such role (POSTGRES_USER changed)": ("ghost", "tasks", "", diagnosis.NO_ROLE),
    "wrong password": (f"with_password:not-{PASSWORD}", "tasks", "", diagnosis.WRONG_PASSWORD),
    "no password given": ("with_password", "tasks", "", diagnosis.NO_PASSWORD),
    "role may not log in": ("cannot_login", "tasks", "", diagnosis.NO_LOGIN),
    "CONNECT revoked on the database": ("app", "closed", "", diagnosis.NO_CONNECT),
    "database takes no connections": ("app", "frozen", "", diagnosis.NOT_ACCEPTING),
    "role's connection limit reached": ("limited", "tasks", "", diagnosis.TOO_MANY_CONNECTIONS),
    "database's connection limit reached": ("app", "capped", "", diagnosis.TOO_MANY_CONNECTIONS),
    "SSL required, sslmode=disable": (
        "ssl_only",
        "tasks",
        "?sslmode=disable",
        diagnosis.SSL_REQUIRED,
    ),
    "refused by pg_hba.conf": ("not_from_here", "tasks", "", diagnosis.HBA_REFUSED),
    "SSL required by us, not offered": (
        "app",
        "tasks",
        "?sslmode=require",
        diagnosis.SSL_UNSUPPORTED,
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_refused_login_is_named_in_readiness_and_the_log_at_error_level(
    case: str, refusing_server: PostgresServer, capfd: pytest.CaptureFixture[str]
) -> None:
    login, database, query, named = CASES[case]

    status, body, logged = await readiness_and_log(
        url(refusing_server, login, database, query), capfd
    )

    assert status == 503
    assert (body["reason"], body["detail"]) == (named.id, named.sentence)
    refusals = [line for line in logged.splitlines() if "database schema not ready" in line]
    assert refusals
    assert all("error" in line and named.sentence in line for line in refusals)


async def test_a_full_server_is_named_not_reported_as_down(
    refusing_server: PostgresServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """Every connection slot but the superusers' taken: max_connections is reached."""
    held: list[psycopg.Connection[tuple[object, ...]]] = []
    try:
        for _ in range(MAX_CONNECTIONS):
            try:
                held.append(psycopg.connect(url(refusing_server, "app")))
            except psycopg.OperationalError:
                break  # full
        else:
            pytest.fail(f"{MAX_CONNECTIONS} connections and the server is not full")

        status, body, _ = await readiness_and_log(url(refusing_server, "app"), capfd)
    finally:
        for connection in held:
            connection.close()

    assert (status, body["reason"]) == (503, diagnosis.TOO_MANY_CONNECTIONS.id)


async def test_a_password_changed_while_the_backend_runs_is_named_once_it_reconnects(
    refusing_server: PostgresServer,
) -> None:
    """Ready first; then the role's password changes and its sessions end (a database
    restarted with other credentials): readiness names the refusal, not an outage."""
    admin_url = refusing_server.url("tasks")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("CREATE ROLE changes LOGIN SUPERUSER PASSWORD 'before'")
        admin.execute("CREATE DATABASE changing OWNER changes")
    # Before the others: "host all all ... trust" would let any password in.
    refusing_server.set_hba("host all changes 127.0.0.1/32 scram-sha-256\n" + HBA)
    await apoll(
        lambda: refuses(url(refusing_server, "changes:wrong", "changing")),
        within=10,
        what="pg_hba.conf reloaded",
    )
    settings = make_settings(url(refusing_server, "changes:before", "changing"))
    try:
        async with running_app(settings) as client:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute("ALTER ROLE changes PASSWORD 'after'")
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE usename = 'changes'"
                )

            async def refused() -> str | None:
                answer = (await client.get("/api/health/ready")).json()
                return answer.get("reason") if answer["status"] == "unavailable" else None

            reason = await apoll(refused, within=15, what="readiness naming the refusal")
    finally:
        refusing_server.set_hba(HBA)

    assert reason == diagnosis.WRONG_PASSWORD.id


async def refuses(database_url: str) -> bool | None:
    """True once `database_url`'s login is refused; None while it is let in."""
    try:
        connection = await psycopg.AsyncConnection.connect(database_url)
    except psycopg.OperationalError:
        return True
    await connection.close()
    return None


@pytest.mark.parametrize("given_as", ["DATABASE_PASSWORD", "DATABASE_PASSWORD_FILE"])
async def test_any_password_postgresql_accepts_logs_the_backend_in(
    given_as: str,
    refusing_server: PostgresServer,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """As docker compose (the password alone) and Swarm or Kubernetes (a secret's file)
    give it, beside a DATABASE_URL without one."""
    role = f"awkward_{given_as.lower()}"
    with psycopg.connect(refusing_server.url("tasks"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(AWKWARD_PASSWORD)
            )
        )
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(*[sql.Identifier(role)] * 2))
    refusing_server.set_hba(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + HBA)
    await apoll(
        lambda: refuses(url(refusing_server, f"{role}:wrong", role)),
        within=10,
        what="pg_hba.conf reloaded",
    )
    secret = tmp_path / "postgres_password"
    secret.write_text(AWKWARD_PASSWORD + "\n")
    given: dict[str, object] = (
        {"database_password": AWKWARD_PASSWORD}
        if given_as == "DATABASE_PASSWORD"
        else {"database_password_file": secret}
    )
    try:
        async with running_app(make_settings(url(refusing_server, role, role), **given)) as client:
            created = await client.post("/api/tasks", json={"title": "connecté"})
    finally:
        refusing_server.set_hba(HBA)

    assert created.status_code == 201
    logged = capfd.readouterr().err
    assert [piece for piece in pieces() if piece in logged] == []
