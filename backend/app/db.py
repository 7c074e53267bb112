"""PostgreSQL connections: DATABASE_URL as libpq reads it, and what a failed connection means.

Imported only when DATABASE_URL is set: the in-memory backend never loads psycopg.
"""

import re

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

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
    """True when `error` means the database is down, unreachable or refuses us, not a bug.

    OperationalError covers refused and broken connections, a server shutting down, a
    login refused (see login_refusal), and the pool's own timeouts; InterfaceError a
    connection already closed.
    """
    cause = _driver_error(error)
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError | OSError)


def _driver_error(error: BaseException) -> BaseException:
    # SQLAlchemy (under Alembic) wraps the driver's errors: look at the driver's.
    return getattr(error, "orig", None) or error


# ---- Login refusals ----------------------------------------------------------------------
# PostgreSQL refuses a login with a FATAL message, which libpq passes on as text: psycopg
# has no SQLSTATE for a connection that failed to open (checked with psycopg 3.3), so the
# server's words are matched. They are PostgreSQL's English ones (the official image's
# lc_messages); a server speaking another language gets the catch-all, with its own
# words in the backend's log. Sources: PostgreSQL's src/backend/utils/init/postinit.c
# and libpq/auth.c, and libpq's fe-connect.c for the client's side.
#
# Each text is what readiness says (GET /api/health/ready, "detail"): it names the
# setting, never a value (readiness is public; the log has the names). scripts/doctor
# recognises each by its opening words and gives the fix for the compose stack.
NO_DATABASE = (
    "the database named in DATABASE_URL does not exist on the server: was POSTGRES_DB "
    "changed after the database volume was created? (make doctor)"
)
NO_ROLE = (
    "the database role (user) named in DATABASE_URL does not exist on the server: was "
    "POSTGRES_USER changed after the database volume was created? (make doctor)"
)
# (S105: messages, not passwords.)
WRONG_PASSWORD = (
    "the database refused the password: was POSTGRES_PASSWORD changed after its volume "  # noqa: S105
    "was created? (make doctor)"
)
NO_PASSWORD = (
    "the database asks for a password and none was given "  # noqa: S105
    "(DATABASE_URL or DATABASE_PASSWORD_FILE)"
)
NO_LOGIN = "the database role (user) may not log in (NOLOGIN): ALTER ROLE ... LOGIN (make doctor)"
NO_CONNECT = (
    "the database role (user) may not connect to the database (no CONNECT privilege): "
    "GRANT CONNECT ON DATABASE ... TO ... (make doctor)"
)
NOT_ACCEPTING = (
    "the database does not accept connections (ALLOW_CONNECTIONS false): "
    "ALTER DATABASE ... ALLOW_CONNECTIONS true (make doctor)"
)
TOO_MANY = (
    "the database has no connection slot left (max_connections, or a CONNECTION LIMIT on "
    "the role or the database) (make doctor)"
)
SSL_REQUIRED = (
    "the database refuses connections without SSL, and DATABASE_URL has sslmode=disable "
    "(make doctor)"
)
SSL_UNSUPPORTED = (
    "DATABASE_URL requires SSL (sslmode), and the database does not offer it (make doctor)"
)
SSL_FAILED = "the SSL connection to the database failed (certificate?): see the backend's log"
HBA_REFUSED = (
    "the database's pg_hba.conf refuses this connection (client address, role, database "
    "or SSL) (make doctor)"
)
REFUSED = "the database refused the login: see the backend's log"

# (pattern in the connection error's text, what it means); the first that matches wins.
_REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r'FATAL:\s+database ".*" does not exist'), NO_DATABASE),
    (re.compile(r'FATAL:\s+role ".*" does not exist'), NO_ROLE),
    (re.compile(r"FATAL:\s+password authentication failed"), WRONG_PASSWORD),
    (re.compile(r"no password supplied"), NO_PASSWORD),
    (re.compile(r'FATAL:\s+role ".*" is not permitted to log in'), NO_LOGIN),
    (re.compile(r'FATAL:\s+permission denied for database ".*"'), NO_CONNECT),
    (re.compile(r'FATAL:\s+database ".*" is not currently accepting connections'), NOT_ACCEPTING),
    (
        re.compile(
            r"FATAL:\s+(sorry, too many clients already|too many connections for"
            r"|remaining connection slots are reserved)"
        ),
        TOO_MANY,
    ),
    (re.compile(r"server does not support SSL, but SSL was required"), SSL_UNSUPPORTED),
    (re.compile(r"SSL error|certificate"), SSL_FAILED),
    (re.compile(r"FATAL:\s+(no pg_hba\.conf entry|pg_hba\.conf rejects)"), HBA_REFUSED),
    (re.compile(r"FATAL:\s+\w+ authentication failed"), HBA_REFUSED),  # ident, peer, ...
]
# Every name readiness may give a refusal.
NAMED_REFUSALS = (*dict.fromkeys(meaning for _, meaning in _REFUSALS), SSL_REQUIRED, REFUSED)
# The server is on its way up or down, or recovering: an outage that passes, no refusal.
_PASSING = re.compile(
    r"FATAL:\s+the database system (is starting up|is shutting down|is in recovery mode"
    r"|is not yet accepting connections|is not accepting connections)"
)


def login_refusal(error: BaseException) -> str | None:
    """What PostgreSQL's refusal of our login means, as readiness says it; None when
    `error` is no refusal (the database does not answer, a bug, ...).

    A refusal is a setting to change (or, for TOO_MANY, a capacity to raise): retrying
    will not make it pass, unlike a database that is still starting."""
    cause = _driver_error(error)
    if not isinstance(cause, psycopg.OperationalError):
        return None
    text = str(cause)
    if _PASSING.search(text):
        return None
    for pattern, meaning in _REFUSALS:
        if pattern.search(text):
            if meaning == HBA_REFUSED and _refused_without_ssl(cause, text):
                return SSL_REQUIRED
            return meaning
    if "FATAL:" in text:
        return REFUSED
    return None


def _refused_without_ssl(error: psycopg.OperationalError, text: str) -> bool:
    """pg_hba.conf refused an unencrypted connection that we asked to be unencrypted
    (sslmode=disable): the usual cause is a server that takes SSL connections only."""
    if "no encryption" not in text or error.pgconn is None:
        return False
    options = {option.keyword: option.val for option in error.pgconn.info}
    return options.get(b"sslmode") == b"disable"


def does_not_resolve(error: BaseException) -> bool:
    """The database's host name has no address (yet): a wrong host, or a database not
    started (Kubernetes gives a headless service's name no address until a pod is ready)."""
    text = str(_driver_error(error))
    return "failed to resolve host" in text or "could not translate host name" in text
