"""The runbook's fix for a crash at start-up: the setting its last log lines name, set
right in .env, then the backend started again and waited for."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace(".env", "LOG_LEVEL=verbose", "LOG_LEVEL=debug")
    ws.compose("up", "--detach", "--wait", "--no-deps", "backend", timeout=300)
