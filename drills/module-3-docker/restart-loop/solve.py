"""The CMD names the app that main.py defines; the image rebuilt."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace("backend/Dockerfile", '"main:application"', '"main:app"')  # the one wrong
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
