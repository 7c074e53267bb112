"""A new image from the changed files, and a container from it."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
