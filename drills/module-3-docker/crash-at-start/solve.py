"""The file the start needs, let back into the build context."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace("backend/.dockerignore", "!uv.lock\n", "!uv.lock\n!main.py\n")
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
