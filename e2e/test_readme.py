"""Every command the README and the docs teach, run as written, in order, on the real
engine, and what the page says they show, checked. A page edit that breaks a command
fails here.

Blocks that cannot run here carry an HTML comment, invisible on the rendered page,
`<!-- readme-test: skip (why) -->`, and a few lines are skipped by name (SKIPPED_LINES).
The stack runs under a project name and ports of the test's own (COMPOSE_PROJECT_NAME,
FRONTEND_PORT, BACKEND_PORT: the variables compose reads), never the learner's `tasks`;
the URLs and the container name in the commands are rewritten to match, nothing else.
"""

import json
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from harness.network import free_port
from harness.polling import wait_for_http

from stacks.compose import startable_services
from support.docker_builds import buildkit_env
from support.docs_map import map_pages
from support.paths import ROOT

pytestmark = pytest.mark.stack

SKIP_MARK = re.compile(r"<!-- readme-test: skip \((.+)\) -->")
SKIPPED_LINES = {
    "docker compose logs -f backend": "follows the log until Ctrl-C",
}


@dataclass
class Block:
    doc: str
    heading: str
    line: int
    code: str
    skip: str | None

    @property
    def name(self) -> str:
        return f"{self.heading.lstrip('# ')} ({self.doc}:{self.line})"


# The pages a learner follows, in the order they read them: the README, then its map.
DOCS = ["README.md", *map_pages()]


def readme_blocks(doc: str) -> list[Block]:
    blocks, heading, skip = [], "", None
    lines = (ROOT / doc).read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line
        elif mark := SKIP_MARK.fullmatch(line):
            skip = mark.group(1)
        elif line.startswith("```"):
            end = lines.index("```", index + 1)
            if line == "```bash":
                code = "\n".join(lines[index + 1 : end])
                blocks.append(Block(doc, heading, index + 1, code, skip))
            skip, index = None, end
        index += 1
    return blocks


BLOCKS = [block for doc in DOCS for block in readme_blocks(doc)]
RUNNABLE = [block for block in BLOCKS if block.skip is None]


@dataclass
class Sandbox:
    project: str
    env: dict[str, str]

    def rewrite(self, code: str) -> str:
        """The learner's URLs and names, pointed at the test's project; and a monitoring
        profile without the services that cannot start here (Grafana: no image, no
        stand-in), named one by one instead."""
        code = code.replace("http://localhost:8000", f"http://localhost:{self.env['BACKEND_PORT']}")
        code = code.replace("tasks-backend-1", f"{self.project}-backend-1")
        return "\n".join(map(self._without_unstartable, code.splitlines()))

    def _without_unstartable(self, line: str) -> str:
        if not re.search(r"docker compose --profile monitoring up\b", line):
            return line
        startable, left_out = startable_services(self.env, profile="monitoring")
        profile = startable_services(self.env)[0] + startable
        return f"{line} {' '.join(dict.fromkeys(profile))}" if left_out else line

    def run(self, code: str) -> str:
        script = "\n".join(
            line
            for line in self.rewrite(code).splitlines()
            if not any(line.startswith(skipped) for skipped in SKIPPED_LINES)
        )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"exit status {result.returncode}:\n{output[-4000:]}"
        return output

    def api(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.env['BACKEND_PORT']}{path}", timeout=10)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    project = f"tasks-readme-{uuid.uuid4().hex[:6]}"
    env = {
        **buildkit_env(),
        "COMPOSE_PROJECT_NAME": project,
        **{
            name: str(free_port())
            for name in ("FRONTEND_PORT", "BACKEND_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT")
        },
    }
    env.pop("DATABASE_URL", None)
    box = Sandbox(project, env)
    try:
        yield box
    finally:
        box.run("docker compose --profile monitoring down --volumes --remove-orphans")
        label = f"label=com.docker.compose.project={project}"
        for kind in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
            left = subprocess.run(
                ["docker", *kind, "-q", "--filter", label], capture_output=True, text=True
            ).stdout.split()
            assert left == [], f"the README's commands left {kind[0]}: {left}"


def demo_only(box: Sandbox) -> None:
    titles = [task["title"] for task in box.api("/api/tasks").json()]
    assert titles == ["Apprendre Docker", "Configurer CI/CD"]


def the_demo_tasks(output: str, box: Sandbox) -> None:
    assert '"title":"Apprendre Docker"' in output
    assert '"title":"Configurer CI/CD"' in output
    demo_only(box)


def the_task_survives_down_up_not_down_v(output: str, box: Sandbox) -> None:
    # Once in the POST's answer, once in the GET after down and up.
    assert output.count("Cette tâche survit au redémarrage") >= 2
    demo_only(box)


def created_once(output: str, box: Sandbox) -> None:
    assert '"title":"Une fois"' in output


def answered_by_three_replicas(output: str, box: Sandbox) -> None:
    # uniq -c: "     11 x-served-by: 4a8fbe360afa", one line per replica.
    counts = re.findall(r"(?im)^\s*(\d+) x-served-by: (\S+)", output)
    assert len(counts) == 3, output
    assert sum(int(count) for count, _ in counts) == 30


def prometheus_ready(output: str, box: Sandbox) -> None:
    wait_for_http(f"http://127.0.0.1:{box.env['PROMETHEUS_PORT']}/-/ready", within=90)


def an_sbom_of_the_backend(output: str, box: Sandbox) -> None:
    sbom = json.loads((ROOT / "artifacts" / "sbom" / "backend.cdx.json").read_text())
    names = {component["name"] for component in sbom["components"]}
    assert {"fastapi", "uvicorn"} <= names


def nginx_says_which_ip_versions_it_listens_on(output: str, box: Sandbox) -> None:
    assert "IPv6" in output


def exits_zero(output: str, box: Sandbox) -> None:
    """Nothing more to check than that every command succeeded (make doctor's all-clear)."""


# What each block's comments promise, by its heading: checked on its output and after it.
PROMISES: dict[str, Callable[[str, Sandbox], None]] = {
    "## First steps: the Docker module": the_demo_tasks,
    "## The stack": the_demo_tasks,
    "## The persistence drill": the_task_survives_down_up_not_down_v,
    "## When something goes wrong": exits_zero,
    "## Retrying a create safely: `Idempotency-Key`": created_once,
    "## Several backends behind nginx, with compose": answered_by_three_replicas,
    "# Monitoring": prometheus_ready,
    "### What the frontend image adds to nginx": nginx_says_which_ip_versions_it_listens_on,
    "## Run the scans yourself": exits_zero,
    "## The images' SBOMs": an_sbom_of_the_backend,
}


def test_every_bash_block_is_run_or_says_why_not() -> None:
    skipped = [block for block in BLOCKS if block.skip]
    print("\nSkipped README blocks:\n" + "\n".join(f"  {b.name}: {b.skip}" for b in skipped))

    assert len(RUNNABLE) >= 6
    assert {block.heading for block in RUNNABLE} <= set(PROMISES), "a new block: say what it shows"


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.name for block in RUNNABLE])
def test_readme_block(block: Block, sandbox: Sandbox) -> None:
    output = sandbox.run(block.code)
    print(f"\n$ {block.name}: ran; last lines:\n" + "\n".join(output.splitlines()[-4:]))
    PROMISES[block.heading](output, sandbox)
