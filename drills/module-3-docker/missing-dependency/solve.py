"""Install the locked dependencies before copying the code, as the course page does."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace(
        "backend/Dockerfile",
        "COPY pyproject.toml uv.lock ./\n",
        "COPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-dev\n",
    )
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
