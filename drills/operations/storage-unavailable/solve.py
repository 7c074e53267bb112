"""The runbook's fix for a stopped database: start it, wait until it is healthy."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.compose("up", "--detach", "--wait", "db", timeout=300)
