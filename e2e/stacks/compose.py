"""The project's docker-compose.yml run for real, under a project name of the test's own."""

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from harness.network import free_port
from harness.polling import wait_for_http

from support.paths import ROOT


@dataclass
class ComposeStack:
    project: str
    backend_url: str
    frontend_url: str
    env: dict[str, str]
    up_seconds: float = 0.0

    def compose(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`docker compose` on this project; `env` in place of the stack's own."""
        return subprocess.run(
            ["docker", "compose", "--project-name", self.project, *args],
            cwd=ROOT,
            env=env or self.env,
            check=check,
            capture_output=True,
            text=True,
        )

    def up(self) -> None:
        started = time.monotonic()
        result = self.compose(
            "up", "--detach", "--build", "--wait", "--wait-timeout", "300", check=False
        )
        if result.returncode != 0:
            logs = self.compose("logs", "--no-color", "--tail", "50", check=False).stdout
            raise AssertionError(f"docker compose up failed:\n{result.stderr}\n{logs}")
        self.up_seconds = time.monotonic() - started

    @property
    def url(self) -> str:
        return self.frontend_url

    @property
    def _memory_backend(self) -> str:
        return f"{self.project}-backend-in-memory"

    def wait_for_storage(self, storage: str) -> None:
        """Until the backend behind nginx is ready and keeps its tasks in `storage`."""
        wait_for_http(
            f"{self.frontend_url}/api/health/ready",
            within=90,
            until=lambda response: response.json()["storage"] == storage,
        )

    def stop_backend(self) -> None:
        subprocess.run(["docker", "rm", "--force", self._memory_backend], capture_output=True)
        self.compose("stop", "backend")

    def start_backend(self) -> None:
        self.compose("start", "backend")
        self.wait_for_storage("postgresql")

    def restart_backend_in_memory(self) -> None:
        """The same image and network name, with DATABASE_URL empty, in place of the service."""
        self.stop_backend()
        self.compose(
            "run",
            "--detach",
            "--no-deps",
            "--use-aliases",
            "--name",
            self._memory_backend,
            "--env",
            "DATABASE_URL=",
            "backend",
        )
        self.wait_for_storage("memory")

    def reset_data(self) -> None:
        """Empty the database; the backend's migrations create it again, demo tasks and all."""
        self.stop_backend()
        sql = "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
        psql = f'psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "{sql}"'
        self.compose("exec", "-T", "db", "sh", "-c", psql)
        self.start_backend()

    def services(self) -> list[dict[str, str]]:
        output = self.compose("ps", "--all", "--format", "json").stdout
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def leftovers(self) -> list[str]:
        """Containers, networks and volumes of this project still on the engine."""
        label = f"label=com.docker.compose.project={self.project}"
        found: list[str] = []
        for kind in (["ps", "--all"], ["network", "ls"], ["volume", "ls"]):
            result = subprocess.run(
                ["docker", *kind, "--quiet", "--filter", label],
                check=True,
                capture_output=True,
                text=True,
            )
            found += [f"{kind[0]}: {name}" for name in result.stdout.split()]
        return found


@contextmanager
def compose_stack(settings: dict[str, str] | None = None) -> Iterator[ComposeStack]:
    """`docker compose up -d --build --wait`, with `settings` (variables compose reads,
    as a .env would give them); `down -v` afterwards, even on failure, and a check that
    nothing of it is left on the engine."""
    project = f"tasks-test-{uuid.uuid4().hex[:8]}"
    backend_port, frontend_port = free_port(), free_port()
    env = {
        **os.environ,
        "BACKEND_PORT": str(backend_port),
        "FRONTEND_PORT": str(frontend_port),
        "REVISION": _git_revision(),
        **(settings or {}),
    }
    env.pop("DATABASE_URL", None)
    stack = ComposeStack(
        project=project,
        backend_url=f"http://127.0.0.1:{backend_port}",
        frontend_url=f"http://127.0.0.1:{frontend_port}",
        env=env,
    )
    try:
        stack.up()
        try:
            wait_for_http(f"{stack.frontend_url}/api/health/ready")
        except AssertionError as error:
            state = stack.compose("ps", "--all", check=False).stdout
            logs = stack.compose("logs", "--no-color", "--tail", "20", check=False).stdout
            raise AssertionError(f"{error}\n{state}\n{logs}") from None
        yield stack
    finally:
        stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False)
        left = stack.leftovers()
        assert left == [], f"docker compose down left these behind: {left}"


def pids_by_service(project: str) -> dict[str, tuple[int, int]]:
    """Each running container of compose project `project`, by service: the PIDs limit the
    engine set on it, and the processes and threads it runs now (docker stats)."""
    label = f"label=com.docker.compose.project={project}"
    ids = subprocess.run(
        ["docker", "ps", "--quiet", "--filter", label], check=True, capture_output=True, text=True
    ).stdout.split()
    inspected = json.loads(
        subprocess.run(["docker", "inspect", *ids], check=True, capture_output=True).stdout
    )
    stats = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", *ids],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    running = dict(line.split() for line in stats.splitlines())
    return {
        container["Config"]["Labels"]["com.docker.compose.service"]: (
            int(container["HostConfig"]["PidsLimit"] or 0),
            int(running[container["Name"].lstrip("/")]),
        )
        for container in inspected
    }


# Services no stand-in can replace (.ci/standin-images says why): left out where their
# image cannot be had. Any other service without its image is an error of the test rig.
NO_STAND_IN = {"grafana"}


def startable_services(
    env: dict[str, str], *compose_args: str, profile: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """The services `docker compose [compose_args] config` lists (with `profile` active:
    only that profile's) that can start here, being built or having their image on this
    engine; and the others, name -> image. Grafana's image is one of those others on
    machines where no registry answers: no stand-in can be built for it."""
    profiles = ["--profile", profile] if profile else []
    command = ["docker", "compose", *compose_args, *profiles, "config", "--format", "json"]
    config = json.loads(
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True).stdout
    )
    startable, left_out = [], {}
    for name, service in config["services"].items():
        if profile and profile not in service.get("profiles", []):
            continue
        inspect = ["docker", "image", "inspect", service["image"]]
        if "build" in service or subprocess.run(inspect, capture_output=True).returncode == 0:
            startable.append(name)
        else:
            left_out[name] = service["image"]
    assert set(left_out) <= NO_STAND_IN, f"images missing (.ci/standin-images): {left_out}"
    return startable, left_out


def build_images() -> float:
    """`docker compose build`: the app's images (tasks-backend:dev, tasks-frontend:dev) as
    the compose stack runs them, for tests that deploy them otherwise (Swarm). Seconds."""
    started = time.monotonic()
    env = {**os.environ, "REVISION": _git_revision()}
    result = subprocess.run(
        ["docker", "compose", "build"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, f"docker compose build failed:\n{result.stderr[-4000:]}"
    return time.monotonic() - started


def _git_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"
