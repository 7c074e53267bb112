"""A drill's workspace, and what its set-up, check and solve scripts need of the Docker
engine: its own folder (.drills/drill-NAME/, git-ignored), its own compose project (the
folder's name) and its own ports, so that your own stack, its data and your files are never
touched. Python's standard library only: the drills run with the Python you already have.
"""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def state_dir() -> Path:
    """Where workspaces and your progress are kept: .drills/ (git-ignored), or DRILLS_DIR
    (the tests use a folder of their own, so that your progress is never theirs)."""
    return Path(os.environ.get("DRILLS_DIR") or ROOT / ".drills")


# The ports of this machine every drill uses: your own stack keeps 80 and 8000.
API_PORT = 18000
APP_PORT = 18080
# On containers a drill starts itself (not through compose), for make drill-reset.
DRILL_LABEL = "tasks.drill"
# The build arguments that choose the project's base images, and PostgreSQL's image: the
# variables the project's own Dockerfiles and compose file read. Unset, the real images.
BASE_IMAGE_ARGS = {
    "backend": ("PYTHON_IMAGE", "UV_IMAGE"),
    "frontend": ("BUN_IMAGE", "NGINX_IMAGE"),
}
POSTGRES_IMAGE = "POSTGRES_IMAGE"
# What leftovers() calls each kind of thing, by the docker command that lists it.
KINDS = {"ps": "container", "volume": "volume", "network": "network"}
# The images the drills' own files name, as the project's Dockerfiles pin them.
PYTHON_IMAGE_DEFAULT = "python:3.12.12-slim-bookworm"


@dataclass
class Condition:
    """One effect a check looks for: `ok` True or False, None when it could not be looked at
    (what it needs failed first). `message` says what is wrong, in the mechanism's words."""

    id: str
    said: str
    ok: bool | None
    message: str = ""


def passed(id: str, said: str) -> Condition:
    return Condition(id, said, True)


def failed(id: str, said: str, message: str) -> Condition:
    return Condition(id, said, False, message)


