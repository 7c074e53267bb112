"""The forgotten container stopped; the backend started on its port."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.docker("stop", "forgotten-web-server")
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
