"""The course page's `Exited (1)`: an image that holds the code, not its dependencies."""

from pathlib import Path

from effects import api_answers, services_running
from workspace import Condition, Workspace, failed, passed

# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("imports", "No module named")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.base_image_override()


def imports(ws: Workspace) -> Condition:
    """The image's Python can import what the app needs to start."""
    said = "the backend's image can import fastapi and uvicorn"
    built = ws.compose("build", "backend")
    if built.returncode != 0:
        return failed("imports", said, f"the image does not build: {built.stderr.strip()[-300:]}")
    tried = ws.compose(
        "run", "--rm", "--no-deps", "--entrypoint", "python", "backend",
        "-c", "import fastapi, uvicorn",
    )  # fmt: skip
    if tried.returncode == 0:
        return passed("imports", said)
    missing = tried.stderr.strip().splitlines()[-1:] or ["?"]
    return failed(
        "imports",
        said,
        f"Python in the image says {missing[0]}: the image has the code and the lock file, "
        "but nothing was installed from it (no virtual environment in /app/.venv)",
    )


def check(ws: Workspace) -> list[Condition]:
    return [imports(ws), services_running(ws, ("backend",)), api_answers(ws)]
