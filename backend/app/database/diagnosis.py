"""What a database failure means, decided once, here: a Reason for each, with a stable id
(readiness's `reason`, the log, scripts/doctor's key), a Kind (how clients are answered,
app/errors.py; how loudly it is logged) and a sentence for readiness and the log.

A sentence names the setting at fault in words true wherever the backend runs (compose,
Swarm, Kubernetes, a laptop), never a value: readiness is public, and the log's line
carries the server's own words beside it (driver_message()).

PostgreSQL refuses a login with a FATAL message that libpq passes on as text: psycopg has
no SQLSTATE for a connection that failed to open (checked with psycopg 3.3), so each
refusal is known by the server's words. They are PostgreSQL's English ones (the official
image's lc_messages); a server speaking another language gets REFUSED, with its own
words in the log. Sources: PostgreSQL's src/backend/utils/init/postinit.c and
libpq/auth.c, and libpq's fe-connect.c for the client's side.
"""

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

import psycopg
from psycopg_pool import PoolTimeout, TooManyRequests


class Kind(StrEnum):
    """What sort of failure a Reason is: how a request meeting it is answered, how loudly
    it is logged, and the `kind` label of tasks_store_errors_total."""

    OUTAGE = "outage"  # the database does not answer, or is restarting: it passes
    REFUSED = "refused"  # it refuses our login: a setting to change
    OVERLOAD = "overload"  # no connection came free in time
    FAULT = "fault"  # the database failed in a way someone must look into


# Logged at WARNING: what passes by itself; ERROR: what someone must fix.
_PASSES = {Kind.OUTAGE, Kind.OVERLOAD}


@dataclass(frozen=True)
class Reason:
    """One cause of failure: `id` stable (clients and scripts key on it), `sentence` for
    readiness and the log, `server` PostgreSQL's words when it refuses a login so."""

    id: str
    kind: Kind
    sentence: str
    server: re.Pattern[str] | None = None

    @property
    def log_level(self) -> int:
        return logging.WARNING if self.kind in _PASSES else logging.ERROR


def _refusal(id: str, sentence: str, server: str | None = None) -> Reason:
    pattern = re.compile(server) if server is not None else None
    return Reason(id, Kind.REFUSED, sentence, pattern)


_NEW_VOLUME = "the official PostgreSQL image sets {} only in a new, empty data volume"

STARTING = Reason("starting", Kind.OUTAGE, "starting: connecting to the database")
DOES_NOT_ANSWER = Reason("does_not_answer", Kind.OUTAGE, "the database does not answer")
DOES_NOT_RESOLVE = Reason(
    "does_not_resolve",
    Kind.OUTAGE,
    "the database's host name does not resolve: is DATABASE_URL's host right, and is the "
    "database running?",
)
# The course's classic: DATABASE_URL's host is localhost in a container, where it is the
# container itself. Said wherever the backend runs: on a laptop, localhost is right and
# the database is simply not running.
LOOPBACK_DOES_NOT_ANSWER = Reason(
    "loopback_does_not_answer",
    Kind.OUTAGE,
    "the database does not answer at DATABASE_URL's host, a loopback address (localhost): "
    "in a container, that is the container itself, not the database's; name the "
    "database's host there (its service's name, such as db)",
)
POOL_EXHAUSTED = Reason(
    "pool_exhausted",
    Kind.OVERLOAD,
    "no database connection came free in time (DB_POOL_TIMEOUT, DB_POOL_MAX_WAITING)",
)
MIGRATIONS_PENDING = Reason(
    "migrations_pending",
    Kind.OUTAGE,
    "waiting for the migrations (MIGRATE_ON_START=false): run python -m app.migrate",
)
SCHEMA_MISSING = Reason(
    "schema_missing",
    Kind.OUTAGE,
    "the database answers without the backend's tables (a new, empty database: its "
    "volume replaced, or another server): preparing the schema again",
)
SCHEMA_FAILED = Reason(
    "schema_failed",
    Kind.FAULT,
    "the schema could not be prepared (a migration failed): see the backend's log",
)

