"""The image's unprivileged user, for the process."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace(
        "backend/Dockerfile",
        "APP_REVISION=${REVISION}\n\nEXPOSE 8000\n",
        "APP_REVISION=${REVISION}\n\nUSER 10001:10001\nEXPOSE 8000\n",
    )
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
