"""The course page's "port already in use": a container left running holds the port."""

import os
from pathlib import Path

from effects import api_answers, services_running
from workspace import (
    API_PORT,
    DRILL_LABEL,
    PYTHON_IMAGE_DEFAULT,
    Condition,
    Workspace,
    failed,
    http,
    passed,
    poll,
)

NAME = "port-in-use"
SQUATTER = "forgotten-web-server"


# For make test (e2e/test_drills.py): the condition make check fails after the set-up and
# your first move, and words of its message.
BROKEN = ("port", "forgotten-web-server holds it")


def setup(ws: Workspace) -> None:
    ws.create(("backend",))
    ws.put(Path(__file__).parent / "files")
    ws.base_image_override()
    # Someone's forgotten experiment, on the port the backend publishes.
    image = os.environ.get("PYTHON_IMAGE") or PYTHON_IMAGE_DEFAULT
    started = ws.docker(
        "run", "--detach", "--name", SQUATTER, "--label", f"{DRILL_LABEL}={NAME}",
        "--publish", f"{API_PORT}:8000", "--user", "65534", "--read-only",
        image, "python", "-m", "http.server", "8000",
    )  # fmt: skip
    if started.returncode != 0:
        raise RuntimeError(f"could not start the drill's other container: {started.stderr}")


def api_is_the_backend(ws: Workspace) -> Condition:
    """Whatever port the backend publishes, the task list answers there."""
    said = "the backend publishes its port, and the task list answers there"
    port = ws.published_port("backend", 8000)
    if port is None:
        holders = ws.docker("ps", "--filter", f"publish={API_PORT}", "--format", "{{.Names}}")
        holder = holders.stdout.split()
        who = f"{holder[0]} holds it" if holder else "it is taken"
        return failed(
            "port",
            said,
            f"the backend publishes no port: it never started, since port {API_PORT} of this "
            f"machine can be bound by one container only, and {who}",
        )
    answer = poll(lambda: http(f"http://127.0.0.1:{port}/api/tasks").status and True, within=10)
    answer = http(f"http://127.0.0.1:{port}/api/tasks")
    if answer.status == 200 and answer.body.startswith("["):
        return passed("port", f"{said} ({port})")
    return failed("port", said, f"port {port} answers {answer.status}, not the task list")


def check(ws: Workspace) -> list[Condition]:
    conditions = [services_running(ws, ("backend",)), api_is_the_backend(ws)]
    if ws.published_port("backend", 8000) == API_PORT:
        conditions.append(api_answers(ws))
    return conditions
