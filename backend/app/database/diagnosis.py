"""What a database failure means, decided once, here: a Reason for each, with a stable id
(readiness's `reason`, the log, scripts/doctor's key), a kind of Failure (how clients are
answered, app/errors.py; how loudly it is logged) and a sentence for readiness and the log.

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

import psycopg
from psycopg_pool import PoolTimeout, TooManyRequests

from app.store.base import NO_ID_LEFT, Failure


@dataclass(frozen=True)
class Reason:
    """One cause of failure: `id` stable (clients and scripts key on it), `sentence` for
    readiness and the log, `server` PostgreSQL's words when it refuses a login so."""

    id: str
    kind: Failure
    sentence: str
    server: re.Pattern[str] | None = None

    @property
    def log_level(self) -> int:
        return logging.WARNING if self.kind.passes else logging.ERROR


def _refusal(id: str, sentence: str, server: str | None = None) -> Reason:
    pattern = re.compile(server) if server is not None else None
    return Reason(id, Failure.REFUSED, sentence, pattern)


_NEW_VOLUME = "the official PostgreSQL image sets {} only in a new, empty data volume"

STARTING = Reason("starting", Failure.OUTAGE, "starting: connecting to the database")
DOES_NOT_ANSWER = Reason("does_not_answer", Failure.OUTAGE, "the database does not answer")
DOES_NOT_RESOLVE = Reason(
    "does_not_resolve",
    Failure.OUTAGE,
    "the database's host name does not resolve: is the database running (a stopped "
    "container's or service's name resolves to nothing), and is DATABASE_URL's host right?",
)
# The course's classic: DATABASE_URL's host is localhost in a container, where it is the
# container itself. Said wherever the backend runs: on a laptop, localhost is right and
# the database is simply not running.
LOOPBACK_DOES_NOT_ANSWER = Reason(
    "loopback_does_not_answer",
    Failure.OUTAGE,
    "the database does not answer at DATABASE_URL's host, a loopback address (localhost): "
    "in a container, that is the container itself, not the database's; name the "
    "database's host there (its service's name, such as db)",
)
POOL_EXHAUSTED = Reason(
    "pool_exhausted",
    Failure.OVERLOAD,
    "no database connection came free in time (DB_POOL_TIMEOUT, DB_POOL_MAX_WAITING)",
)
MIGRATIONS_PENDING = Reason(
    "migrations_pending",
    Failure.OUTAGE,
    "waiting for the migrations (MIGRATE_ON_START=false): run python -m app.migrate",
)
SCHEMA_MISSING = Reason(
    "schema_missing",
    Failure.OUTAGE,
    "the database answers without the backend's tables (a new, empty database: its "
    "volume replaced, or another server): preparing the schema again",
)
SCHEMA_FAILED = Reason(
    "schema_failed",
    Failure.FAULT,
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
# ---- Failures of an open session: the server's SQLSTATE ----------------------------------
READ_ONLY = Reason(
    "read_only",
    Failure.READ_ONLY,
    "the database accepts reads only (a standby, or default_transaction_read_only on): "
    "writes get 503 until it takes them again",
)
CONNECTION_LOST = Reason(
    "connection_lost", Failure.OUTAGE, "the connection to the database broke off"
)
RESTARTING = Reason(
    "restarting",
    Failure.OUTAGE,
    "the database is shutting down, restarting or recovering, or ended the session",
)
LOCKED = Reason(
    "locked",
    Failure.TIMEOUT,
    "the data is locked (a migration, VACUUM FULL, maintenance or a long transaction) "
    "for longer than DB_LOCK_TIMEOUT",
)
TOO_SLOW = Reason(
    "too_slow",
    Failure.TIMEOUT,
    "a statement ran longer than DB_STATEMENT_TIMEOUT, or the request's database work "
    "longer than DB_REQUEST_TIMEOUT",
)
CONFLICT = Reason(
    "conflict",
    Failure.CONTENTION,
    "the transaction collided with another one (serialization failure or deadlock)",
)
OUT_OF_RESOURCES = Reason(
    "out_of_resources",
    Failure.OVERLOAD,
    "the database ran out of memory, or of another resource it is configured to bound",
)
DISK_FULL = Reason(
    "disk_full",
    Failure.FULL,
    "The database's disk is full: no task can be created or changed until space is "
    "freed on its volume.",
)
IDS_EXHAUSTED = Reason("ids_exhausted", Failure.FULL, NO_ID_LEFT)
ID_SEQUENCE_BEHIND = Reason(
    "id_sequence_behind",
    Failure.FAULT,
    "the tasks' id sequence is behind the table's largest id (a restore that skipped "
    "it?): SELECT setval(pg_get_serial_sequence('tasks', 'id'), (SELECT max(id) FROM "
    "tasks))",
)
NO_PRIVILEGE = Reason(
    "no_privilege",
    Failure.FAULT,
    "the role (user) named in DATABASE_URL lacks a privilege the backend needs (on the "
    "tasks' tables, or CREATE on the schema for the migrations)",
)
SERVER_FAULT = Reason(
    "server_fault",
    Failure.FAULT,
    "the database reports a failure of its own (an I/O error, corrupted data, an "
    "internal error, a limit of its program): its log says more",
)
DATABASE_ERROR = Reason(
    "database_error", Failure.FAULT, "the database refused a statement: see the backend's log"
)

# Each SQLSTATE the backend tells apart, by code, then by class (its first two
# characters); any other code is DATABASE_ERROR: a fault, never a 500, since the request
# was well formed. Source: PostgreSQL's Appendix A, "PostgreSQL Error Codes".
_BY_CODE = {
    "25006": READ_ONLY,  # read_only_sql_transaction
    "25P03": RESTARTING,  # idle_in_transaction_session_timeout: the session was ended
    "53100": DISK_FULL,
    "53300": TOO_MANY_CONNECTIONS,
    "55P03": LOCKED,  # lock_not_available: lock_timeout
    "55006": LOCKED,  # object_in_use
    "57014": TOO_SLOW,  # query_canceled: statement_timeout
    "57P04": SERVER_FAULT,  # database_dropped
    "2200H": IDS_EXHAUSTED,  # sequence_generator_limit_exceeded
    "42501": NO_PRIVILEGE,
    "42P01": SCHEMA_MISSING,  # undefined_table: a new, empty database (or one emptied)
}
_BY_CLASS = {
    "08": CONNECTION_LOST,  # connection exception
    "25": SERVER_FAULT,  # invalid transaction state (other than the codes above)
    "40": CONFLICT,  # transaction rollback
    "53": OUT_OF_RESOURCES,  # insufficient resources (other than the codes above)
    "54": SERVER_FAULT,  # program limit exceeded
    "55": SERVER_FAULT,  # object not in prerequisite state
    "57": RESTARTING,  # operator intervention: admin_shutdown, crash_shutdown, ...
    "58": SERVER_FAULT,  # system error (errors external to PostgreSQL: I/O)
    "XX": SERVER_FAULT,  # internal error, data or index corrupted
}


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
    if isinstance(cause, psycopg.Error) and cause.sqlstate:
        return _of_sqlstate(cause, cause.sqlstate)
    if isinstance(cause, psycopg.OperationalError):
        return _refusal_of(cause) or _unreachable(cause)
    if isinstance(cause, psycopg.InterfaceError | OSError):
        return DOES_NOT_ANSWER
    return None


def _of_sqlstate(error: psycopg.Error, sqlstate: str) -> Reason:
    if sqlstate == "23505" and error.diag.constraint_name == "tasks_pkey":
        return ID_SEQUENCE_BEHIND
    return _BY_CODE.get(sqlstate) or _BY_CLASS.get(sqlstate[:2]) or DATABASE_ERROR


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
    """The driver's own words for the log, on one line: its error's type, SQLSTATE and
    message, with the server's detail (for a duplicate key: which). Never a password: a
    checked DATABASE_URL (connection.py) puts no piece of one where libpq would quote it."""
    cause = driver_error(error)
    sqlstate = getattr(cause, "sqlstate", None)
    code = f" {sqlstate}" if sqlstate else ""
    text = str(cause)
    if isinstance(cause, psycopg.Error) and (detail := cause.diag.message_detail):
        text = text if detail in text else f"{text} {detail}"
    return f"{type(cause).__name__}{code}: {' '.join(text.split()) or '(no message)'}"
