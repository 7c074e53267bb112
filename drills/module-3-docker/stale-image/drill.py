"""The course page's "modifying code without rebuilding": the container runs the image it
was created from, built before the change."""

from pathlib import Path

from effects import API, api_answers, services_running
from workspace import Condition, Workspace, failed, http, passed, poll

ADDED = "Reconstruire l'image"
DEMO = '("Apprendre Docker", "Configurer CI/CD")'


def demo_source(ws: Workspace, holding: str) -> str:
    """The backend's source file that holds `holding` (the demo tasks), from the workspace."""
    for path in sorted((ws.path / "backend" / "app").rglob("*.py")):
        if holding in path.read_text():
            return str(path.relative_to(ws.path))
    raise LookupError(f"no backend source file holds {holding}")


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
# The set-up has started the stack already: no first move.
FIRST_MOVE: tuple[str, ...] = ()
BROKEN = ("rebuilt", "image it was created from")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.base_image_override()
    up = ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "120", timeout=900)
    if up.returncode != 0:
        raise RuntimeError(f"docker compose up failed: {up.stderr[-500:]}")
    # The change "you" made after the image was built.
    ws.replace(demo_source(ws, DEMO), DEMO, f'("Apprendre Docker", "Configurer CI/CD", "{ADDED}")')


def shows_the_change(ws: Workspace) -> Condition:
    said = f'the API lists the demo task "{ADDED}"'
    answer = poll(
        lambda: (lambda a: a if ADDED in a.body else None)(http(f"{API}/api/tasks")), within=20
    )
    if answer:
        return passed("rebuilt", said)
    source = demo_source(ws, ADDED).removeprefix("backend/")
    inside = ws.compose("exec", "-T", "backend", "cat", f"/app/{source}")
    if inside.returncode == 0 and ADDED not in inside.stdout:
        return failed(
            "rebuilt",
            said,
            f"the container's {source} is the old one: a container runs "
            "the files of the image it was created from, and that image was built before your "
            "change (a restart keeps both)",
        )
    return failed("rebuilt", said, "the API does not list it")


def check(ws: Workspace) -> list[Condition]:
    return [services_running(ws, ("backend",)), api_answers(ws), shows_the_change(ws)]
