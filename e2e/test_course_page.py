"""The course's Docker page (its hands-on project section), block by block, as printed, on a
clone in ~/devops-project as the page places it, with ports 80 and 8000 as the page has
them: build and start, the curl right after `up -d`, the persistence drill, the in-memory
comparison, and the page's debugging steps in the Compose form docs/docker.md teaches.

Each block runs in one shell, its commands one after the other with no wait added, and the
block's output is checked against what the page prints. One wait is added, and said: the
in-memory block's curl comes after uvicorn has started (the page's `&` puts the server in
the background; no server can answer a curl sent the same millisecond, and docs/docker.md
says to wait for its startup line)."""

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.paths import ROOT
from support.terminal import in_terminal

pytestmark = pytest.mark.stack

FOLDER = "devops-project"  # the page's `cd ~/devops-project`: the compose project's name
DEMO = [
    {"id": 1, "title": "Apprendre Docker", "done": False},
    {"id": 2, "title": "Configurer CI/CD", "done": False},
]
TITLE = "Cette tâche survit au redémarrage"
# Printed by bash when a command of a block fails: a pasted block goes on after a failure,
# as at a prompt, and this says where it failed.
FAILED = "the page's command failed:"


@dataclass
class Learner:
    """A learner's shell: HOME with the clone in it, PATH as the README leaves it."""

    home: Path
    env: dict[str, str]
    cwd: Path

    @property
    def clone(self) -> Path:
        return self.home / FOLDER

    def paste(self, block: str) -> str:
        """The block, pasted into the shell: its commands run one after the other, each
        whatever the one before did; the shell's folder carries over to the next block."""
        on_error = shlex.quote(f'echo "{FAILED} $BASH_COMMAND (exit $?)"')
        script = f'trap {on_error} ERR\n{block}\necho "__cwd__=$PWD"'
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = result.stdout + result.stderr
        where = re.findall(r"__cwd__=(.*)", output)
        ended = f"the shell ended before the block's end (exit {result.returncode})"
        assert where, f"{ended}:\n{output}"
        self.cwd = Path(where[-1])
        return output

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "compose", *args],
            cwd=self.clone,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )


def _json_lines(output: str) -> list[object]:
    """The JSON documents curl printed, one per line (curl adds no newline: the page's
    commands print them glued to the next output, so each starts a line of its own here
    only when it starts one there)."""
    found = []
    decoder = json.JSONDecoder()
    end = 0
    for start in (match.start() for match in re.finditer(r"[\[{]", output)):
        if start < end:  # inside the document just read (a task in its list)
            continue
        try:
            document, end = decoder.raw_decode(output, start)
        except ValueError:
            continue
        found.append(document)
    return found


@pytest.fixture(scope="module")
def learner() -> Iterator[Learner]:
    home = Path(tempfile.mkdtemp(prefix="course-page-"))
    subprocess.run([str(ROOT / ".ci" / "checkout-copy"), str(home / FOLDER)], check=True)
    tools = ROOT / ".tools" / "bin"
    uv_cache = subprocess.run(
        ["uv", "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {
        **os.environ,
        "HOME": str(home),
        # The README: uv on the PATH ("export PATH=$PWD/.tools/bin:$PATH"); its downloads
        # from the cache the test machine already filled.
        "PATH": f"{tools}:{os.environ['PATH']}",
        "UV_CACHE_DIR": uv_cache,
    }
    for variable in ("DATABASE_URL", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE", "VIRTUAL_ENV"):
        env.pop(variable, None)
    person = Learner(home, env, home)
    try:
        yield person
    finally:
        person.compose("down", "--volumes", "--remove-orphans", "--timeout", "30")
        left = subprocess.run(
            [
                "docker",
                "ps",
                "--all",
                "--quiet",
                "--filter",
                f"label=com.docker.compose.project={FOLDER}",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        shutil.rmtree(home, ignore_errors=True)
        assert left == [], f"the page's commands left containers behind: {left}"


def test_up_then_curl_at_once_gets_the_demo_tasks(learner: Learner) -> None:
    output = learner.paste(
        "cd ~/devops-project\n"
        "docker compose up -d --build\n"
        "docker compose ps\n"
        "curl http://localhost:8000/api/tasks"
    )
    print(f"\n$ up -d --build; ps; curl:\n{output[-1500:]}")

    assert FAILED not in output
    for service in ("db", "backend", "frontend"):
        assert re.search(rf"Container {FOLDER}-{service}-1\s+Started", output), service
    # `docker compose ps`: the three services, running.
    assert len(re.findall(rf"^{FOLDER}-(db|backend|frontend)-1 .* Up ", output, re.M)) == 3
    assert _json_lines(output)[-1] == DEMO


def test_the_persistence_drill_as_printed(learner: Learner) -> None:
    output = learner.paste(
        "curl -X POST http://localhost:8000/api/tasks \\\n"
        '-H "Content-Type: application/json" \\\n'
        f'-d \'{{"title": "{TITLE}"}}\'\n'
        "curl http://localhost:8000/api/tasks\n"
        "docker compose down\n"
        "docker compose up -d\n"
        "curl http://localhost:8000/api/tasks"
    )
    print(f"\n$ POST; curl; down; up -d; curl:\n{output[-1200:]}")
    created, before, after = _json_lines(output)[-3:]

    assert FAILED not in output
    assert created == {"id": 3, "title": TITLE, "done": False}
    for service in ("frontend", "backend", "db"):
        assert re.search(rf"Container {FOLDER}-{service}-1\s+Removed", output), service
    assert before == [*DEMO, created]
    assert after == [*DEMO, created]  # the volume kept it


def test_in_memory_the_added_task_is_gone(learner: Learner) -> None:
    output = learner.paste(
        "docker compose down\n"
        "cd ~/devops-project/backend\n"
        "uv run uvicorn main:app --reload &\n"
        # The one wait added (see the module's docstring): until uvicorn accepts.
        "until (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; do sleep 0.2; done\n"
        "curl http://localhost:8000/api/tasks\n"
        "kill %1\n"
        "wait"
    )
    print(f"\n$ down; uv run uvicorn main:app --reload &; curl; kill %1:\n{output[-1200:]}")

    assert FAILED not in output
    assert "Application startup complete" in output
    assert DEMO in _json_lines(output)  # the two demo tasks, not the one added
    with pytest.raises(httpx.ConnectError):  # kill %1 stopped the server
        httpx.get("http://127.0.0.1:8000/api/health", timeout=2)


def test_the_debugging_steps_in_their_compose_form(learner: Learner) -> None:
    learner.cwd = learner.clone
    up = learner.paste("docker compose up -d")
    listed = learner.paste("docker ps -a")
    logs = learner.paste("docker compose logs backend")
    inside = in_terminal(
        "docker compose exec backend bash",
        cwd=learner.clone,
        env=learner.env,
        keystrokes=["ls /app/", "cat /app/pyproject.toml", "exit"],
        within=60,
    )
    crashed = in_terminal(
        "docker compose run --rm --entrypoint bash backend",
        cwd=learner.clone,
        env=learner.env,
        keystrokes=["whoami", "exit"],
        within=120,
    )
    print(f"\n$ docker compose exec backend bash:\n{inside.output[-600:]}")

    assert FAILED not in up + listed + logs
    assert f"{FOLDER}-backend-1" in listed
    assert '"event": "request"' in logs or '"event":"request"' in logs
    assert inside.status == 0
    assert "pyproject.toml" in inside.output
    assert 'name = "tasks-backend"' in inside.output
    assert crashed.status == 0
    assert re.search(r"[\r\n]app\r?\n", crashed.output)  # the image's user, not root
