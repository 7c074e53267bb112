"""The connection budget (docs/scale-out.md, "How many database connections"): the
backends a platform runs at once, during a rolling update too, times the most one holds,
plus the operations' reserve, must fit in what PostgreSQL lets ordinary roles open.

One backend holds at most DB_POOL_SIZE + DB_MAX_OVERFLOW pooled connections, plus one:
its readiness watcher's own (at start-up, its migration's)."""

from collections.abc import Mapping

from app.config import Settings

# PostgreSQL's defaults (postgresql.conf): max_connections, and the slots only
# superusers may take.
MAX_CONNECTIONS = 100
SUPERUSER_RESERVED = 3
# Kept for the operations, never for the backends: a backup's pg_dump, the postgres
# exporter, the volume's and an operator's psql, a one-shot `python -m app.migrate`.
OPERATIONS_RESERVE = 10


def per_backend(env: Mapping[str, str]) -> int:
    """The most connections one backend holds, with `env`'s settings (else the defaults)."""
    fields = Settings.model_fields
    pool = int(env.get("DB_POOL_SIZE", fields["db_pool_size"].default))
    overflow = int(env.get("DB_MAX_OVERFLOW", fields["db_max_overflow"].default))
    return pool + overflow + 1


def needed(backends: int, env: Mapping[str, str]) -> int:
    """Connections `backends` at once may hold, the operations' reserve included."""
    return backends * per_backend(env) + OPERATIONS_RESERVE


def available(max_connections: int = MAX_CONNECTIONS) -> int:
    return max_connections - SUPERUSER_RESERVED
