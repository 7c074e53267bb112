"""The course page's `Exited (137)`: a memory limit below what the app needs to start."""

from pathlib import Path

from effects import api_answers, services_running
from workspace import Condition, Workspace, failed, passed, poll

# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("memory", "OOMKilled: true")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.base_image_override()


def not_killed(ws: Workspace) -> Condition:
    """Up for a few seconds, never killed by the kernel for its memory."""
    said = "the backend stays up within its memory limit"
    row = ws.containers().get("backend")
    if row is None:
        return failed("memory", said, "the backend has no container: docker compose up -d")
    state = poll(
        lambda: (lambda s: s if s.get("State", {}).get("OOMKilled") else None)(
            ws.inspect(row["Name"])
        ),
        within=5,
    ) or ws.inspect(row["Name"])
    limit = state.get("HostConfig", {}).get("Memory", 0)
    if state.get("State", {}).get("OOMKilled"):
        return failed(
            "memory",
            said,
            f"the kernel killed it (OOMKilled: true; exit code 137 = 128 + SIGKILL): it needed "
            f"more memory than its limit, {limit // 2**20} MiB",
        )
    return passed("memory", said)


def check(ws: Workspace) -> list[Condition]:
    return [not_killed(ws), services_running(ws, ("backend",)), api_answers(ws)]
