"""The course page's restart loop: a wrong CMD, started again and again by the restart
policy."""

from pathlib import Path

from effects import api_answers, healthy
from workspace import Condition, Workspace, failed, not_checked, passed, poll

DOCKERFILE = "backend/Dockerfile"
# The last stage's command (the dev stage has one of its own, for Compose Watch).
RIGHT = '"main:app", "--host", "0.0.0.0", "--port", "8000", \\\n     "--proxy-headers"'
WRONG = RIGHT.replace('"main:app"', '"main:application"')


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("restarts", "restart: unless-stopped starts it")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.replace(DOCKERFILE, RIGHT, WRONG)
    ws.base_image_override()


def stays_up(ws: Workspace) -> Condition:
    """No restart over a few seconds."""
    said = "the backend stays up (no restart)"
    row = ws.containers().get("backend")
    if row is None:
        return failed("restarts", said, "the backend has no container: docker compose up -d")

    def restarts() -> int:
        return int(ws.inspect(row["Name"]).get("RestartCount", 0))

    first = restarts()
    later = poll(lambda: restarts() > first and restarts(), within=6, every=1) or restarts()
    state = ws.inspect(row["Name"]).get("State", {})
    if later == first and state.get("Running") and not state.get("Restarting"):
        return passed("restarts", said)
    last = ws.logs("backend", 5).strip().splitlines()[-1:] or [""]
    return failed(
        "restarts",
        said,
        f"it exits ({state.get('ExitCode')}) at start and restart: unless-stopped starts it "
        f"again ({later} restarts so far); its command's last words: {last[0][:200]}",
    )


def check(ws: Workspace) -> list[Condition]:
    up = stays_up(ws)
    if not up.ok:
        return [up, not_checked("api", "the API answers", "the backend does not stay up")]
    return [up, healthy(ws, "backend"), api_answers(ws)]
