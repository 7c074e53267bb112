"""Throwaway PostgreSQL servers for the tests, from PostgreSQL's server programs: those
PG_BINDIR names (the test rig, .ci/tools.sh, installs PostgreSQL 16, the major the stack
ships, and sets it), else the machine's newest (Debian 12: 15), or TEST_DATABASE_URL's
server. The pytest header says which version the tests ran on (`server_programs()`)."""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from harness.network import free_port
from harness.polling import poll


def find_bindir() -> Path:
    """Where initdb, pg_ctl and postgres are: $PG_BINDIR, else the newest
    /usr/lib/postgresql/*/bin (Debian's layout), else the PATH's."""
    if "PG_BINDIR" in os.environ:
        return Path(os.environ["PG_BINDIR"])
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: apt-get install postgresql, or set TEST_DATABASE_URL"
    )


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, on a free loopback port.

    For speed, commits return before their WAL is written (synchronous_commit=off): a
    server crash may lose the last fraction of a second. `crash_safe=True` keeps every
    acknowledged commit through a crash of PostgreSQL (not of the machine), as the
    fault tests need.
    """

    def __init__(self, *, crash_safe: bool = False, settings: dict[str, str] | None = None) -> None:
        self.crash_safe = crash_safe
        # More postgresql.conf settings, given on the command line (max_connections=10).
        self.settings = settings or {}
        self.bindir = find_bindir()
        self.port = free_port()
        self._root = Path(tempfile.mkdtemp(prefix="tasks-test-pg-"))
        self.datadir = self._root / "data"
        # PostgreSQL refuses to run as root: as root, run it as the 'postgres' user.
        self.running = False
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self._root, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bindir / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self._root,
        )

    def start(self) -> None:
        synchronous_commit = "on" if self.crash_safe else "off"
        options = (
            f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1 "
            f"-c fsync=off -c synchronous_commit={synchronous_commit} -c full_page_writes=off"
        )
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self._root / "server.log"),
            "-w",
            "start",
        )
        self.running = True

    def set_hba(self, rules: str) -> None:
        """Replace pg_hba.conf (who may log in, and how) with `rules`, and reload it."""
        (self.datadir / "pg_hba.conf").write_text(rules)
        if self.running:
            self._run("pg_ctl", "-D", str(self.datadir), "reload")

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop: "fast" (clean), or "immediate" (no shutdown checkpoint, like a crash)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "stop")
        self.running = False

    def kill(self) -> None:
        """kill -9 of the postmaster; its backends notice and exit on their own."""
        postmaster = int((self.datadir / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        self.running = False

    def restart_after_crash(self, within: float = 30.0) -> None:
        """start(), retried until the killed server's last processes have gone."""
        poll(self._try_start, within=within, what="PostgreSQL restarted after a crash", every=0.2)

    def _try_start(self) -> bool | None:
        try:
            self.start()
        except subprocess.CalledProcessError:
            return None
        return True

    def remove(self) -> None:
        """Stop the server if it runs, and delete its files."""
        if self.running:
            self.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A started server, stopped and removed afterwards even when the tests fail."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty database on the server at `server_url`, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def server_programs() -> str:
    """What the tests' PostgreSQL is, for pytest's header: "PostgreSQL 16.10 (PG_BINDIR)"."""
    if os.environ.get("TEST_DATABASE_URL"):
        return "PostgreSQL: the server at TEST_DATABASE_URL"
    try:
        bindir = find_bindir()
        # "postgres (PostgreSQL) 16.10", or Debian's "... 15.18 (Debian 15.18-0+deb12u1)"
        version = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[2]
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        return f"PostgreSQL: none found ({error})"
    return f"PostgreSQL {version}, throwaway servers from {bindir}"


@contextmanager
def postgres_for_tests() -> Iterator[str]:
    """TEST_DATABASE_URL's server, or a throwaway one started for this test run."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    with running_server() as server:
        yield server.url()
