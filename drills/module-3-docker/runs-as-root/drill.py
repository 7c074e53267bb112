"""The course page's "don't run as root in the container": an image without USER."""

from pathlib import Path

from effects import api_answers, runs_as, services_running
from workspace import Condition, Workspace, failed, not_checked, passed

USER_LINE = "USER 10001:10001\n"


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("user", "uid 0 (root)")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.replace("backend/Dockerfile", USER_LINE, "")
    ws.base_image_override()


def not_root(ws: Workspace) -> Condition:
    said = "the backend's process runs as a user other than root"
    uid = runs_as(ws, "backend")
    if not uid:
        return not_checked("user", said, "the backend does not run")
    if uid != "0":
        return passed("user", f"{said} (uid {uid})")
    return failed(
        "user",
        said,
        "it runs as uid 0 (root): the image sets no USER, so its CMD runs as root, with every "
        "right inside the container",
    )


def check(ws: Workspace) -> list[Condition]:
    return [services_running(ws, ("backend",)), not_root(ws), api_answers(ws)]
