"""`make dev` for real, on this machine's engine. Where the engine can run Compose Watch
(Docker Engine 28 or newer), a file edited on the host is synced into the running
container and takes effect there, for the backend (uvicorn reloads) and the frontend
(Vite serves it), on a copy of the project so the tree itself is never edited. On an
older engine (Debian's 20.10, as here), every sync fails ("getent unable to find entry"):
make dev then stops before starting anything and says why, with the fix. Needs a Docker
engine."""

import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from harness.network import free_port
from harness.polling import poll

from support.paths import ROOT

pytestmark = pytest.mark.stack

# What `make dev` runs (see the Makefile).
DEV_COMPOSE = ["-f", "docker-compose.yml", "-f", "compose.dev.yaml"]


@dataclass
class DevStack:
    root: Path
    backend_url: str
    frontend_url: str
    process: "subprocess.Popen[str]"


def project_copy(destination: Path) -> Path:
    """The compose files and both services' folders, without local build output."""
    for name in ("docker-compose.yml", "compose.dev.yaml"):
        shutil.copy(ROOT / name, destination / name)
    for service in ("backend", "frontend"):
        shutil.copytree(
            ROOT / service,
            destination / service,
            ignore=shutil.ignore_patterns("node_modules", ".venv", "dist", "__pycache__"),
        )
    return destination


def engine_version() -> tuple[int, ...]:
    version = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def test_make_dev_syncs_edits_where_the_engine_can_and_says_why_where_it_cannot(
    request: pytest.FixtureRequest,
) -> None:
    """The report's case: on Docker Engine 20.10, make dev started, everything looked
    healthy, and no edit ever reached a container (nothing said so but a log line)."""
    if engine_version() >= (28, 0):
        check_syncs_an_edited_file_into_each_container(request.getfixturevalue("dev_stack"))
        return
    env = {**os.environ, "COMPOSE_PROJECT_NAME": f"tasks-dev-test-{uuid.uuid4().hex[:8]}"}
    result = subprocess.run(
        ["make", "dev"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    created = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter",
         f"label=com.docker.compose.project={env['COMPOSE_PROJECT_NAME']}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip

    print(f"\n{result.stdout}")
    assert result.returncode != 0
    assert "Compose Watch needs Engine 28.0 or newer" in result.stdout
    assert "make run" in result.stdout
    assert created == []  # stopped before building or starting anything


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[DevStack]:
    """`docker compose -f docker-compose.yml -f compose.dev.yaml up --build --watch` in
    the foreground, as `make dev` runs it; Ctrl+C (SIGINT) and `down -v` afterwards."""
    root = project_copy(tmp_path)
    backend_port, frontend_port = free_port(), free_port()
    project = f"tasks-dev-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": project,
        "BACKEND_PORT": str(backend_port),
        "FRONTEND_PORT": str(frontend_port),
    }
    log = (tmp_path / "dev.log").open("w")
    process = subprocess.Popen(
        ["docker", "compose", *DEV_COMPOSE, "up", "--build", "--watch"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = DevStack(
        root, f"http://127.0.0.1:{backend_port}", f"http://127.0.0.1:{frontend_port}", process
    )
    try:
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        subprocess.run(
            ["docker", "compose", *DEV_COMPOSE, "down", "--volumes", "--timeout", "10"],
            cwd=root,
            env=env,
            capture_output=True,
            check=False,
        )
        log.close()
        print(f"\n---- make dev's output (last lines) ----\n{tail(tmp_path / 'dev.log')}")


def tail(path: Path, lines: int = 40) -> str:
    """The last lines compose and the containers printed, but for the request log's."""
    said = [
        line for line in path.read_text(errors="replace").splitlines() if "app.access" not in line
    ]
    return "\n".join(said[-lines:])


def answering(url: str, marker: str) -> str | None:
    """The body at `url` once it holds `marker`; None until then."""
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 and marker in response.text else None


def check_syncs_an_edited_file_into_each_container(dev_stack: DevStack) -> None:
    poll(
        lambda: answering(f"{dev_stack.backend_url}/api/health", "ok"),
        within=600,
        what="the dev backend answering (first build included)",
        every=2,
    )
    poll(
        lambda: answering(f"{dev_stack.frontend_url}/", "<div"),
        within=300,
        what="Vite's dev server answering",
        every=2,
    )
    marker = uuid.uuid4().hex
    health = dev_stack.root / "backend" / "app" / "routes" / "health.py"
    health.write_text(
        health.read_text()
        + '\n\n@router.get("/synced", include_in_schema=False)\n'
        + f'async def synced() -> dict[str, str]:\n    return {{"marker": "{marker}"}}\n'
    )
    app = dev_stack.root / "frontend" / "src" / "App.tsx"
    app.write_text(app.read_text() + f"\n// synced {marker}\n")

    backend = poll(
        lambda: answering(f"{dev_stack.backend_url}/api/health/synced", marker),
        within=120,
        what="the edited backend file synced and reloaded",
        every=1,
    )
    frontend = poll(
        lambda: answering(f"{dev_stack.frontend_url}/src/App.tsx", marker),
        within=120,
        what="the edited frontend file synced and served by Vite",
        every=1,
    )

    assert marker in backend
    assert marker in frontend
    assert dev_stack.process.poll() is None  # make dev still runs: nothing failed
