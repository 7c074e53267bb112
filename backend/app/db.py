"""The PostgreSQL engine: URL handling, connection pool, and which errors mean 'unavailable'."""

import sqlalchemy.exc
from pydantic import SecretStr
from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.config import Settings

# The async driver SQLAlchemy talks to: psycopg 3 (see the README for why).
DRIVER = "postgresql+psycopg"
_ACCEPTED_SCHEMES = {"postgresql", "postgres", DRIVER}

# Errors that say "the database cannot be reached now", not "this request is wrong".
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    ConnectionError,
    TimeoutError,
)


class DatabaseUrlError(ValueError):
    """DATABASE_URL is not a PostgreSQL URL."""


def sqlalchemy_url(database_url: SecretStr) -> URL:
    """Map the plain postgresql:// URL that compose passes to the async driver's URL."""
    try:
        url = make_url(database_url.get_secret_value())
    except sqlalchemy.exc.ArgumentError:
        raise DatabaseUrlError("DATABASE_URL is not a valid URL") from None
    if url.drivername not in _ACCEPTED_SCHEMES:
        raise DatabaseUrlError(
            f"DATABASE_URL must start with postgresql://, not {url.drivername}://"
        )
    return url.set(drivername=DRIVER)


def is_unavailable(error: BaseException) -> bool:
    """True when `error` means the database is down or unreachable, not a bug."""
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, UNAVAILABLE_ERRORS)


def make_engine(settings: Settings) -> AsyncEngine:
    """An async engine with a bounded pool; connections are checked before use."""
    if settings.database_url is None:
        raise DatabaseUrlError("DATABASE_URL is not set")
    return create_async_engine(
        sqlalchemy_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        # A connection broken by a database restart is replaced, not handed to a request.
        pool_pre_ping=True,
        connect_args={"connect_timeout": settings.db_connect_timeout},
    )