# ---- Login refusals: matched in this order, the first that matches wins ------------------
NO_DATABASE = _refusal(
    "no_database",
    "the database named in DATABASE_URL does not exist on the server ("
    + _NEW_VOLUME.format("POSTGRES_DB")
    + ")",
    r'FATAL:\s+database ".*" does not exist',
)
NO_ROLE = _refusal(
    "no_role",
    "the role (user) named in DATABASE_URL does not exist on the server ("
    + _NEW_VOLUME.format("POSTGRES_USER")
    + ")",
    r'FATAL:\s+role ".*" does not exist',
)
WRONG_PASSWORD = _refusal(
    "wrong_password",
    "the database refused the password (" + _NEW_VOLUME.format("POSTGRES_PASSWORD") + ")",
    r"FATAL:\s+password authentication failed",
)
NO_PASSWORD = _refusal(
    "no_password",
    "the database asks for a password and none was given (DATABASE_PASSWORD, "
    "DATABASE_PASSWORD_FILE or DATABASE_URL)",
    r"no password supplied",
)
NO_LOGIN = _refusal(
    "no_login",
    "the role (user) named in DATABASE_URL may not log in (NOLOGIN): a superuser can run "
    "ALTER ROLE ... LOGIN",
    r'FATAL:\s+role ".*" is not permitted to log in',
)
NO_CONNECT = _refusal(
    "no_connect",
    "the role (user) named in DATABASE_URL may not connect to its database (no CONNECT "
    "privilege): a superuser can run GRANT CONNECT ON DATABASE ... TO ...",
    r'FATAL:\s+permission denied for database ".*"',
)
NOT_ACCEPTING = _refusal(
    "not_accepting",
    "the database named in DATABASE_URL accepts no connections (ALLOW_CONNECTIONS false): "
    "a superuser can run ALTER DATABASE ... ALLOW_CONNECTIONS true",
    r'FATAL:\s+database ".*" is not currently accepting connections',
)
TOO_MANY_CONNECTIONS = _refusal(
    "too_many_connections",
    "the database has no connection slot left (max_connections, or a CONNECTION LIMIT on "
    "the role or the database): each backend replica holds up to DB_POOL_SIZE + "
    "DB_MAX_OVERFLOW + 1 connections",
    r"FATAL:\s+(sorry, too many clients already|too many connections for"
    r"|remaining connection slots are reserved)",
)
SSL_UNSUPPORTED = _refusal(
    "ssl_unsupported",
    "DATABASE_URL requires SSL (sslmode), and the database does not offer it",
    r"server does not support SSL, but SSL was required",
)
SSL_FAILED = _refusal(
    "ssl_failed",
    "the SSL connection to the database failed (its certificate?): see the backend's log",
    r"SSL error|certificate",
)
HBA_REFUSED = _refusal(
    "hba_refused",
    "the database's pg_hba.conf refuses this connection (the client's address, the role, "
    "the database or SSL)",
    # The second form: ident, peer, ... authentication.
    r"FATAL:\s+(no pg_hba\.conf entry|pg_hba\.conf rejects|\w+ authentication failed)",
)
# Found when pg_hba.conf refuses an unencrypted connection we asked to be unencrypted.
SSL_REQUIRED = _refusal(
    "ssl_required",
    "the database takes SSL connections only, and DATABASE_URL says sslmode=disable",
)
# Any other FATAL at login.
REFUSED = _refusal("refused", "the database refused the login: see the backend's log")

REFUSALS = (
    NO_DATABASE,
    NO_ROLE,
    WRONG_PASSWORD,
    NO_PASSWORD,
    NO_LOGIN,
    NO_CONNECT,
    NOT_ACCEPTING,
    TOO_MANY_CONNECTIONS,
    SSL_UNSUPPORTED,
    SSL_FAILED,
    HBA_REFUSED,
    SSL_REQUIRED,
    REFUSED,
)
# The server is on its way up or down, or recovering: an outage that passes, no refusal.
_PASSING = re.compile(
    r"FATAL:\s+the database system (is starting up|is shutting down|is in recovery mode"
    r"|is not yet accepting connections|is not accepting connections)"
)


def driver_error(error: BaseException) -> BaseException:
    """The driver's error: SQLAlchemy (under Alembic) and the store wrap it."""
    return getattr(error, "orig", None) or error


def diagnose(error: BaseException) -> Reason | None:
    """What `error` means, or None when it is no database condition (a bug: let it be a
    500). An error may carry its own Reason (its `reason` attribute)."""
    own = getattr(error, "reason", None)
    if isinstance(own, Reason):
        return own
    if isinstance(error, PoolTimeout | TooManyRequests):
        return POOL_EXHAUSTED
    cause = driver_error(error)
    if isinstance(cause, psycopg.errors.UndefinedTable):
        return SCHEMA_MISSING
    if isinstance(cause, psycopg.OperationalError):
        return _refusal_of(cause) or _unreachable(cause)
    if isinstance(cause, psycopg.InterfaceError | OSError):
        return DOES_NOT_ANSWER
    return None


def _refusal_of(error: psycopg.OperationalError) -> Reason | None:
    text = str(error)
    if _PASSING.search(text):
        return None
    for reason in REFUSALS:
        if reason.server is not None and reason.server.search(text):
            if reason is HBA_REFUSED and _refused_without_ssl(error, text):
                return SSL_REQUIRED
            return reason
    return REFUSED if "FATAL:" in text else None


def _refused_without_ssl(error: psycopg.OperationalError, text: str) -> bool:
    """pg_hba.conf refused an unencrypted connection that we asked to be unencrypted
    (sslmode=disable): the usual cause is a server that takes SSL connections only."""
    if "no encryption" not in text or error.pgconn is None:
        return False
    options = {option.keyword: option.val for option in error.pgconn.info}
    return options.get(b"sslmode") == b"disable"


# libpq's words for a TCP connection that failed (fe-connect.c): connection to server at
# "HOST" (ADDRESS), port PORT failed; or at "ADDRESS" alone, as psycopg resolves the host
# name itself and hands libpq the address.
_LOOPBACK_SERVER = re.compile(
    r'server at "(?:localhost|127\.[\d.]+|::1)"|server at "[^"]*" \((?:127\.[\d.]+|::1)\)'
)


def _unreachable(error: BaseException) -> Reason:
    """The database's host name has no address (yet): a wrong host, or a database not
    started (Kubernetes gives a headless service's name no address until a pod is
    ready); else it does not answer, at a loopback address (localhost) or another."""
    text = str(error)
    if "failed to resolve host" in text or "could not translate host name" in text:
        return DOES_NOT_RESOLVE
    if _LOOPBACK_SERVER.search(text):
        return LOOPBACK_DOES_NOT_ANSWER
    return DOES_NOT_ANSWER


def driver_message(error: BaseException) -> str:
    """The driver's own words for the log: its error's type, SQLSTATE and message (the
    server's, for an error it sent). Never a password: a checked DATABASE_URL
    (connection.py) puts no piece of one where libpq would quote it."""
    cause = driver_error(error.__cause__ if error.__cause__ is not None else error)
    sqlstate = getattr(cause, "sqlstate", None)
    code = f" {sqlstate}" if sqlstate else ""
    text = " ".join(str(cause).split()) or "(no message)"
    return f"{type(cause).__name__}{code}: {text}"
