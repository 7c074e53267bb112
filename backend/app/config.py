"""Every setting of the backend, read once from environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of the backend; `.env.example` documents each variable."""

    # An empty variable counts as unset: DATABASE_URL= runs the backend in memory. A
    # validation error never quotes the input: it could be DATABASE_URL, password and all.
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    # Unset: tasks live in memory. Set (postgresql://user:pass@host:5432/db): PostgreSQL.
    # A SecretStr so that the password never shows in a log line or a repr.
    database_url: SecretStr | None = None
    # A file holding the database password (a Docker or Kubernetes secret, mounted at
    # /run/secrets/...): it goes into DATABASE_URL in place of any password there, so that
    # no environment variable carries it.
    database_password_file: Path | None = None
    # Or the password itself, as it is (docker compose passes POSTGRES_PASSWORD so): it
    # goes into DATABASE_URL percent-encoded. Either way, any password works, whatever
    # characters it holds (@ / # % : ? & = + spaces, quotes, non-ASCII).
    database_password: SecretStr | None = None
    # Apply pending Alembic migrations at start-up (under an advisory lock).
    # Turn off when a one-shot `python -m app.migrate` step does it instead.
    migrate_on_start: bool = True
    # The connection pool, per backend replica (per uvicorn worker): DB_POOL_SIZE
    # connections kept open, DB_MAX_OVERFLOW more opened under load. The replica's
    # readiness check holds one more, of its own. Every replica at once (a rolling update's
    # extra ones too) x (DB_POOL_SIZE + DB_MAX_OVERFLOW + 1), with a reserve for backups,
    # exporters and operators, must fit in PostgreSQL's max_connections less its superuser
    # slots: the connection budget (docs/scale-out.md; e2e tests check every platform's).
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    # Every wait for the database is bounded, below a proxy's timeout (nginx: 30 s), so
    # that a client gets the backend's JSON 503 with Retry-After, never a proxy's 504 while
    # its request still holds a connection. In seconds:
    # - all of a request's database work (waiting for a connection, then its statements);
    #   keep it below your proxy's timeout.
    db_request_timeout: float = Field(default=20.0, gt=0)
    # - waiting in line for a pooled connection ("busy");
    db_pool_timeout: float = Field(default=10.0, gt=0)
    # - any one statement, its lock waits included: PostgreSQL's statement_timeout;
    db_statement_timeout: float = Field(default=15.0, gt=0)
    # - waiting for a lock (a table locked by a migration, VACUUM FULL or an operator, a
    #   row by another transaction): PostgreSQL's lock_timeout ("locked").
    db_lock_timeout: float = Field(default=3.0, gt=0)
    # How many requests may wait for a pooled connection; one more gets a 503 at once.
    db_pool_max_waiting: int = Field(default=2048, ge=1)
    db_connect_timeout: int = Field(default=5, ge=1)
    # Upper bound of the exponential backoff between connection attempts at start-up.
    db_retry_max_backoff: float = Field(default=10.0, gt=0)
    # Seconds a PostgreSQL backend may take to become ready at start-up before it gives up
    # and exits (non-zero), for compose, Swarm or Kubernetes to restart it; 0: wait forever.
    startup_timeout: float = Field(default=300.0, ge=0)
    # Seconds between two checks that the database answers (what readiness reports).
    db_check_interval: float = Field(default=2.0, gt=0)

    # How long a POST's Idempotency-Key is remembered (seconds), and how many keys at most.
    idempotency_key_ttl: float = Field(default=86_400.0, gt=0)
    idempotency_max_keys: int = Field(default=100_000, ge=1)
    # Seconds between two clean-ups of old keys in PostgreSQL.
    idempotency_cleanup_interval: float = Field(default=60.0, gt=0)

    # The in-memory store's cap, far under the container's memory limit (about 250 bytes
    # a task): one more gets a 507, never an out-of-memory kill.
    memory_max_tasks: int = Field(default=100_000, ge=2)

    # GET /metrics for Prometheus, and the per-request counting behind it.
    metrics_enabled: bool = True
    # With several uvicorn workers: an empty directory where each writes its figures, for
    # any scrape to add them up (prometheus-client's multiprocess mode, which the library
    # itself also turns on from this variable).
    prometheus_multiproc_dir: Path | None = None
    # What the running code was built from, for tasks_build_info (the image sets both).
    app_version: str = "dev"
    app_revision: str = "unknown"

    # X-Served-By: <hostname> on every response, to see which replica answered behind a
    # load balancer. Off by default: it tells clients the names of internal hosts.
    served_by_header: bool = False

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # auto: readable on a terminal, one JSON object a line otherwise (containers).
    log_format: Literal["auto", "json", "console"] = "auto"

    @model_validator(mode="after")
    def _password_into_url(self) -> Self:
        if self.database_password_file is not None and self.database_password is not None:
            raise ValueError("set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE, not both")
        if self.database_url is None:
            return self
        if self.database_password_file is not None:
            try:
                password = self.database_password_file.read_text().rstrip("\r\n")
            except OSError as error:
                raise ValueError(f"DATABASE_PASSWORD_FILE cannot be read: {error}") from None
        elif self.database_password is not None:
            password = self.database_password.get_secret_value()
        else:
            return self
        url = urlsplit(self.database_url.get_secret_value())
        if not url.username:
            raise ValueError("DATABASE_URL needs a user name to go with DATABASE_PASSWORD(_FILE)")
        host = url.netloc.rpartition("@")[2]
        user = url.netloc.rpartition("@")[0].partition(":")[0]  # as written (percent-encoded)
        netloc = f"{user}:{quote(password, safe='')}@{host}"
        self.database_url = SecretStr(urlunsplit(url._replace(netloc=netloc)))
        return self


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use."""
    return Settings()
