"""A memory limit the app fits in."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace("docker-compose.yml", "memory: 24M", "memory: 256M")
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
