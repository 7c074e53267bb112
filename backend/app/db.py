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


def is_unavailable(error: BaseException) -> bool:
    """True when `error` means the database is down or unreachable, not a bug.

    OperationalError covers refused and broken connections, a server shutting down, and
    the pool's own timeouts; InterfaceError a connection already closed.
    """
    # SQLAlchemy (under Alembic) wraps the driver's errors: look at the driver's.
    cause = getattr(error, "orig", None) or error
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError | OSError)