def not_checked(id: str, said: str, because: str) -> Condition:
    return Condition(id, said, None, because)


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer at all (refused, reset, timed out)
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def http(url: str, *, method: str = "GET", body: object = None, timeout: float = 5) -> Answer:
    """One request; never raises: status 0 when nothing answered."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(errors="replace"))
    except (OSError, urllib.error.URLError):
        return Answer(0, "")


def poll(ask: Callable[[], Any], *, within: float, every: float = 0.5) -> Any:
    """`ask()` until it returns something true, at most `within` seconds; its last answer."""
    deadline = time.monotonic() + within
    while True:
        answer = ask()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(every)


class Workspace:
    """The folder a drill is played in, and its compose project."""

    def __init__(self, name: str, home: Path | None = None) -> None:
        self.name = name
        self.project = f"drill-{name}"
        self.path = (home or state_dir()) / self.project

    # ---- Running things ------------------------------------------------------------------

    def run(
        self, *command: str, timeout: float = 600, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A command in the workspace, as you would type it there; never raises."""
        try:
            return subprocess.run(
                command,
                cwd=self.path if self.path.is_dir() else ROOT,
                env=self.environment(),
                capture_output=True,
                text=True,
                timeout=timeout,
                input=input,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            return subprocess.CompletedProcess(command, 124, str(error.stdout or ""), "timed out")

    def environment(self) -> dict[str, str]:
        """Yours, without what would point compose at another project or file."""
        env = dict(os.environ)
        for variable in ("COMPOSE_PROJECT_NAME", "COMPOSE_FILE", "COMPOSE_PROFILES"):
            env.pop(variable, None)
        return env

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.run("docker", "compose", *args, timeout=timeout)

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.run("docker", *args, timeout=timeout)

    # ---- What the engine shows -----------------------------------------------------------

    def containers(self) -> dict[str, dict[str, Any]]:
        """The project's containers by service, as `docker compose ps --all` lists them
        (State, Status, Health, ExitCode, Name, ...)."""
        listed = self.compose("ps", "--all", "--format", "json").stdout.strip()
        if not listed:
            return {}
        rows = (
            json.loads(listed)
            if listed.startswith("[")
            else list(map(json.loads, listed.splitlines()))
        )
        return {row["Service"]: row for row in rows}

    def inspect(self, container: str) -> dict[str, Any]:
        result = self.docker("inspect", container)
        return json.loads(result.stdout)[0] if result.returncode == 0 else {}

    def published_port(self, service: str, target: int) -> int | None:
        """The port of this machine where `service`'s `target` port is published."""
        result = self.compose("port", service, str(target))
        found = re.search(r":(\d+)\s*$", result.stdout)
        return int(found.group(1)) if result.returncode == 0 and found else None

    def logs(self, service: str, lines: int = 30) -> str:
        result = self.compose("logs", "--no-color", "--tail", str(lines), service)
        return result.stdout + result.stderr

    # ---- Setting it up ------------------------------------------------------------------

    def create(self, parts: tuple[str, ...]) -> None:
        """A fresh workspace holding the project's `parts` (folders, as git has them)."""
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *parts],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        for name in filter(None, listed.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                target = self.path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)

    def put(self, files: Path) -> None:
        """The drill's own files over the workspace's (its broken state)."""
        shutil.copytree(files, self.path, dirs_exist_ok=True)

    def write(self, name: str, text: str) -> None:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def replace(self, name: str, old: str, new: str) -> None:
        """An edit, as you would make it: `old` must be in the file exactly once."""
        text = self.read(name)
        if text.count(old) != 1:
            raise ValueError(f"{name}: expected {old!r} once, found it {text.count(old)} times")
        self.write(name, text.replace(old, new))

    def base_image_override(self) -> None:
        """Where the base image variables are set (a registry mirror, or a test machine's
        stand-ins), docker-compose.override.yml passes them to the workspace's builds, as the
        project's own compose file does; compose reads that file by itself. Unset, as they
        normally are: no such file, the real images."""
        config = self.compose("config", "--format", "json")
        if config.returncode != 0:
            return
        services = json.loads(config.stdout).get("services", {})
        lines = []
        for name, service in sorted(services.items()):
            block = []
            context = Path(service.get("build", {}).get("context", "")).name
            args = [a for a in BASE_IMAGE_ARGS.get(context, ()) if os.environ.get(a)]
            if args:
                block += ["    build:", "      args:"]
                block += [f"        {arg}: {os.environ[arg]}" for arg in args]
            if "postgres" in (service.get("image") or "") and os.environ.get(POSTGRES_IMAGE):
                block.append(f"    image: {os.environ[POSTGRES_IMAGE]}")
            if block:
                lines += [f"  {name}:", *block]
        if lines:
            header = (
                "# Written by make drill because base image variables are set here (a mirror,\n"
                "# or a test machine's stand-ins): not part of the drill.\n"
            )
            self.write(
                "docker-compose.override.yml", header + "services:\n" + "\n".join(lines) + "\n"
            )

    # ---- Cleaning up -------------------------------------------------------------------

    def leftovers(self) -> list[str]:
        """What of this drill is on the engine: containers, images, volumes, networks."""
        found: list[str] = []
        project = f"label=com.docker.compose.project={self.project}"
        mine = f"label={DRILL_LABEL}={self.name}"
        for kind, filters in (
            (["ps", "--all"], [project, mine]),
            (["volume", "ls"], [project]),
            (["network", "ls"], [project]),
        ):
            for label in filters:
                listed = self.docker(*kind, "--quiet", "--filter", label).stdout.split()
                found += [f"{KINDS[kind[0]]} {item}" for item in listed]
        images = self.docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        found += [f"image {image}" for image in images if image.startswith(f"{self.project}-")]
        return sorted(set(found))

    def remove(self) -> None:
        """Every container, image, volume and network of this drill, and its folder;
        nothing else."""
        if (self.path / "docker-compose.yml").exists():
            self.compose(
                "down", "--volumes", "--remove-orphans", "--rmi", "local", "--timeout", "5"
            )
        mine = self.docker("ps", "--all", "--quiet", "--filter", f"label={DRILL_LABEL}={self.name}")
        if mine.stdout.split():
            self.docker("rm", "--force", *mine.stdout.split())
        project = f"label=com.docker.compose.project={self.project}"
        for listing, removal in (
            (["ps", "--all"], ["rm", "--force"]),
            (["volume", "ls"], ["volume", "rm", "--force"]),
            (["network", "ls"], ["network", "rm"]),
        ):
            items = self.docker(*listing, "--quiet", "--filter", project).stdout.split()
            if items:
                self.docker(*removal, *items)
        for line in self.leftovers():
            if line.startswith("image "):
                self.docker("image", "rm", "--force", line.removeprefix("image "))
        if self.path.exists():
            shutil.rmtree(self.path)
