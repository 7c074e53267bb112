"""The lock file first, the install, then the code."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace(
        "backend/Dockerfile",
        "COPY . .\nRUN uv sync --frozen --no-dev\n",
        "COPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-dev\nCOPY . .\n",
    )
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
