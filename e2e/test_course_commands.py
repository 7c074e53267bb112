"""The Docker module's single-container commands, as the course types them, on our image.
Needs a Docker engine; uses port 8000 on this machine, as the course does."""

import json
import shlex
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from harness.polling import wait_for_http

from support.docker_builds import buildkit_env, stand_in_build_args
from support.paths import ROOT

pytestmark = pytest.mark.stack

DEMO = [
    {"id": 1, "title": "Apprendre Docker", "done": False},
    {"id": 2, "title": "Configurer CI/CD", "done": False},
]


def run(command: str, *, cwd: str = ".") -> str:
    """One of the course's commands, through a shell, exactly as written."""
    # A shell, since the course's commands are shell lines (2>&1 and all).
    result = subprocess.run(  # noqa: S602
        command,
        shell=True,
        cwd=ROOT / cwd,
        env=buildkit_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"`{command}` failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def clean_engine() -> Iterator[None]:
    """Leave no container or image of the course's names behind, even when a step fails."""
    yield
    subprocess.run(["docker", "rm", "--force", "mon-backend"], capture_output=True)
    subprocess.run(["docker", "rmi", "mon-app:1.0"], capture_output=True)


@pytest.mark.usefixtures("clean_engine")
def test_build_run_curl_logs_exec_stop_rm_as_the_course_types_them() -> None:
    # As typed; where no registry answers, the stand-in base images are added (only that).
    extra = "".join(f" {shlex.quote(argument)}" for argument in stand_in_build_args())
    run(f"docker build -t mon-app:1.0 .{extra}", cwd="backend")
    run("docker run -d -p 8000:8000 --name mon-backend mon-app:1.0")
    wait_for_http("http://localhost:8000/api/health", within=30)

    tasks = httpx.get("http://localhost:8000/api/tasks").json()
    logs = run("docker logs mon-backend 2>&1")
    user = run("docker exec mon-backend whoami").strip()
    python = run("docker exec mon-backend python --version")
    run("docker stop mon-backend")
    status = run("docker inspect --format '{{.State.ExitCode}}' mon-backend").strip()
    run("docker rm mon-backend")
    left = run("docker ps --all --quiet --filter name=^mon-backend$")

    assert tasks == DEMO  # no DATABASE_URL: the in-memory store and its demo tasks
    logged = [json.loads(line) for line in logs.splitlines()]  # every line is JSON
    expected = {"event": "request", "method": "GET", "path": "/api/tasks", "status": 200}
    assert any(expected.items() <= record.items() for record in logged)
    assert user == "app"  # not root
    assert python.startswith("Python 3.")
    assert status == "0"  # stopped cleanly by SIGTERM, not killed
    assert left == ""
