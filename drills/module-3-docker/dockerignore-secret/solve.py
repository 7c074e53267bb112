"""Every local settings file kept out of the build context."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace("backend/.dockerignore", ".git/\n", ".git/\n.env*\n")
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
