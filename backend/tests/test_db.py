"""DATABASE_URL handling: the forms compose and users pass, and the secret stays secret."""

from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr, ValidationError

from app.config import Settings
from app.db import DatabaseUrlError, conninfo, session_options, sqlalchemy_url


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


def test_session_settings_come_first_so_the_urls_own_options_win() -> None:
    own = session_options(SecretStr("postgresql://u:p@db/tasks"))
    with_url_options = session_options(
        SecretStr("postgresql://u:p@db/tasks?options=-c%20tcp_keepalives_idle%3D60")
    )

    assert own == (
        "-c idle_in_transaction_session_timeout=5s -c tcp_keepalives_idle=10"
        " -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
    )
    assert with_url_options == f"{own} -c tcp_keepalives_idle=60"
