"""The course page's "if the container has crashed, launch a new container with bash
instead of the app": a file the start needs, left out of the image."""

from pathlib import Path

from effects import api_answers, services_running
from workspace import Condition, Workspace, failed, passed

NEEDED = "main.py"


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("file", "/app/main.py is not in the image")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.replace("backend/.dockerignore", f"!{NEEDED}\n", "")
    ws.base_image_override()


def image_holds_the_app(ws: Workspace) -> Condition:
    said = f"the backend's image holds /app/{NEEDED}, which its command (uvicorn main:app) loads"
    built = ws.compose("build", "backend")
    if built.returncode != 0:
        return failed("file", said, f"the image does not build: {built.stderr.strip()[-300:]}")
    listed = ws.compose(
        "run", "--rm", "--no-deps", "--entrypoint", "ls", "backend", f"/app/{NEEDED}"
    )
    if listed.returncode == 0:
        return passed("file", said)
    return failed(
        "file",
        said,
        f"/app/{NEEDED} is not in the image, though it is in your folder: the build context "
        "leaves it out (backend/.dockerignore), so COPY . . never copies it",
    )


def check(ws: Workspace) -> list[Condition]:
    return [image_holds_the_app(ws), services_running(ws, ("backend",)), api_answers(ws)]
