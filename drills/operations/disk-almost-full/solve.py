"""The runbook's fix: the file that is not PostgreSQL's, found with du in the data
directory, deleted (it would be copied off the volume first: docker compose cp)."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.compose("exec", "-T", "db", "rm", "/var/lib/postgresql/data/base-backup-before-upgrade.tar")
