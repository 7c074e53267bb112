"""Every setting of the backend, read once from environment variables."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of the backend; `.env.example` documents each variable."""

    # An empty variable counts as unset: DATABASE_URL= runs the backend in memory.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_ignore_empty=True)

    # Unset: tasks live in memory. Set (postgresql://user:pass@host:5432/db): PostgreSQL.
    # A SecretStr so that the password never shows in a log line or a repr.
    database_url: SecretStr | None = None
    # Apply pending Alembic migrations at start-up (under an advisory lock).
    # Turn off when a one-shot `python -m app.migrate` step does it instead.
    migrate_on_start: bool = True
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    # Seconds a request waits for a pooled connection, or for a new one, before a 503.
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_connect_timeout: int = Field(default=5, ge=1)
    # Upper bound of the exponential backoff between connection attempts at start-up.
    db_retry_max_backoff: float = Field(default=10.0, gt=0)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # auto: readable on a terminal, one JSON object a line otherwise (containers).
    log_format: Literal["auto", "json", "console"] = "auto"


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use."""
    return Settings()
