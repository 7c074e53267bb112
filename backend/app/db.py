"""PostgreSQL connections: DATABASE_URL as libpq reads it, and which errors mean 'unavailable'.

Imported only when DATABASE_URL is set: the in-memory backend never loads psycopg.
"""

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

# What DATABASE_URL may start with: libpq's own schemes, and SQLAlchemy's name for psycopg.
_ACCEPTED_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


class DatabaseUrlError(ValueError):
    """DATABASE_URL is not a PostgreSQL URL."""


def _split(database_url: SecretStr) -> tuple[str, str]:
    scheme, separator, rest = database_url.get_secret_value().partition("://")
    if not separator:
        raise DatabaseUrlError("DATABASE_URL is not a valid URL")
    if scheme not in _ACCEPTED_SCHEMES:
        raise DatabaseUrlError(f"DATABASE_URL must start with postgresql://, not {scheme}://")
    return scheme, rest


def conninfo(database_url: SecretStr) -> str:
    """The URL for libpq (psycopg): the plain postgresql:// form, checked."""
    url = "postgresql://" + _split(database_url)[1]
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise DatabaseUrlError("DATABASE_URL is not a valid PostgreSQL URL") from None
    return url


def sqlalchemy_url(database_url: SecretStr) -> str:
    """The same URL for SQLAlchemy, which Alembic runs on: the psycopg 3 driver named."""
    return "postgresql+psycopg://" + _split(database_url)[1]


# Set on every session the backend opens (through libpq's `options`), so that a session
# whose client vanished without a word (a machine that lost power, a network cut) does
# not keep its locks until TCP gives up, hours later: an Idempotency-Key's lock held by a
# create that died halfway answers 409 to every retry meanwhile, and the migration lock
# held by a replica that died stops every other from starting.
SESSION_SETTINGS = {
    # A transaction left idle this long is ended and its locks freed. The backend's own
    # transactions wait for nothing between their statements but the network (ms).
    "idle_in_transaction_session_timeout": "5s",
    # A silent client is probed after 10 s, then every 5 s; after 3 unanswered probes the
    # session ends (about 25 s), session locks with it.
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


def session_options(database_url: SecretStr) -> str:
    """libpq's `options` for the backend's connections: SESSION_SETTINGS, then any the
    URL gives (`?options=-c ...`), which win: a later -c overrides an earlier one."""
    given = conninfo_to_dict(conninfo(database_url)).get("options") or ""
    ours = " ".join(f"-c {name}={value}" for name, value in SESSION_SETTINGS.items())
    return f"{ours} {given}".strip()


def is_unavailable(error: BaseException) -> bool:
    """True when `error` means the database is down or unreachable, not a bug.

    OperationalError covers refused and broken connections, a server shutting down, and
    the pool's own timeouts; InterfaceError a connection already closed.
    """
    # SQLAlchemy (under Alembic) wraps the driver's errors: look at the driver's.
    cause = getattr(error, "orig", None) or error
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError | OSError)
