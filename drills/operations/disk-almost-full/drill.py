"""PostgresVolumeAlmostFull: a large file left in PostgreSQL's data directory (a backup,
written there by hand) on a volume of 160 MB (compose.drill.yaml)."""

import time
from pathlib import Path

from incidents import (
    Incident,
    incident_conditions,
    prometheus,
    record_break,
    save_works,
    start_stack,
)
from workspace import Condition, Workspace, failed, passed

LEFT_BEHIND = "/var/lib/postgresql/data/base-backup-before-upgrade.tar"
# The share of the volume left free: under the alert's 10%, enough for PostgreSQL's own
# writes meanwhile (its write-ahead log is already allocated).
LEFT_FREE = 0.06
FREE = (
    'node_filesystem_avail_bytes{job="postgres-volume", mountpoint="/var/lib/postgresql/data"}'
    ' / node_filesystem_size_bytes{job="postgres-volume", mountpoint="/var/lib/postgresql/data"}'
)
INCIDENT = Incident(alert="PostgresVolumeAlmostFull", cause="a stray file on its volume")
# For make test (e2e/test_incident_drills.py): the condition make check fails once the
# page came, and words of its message.
BROKEN = ("resolved", "PostgresVolumeAlmostFull is firing")


def setup(ws: Workspace) -> None:
    start_stack(ws, files=Path(__file__).parent / "files", compose_files=("compose.drill.yaml",))
    size, available = disk(ws)
    at = time.time()
    fill = available - int(size * LEFT_FREE)
    ws.compose("exec", "-T", "db", "sh", "-c", f"head -c {fill} /dev/zero > {LEFT_BEHIND}")
    size, available = disk(ws)
    if available / size >= 0.10:
        raise RuntimeError(f"the volume is not nearly full: {available} of {size} bytes free")
    record_break(ws, "db", at)


def disk(ws: Workspace) -> tuple[int, int]:
    """The database volume's size and free bytes, as df in the db container says."""
    df = ws.compose(
        "exec", "-T", "db", "df", "-B1", "--output=size,avail", "/var/lib/postgresql/data"
    )
    size, available = df.stdout.split()[-2:]
    return int(size), int(available)


def room(ws: Workspace) -> Condition:
    said = "the database's volume has more than 10% free (node_filesystem_avail_bytes)"
    data = prometheus("query", query=FREE)
    if not data or not data["result"]:
        return failed("room", said, "Prometheus has no figure for the volume")
    free = float(data["result"][0]["value"][1])
    if free > 0.10:
        return passed("room", f"{said}: {free:.0%}")
    return failed("room", said, f"it has {free:.1%} free")


def check(ws: Workspace) -> list[Condition]:
    return [room(ws), *incident_conditions(ws, INCIDENT, save_works())]
