"""PostgreSQL connections: DATABASE_URL as libpq reads it, and the settings every session
the backend opens gets.

Imported only when DATABASE_URL is set: the in-memory backend never loads psycopg.
"""

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from app.config import Settings

# What DATABASE_URL may start with: libpq's own schemes, and SQLAlchemy's name for psycopg.
_ACCEPTED_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
# Said instead of any part of the URL: the part at fault may be the password.
_ENCODING_HINT = (
    "percent-encode @ / % and spaces in its user name and password (quote() in Python), "
    "or give the password in DATABASE_PASSWORD_FILE"
)


class DatabaseUrlError(ValueError):
    """DATABASE_URL is not a PostgreSQL URL. The message never quotes the URL."""


def _split(database_url: SecretStr) -> tuple[str, str]:
    scheme, separator, rest = database_url.get_secret_value().partition("://")
    if not separator:
        raise DatabaseUrlError("DATABASE_URL is not a valid URL: it must start with postgresql://")
    if scheme not in _ACCEPTED_SCHEMES:
        # The scheme is not quoted either: "user:pa://ss@db" would make it a piece of one.
        raise DatabaseUrlError("DATABASE_URL must start with postgresql:// (or postgres://)")
    # libpq ends the user name and password at the first "@" (or "/"): a second "@", or
    # one after a "/", means a password written as it is, whose rest would be read as the
    # host or the database, and shown in errors as such.
    at = rest.find("@")
    if rest.count("@") > 1 or "/" in rest[: max(at, 0)]:
        raise DatabaseUrlError(f"DATABASE_URL is not a valid PostgreSQL URL: {_ENCODING_HINT}")
    return scheme, rest


def conninfo(database_url: SecretStr) -> str:
    """The URL for libpq (psycopg): the plain postgresql:// form, checked.

    Raises DatabaseUrlError, whose message quotes no part of the URL."""
    url = "postgresql://" + _split(database_url)[1]
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # libpq's own message quotes the piece it could not read: dropped (from None).
        raise DatabaseUrlError(
            f"DATABASE_URL is not a valid PostgreSQL URL: {_ENCODING_HINT}"
        ) from None
    return url


def sqlalchemy_url(database_url: SecretStr) -> str:
    """The same URL for SQLAlchemy, which Alembic runs on: the psycopg 3 driver named.

    Checked as conninfo() checks it: raises DatabaseUrlError, quoting no part of it."""
    return "postgresql+psycopg://" + conninfo(database_url).removeprefix("postgresql://")


# Set on every session the backend opens (through libpq's `options`), so that a session
# whose client vanished without a word (a machine that lost power, a network cut) does
# not keep its locks until TCP gives up, hours later: an Idempotency-Key's lock held by a
# create that died halfway answers 409 to every retry meanwhile, and the migration lock
# held by a replica that died stops every other from starting.
SESSION_SETTINGS = {
    # A transaction left idle this long is ended and its locks freed. The backend's own
    # transactions wait for nothing between their statements but the network (ms). Well
    # under a client's patience (5 s for the load tests' clients): a create cut off
    # halfway also holds the tasks' totals row, which every other write needs.
    "idle_in_transaction_session_timeout": "2s",
    # A silent client is probed after 10 s, then every 5 s; after 3 unanswered probes the
    # session ends (about 25 s), session locks with it.
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


def _milliseconds(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


def session_settings(settings: Settings) -> dict[str, str]:
    """Every session's settings: SESSION_SETTINGS, and the waits the backend bounds.

    statement_timeout (DB_STATEMENT_TIMEOUT) ends any one statement, its lock waits
    included; lock_timeout (DB_LOCK_TIMEOUT) ends a wait for a lock sooner: a table locked
    by a migration or VACUUM FULL, a row by another transaction. Both are the server's
    own bounds: they hold even when the backend has gone. The migrations' session sets
    its own (app/database/migrations.py)."""
    return {
        **SESSION_SETTINGS,
        "statement_timeout": _milliseconds(settings.db_statement_timeout),
        "lock_timeout": _milliseconds(settings.db_lock_timeout),
    }


def session_options(settings: Settings, **overrides: str) -> str:
    """libpq's `options` for the backend's sessions: session_settings(), then
    `overrides`, then any the URL gives (`?options=-c ...`), which win: a later -c
    overrides an earlier one."""
    assert settings.database_url is not None
    given = conninfo_to_dict(conninfo(settings.database_url)).get("options") or ""
    ours = {**session_settings(settings), **overrides}
    options = " ".join(f"-c {name}={value}" for name, value in ours.items())
    return f"{options} {given}".strip()
