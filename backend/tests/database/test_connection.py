"""DATABASE_URL handling: the forms compose and users pass, and the secret stays secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr, ValidationError

from app.config import Settings
from app.database.connection import DatabaseUrlError, conninfo, session_options, sqlalchemy_url
from harness.app import make_settings
from harness.network import free_port
from harness.servers import BACKEND_DIR


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:pass@db:5432/tasks",
        "postgres://user:pass@db:5432/tasks",
        "postgresql+psycopg://user:pass@db:5432/tasks",
    ],
)
def test_plain_and_sqlalchemy_postgresql_urls_are_accepted(url: str) -> None:
    for_libpq = conninfo_to_dict(conninfo(SecretStr(url)))
    for_alembic = sqlalchemy_url(SecretStr(url))

    assert for_libpq == {
        "user": "user",
        "password": "pass",
        "host": "db",
        "port": "5432",
        "dbname": "tasks",
    }
    assert for_alembic == "postgresql+psycopg://user:pass@db:5432/tasks"


@pytest.mark.parametrize(
    "url", ["mysql://u:p@db/tasks", "not a url", "sqlite:///tasks.db", "postgresql://db?x=%%"]
)
def test_other_urls_are_refused_with_a_clear_error(url: str) -> None:
    with pytest.raises(DatabaseUrlError, match="DATABASE_URL"):
        conninfo(SecretStr(url))


def test_password_does_not_show_in_settings() -> None:
    settings = Settings(database_url=SecretStr("postgresql://user:s3cr3t@db/tasks"))

    assert settings.database_url is not None
    assert "s3cr3t" not in repr(settings)
    assert "s3cr3t" not in str(settings.database_url)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/tasks")
    monkeypatch.setenv("MIGRATE_ON_START", "false")

    settings = Settings()

    assert settings.database_url is not None
    assert settings.migrate_on_start is False


def test_an_empty_database_url_means_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")

    assert Settings().database_url is None


@pytest.mark.parametrize(
    "url",
    ["postgresql://tasks@db:5432/tasks", "postgresql://tasks:old@db:5432/tasks?sslmode=disable"],
)
def test_the_password_file_supplies_the_password(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "postgres_password"
    awkward = "p@ss:w/rd?#%"  # every character a URL gives a meaning to
    secret.write_text(awkward + "\n")  # as `echo` writes it: the newline is not part of it
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(secret))

    settings = Settings()

    assert settings.database_url is not None
    parts = conninfo_to_dict(conninfo(settings.database_url))
    assert parts["password"] == awkward
    assert (parts["user"], parts["host"], parts["port"], parts["dbname"]) == (
        "tasks",
        "db",
        "5432",
        "tasks",
    )
    assert "p@ss" not in repr(settings)


def test_an_unreadable_password_file_stops_the_start_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://tasks@db/tasks")
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(tmp_path / "missing"))

    with pytest.raises(ValidationError, match="DATABASE_PASSWORD_FILE cannot be read"):
        Settings()


# Every character a URL gives a meaning to, and some it does not allow as they are.
URL_DELIMITERS = ["@", "/", "#", "%", ":", "?", "&", "=", "+", " ", "'", '"', "\\", "é", "@/"]
# Pieces no error message would hold by chance: any of them in one means a leak.
BEFORE, AFTER = "Kq7vLeft", "Zr4wRight"


def url_with(password: str, *, scheme: str = "postgresql", rest: str = "@db:5432/tasks") -> str:
    """A URL with `password` written into it as it is (built in pieces, so that the secret
    scan, which looks for user:password@ in files, is not fooled by the tests' own)."""
    return scheme + "://tasks:" + password + rest


@pytest.mark.parametrize("delimiter", URL_DELIMITERS)
def test_a_password_written_unencoded_is_read_whole_or_refused_without_a_piece_of_it(
    delimiter: str,
) -> None:
    """libpq reads some characters in a password as they are (? # : & = + ' " \\ é); the
    others (@ / % space) would cut it, and the rest would be read as the host or the
    database and quoted by the next error: those URLs are refused, and the refusal
    quotes nothing of them."""
    password = f"{BEFORE}{delimiter}{AFTER}"
    url = SecretStr(url_with(password))

    try:
        parts = conninfo_to_dict(conninfo(url))
    except DatabaseUrlError as error:
        message = str(error)
        assert BEFORE not in message
        assert AFTER not in message
        assert "percent-encode" in message
        with pytest.raises(DatabaseUrlError):
            sqlalchemy_url(url)
        return
    assert parts == {
        "user": "tasks",
        "password": password,
        "host": "db",
        "port": "5432",
        "dbname": "tasks",
    }


@pytest.mark.parametrize(
    "url",
    [
        BEFORE + ":" + AFTER + "@db:5432/tasks",
        "user:" + BEFORE + "://" + AFTER + "@db/tasks",
        url_with(BEFORE + "@" + AFTER, scheme="mysql"),
    ],
    ids=["no scheme", "a password that looks like a scheme", "another scheme"],
)
def test_a_refused_url_is_never_quoted(url: str) -> None:
    with pytest.raises(DatabaseUrlError) as refused:
        conninfo(SecretStr(url))

    assert BEFORE not in str(refused.value)
    assert AFTER not in str(refused.value)


def test_a_settings_error_never_quotes_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url_with(BEFORE, rest="@" + AFTER))
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", "/nonexistent/postgres_password")

    with pytest.raises(ValidationError) as refused:
        Settings()

    assert BEFORE not in str(refused.value)
    assert AFTER not in str(refused.value)


def test_the_backend_started_on_a_malformed_url_says_so_and_quotes_none_of_it() -> None:
    """The real process, as a container starts it: it stops with a clear error."""
    env = {**os.environ, "DATABASE_URL": url_with(BEFORE + "@/#" + AFTER)}
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "main:app", "--port", str(free_port())],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "DATABASE_URL is not a valid PostgreSQL URL" in output
    assert BEFORE not in output
    assert AFTER not in output


def test_session_settings_come_first_so_the_urls_own_options_win() -> None:
    own = session_options(make_settings("postgresql://u:p@db/tasks", db_lock_timeout=2.5))
    with_url_options = session_options(
        make_settings("postgresql://u:p@db/tasks?options=-c%20tcp_keepalives_idle%3D60")
    )
    for_migrations = session_options(
        make_settings("postgresql://u:p@db/tasks"), statement_timeout="0"
    )

    assert own == (
        "-c idle_in_transaction_session_timeout=2s -c tcp_keepalives_idle=10"
        " -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
        " -c statement_timeout=15000ms -c lock_timeout=2500ms"
    )
    assert with_url_options.endswith("-c lock_timeout=3000ms -c tcp_keepalives_idle=60")
    assert "-c statement_timeout=0 " in for_migrations
